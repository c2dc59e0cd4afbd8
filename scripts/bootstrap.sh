#!/usr/bin/env bash
# Installs everything building and testing need, skipping what is already present at the right
# version. Only package registries are used (crates.io, Debian, npm): nothing downloads prebuilt
# binaries from elsewhere, and Debian's binaryen is never installed (it corrupts current
# wasm-bindgen output; wasm-opt comes from npm's binaryen instead).
#
# BOOTSTRAP_BROWSERS="chromium" limits the browsers installed (default: chromium firefox webkit).
# WebKit is Debian's WebKitGTK: webkit2gtk-driver brings WebKitWebDriver and MiniBrowser, which
# needs an X display, hence xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[bootstrap] %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

browsers=${BOOTSTRAP_BROWSERS:-chromium firefox webkit}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The release build recompiles the standard library for wasm32 (see scripts/build.sh), which needs
# its source: a rustup component of the same toolchain, from the same server as the target.
if ! rustup component list --installed | grep -qx rust-src; then
  say "adding the rust-src component"
  rustup component add rust-src
fi

# npm test checks the formatting first (cargo fmt --check): rustfmt is in rustup's default
# profile, not in its minimal one.
if ! rustup component list --installed | grep -q '^rustfmt'; then
  say "adding the rustfmt component"
  rustup component add rustfmt
fi

if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack from crates.io"
  cargo install --locked wasm-pack
fi

# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock. `--locked` fails for
# it (a locked dependency is missing from the registry), hence the plain install.
want=$(cargo pkgid -p wasm-bindgen | sed 's/.*@//')
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (found: ${have:-none})"
  cargo install wasm-bindgen-cli --version "=$want" --force
fi

apt_missing=()
for pkg in $( [[ $browsers == *chromium* ]] && echo chromium chromium-driver ) $( [[ $browsers == *firefox* ]] && echo firefox-esr ) \
  $( [[ $browsers == *webkit* ]] && echo webkit2gtk-driver xvfb ); do
  dpkg -s "$pkg" >/dev/null 2>&1 || apt_missing+=("$pkg")
done
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "installing ${apt_missing[*]} from Debian"
  # Waits for another install holding the dpkg lock instead of failing at once.
  as_root apt-get -o DPkg::Lock::Timeout=300 update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${apt_missing[@]}"
fi

if [[ $browsers == *firefox* ]] && ! command -v geckodriver >/dev/null; then
  say "installing geckodriver from crates.io"
  cargo install --locked geckodriver
fi

# npm dev dependencies (binaryen's wasm-opt, playwright-core, typescript, vite, the official
# client for comparison tests). Re-run only when package-lock.json changed.
if [ ! -f node_modules/.bootstrap-stamp ] || [ package-lock.json -nt node_modules/.bootstrap-stamp ]; then
  say "installing npm dev dependencies"
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.bootstrap-stamp
fi
say "ready"
