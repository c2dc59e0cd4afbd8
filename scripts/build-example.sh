#!/usr/bin/env bash
# The Rust example app (examples/rust-web-app/) as a static site in target/rust-web-app/: its page
# and wasm-bindgen's output in pkg/. A debug build: it shares the browser tests' build of the crate
# with the `rust-api` feature, so `npm test` compiles little for it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
out=target/rust-web-app
cargo build --quiet --target wasm32-unknown-unknown --features rust-api --example rust-web-app
rm -rf "$out"
mkdir -p "$out"
wasm-bindgen --target web --out-dir "$out/pkg" --out-name rust_web_app \
  target/wasm32-unknown-unknown/debug/examples/rust_web_app.wasm
cp examples/rust-web-app/index.html "$out/"
echo "built $out"
