// The demo page (www/) driven in WebKit (WebKitGTK's MiniBrowser through WebKitWebDriver, on
// an Xvfb display) against the real local server: the core of tests/node/e2e.test.mjs — login,
// reload restoring the session, logout, the error banner, two windows following each other —
// with the same assertions, through plain W3C WebDriver (tests/node/lib/webdriver.mjs).
//
//   BACKENDLESS_EMULATOR_URL=http://127.0.0.1:PORT node --test tests/node/e2e-webkit.test.mjs
// (without it, a fresh in-memory server is started from target/server/backendless-emulator;
// without DISPLAY, an Xvfb of its own).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import {
  TEST_APP_ID,
  TEST_API_KEY,
  freePort,
  registerUser,
  requestLog,
  screenshotPath,
  startDemoServer,
  uniqueEmail,
  useEmulator,
} from "./lib/harness.mjs";
import { Keys, launchWebKit } from "./lib/webdriver.mjs";

const CACHE_KEY = `Backendless_${TEST_APP_ID}`;
const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const TEST_TIMEOUT = 60_000;

let emulator;
let demo;
let webkit;

before(async () => {
  emulator = await useEmulator();
  demo = await startDemoServer(emulator.url);
  webkit = await launchWebKit();
}, { timeout: 60_000 });

after(async () => {
  await webkit?.close();
  await demo?.stop();
  await emulator?.stop();
}, { timeout: 30_000 });

/** A fresh browser (its own storage) for one test; always closed. */
async function withBrowser(run) {
  const browser = await webkit.newSession();
  try {
    await browser.setWindowRect({ width: 1200, height: 900 }).catch(() => {});
    await run(browser);
  } finally {
    await browser.delete();
  }
}

// ---- page helpers --------------------------------------------------------------------------

/** Loads the demo in the current window and waits until it has loaded the SDK and restored any session. */
async function openDemo(browser, url = demo.url) {
  await browser.navigate(url);
  await waitUntilReady(browser);
}

async function waitUntilReady(browser) {
  await browser.waitFor("return document.documentElement.dataset.ready === 'true'", { timeoutMs: 15_000, what: "the demo to be ready" });
  // From here on, any uncaught error or rejection of the page is recorded (load-time ones
  // would fail the readiness wait instead).
  await browser.execute(`
    if (!window.__pageErrors) {
      window.__pageErrors = [];
      addEventListener("error", (e) => window.__pageErrors.push(String(e.message)));
      addEventListener("unhandledrejection", (e) => window.__pageErrors.push(String(e.reason)));
    }`);
}

async function reload(browser) {
  await browser.refresh();
  await waitUntilReady(browser);
}

function storedSession(browser) {
  return browser.execute("return localStorage.getItem(arguments[0])", CACHE_KEY);
}

function pageErrors(browser) {
  return browser.execute("return window.__pageErrors || []");
}

async function expectLoggedIn(browser, email) {
  await browser.waitFor(
    `return document.getElementById("session-status-text").textContent === "Logged in as " + arguments[0]
      && !document.getElementById("user-details").hidden`,
    { args: [email], what: `"Logged in as ${email}"` },
  );
  const card = await browser.text("#user-details");
  assert.ok(card.includes(email), `the current-user card shows ${email}`);
}

async function expectLoggedOut(browser) {
  await browser.waitFor(`return !document.getElementById("user-empty").hidden`, { what: "the logged-out card" });
  assert.equal(await browser.visible("#user-details"), false);
  assert.equal(await browser.text("#session-status-text"), "Logged out");
}

/** Fills the login form and submits it from the keyboard (Enter in the password field), as a user would. */
async function logInThroughPage(browser, { email, password, stayLoggedIn = true }) {
  await browser.fill("#login-identity", email);
  await browser.fill("#login-password", password);
  if ((await browser.execute("return document.getElementById('login-stay').checked")) !== stayLoggedIn) {
    await browser.click("#login-stay");
  }
  await browser.type("#login-password", Keys.ENTER);
}

async function logInAs(browser, email, password, stayLoggedIn = true) {
  await logInThroughPage(browser, { email, password, stayLoggedIn });
  await expectLoggedIn(browser, email);
}

async function displayedSession(browser) {
  return { userId: await browser.text("#user-id"), token: await browser.text("#user-token") };
}

function newUser(prefix, extra = {}) {
  return { email: uniqueEmail(prefix), password: "correct horse", ...extra };
}

// ---- the scenarios -------------------------------------------------------------------------

describe("demo page in WebKit", { timeout: 300_000 }, () => {
  test("login, stay logged in → reload restores from the server → isValidLogin → logout → reload", { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const user = newUser("wk-flow", { name: "Flow Tester" });
      await registerUser(emulator.url, user);
      await openDemo(browser);
      await expectLoggedOut(browser);
      assert.equal(await storedSession(browser), null, "a fresh page has no session item");
      await browser.waitFor(`return document.getElementById("server-status-text").textContent === "Server reachable"`, { what: "Server reachable" });

      await logInAs(browser, user.email, user.password, true);
      const { userId, token } = await displayedSession(browser);
      assert.match(userId, UUID);
      assert.match(token, UUID);
      assert.equal(await storedSession(browser), JSON.stringify({ stayLoggedIn: true, "user-token": token, "current-user-id": userId }));
      assert.equal(await browser.text("#cache-token"), JSON.stringify(token), "the LocalCache viewer shows LocalCache.get(\"user-token\")");
      assert.ok((await browser.text("#event-log")).includes(`user${user.email}`), "the session listener reported the login");
      await browser.screenshot(screenshotPath("webkit-01-logged-in"));

      const restorePath = `/${TEST_APP_ID}/${TEST_API_KEY}/data/Users/${userId}`;
      const restoresBefore = (await requestLog(emulator.url)).filter((r) => r.path === restorePath).length;
      await reload(browser);
      await expectLoggedIn(browser, user.email);
      assert.equal(await browser.text("#user-name"), "Flow Tester");
      assert.ok((await browser.text("#event-log")).includes(`user${user.email}`), "the session listener reported the restore");
      const restores = (await requestLog(emulator.url)).filter((r) => r.path === restorePath);
      assert.equal(restores.length, restoresBefore + 1, `one GET ${restorePath} after the reload`);
      assert.equal(restores.at(-1).method, "GET");
      assert.ok("user-token" in restores.at(-1).headers, "the restore request carries the user-token header");
      assert.equal(restores.at(-1).tokenUserId, userId, "…with this user's token");
      assert.equal(await storedSession(browser), JSON.stringify({ stayLoggedIn: true, "user-token": token, "current-user-id": userId }));

      await browser.click("#check-valid");
      await browser.waitFor(`return document.getElementById("valid-result").textContent === "true"`, { what: "isValidLogin() → true" });

      // Log out from the keyboard.
      await browser.type("#logout", Keys.ENTER);
      await expectLoggedOut(browser);
      assert.equal(await storedSession(browser), "{}");
      assert.equal(await browser.text("#cache-raw"), "{}");
      assert.equal(await browser.text("#cache-token"), "undefined");
      await browser.screenshot(screenshotPath("webkit-02-logged-out"));
      assert.deepEqual(await pageErrors(browser), []);

      await reload(browser);
      await expectLoggedOut(browser);
      assert.equal(await storedSession(browser), "{}");
      // The token is dead on the server too.
      const check = await fetch(`${emulator.url}/${TEST_APP_ID}/${TEST_API_KEY}/users/isvalidusertoken/${token}`);
      assert.equal(await check.json(), false);
      assert.deepEqual(await pageErrors(browser), []);
    });
  });

  test("login without stay logged in keeps the session in memory only", { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const user = newUser("wk-nostay");
      await registerUser(emulator.url, user);
      await openDemo(browser);
      await logInAs(browser, user.email, user.password, false);
      assert.equal(await storedSession(browser), "{}");
      await reload(browser);
      await expectLoggedOut(browser);
    });
  });

  test("a wrong password shows error 3003 and changes nothing", { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const user = newUser("wk-wrong");
      await registerUser(emulator.url, user);
      await openDemo(browser);
      await logInThroughPage(browser, { email: user.email, password: "not the password" });
      await browser.waitFor(
        `const panel = document.getElementById("error-panel");
         return !panel.hidden && panel.getAttribute("role") === "alert" && panel.textContent.includes("Invalid login or password")`,
        { what: "the error banner" },
      );
      assert.equal(await browser.text("#error-title"), "BackendlessError");
      assert.match(await browser.text("#error-meta"), /^code 3003 · HTTP 4\d\d$/);
      await expectLoggedOut(browser);
      assert.equal(await storedSession(browser), null, "a failed login writes nothing");
      await browser.screenshot(screenshotPath("webkit-03-wrong-password"));

      // The next good login clears the error.
      await logInAs(browser, user.email, user.password);
      assert.equal(await browser.visible("#error-panel"), false);
      assert.deepEqual(await pageErrors(browser), []);
    });
  });

  test("two windows of one origin: logout in one, the other follows (and login too)", { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const user = newUser("wk-tabs");
      await registerUser(emulator.url, user);
      const first = await browser.windowHandle();
      await openDemo(browser);
      await logInAs(browser, user.email, user.password, true);

      const second = await browser.newWindow("window");
      await browser.switchTo(second);
      await openDemo(browser);
      await expectLoggedIn(browser, user.email); // restored from the shared storage

      await browser.switchTo(first);
      await browser.click("#logout");
      await expectLoggedOut(browser);
      // The other window learns it from the storage event, through its session listener.
      await browser.switchTo(second);
      await expectLoggedOut(browser);
      assert.match(await browser.text("#event-log li:first-child"), /nullsession ended$/);
      assert.equal(await browser.text("#cache-raw"), "{}");
      await browser.screenshot(screenshotPath("webkit-04-other-window-followed-logout"));

      await logInAs(browser, user.email, user.password, true);
      const inSecond = await storedSession(browser);
      await browser.switchTo(first);
      await expectLoggedIn(browser, user.email);
      assert.ok((await browser.text("#event-log li:first-child")).includes(`user${user.email}`), "its session listener reported the login");
      assert.equal(await storedSession(browser), inSecond);
      assert.deepEqual(await pageErrors(browser), []);
      await browser.switchTo(second);
      assert.deepEqual(await pageErrors(browser), []);
    });
  });

  test("an unreachable server is shown, a login attempt says NetworkError, Retry notices it is back", { timeout: TEST_TIMEOUT }, async () => {
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    const deadDemo = await startDemoServer(deadUrl);
    let revived;
    try {
      await withBrowser(async (browser) => {
        await openDemo(browser, deadDemo.url);
        await browser.waitFor(`return !document.getElementById("unreachable-banner").hidden`, { what: "the unreachable banner" });
        assert.equal(await browser.text("#server-status-text"), "Server unreachable");
        await logInThroughPage(browser, { email: "nobody@example.test", password: "whatever" });
        await browser.waitFor(`return document.getElementById("error-title").textContent === "NetworkError"`, { what: "NetworkError" });
        assert.equal(await browser.visible("#error-panel"), true);
        await expectLoggedOut(browser);
        await browser.screenshot(screenshotPath("webkit-05-server-unreachable"));

        revived = createServer((request, response) => response.writeHead(404, { "access-control-allow-origin": "*" }).end());
        await new Promise((resolve) => revived.listen(Number(new URL(deadUrl).port), "127.0.0.1", resolve));
        await browser.type("#retry-server", Keys.ENTER);
        await browser.waitFor(`return document.getElementById("unreachable-banner").hidden`, { timeoutMs: 3_000, what: "the banner to go" });
        assert.equal(await browser.text("#server-status-text"), "Server reachable");
      });
    } finally {
      await deadDemo.stop();
      if (revived) await new Promise((resolve) => revived.close(resolve));
    }
  });
});
