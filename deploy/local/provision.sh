#!/usr/bin/env bash
# Brings a Debian 12 machine to the point where MUSCode can run: installs what is missing,
# starts PostgreSQL (as the postgres user), Redis (append-only) and dockerd with the runsc
# runtime, and makes the database role. Idempotent: every step checks before it acts.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=deploy/local/env.sh
source "$here/env.sh"

log() { printf '[provision] %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  echo "provision.sh must run as root (it installs packages and starts dockerd)" >&2
  exit 1
fi

mkdir -p "$MUSCODE_STATE_DIR" "$MUSCODE_STATE_DIR/logs"

# --- packages -------------------------------------------------------------------------------
# chromium: the headless browser of the playground's tests (tests/e2e/playground.test.ts).
packages=(postgresql redis-server docker.io runsc debootstrap iproute2 ca-certificates chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# nginx only for `nginx -t` of deploy/nginx in the test suite: installed without being started
# (a policy-rc.d that refuses service starts, removed again unless the machine had one).
if ! command -v nginx >/dev/null 2>&1; then
  log "installing nginx-light (config checks only; not started)"
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
  [ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

# --- Docker with runsc ----------------------------------------------------------------------
# Merge our runtime into daemon.json rather than replacing the file.
mkdir -p /etc/docker
changed=$(node "$here/merge-daemon-json.mjs" /etc/docker/daemon.json "$(command -v runsc)")
docker_ok() { "$DOCKER" info >/dev/null 2>&1; }
if ! docker_ok; then
  log "starting dockerd"
  nohup dockerd >"$MUSCODE_STATE_DIR/logs/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do docker_ok && break; sleep 0.5; done
  docker_ok || { echo "dockerd did not start; see $MUSCODE_STATE_DIR/logs/dockerd.log" >&2; exit 1; }
elif [ "$changed" = "changed" ]; then
  log "reloading dockerd (runtimes changed)"
  pkill -HUP -x dockerd || true
  sleep 1
fi
"$DOCKER" info --format '{{json .Runtimes}}' | grep -q '"runsc"' || {
  echo "dockerd has no runsc runtime after configuration" >&2
  exit 1
}

# --- PostgreSQL -----------------------------------------------------------------------------
pg_version=$(pg_lsclusters -h | awk 'NR==1 {print $1}')
pg_cluster=$(pg_lsclusters -h | awk 'NR==1 {print $2}')
if [ -z "$pg_version" ]; then
  pg_version=15
  pg_cluster=main
  pg_createcluster "$pg_version" "$pg_cluster" >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$pg_version" -v c="$pg_cluster" '$1==v && $2==c {print $4}' | grep -q online; then
  log "starting PostgreSQL $pg_version/$pg_cluster"
  pg_ctlcluster "$pg_version" "$pg_cluster" start
fi
psql_admin() { runuser -u postgres -- env -u PGUSER -u PGPASSWORD -u PGDATABASE psql -v ON_ERROR_STOP=1 -qtAX -d postgres "$@"; }
for _ in $(seq 1 30); do psql_admin -c 'select 1' >/dev/null 2>&1 && break; sleep 0.5; done
if [ "$(psql_admin -c "select 1 from pg_roles where rolname = '$PGUSER'")" != "1" ]; then
  log "creating role $PGUSER"
  psql_admin -c "create role \"$PGUSER\" login createdb password '$PGPASSWORD'"
fi
if [ "$(psql_admin -c "select 1 from pg_database where datname = '$PGDATABASE'")" != "1" ]; then
  log "creating database $PGDATABASE"
  psql_admin -c "create database \"$PGDATABASE\" owner \"$PGUSER\""
fi

# --- Redis ----------------------------------------------------------------------------------
# Bounded memory, and no eviction: jobs, report state, revoked-token ids and rate-limit counters
# must never silently disappear (evicting a denylist entry would revive a logged-out token);
# when full, writes fail and the API answers 503 until streams expire.
REDIS_MAXMEMORY="${REDIS_MAXMEMORY:-1gb}"
if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  redis-cli -p "$REDIS_PORT" config set appendonly yes >/dev/null
  # An operator's own maxmemory is kept; an unbounded one gets ours.
  if [ "$(redis-cli -p "$REDIS_PORT" config get maxmemory | tail -1)" = "0" ]; then
    redis-cli -p "$REDIS_PORT" config set maxmemory "$REDIS_MAXMEMORY" >/dev/null
  fi
  redis-cli -p "$REDIS_PORT" config set maxmemory-policy noeviction >/dev/null
else
  log "starting redis-server on $REDIS_PORT (appendonly)"
  mkdir -p "$MUSCODE_STATE_DIR/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --appendonly yes \
    --maxmemory "$REDIS_MAXMEMORY" --maxmemory-policy noeviction \
    --dir "$MUSCODE_STATE_DIR/redis" --daemonize yes \
    --pidfile "$MUSCODE_STATE_DIR/redis.pid" --logfile "$MUSCODE_STATE_DIR/logs/redis.log"
  for _ in $(seq 1 30); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.2; done
fi

# --- Node dependencies ----------------------------------------------------------------------
cd "$MUSCODE_ROOT"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- JWT signing key ------------------------------------------------------------------------
if [ ! -s "$CP_JWT_PRIVATE_KEY_FILE" ]; then
  log "generating the JWT signing key"
  (umask 077 && npx tsx control-plane/src/cli/gen-key.ts >"$CP_JWT_PRIVATE_KEY_FILE")
fi

# --- S3 (radosgw) --------------------------------------------------------------------------
bash "$here/radosgw.sh"

log "services ready"
