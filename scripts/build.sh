#!/usr/bin/env bash
# `npm run build`: the release npm package in pkg/ (wasm-pack layout), wasm-opt'ed, with the
# entry module that instantiates the wasm itself.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
command -v wasm-opt >/dev/null || { echo "wasm-opt missing: run scripts/bootstrap.sh" >&2; exit 1; }

# Panic locations embed source paths; keep only the part after the registry index (its
# hashed directory name included) or checkout prefix.
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
remap="--remap-path-prefix=$registry/= --remap-path-prefix=$PWD/="
for index in "$registry"/*/; do remap="$remap --remap-path-prefix=$index="; done
# opt-level "z" leaves LLVM's inliner almost off; letting it inline a little more gives code that
# wasm-opt then shrinks further (measured: thresholds 30-200 all smaller than the default, 45 best,
# -345 B gzip). An LLVM option: a toolchain without it fails the build loudly.
inline="-C llvm-args=-inline-threshold=45"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$remap $inline"
# Build into a private directory and swap it in at the end, so a page or test reading pkg/ never
# sees a half-written package (nor one half-shrunk by a concurrent build).
out="target/pkg-build-$$"
rm -rf "$out"
trap 'rm -rf "$out"' EXIT
wasm-pack --quiet build --release --target web --mode no-install --out-dir "$out" --out-name backendless_wasm --no-pack
node scripts/shrink.mjs "$out"
node scripts/package.mjs "$out"
old="target/pkg-old-$$"
if [ -d pkg ]; then mv pkg "$old"; fi
mv "$out" pkg
rm -rf "$old"
