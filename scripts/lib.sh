# Shared by the scripts that need a running local server.
# start_emulator PORT DB [extra flags…]: builds and starts backendless-emulator, waits until it
# answers, and sets EMULATOR_PID and EMULATOR_URL. stop_emulator stops it by that PID.

emulator_bin() { echo "$PWD/target/server/backendless-emulator"; }

build_emulator() {
  cargo build --quiet -p backendless-emulator --profile server
}

start_emulator() {
  local port=$1 db=$2; shift 2
  local log; log=$(mktemp)
  # EMULATOR_STDERR=inherit shows the server's log on our stderr (npm start); redirecting to
  # /dev/stderr instead fails when stderr is a socket, as it is under a Node parent.
  if [ "${EMULATOR_STDERR:-}" = inherit ]; then
    "$(emulator_bin)" --port "$port" --db "$db" "$@" > "$log" &
  else
    "$(emulator_bin)" --port "$port" --db "$db" "$@" > "$log" 2> "${EMULATOR_STDERR:-/dev/null}" &
  fi
  EMULATOR_PID=$!
  EMULATOR_URL=""
  for _ in $(seq 1 200); do
    EMULATOR_URL=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$log" | head -n 1)
    [ -n "$EMULATOR_URL" ] && break
    kill -0 "$EMULATOR_PID" 2>/dev/null || { echo "backendless-emulator exited at start" >&2; cat "$log" >&2; return 1; }
    sleep 0.1
  done
  [ -n "$EMULATOR_URL" ] || { echo "backendless-emulator did not start" >&2; return 1; }
  # Listening is printed once the socket is bound; make sure it really answers.
  for _ in $(seq 1 50); do
    curl -fsS -o /dev/null -X DELETE "$EMULATOR_URL/__emulator/requests" && return 0
    sleep 0.1
  done
  echo "backendless-emulator does not answer at $EMULATOR_URL" >&2
  return 1
}

stop_emulator() {
  if [ -n "${EMULATOR_PID:-}" ] && kill -0 "$EMULATOR_PID" 2>/dev/null; then
    kill "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
  fi
  EMULATOR_PID=""
}

# start_fault_server: the fault-injecting responder for the browser fault tests (only faults the
# real server cannot produce); sets FAULT_PID and FAULT_URL. stop_fault_server stops it by PID.
start_fault_server() {
  local log; log=$(mktemp)
  node tests/support/fault-server.mjs > "$log" 2>&1 &
  FAULT_PID=$!
  FAULT_URL=""
  for _ in $(seq 1 100); do
    FAULT_URL=$(sed -n 's/^fault server on \(http[^ ]*\).*/\1/p' "$log" | head -n 1)
    [ -n "$FAULT_URL" ] && return 0
    kill -0 "$FAULT_PID" 2>/dev/null || { cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "fault server did not start" >&2
  return 1
}

stop_fault_server() {
  if [ -n "${FAULT_PID:-}" ] && kill -0 "$FAULT_PID" 2>/dev/null; then
    kill "$FAULT_PID" 2>/dev/null || true
    wait "$FAULT_PID" 2>/dev/null || true
  fi
  FAULT_PID=""
}
