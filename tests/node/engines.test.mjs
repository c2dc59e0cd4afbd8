// Real engine behaviour that the wasm-bindgen suites can only simulate inside their one page,
// with the same assertions in each engine of BROWSERS (default: all three), each driven through
// its own WebDriver (chromedriver, geckodriver, WebKitWebDriver; tests/node/lib/webdriver.mjs).
//
// - Storage the engine itself refuses: a page served with `Content-Security-Policy: sandbox
//   allow-scripts` has an opaque origin, and reading its localStorage throws the engine's own
//   SecurityError, as under blocked cookies. (tests/local_cache.rs fakes that refusal with a
//   throwing getter, in all three engines.) The SDK must log in, keep the session in memory,
//   say so once, and forget it on reload.
//
//   BROWSERS=webkit BACKENDLESS_EMULATOR_URL=http://127.0.0.1:PORT node --test tests/node/engines.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { TEST_APP_ID, TEST_API_KEY, registerUser, repoRoot, servePage, uniqueEmail, useEmulator } from "./lib/harness.mjs";
import { inEachEngine, inPage } from "./lib/webdriver.mjs";

const MEMORY_ONLY_WARNING = "Backendless: localStorage is unavailable; the session is kept in memory only";

let emulator;
let site;

before(async () => {
  emulator = await useEmulator();
  // An opaque origin: the CSP sandbox.
  site = await servePage(join(repoRoot, "tests/e2e/storage-refused/index.html"), {
    headers: { "content-security-policy": "sandbox allow-scripts" },
  });
}, { timeout: 30_000 });

after(async () => {
  await site?.stop();
  await emulator?.stop();
});

async function openPage(browser) {
  await browser.navigate(site.url);
  await browser.waitFor("return document.documentElement.dataset.ready === 'true'", { timeoutMs: 15_000, what: "the sandboxed page to load the SDK" });
  await inPage(browser, "Backendless.connectEmulator(args[0], args[1], args[2]);", emulator.url, TEST_APP_ID, TEST_API_KEY);
}

inEachEngine((engine, launched) => {
  test("storage the engine refuses (opaque origin, as under blocked cookies): the session lives in memory, said once, gone on reload", { timeout: 60_000 }, async () => {
    const browser = await launched().newSession();
    try {
      const user = { email: uniqueEmail(`refused-${engine}`), password: "correct horse" };
      const { objectId } = await registerUser(emulator.url, user);
      await openPage(browser);
      assert.equal(await browser.execute("return window.storageRefusal"), "SecurityError", "the engine itself refuses localStorage here");

      const seen = await inPage(browser, `
        const user = await Backendless.UserService.login(args[0], args[1], true);
        Backendless.LocalCache.set("theme", "dark");
        return {
          id: user.objectId,
          token: user["user-token"],
          cachedToken: Backendless.LocalCache.get("user-token"),
          cachedId: Backendless.LocalCache.get("current-user-id"),
          stay: Backendless.LocalCache.get("stayLoggedIn"),
          theme: Backendless.LocalCache.get("theme"),
          valid: await Backendless.UserService.isValidLogin(),
          validSync: Backendless.UserService.isValidLoginSync(),
          current: (await Backendless.UserService.getCurrentUser()).objectId,
          warnings: window.warnings,
        };`, user.email, user.password);
      assert.equal(seen.id, objectId);
      assert.equal(seen.cachedToken, seen.token, "LocalCache serves the session from memory");
      assert.equal(seen.cachedId, objectId);
      assert.equal(seen.stay, true);
      assert.equal(seen.theme, "dark");
      assert.equal(seen.valid, true);
      assert.equal(seen.validSync, true);
      assert.equal(seen.current, objectId);
      assert.deepEqual(seen.warnings.filter((line) => line.includes("localStorage")), [MEMORY_ONLY_WARNING], "one warning, once");

      // A reload forgets a session that only lived in memory.
      await browser.refresh();
      await browser.waitFor("return document.documentElement.dataset.ready === 'true'", { timeoutMs: 15_000, what: "the reloaded page" });
      await inPage(browser, "Backendless.connectEmulator(args[0], args[1], args[2]);", emulator.url, TEST_APP_ID, TEST_API_KEY);
      const after = await inPage(browser, `
        return {
          current: await Backendless.UserService.getCurrentUser(),
          cachedToken: Backendless.LocalCache.get("user-token") ?? "undefined",
          valid: await Backendless.UserService.isValidLogin(),
        };`);
      assert.deepEqual(after, { current: null, cachedToken: "undefined", valid: false });

      // Logging in and out again works the same.
      const again = await inPage(browser, `
        await Backendless.UserService.login(args[0], args[1]);
        const before = Backendless.UserService.getCurrentUserToken();
        await Backendless.UserService.logout();
        return { before, after: Backendless.UserService.getCurrentUserToken(), cached: Backendless.LocalCache.get("user-token") ?? "undefined" };`,
      user.email, user.password);
      assert.match(again.before, /^[0-9A-F-]{36}$/);
      assert.deepEqual({ after: again.after, cached: again.cached }, { after: null, cached: "undefined" });
    } finally {
      await browser.delete();
    }
  });
});
