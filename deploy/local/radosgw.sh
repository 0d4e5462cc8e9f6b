#!/usr/bin/env bash
# The local stack's S3 server: Ceph radosgw 18.2 (Debian trixie) standalone on its dbstore
# backend, in a runc container on the host network, listening on 127.0.0.1:$MUSCODE_S3_PORT.
# One per machine, like PostgreSQL: every stack and test run uses buckets of its own in it.
# Idempotent: the image is rebuilt only when its files change (label dev.muscode.hash), a
# running container is left alone. Data and the S3 user's keys live under $MUSCODE_S3_DIR.
# Called by provision.sh; prints the endpoint.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=deploy/local/env.sh
source "$here/env.sh"

MUSCODE_S3_PORT=${MUSCODE_S3_PORT:-7480}
MUSCODE_S3_DIR=${MUSCODE_S3_DIR:-/var/lib/muscode-radosgw}
image=muscode/radosgw:latest
name=muscode-radosgw
log() { printf '[radosgw] %s\n' "$*" >&2; }

hash=$(cd "$here/radosgw" && cat Dockerfile ceph.conf start.sh | sha256sum | cut -c1-16)
if [ "$("$DOCKER" image inspect --format '{{ index .Config.Labels "dev.muscode.hash" }}' "$image" 2>/dev/null || true)" != "$hash" ]; then
  # The locally debootstrapped trixie (nothing is pulled from a registry).
  "$DOCKER" image inspect debian:trixie-slim >/dev/null 2>&1 || bash "$MUSCODE_ROOT/sandbox-images/make-debian.sh" trixie
  log "building $image (radosgw + ceph-common from trixie; minutes the first time)"
  "$DOCKER" build -q --network host --label "dev.muscode.hash=$hash" -t "$image" "$here/radosgw" >/dev/null
fi

mkdir -p "$MUSCODE_S3_DIR/data"
creds=$MUSCODE_S3_DIR/credentials
if [ ! -s "$creds" ]; then
  (umask 077 && printf 'MUSCODE_S3_ACCESS_KEY=%s\nMUSCODE_S3_SECRET_KEY=%s\n' \
    "$(head -c 10 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    "$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$creds")
fi
# shellcheck disable=SC1090
source "$creds"

running=$("$DOCKER" inspect --format '{{.State.Running}} {{ index .Config.Labels "dev.muscode.hash" }}' "$name" 2>/dev/null || true)
if [ "$running" != "true $hash" ]; then
  "$DOCKER" rm -f "$name" >/dev/null 2>&1 || true
  log "starting $name"
  "$DOCKER" run -d --name "$name" --restart unless-stopped --network host \
    --label "dev.muscode.hash=$hash" \
    -e RGW_PORT="$MUSCODE_S3_PORT" -e RGW_ACCESS_KEY="$MUSCODE_S3_ACCESS_KEY" -e RGW_SECRET_KEY="$MUSCODE_S3_SECRET_KEY" \
    -v "$MUSCODE_S3_DIR/data:/var/lib/ceph/radosgw" "$image" >/dev/null
fi
for _ in $(seq 1 480); do # up to 2 min: a first start makes the dbstore and its user
  curl -fsS -o /dev/null "http://127.0.0.1:$MUSCODE_S3_PORT/" 2>/dev/null && break
  sleep 0.25
done
curl -fsS -o /dev/null "http://127.0.0.1:$MUSCODE_S3_PORT/" ||
  { echo "radosgw did not answer; see: $DOCKER logs $name" >&2; exit 1; }
log "S3 (radosgw) listening on http://127.0.0.1:$MUSCODE_S3_PORT (keys in $creds)"
