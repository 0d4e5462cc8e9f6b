# Shared settings of the local stack. Sourced by the deploy/local scripts; every value can be
# overridden from the environment.
MUSCODE_ROOT=${MUSCODE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
MUSCODE_STATE_DIR=${MUSCODE_STATE_DIR:-$MUSCODE_ROOT/.state}
# Debian's Docker client; a newer client elsewhere on PATH works too, but this one matches the engine.
if [ -z "${DOCKER:-}" ]; then
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
PGUSER=${PGUSER:-muscode}
PGPASSWORD=${PGPASSWORD:-muscode-local}
PGDATABASE=${PGDATABASE:-muscode}
REDIS_PORT=${REDIS_PORT:-6379}
CP_JWT_PRIVATE_KEY_FILE=${CP_JWT_PRIVATE_KEY_FILE:-$MUSCODE_STATE_DIR/jwt-ed25519.pem}
export MUSCODE_ROOT MUSCODE_STATE_DIR DOCKER PGUSER PGPASSWORD PGDATABASE REDIS_PORT CP_JWT_PRIVATE_KEY_FILE
