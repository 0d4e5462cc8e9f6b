# Settings of the three MUSCode processes in the local stack. Sourced after env.sh.
RUNNER_TOKEN_FILE=$MUSCODE_STATE_DIR/runner-token
if [ ! -s "$RUNNER_TOKEN_FILE" ]; then
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RUNNER_TOKEN_FILE")
fi
MUSCODE_RUNNER_TOKEN=$(cat "$RUNNER_TOKEN_FILE")

export CP_DATABASE_URL=${CP_DATABASE_URL:-postgres://$PGUSER:$PGPASSWORD@127.0.0.1:5432/$PGDATABASE}
export CP_REDIS_URL=${CP_REDIS_URL:-redis://127.0.0.1:$REDIS_PORT}
export CP_JWT_PRIVATE_KEY_FILE
export CP_RUNNER_TOKEN=${CP_RUNNER_TOKEN:-$MUSCODE_RUNNER_TOKEN}
export CP_HTTP_PORT=${CP_HTTP_PORT:-8081}
export CP_RPC_PORT=${CP_RPC_PORT:-8082}
# The machine's radosgw (deploy/local/radosgw.sh), unless another S3 endpoint is given.
if [ -z "${CP_STORAGE_ENDPOINT:-}" ] && [ -r "${MUSCODE_S3_DIR:-/var/lib/muscode-radosgw}/credentials" ]; then
  # shellcheck disable=SC1091
  source "${MUSCODE_S3_DIR:-/var/lib/muscode-radosgw}/credentials"
  export CP_STORAGE_ENDPOINT=http://127.0.0.1:${MUSCODE_S3_PORT:-7480}
  export CP_STORAGE_ACCESS_KEY=$MUSCODE_S3_ACCESS_KEY CP_STORAGE_SECRET_KEY=$MUSCODE_S3_SECRET_KEY
  export CP_STORAGE_BUCKET=${CP_STORAGE_BUCKET:-muscode-local}
fi

export GATEWAY_PORT=${GATEWAY_PORT:-8080}
export GATEWAY_CONTROL_PLANE_URL=${GATEWAY_CONTROL_PLANE_URL:-http://127.0.0.1:$CP_HTTP_PORT}
export GATEWAY_REDIS_URL=${GATEWAY_REDIS_URL:-$CP_REDIS_URL}

export AGENT_ID=${AGENT_ID:-$(hostname)-local}
export AGENT_REDIS_URL=${AGENT_REDIS_URL:-$CP_REDIS_URL}
export AGENT_RUNNER_TOKEN=${AGENT_RUNNER_TOKEN:-$CP_RUNNER_TOKEN}
export AGENT_CONTROL_PLANE_URL=${AGENT_CONTROL_PLANE_URL:-http://127.0.0.1:$CP_RPC_PORT}
export AGENT_IMAGE_REPO=${AGENT_IMAGE_REPO:-${MUSCODE_IMAGE_REPO:-muscode}}
