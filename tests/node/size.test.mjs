// Size budget: everything the package makes a browser download, gzip -9 per file. Each shipped
// browser entry is self-contained (glue and wasm inlined), so each entry's own size is its all-in
// size, and each must be within size-budget.json (the one place the number lives). The parts the
// entries inline (wasm, glue) are printed too. Runs after `npm run build`.
//
//   node --test tests/node/size.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BROWSER_ENTRY_FILES, BUDGET_FILES, ROOT, measure, readBudget, total } from "../../bench/size.mjs";

test("each browser entry, all-in (gzip -9), is within size-budget.json", () => {
  const budget = readBudget();
  for (const file of [...BROWSER_ENTRY_FILES, ...BUDGET_FILES]) {
    assert.ok(existsSync(join(ROOT, file)), `${file} is missing: run npm run build first`);
  }
  const parts = BUDGET_FILES.map((file) => measure(file));
  for (const row of parts) console.log(`part ${row.file}: ${row.raw} B raw, ${row.gzip} B gzip -9`);
  console.log(`parts, wasm + glue: ${total("wasm + glue", parts).gzip} B gzip -9`);
  for (const file of BROWSER_ENTRY_FILES) {
    const row = measure(file);
    const headroom = budget.gzipBytes - row.gzip;
    console.log(
      `${file} (all-in): ${row.raw} B raw, ${row.gzip} B gzip -9; budget ${budget.gzipBytes} B: ` +
        `${headroom >= 0 ? `${headroom} B under` : `${-headroom} B OVER`}`,
    );
    assert.ok(row.gzip <= budget.gzipBytes, `${file} is ${row.gzip} B gzip -9, over the ${budget.gzipBytes} B budget by ${-headroom} B`);
  }
});
