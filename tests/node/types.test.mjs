// The package's TypeScript declarations, checked the way a user's project would: `tsc --strict`
// on a typed usage file (tests/types/usage.ts) against the built pkg/index.d.ts.
import { test } from "node:test";
import { join } from "node:path";
import { run, repoRoot } from "./lib/harness.mjs";

test("a strict TypeScript page type-checks against the published declarations", async () => {
  const tsc = join(repoRoot, "node_modules/.bin/tsc");
  // run() rejects with tsc's output when it reports errors.
  await run(tsc, ["-p", join(repoRoot, "tests/types/tsconfig.json")], { timeoutMs: 120_000 });
});
