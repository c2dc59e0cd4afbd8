#!/usr/bin/env bash
# The linker of the release wasm (scripts/build.sh passes it as `-C linker=`): rust-lld, as rustc
# would call it, minus one export. js-sys defines `__wbg_jspi_task_poll` as a `#[no_mangle]`
# function (its JSPI task poll), so every cdylib exports it and the linker keeps its code and its
# waker's vtable. wasm-bindgen deletes the export when, as here, nothing uses JSPI, but the vtable's
# functions stay in the wasm's function table, out of wasm-opt's reach. Not exporting it lets the
# linker drop all of it (size: see BENCHMARKS.md#size-link-wasm).
# An export no longer there (js-sys renamed or dropped it) fails the link, so that the saving
# is not lost without a word: the size check has more headroom than it.
# RUST_LLD is rust-lld of the toolchain that builds (set by scripts/build.sh).
set -euo pipefail
: "${RUST_LLD:?scripts/link-wasm.sh: RUST_LLD is not set (run it through scripts/build.sh)}"
args=("$@")
unexported=__wbg_jspi_task_poll
kept=()
found=no
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[$i]}" = "--export" ] && [ "${args[$((i + 1))]:-}" = "$unexported" ]; then
    i=$((i + 1))
    found=yes
    continue
  fi
  kept+=("${args[$i]}")
done
if [ "$found" = no ]; then
  echo "scripts/link-wasm.sh: rustc asked for no --export $unexported any more; update this script" >&2
  exit 1
fi
exec "$RUST_LLD" "${kept[@]}"
