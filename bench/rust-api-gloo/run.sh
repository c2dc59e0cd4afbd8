#!/usr/bin/env bash
# What gloo-storage and gloo-net would add to a Rust app over backendless_wasm::rust_api (the
# figures in BENCHMARKS.md, "The Rust API"): the same small app three ways, each a release build
# (opt-level z, LTO), wasm-bindgen, wasm-opt -Oz; sizes raw and gzip -9.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PWD/../../node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="$PWD/../../target/rust-api-gloo"
for variant in "base:" "gloo-storage:--features storage" "gloo-net:--features net"; do
  name=${variant%%:*} flags=${variant#*:}
  # shellcheck disable=SC2086
  cargo build --quiet --release --target wasm32-unknown-unknown $flags
  out="$CARGO_TARGET_DIR/out-$name"
  rm -rf "$out"
  wasm-bindgen --target web --out-dir "$out" "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/measure.wasm"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types "$out/measure_bg.wasm" -o "$out/opt.wasm"
  echo "$name: wasm $(wc -c < "$out/opt.wasm") B, gzip -9 $(gzip -9 -c "$out/opt.wasm" | wc -c) B;" \
    "glue gzip -9 $(gzip -9 -c "$out/measure.js" | wc -c) B"
done
