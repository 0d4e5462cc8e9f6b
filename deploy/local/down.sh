#!/usr/bin/env bash
# `npm run down`: stops the processes `npm run up` started (PostgreSQL, Redis and dockerd stay).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/env.sh"
source "$here/procs.sh"
pids=$MUSCODE_STATE_DIR/pids
for name in gateway runner-agent control-plane; do
  file=$pids/$name.pid
  [ -s "$file" ] || continue
  pid=$(proc_pid "$file")
  # Only our own process: a pid reused by another one is left alone.
  if proc_alive "$file"; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do proc_alive "$file" || break; sleep 0.1; done
    proc_alive "$file" && kill -KILL "$pid"
    echo "[down] stopped $name" >&2
  fi
  rm -f "$file"
done
