# Shared by the scripts that start servers: each is started in the background, waited on until
# it prints its URL (and answers), and stopped by its own PID.
#
# start_emulator PORT DB [flags…]  sets EMULATOR_PID and EMULATOR_URL   (stop_emulator)
# start_fault_server               sets FAULT_PID and FAULT_URL         (stop_fault_server)
# start_xvfb                       sets XVFB_PID and exports DISPLAY    (stop_xvfb)

emulator_bin() { echo "$PWD/target/server/backendless-emulator"; }

build_emulator() {
  cargo build --quiet -p backendless-emulator --profile server
}

# await_url NAME PID LOG PREFIX: prints the URL that follows PREFIX on a line of LOG once the
# process PID writes it; fails (showing LOG) if the process exits or 20 s pass first.
await_url() {
  local name=$1 pid=$2 log=$3 prefix=$4 url
  for _ in $(seq 1 200); do
    url=$(sed -n "s|^$prefix \(http[^ ]*\).*|\1|p" "$log" | head -n 1)
    if [ -n "$url" ]; then echo "$url"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "$name exited at start:" >&2; cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "$name did not start within 20 s" >&2
  return 1
}

# stop_pid PID: stops a process we started and reaps it: SIGTERM, then SIGKILL if it is still
# running after STOP_WAIT_SECS (default 15; the emulator itself gives up on open requests after
# 10 s), so a stop never waits forever.
stop_pid() {
  if [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; then
    kill "$1" 2>/dev/null || true
    local tenths=$(( ${STOP_WAIT_SECS:-15} * 10 ))
    while [ "$tenths" -gt 0 ] && kill -0 "$1" 2>/dev/null; do
      sleep 0.1
      tenths=$((tenths - 1))
    done
    if kill -0 "$1" 2>/dev/null; then
      echo "process $1 did not stop within ${STOP_WAIT_SECS:-15} s of SIGTERM; killing it" >&2
      kill -9 "$1" 2>/dev/null || true
    fi
    wait "$1" 2>/dev/null || true
  fi
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
  EMULATOR_URL=$(await_url backendless-emulator "$EMULATOR_PID" "$log" "listening on") || return 1
  # The line is printed once the socket is bound; make sure it really answers.
  for _ in $(seq 1 50); do
    curl -fsS -o /dev/null -X DELETE "$EMULATOR_URL/__emulator/requests" && return 0
    sleep 0.1
  done
  echo "backendless-emulator does not answer at $EMULATOR_URL" >&2
  return 1
}

stop_emulator() {
  stop_pid "${EMULATOR_PID:-}"
  EMULATOR_PID=""
}

# The fault-injecting responder for the browser fault tests (only faults the real server cannot
# produce).
start_fault_server() {
  local log; log=$(mktemp)
  node tests/support/fault-server.mjs > "$log" 2>&1 &
  FAULT_PID=$!
  FAULT_URL=$(await_url "fault server" "$FAULT_PID" "$log" "fault server on") || return 1
}

stop_fault_server() {
  stop_pid "${FAULT_PID:-}"
  FAULT_PID=""
}

# A virtual X display for WebKit (MiniBrowser has no headless mode). Xvfb picks a free display
# number itself (-displayfd), so parallel runs on one machine do not collide. Stopping it also
# ends any browser still drawing on it. -noreset: by default Xvfb resets when its last client
# leaves, and refuses connections meanwhile; a MiniBrowser started then (the next WebDriver
# session, right after the last one ended) dies with "cannot open display", and WebKitWebDriver
# waits for it forever (measured: 15-22 of 300 back-to-back clients refused; none with -noreset).
start_xvfb() {
  local log; log=$(mktemp)
  Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp -noreset 3> "$log" 2> /dev/null &
  XVFB_PID=$!
  for _ in $(seq 1 100); do
    if [ -s "$log" ]; then
      DISPLAY=":$(tr -d '[:space:]' < "$log")"
      export DISPLAY
      rm -f "$log"
      return 0
    fi
    kill -0 "$XVFB_PID" 2>/dev/null || { echo "Xvfb exited at start" >&2; return 1; }
    sleep 0.1
  done
  echo "Xvfb gave no display number within 10 s" >&2
  return 1
}

stop_xvfb() {
  stop_pid "${XVFB_PID:-}"
  XVFB_PID=""
}
