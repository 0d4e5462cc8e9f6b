#!/usr/bin/env bash
# `npm run up`: provisions the machine, builds the sandbox images, migrates, and starts the
# control-plane, a gateway and a runner agent in the background. Running it again is harmless:
# what is already running is left alone.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/env.sh"
source "$here/procs.sh"

bash "$here/provision.sh"
bash "$MUSCODE_ROOT/sandbox-images/build.sh"
source "$here/stack-env.sh"
cd "$MUSCODE_ROOT"
node clients/web/build.mjs # the playground the gateway serves at /
node --import tsx control-plane/src/cli/migrate.ts

pids=$MUSCODE_STATE_DIR/pids
mkdir -p "$pids"
start() { # name, entry point
  local name=$1 entry=$2
  # Ours and alive, not a zombie or a reused pid (procs.sh).
  if proc_alive "$pids/$name.pid"; then
    echo "[up] $name already running (pid $(proc_pid "$pids/$name.pid"))" >&2
    return
  fi
  nohup node --import tsx "$entry" >>"$MUSCODE_STATE_DIR/logs/$name.log" 2>&1 &
  proc_record "$pids/$name.pid" $!
  echo "[up] started $name (pid $!, log .state/logs/$name.log)" >&2
}
start control-plane control-plane/src/main.ts
start gateway gateway/src/main.ts
start runner-agent runner-agent/src/main.ts

url="http://127.0.0.1:$GATEWAY_PORT"
for _ in $(seq 1 120); do
  if curl -fsS "$url/api/v1/health" >/dev/null 2>&1; then
    echo "MUSCode is up: $url/api/v1  (gRPC/Connect: http://127.0.0.1:$CP_RPC_PORT)"
    exit 0
  fi
  sleep 0.5
done
echo "the stack did not become healthy; see $MUSCODE_STATE_DIR/logs/" >&2
curl -sS "$url/api/v1/health" >&2 || true
exit 1
