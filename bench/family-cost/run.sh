#!/usr/bin/env bash
# bench/family-cost/run.sh WORKTREE: what each call of the login family costs in the shipped entry.
# In WORKTREE (a scratch `git worktree add` of the commit to measure, with node_modules linked), builds
# the release entry with everything, then without each call (remove.py), without all six
# (remove_family.py) and without setPersistence too, and prints pkg/index.js gzip -9 for each.
# BENCHMARKS.md ("The login family: what each call costs") quotes one run. Takes ~10 builds.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$1"
gz() { node -e "const z=require('zlib');console.log(z.gzipSync(require('fs').readFileSync('pkg/index.js'),{level:9}).length)"; }
measure() { git checkout -q -- . ; "$@" || return 1; bash scripts/build.sh >/dev/null 2>&1 || return 1; gz; }
echo "all $(measure true)"
for call in Roles Update ResendConfirmation OAuthLogin AuthorizationUrl Adopt Persistence; do
  echo "without $call $(measure python3 "$here/remove.py" . "$call")"
done
six() { for call in Roles Update ResendConfirmation OAuthLogin AuthorizationUrl Adopt; do python3 "$here/remove.py" . "$call" || return 1; done; python3 "$here/remove_family.py" .; }
echo "without the six calls $(measure six)"
both() { six && python3 "$here/remove.py" . Persistence; }
echo "without the six calls and setPersistence $(measure both)"
git checkout -q -- .
