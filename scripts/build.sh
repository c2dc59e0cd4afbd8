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
# opt-level "z" leaves both inliners almost off. rustc's MIR inliner (on by default in opt-level
# 2/3 builds, off for "z") inlining small generic helpers before monomorphisation, plus LLVM's
# inliner a little more than "z" allows, give code that wasm-opt then shrinks further (size: see
# BENCHMARKS.md#size-inliners). The LLVM one is an LLVM option and the MIR ones unstable rustc
# flags (see RUSTC_BOOTSTRAP below): a toolchain without them fails loudly.
inline="-C llvm-args=-inline-threshold=30 -Zinline-mir=yes -Zinline-mir-threshold=100"
# A panic in the shipped wasm is a bug, and with `panic = "abort"` it traps either way; the standard
# library prebuilt for wasm32 still formats the panic message first, which links in core::fmt and
# keeps every panic location string. Rebuilding std with immediate-abort panics drops all of it;
# `location-detail=none` also stops passing the now unused caller locations around (size: see
# BENCHMARKS.md#size-immediate-abort). These are unstable flags of the stable compiler, enabled for
# this one build by RUSTC_BOOTSTRAP; the toolchain is the machine's pinned stable, and a toolchain
# whose flags differ fails the build loudly (the size check in npm test watches the result).
panic="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"
export RUSTC_BOOTSTRAP=1
# Without the reference-types feature, wasm-bindgen keeps JS values in a table on the JS side
# instead of an externref table in the wasm, and drops the per-export externref adapters: more
# glue, less wasm (size: see BENCHMARKS.md#size-no-reference-types). Every browser the SDK
# targets runs either.
features="-C target-feature=-reference-types"
# rust-lld without js-sys' unused JSPI export (see scripts/link-wasm.sh for why and what it saves).
sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
export RUST_LLD="$sysroot/lib/rustlib/$host/bin/rust-lld"
[ -x "$RUST_LLD" ] || { echo "rust-lld not found at $RUST_LLD" >&2; exit 1; }
linker="-C linker=$PWD/scripts/link-wasm.sh"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$remap $inline $panic $features $linker"
# Its own target directory: the debug test builds use the prebuilt std and other flags, and
# sharing one directory would make each rebuild the other.
export CARGO_TARGET_DIR="$PWD/target/release-wasm"
# Build into a private directory and swap it in at the end, so a page or test reading pkg/ never
# sees a half-written package (nor one half-shrunk by a concurrent build).
out="target/pkg-build-$$"
rm -rf "$out"
trap 'rm -rf "$out"' EXIT
wasm-pack --quiet build --release --target web --mode no-install --out-dir "$out" --out-name backendless_wasm --no-pack . \
  -- -Zbuild-std=std,panic_abort
node scripts/shrink.mjs "$out"
# The Node entries' wasm: the same with business logic's calls (feature "business-logic"; see
# npm/business-logic.js), built and shrunk on its own, then put next to the first as
# backendless_wasm_node*.
wasm-pack --quiet build --release --target web --mode no-install --out-dir "$out/node" --out-name backendless_wasm --no-pack . \
  -- -Zbuild-std=std,panic_abort --features business-logic
node scripts/shrink.mjs "$out/node"
mv "$out/node/backendless_wasm.js" "$out/backendless_wasm_node.js"
mv "$out/node/backendless_wasm_bg.wasm" "$out/backendless_wasm_node_bg.wasm"
rm -rf "$out/node"
node scripts/package.mjs "$out"
old="target/pkg-old-$$"
if [ -d pkg ]; then mv pkg "$old"; fi
mv "$out" pkg
rm -rf "$old"
