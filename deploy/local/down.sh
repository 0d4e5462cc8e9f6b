#!/usr/bin/env bash
# `npm run down`: stops the processes `npm run up` started (PostgreSQL, Redis and dockerd stay).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/env.sh"
pids=$MUSCODE_STATE_DIR/pids
for name in gateway runner-agent control-plane; do
  file=$pids/$name.pid
  [ -s "$file" ] || continue
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "[down] stopped $name" >&2
  fi
  rm -f "$file"
done
