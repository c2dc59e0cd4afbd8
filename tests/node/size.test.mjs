// Size regression check: the release wasm and its JS glue, gzip -9, must stay within the budget
// recorded in size-budget.json (the one place the number lives). Runs after `npm run build`.
//
//   node --test tests/node/size.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BUDGET_FILES, GOAL_GZIP_BYTES, ROOT, measure, readBudget, total } from "../../bench/size.mjs";

test("shipped wasm + glue (gzip -9) is within size-budget.json", () => {
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
