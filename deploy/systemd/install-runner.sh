#!/usr/bin/env bash
# Adds a bare Debian 12 host to a MUSCode fleet as a runner agent:
#   sudo deploy/systemd/install-runner.sh \
#     --control-plane http://cp.internal:8082 --redis redis://redis.internal:6379 \
#     --token <runner token> --region eu-1 [--capacity 4] [--source /path/to/muscode]
# Installs Docker Engine, gVisor (runsc) and Node 20 from Debian, registers runsc with Docker,
# copies the code to /opt/muscode, builds the sandbox images, writes
# /etc/muscode/runner-agent.env and enables muscode-runner-agent.service.
# Idempotent: run it again to update the code or the settings.
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-1}"; }

control_plane='' redis='' token='' region='' capacity=$(nproc) source_dir=''
while [ $# -gt 0 ]; do
  case "$1" in
    --control-plane) control_plane=$2; shift 2 ;;
    --redis) redis=$2; shift 2 ;;
    --token) token=$2; shift 2 ;;
    --region) region=$2; shift 2 ;;
    --capacity) capacity=$2; shift 2 ;;
    --source) source_dir=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
[ -n "$control_plane" ] && [ -n "$redis" ] && [ -n "$token" ] && [ -n "$region" ] || usage
[[ "$capacity" =~ ^[1-9][0-9]*$ ]] || { echo "--capacity must be a positive integer" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 1; }
source_dir=${source_dir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

log() { printf '[install-runner] %s\n' "$*" >&2; }

log "packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends docker.io runsc nodejs npm debootstrap ca-certificates rsync >/dev/null
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || { echo "Node 20 or newer is required" >&2; exit 1; }

log "docker with runsc"
mkdir -p /etc/docker
node "$source_dir/deploy/local/merge-daemon-json.mjs" /etc/docker/daemon.json "$(command -v runsc)" >/dev/null
systemctl enable --now docker
systemctl restart docker

log "code in /opt/muscode"
id muscode-runner >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin muscode-runner
usermod -aG docker muscode-runner
mkdir -p /opt/muscode
rsync -a --delete --exclude node_modules --exclude .git --exclude .state "$source_dir/" /opt/muscode/
(cd /opt/muscode && npm ci --omit=dev --workspace runner-agent --include-workspace-root && npm install --no-save tsx@4)

log "sandbox images"
(cd /opt/muscode && bash sandbox-images/build.sh)

log "settings"
install -d -m 0750 -o root -g muscode-runner /etc/muscode
umask 027
cat > /etc/muscode/runner-agent.env <<ENV
AGENT_ID=$(hostname -s)
AGENT_HOST_ID=$(hostname -f)
AGENT_REGION=$region
AGENT_CAPACITY=$capacity
AGENT_CONTROL_PLANE_URL=$control_plane
AGENT_REDIS_URL=$redis
AGENT_RUNNER_TOKEN=$token
AGENT_RUNTIME=runsc
AGENT_METRICS_HOST=0.0.0.0
AGENT_METRICS_PORT=9464
ENV
chgrp muscode-runner /etc/muscode/runner-agent.env

log "service"
install -m 0644 "$source_dir/deploy/systemd/muscode-runner-agent.service" /etc/systemd/system/
systemctl daemon-reload
systemctl enable muscode-runner-agent.service
systemctl restart muscode-runner-agent.service
log "done: journalctl -u muscode-runner-agent -f"
