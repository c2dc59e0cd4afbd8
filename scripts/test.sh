#!/usr/bin/env bash
# `npm test`: the whole suite. Installs what it needs, runs the native tests, then the browser
# tests in headless Chromium, headless Firefox and WebKit (WebKitGTK's MiniBrowser on a virtual
# X display) against the real local server (started here, stopped by its PID), then the
# end-to-end and release-package checks.
#
# BROWSERS="chromium" (or "firefox", or "webkit") runs one engine only, for speed while
# developing; CI runs all three. The Node-driven package, compatibility and Chromium end-to-end
# suites use Chromium whatever BROWSERS says, so it is always installed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

browsers=${BROWSERS:-chromium firefox webkit}
# Also read by tests/node/engines.test.mjs, which runs in each of them.
export BROWSERS=$browsers
BOOTSTRAP_BROWSERS="chromium $browsers" scripts/bootstrap.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

passed=0; failed=0
step() {
  local name=$1; shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "!!! FAILED: $name"; fi
}

step "format: cargo fmt --check" cargo fmt --all -- --check
step "native: SDK core" cargo test --quiet -p backendless-wasm
# The Node entries' wasm adds business logic's rows (feature "business-logic").
step "native: SDK core, business logic" cargo test --quiet -p backendless-wasm --features business-logic
step "native: local server" cargo test --quiet -p backendless-emulator --profile server

build_emulator
trap 'stop_emulator; stop_fault_server; stop_xvfb' EXIT
# Every suite signs users up, starts OAuth sign-ins and asks for confirmation mails from 127.0.0.1,
# far more than a developer does: no per-client limits here (the limits have tests of their own in
# emulator/tests/limits.rs).
# The CloudCode key, a custom role and the social providers serve the SDK's tests of business
# logic's calls (login by objectId, roles, user status) and of the social logins.
start_emulator 0 ":memory:" --app-id TEST-APP --api-key TEST-KEY --signups-per-minute 0 \
  --oauth-starts-per-minute 0 --confirmation-mails-per-minute 0 --oauth-provider github \
  --cloud-code-api-key TEST-CLOUDCODE-KEY --role CustomRole --oauth-provider twitter \
  --oauth-provider facebook --oauth-provider googleplus
start_fault_server
export BACKENDLESS_EMULATOR_URL=$EMULATOR_URL BACKENDLESS_TEST_APP_ID=TEST-APP BACKENDLESS_TEST_API_KEY=TEST-KEY
export BACKENDLESS_TEST_CLOUD_CODE_KEY=TEST-CLOUDCODE-KEY
export BACKENDLESS_FAULT_URL=$FAULT_URL
# The live suite (tests/live.rs) runs against the server these name: a real Backendless app when
# they are set before `npm test` (README, "Testing against a real Backendless app"), else the
# local server, through the same public-API path.
if [ -z "${BACKENDLESS_LIVE_URL:-}${BACKENDLESS_LIVE_DOMAIN:-}" ]; then
  export BACKENDLESS_LIVE_URL=$EMULATOR_URL BACKENDLESS_LIVE_APP_ID=TEST-APP BACKENDLESS_LIVE_API_KEY=TEST-KEY
fi
export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-90}
echo "local server: $EMULATOR_URL (pid $EMULATOR_PID); fault responder: $FAULT_URL (pid $FAULT_PID)"

# The Rust API (feature "rust-api", tests/rust_api.rs) in its own run per engine: the feature is
# off in the runs above, as in the npm package (same allocator, same code), and its one extra debug
# build is shared by the three engines (~1 min once, then ~10 s per engine).
if [[ $browsers == *chromium* ]]; then
  step "browser: headless Chromium" wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" --mode no-install -- --test '*'
  step "browser: headless Chromium, Rust API" wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" --mode no-install -- --features rust-api --test rust_api
fi
if [[ $browsers == *firefox* ]]; then
  # Keeps Firefox from reaching for its remote-settings host on a closed network.
  export MOZ_REMOTE_SETTINGS_DEVTOOLS=1
  step "browser: headless Firefox" wasm-pack test --headless --firefox --geckodriver "$(command -v geckodriver)" --mode no-install -- --test '*'
  step "browser: headless Firefox, Rust API" wasm-pack test --headless --firefox --geckodriver "$(command -v geckodriver)" --mode no-install -- --features rust-api --test rust_api
fi
if [[ $browsers == *webkit* ]]; then
  # MiniBrowser has no headless mode: one Xvfb for the run (also used by the WebKit end-to-end
  # suite below), stopped by its PID at the end. WebKitWebDriver stands in for safaridriver: the
  # runner speaks W3C WebDriver to it and sends empty capabilities (webdriver.json is not read
  # for Safari); the driver's defaults start MiniBrowser in automation mode.
  start_xvfb
  echo "X display for WebKit: $DISPLAY (Xvfb pid $XVFB_PID)"
  step "browser: WebKit (WebKitGTK)" wasm-pack test --headless --safari --safaridriver "$(command -v WebKitWebDriver)" --mode no-install -- --test '*'
  step "browser: WebKit (WebKitGTK), Rust API" wasm-pack test --headless --safari --safaridriver "$(command -v WebKitWebDriver)" --mode no-install -- --features rust-api --test rust_api
fi

# A hung browser, driver or install must not hang the run: each Node-driven suite gets a bound far
# above its usual time (at most ~50 s each, the ecosystem suite ~2.5 min with a cold npm cache).
bounded() {
  local seconds=$1 status=0
  shift
  timeout --kill-after=30 "$seconds" "$@" || status=$?
  if [ "$status" = 124 ]; then echo "!!! timed out after $seconds s: $*"; fi
  return "$status"
}

# Node-driven suites (end-to-end in Chromium via playwright-core and in WebKit via WebDriver,
# package checks) use the release build and the same running server.
step "release build" scripts/build.sh
# The Rust example app (tests/node/rust-app.test.mjs drives it): a debug build over the one the
# Rust API's browser runs made.
step "example: Rust web app" scripts/build-example.sh
for check in tests/node/*.test.mjs; do
  [ -e "$check" ] || continue
  if [[ $check == *-webkit.test.mjs && $browsers != *webkit* ]]; then continue; fi
  step "node: $check" bounded 600 node --test --test-concurrency=1 "$check"
done
# The packed package in fresh apps of each toolchain (Vite, webpack, esbuild, Rollup, Parcel,
# Next.js, React, workers, Node), zero config, tools installed from the registry through
# target/npm-cache.
step "node: ecosystem fixtures" bounded 1800 node --test --test-concurrency=1 tests/ecosystem/ecosystem.test.mjs
# The official backendless client against the local server (it starts its own binary).
step "node: official client vs local server" bounded 600 node --test emulator/tests/official-client.mjs
stop_fault_server
stop_emulator
stop_xvfb

echo
echo "suites: $passed passed, $failed failed"
[ "$failed" = 0 ]
