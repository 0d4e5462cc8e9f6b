#!/usr/bin/env bash
# `npm test`: provisions like `npm run up` (services, images), checks generated code, lint and
# types, then runs the whole suite against real PostgreSQL, Redis and Docker + runsc. The
# suite starts its own control-plane, gateway and agent on free ports with a fresh database.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/env.sh"

bash "$here/provision.sh"
bash "$MUSCODE_ROOT/sandbox-images/build.sh"
cd "$MUSCODE_ROOT"
npm run --silent gen:check
npm run --silent gen:api:check # the client's OpenAPI types (openapi-typescript) are fresh
node clients/web/build.mjs # the playground the test gateway serves at /
npm run --silent gen:languages:check
npm run --silent lint
npm run --silent typecheck
npx vitest run "$@"
