#!/usr/bin/env bash
# `npm start`: installs what is missing, builds the package, starts the local server with a
# seeded demo user and serves the demo page. Ctrl-C stops both servers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

BOOTSTRAP_BROWSERS=none scripts/bootstrap.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
scripts/build.sh
build_emulator

port=${EMULATOR_PORT:-8200}
# The local identity provider behind the demo's "Sign in with … (local provider)" button.
oauth_provider=github
export EMULATOR_STDERR=inherit
start_emulator "$port" "${EMULATOR_DB:-./backendless-emulator.db}" \
  --app-id LOCAL-APP-ID --api-key LOCAL-API-KEY --seed-user alice@yourmail.com:wonderland \
  --oauth-provider "$oauth_provider" --cloud-code-api-key LOCAL-CLOUDCODE-KEY --role CustomRole \
  --oauth-provider twitter --oauth-provider facebook --oauth-provider googleplus
export EMULATOR_URL EMULATOR_APP_ID=LOCAL-APP-ID EMULATOR_API_KEY=LOCAL-API-KEY EMULATOR_OAUTH_PROVIDER=$oauth_provider
export EMULATOR_CLOUD_CODE_KEY=LOCAL-CLOUDCODE-KEY

node scripts/serve.mjs &
SERVE_PID=$!
stop_all() {
  trap - INT TERM EXIT
  kill "$SERVE_PID" 2>/dev/null || true
  wait "$SERVE_PID" 2>/dev/null || true
  stop_emulator
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT
echo "local server: $EMULATOR_URL (app id LOCAL-APP-ID, api key LOCAL-API-KEY, user alice@yourmail.com / wonderland)"
wait "$SERVE_PID"
