#!/usr/bin/env bash
# `npm run bench`: size and speed of the SDK next to the official client and bare fetch, plus the
# local server's own load benchmark, measured in one run; prints the tables and rewrites
# BENCHMARKS.md (see bench/ for the parts). Takes about 2 minutes on a warm 2-core machine.
#
# Knobs: BENCH_CALLS (500 logins), BENCH_CHECK_CALLS (1000 isValidLogin), BENCH_WARMUP (20),
# BENCH_ROUNDS (5), BENCH_STARTUP_LOADS (30, loopback), BENCH_STARTUP_SLOW_LOADS (10, emulated network),
# BENCH_HOT_CALLS (10000), BENCH_HOT_BATCHES (5), BENCH_SERVER_SECS (3, per load scenario),
# BENCH_SKIP_SERVER_LOAD=1 (leave the server's load benchmark out).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

export BENCH_LOAD_START; BENCH_LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
BOOTSTRAP_BROWSERS=chromium scripts/bootstrap.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

out=target/bench
mkdir -p "$out"
export BENCH_RESULTS=$out/results.json BENCH_SERVER_LOAD_FILE=$out/server-load.md
rm -f "$BENCH_RESULTS" "$BENCH_SERVER_LOAD_FILE" "$out"/load-*.txt "$out/server-load-command.txt"
echo "$BENCH_LOAD_START" > "$out/load-before.txt"

# 5. The local server's load benchmark (emulator/benches/load.rs, written with the server): it
# starts its own server and prints a Markdown table on stdout.
server_secs=${BENCH_SERVER_SECS:-3}
export BENCH_SERVER_LOAD_CMD="cargo bench -p backendless-emulator --profile server --bench load -- --secs $server_secs"
echo "$BENCH_SERVER_LOAD_CMD" > "$out/server-load-command.txt"
server_load_available() { [ -f emulator/benches/load.rs ] && grep -q 'name = "load"' emulator/Cargo.toml; }

echo "=== build"
scripts/build.sh
build_emulator
if [ -z "${BENCH_SKIP_SERVER_LOAD:-}" ] && server_load_available; then
  # Compiled now so that compiling does not overlap the measurements.
  cargo bench --quiet -p backendless-emulator --profile server --bench load --no-run \
    || echo "warning: the local server load benchmark does not compile; it will be reported as failed" >&2
fi

trap stop_emulator EXIT
start_emulator 0 ":memory:" --app-id BENCH-APP --api-key BENCH-KEY --seed-user bench@example.com:benchpass --log-level warn
echo "=== SDK measurements (local server $EMULATOR_URL, pid $EMULATOR_PID)"
EMULATOR_URL=$EMULATOR_URL BENCH_APP_ID=BENCH-APP BENCH_API_KEY=BENCH-KEY \
  BENCH_LOGIN=bench@example.com BENCH_PASSWORD=benchpass node bench/run.mjs
export BENCH_LOAD_END; BENCH_LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
echo "$BENCH_LOAD_END" > "$out/load-after.txt"
stop_emulator

echo
echo "5. Local server load benchmark"
if [ -n "${BENCH_SKIP_SERVER_LOAD:-}" ]; then
  echo "skipped (BENCH_SKIP_SERVER_LOAD is set)" | tee "$BENCH_SERVER_LOAD_FILE"
elif ! server_load_available; then
  # HOOK: the emulator's load benchmark does not exist in this checkout.
  echo "not available: emulator/benches/load.rs (bench \"load\") is missing" | tee "$BENCH_SERVER_LOAD_FILE"
elif ! timeout 120 $BENCH_SERVER_LOAD_CMD > "$BENCH_SERVER_LOAD_FILE.tmp"; then
  { echo "FAILED: \`$BENCH_SERVER_LOAD_CMD\`"; echo; cat "$BENCH_SERVER_LOAD_FILE.tmp"; } > "$BENCH_SERVER_LOAD_FILE"
  cat "$BENCH_SERVER_LOAD_FILE"
else
  mv "$BENCH_SERVER_LOAD_FILE.tmp" "$BENCH_SERVER_LOAD_FILE"
  cat "$BENCH_SERVER_LOAD_FILE"
fi
rm -f "$BENCH_SERVER_LOAD_FILE.tmp"

node bench/report.mjs
echo "load average before / after: $BENCH_LOAD_START / $BENCH_LOAD_END ($(nproc) cores; the benchmark itself adds about 2)"
