// The demo page (www/) driven in headless Chromium against the real local server: what a user
// sees, and what the SDK leaves in localStorage and sends on the wire.
//
//   BACKENDLESS_EMULATOR_URL=http://127.0.0.1:PORT node --test tests/node/e2e.test.mjs
// (without it, a fresh in-memory server is started from target/server/backendless-emulator).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import {
  TEST_APP_ID,
  TEST_API_KEY,
  freePort,
  launchChromium,
  registerUser,
  requestLog,
  screenshotPath,
  startDemoServer,
  uniqueEmail,
  useEmulator,
} from "./lib/harness.mjs";

const CACHE_KEY = `Backendless_${TEST_APP_ID}`;
const XSS_NAME = "<img src=x onerror=alert(1)>";
const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const TEST_TIMEOUT = 45_000;

let emulator;
let demo;
let browser;

before(async () => {
  emulator = await useEmulator();
  demo = await startDemoServer(emulator.url);
  browser = await launchChromium();
}, { timeout: 30_000 });

after(async () => {
  await browser?.close();
  await demo?.stop();
  await emulator?.stop();
}, { timeout: 30_000 });

// ---- page helpers --------------------------------------------------------------------------

/** Opens the demo in `context` and waits until it has loaded the SDK and restored any session. */
async function openDemo(context, url = demo.url) {
  const page = await context.newPage();
  page.dialogs = [];
  page.pageErrors = [];
  // Any alert() would mean user data ran as HTML.
  page.on("dialog", (dialog) => {
    page.dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  page.on("pageerror", (error) => page.pageErrors.push(error.message));
  await page.goto(url);
  await waitUntilReady(page);
  return page;
}

async function waitUntilReady(page) {
  await page.waitForSelector("html[data-ready=true]", { timeout: 15_000 });
}

async function reload(page) {
  await page.reload();
  await waitUntilReady(page);
}

function storedSession(page) {
  return page.evaluate((key) => localStorage.getItem(key), CACHE_KEY);
}

function text(page, selector) {
  return page.locator(selector).textContent();
}

async function expectLoggedIn(page, email) {
  await page.waitForFunction((expected) => document.getElementById("session-status-text").textContent === `Logged in as ${expected}`
    && !document.getElementById("user-details").hidden, email, { timeout: 10_000 });
  // The card names the user: the name with the email under it, or the email alone.
  const card = await page.locator("#user-details").textContent();
  assert.ok(card.includes(email), `the current-user card shows ${email}`);
}

async function expectLoggedOut(page) {
  await page.waitForFunction(() => !document.getElementById("user-empty").hidden, null, { timeout: 10_000 });
  assert.equal(await page.locator("#user-details").isVisible(), false);
  assert.equal(await text(page, "#session-status-text"), "Logged out");
}

async function registerThroughPage(page, { email, name, password }) {
  await page.fill("#register-email", email);
  if (name) await page.fill("#register-name", name);
  await page.fill("#register-password", password);
  await page.getByRole("button", { name: "Register" }).click();
  await page.waitForFunction(() => document.getElementById("register-result").textContent.startsWith("Registered"), null, { timeout: 10_000 });
}

async function logInThroughPage(page, { email, password, stayLoggedIn = true }) {
  await page.getByLabel("Email").first().fill(email);
  await page.getByLabel("Password").first().fill(password);
  await page.getByLabel(/Stay logged in/).setChecked(stayLoggedIn);
  // Submitted from the keyboard, as a user would.
  await page.getByLabel("Password").first().press("Enter");
}

async function logInAs(page, email, password, stayLoggedIn = true) {
  await logInThroughPage(page, { email, password, stayLoggedIn });
  await expectLoggedIn(page, email);
}

async function displayedSession(page) {
  return { userId: await text(page, "#user-id"), token: await text(page, "#user-token") };
}

/** Logs the token out behind the page's back, as another device or an expiry would. */
async function endSessionOnServer(token) {
  const response = await fetch(`${emulator.url}/${TEST_APP_ID}/${TEST_API_KEY}/users/logout`, { headers: { "user-token": token } });
  assert.ok(response.ok, `server-side logout: HTTP ${response.status}`);
}

function newUser(prefix, extra = {}) {
  return { email: uniqueEmail(prefix), password: "correct horse", ...extra };
}

// ---- the scenarios -------------------------------------------------------------------------

describe("demo page", { timeout: 150_000 }, () => {
  test("register → stay logged in → reload restores from the server → isValidLogin → logout → reload", { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    try {
      const page = await openDemo(context);
      await expectLoggedOut(page);
      assert.equal(await storedSession(page), null, "a fresh page has no session item");
      // The page probes the server in parallel with loading the SDK: wait for its answer.
      await page.waitForFunction(() => document.getElementById("server-status-text").textContent === "Server reachable", null, { timeout: 10_000 });
      await page.screenshot({ path: screenshotPath("01-fresh"), fullPage: true });

      const user = newUser("e2e-flow", { name: "Flow Tester" });
      await registerThroughPage(page, user);
      // Registering does not log in.
      await expectLoggedOut(page);
      assert.equal(await page.getByLabel("Email").first().inputValue(), user.email, "the login form gets the new email");

      await logInAs(page, user.email, user.password, true);
      const { userId, token } = await displayedSession(page);
      assert.match(userId, UUID);
      assert.match(token, UUID);
      assert.equal(await storedSession(page), JSON.stringify({ stayLoggedIn: true, "user-token": token, "current-user-id": userId }));
      assert.equal(await text(page, "#cache-token"), JSON.stringify(token), "the LocalCache viewer shows LocalCache.get(\"user-token\")");
      assert.ok((await text(page, "#event-log")).includes(`user${user.email}`), "the session listener reported the login");
      await page.screenshot({ path: screenshotPath("02-logged-in"), fullPage: true });

      const restorePath = `/${TEST_APP_ID}/${TEST_API_KEY}/data/Users/${userId}`;
      const restoresBefore = (await requestLog(emulator.url)).filter((r) => r.path === restorePath).length;
      await reload(page);
      await expectLoggedIn(page, user.email);
      assert.equal(await text(page, "#user-name"), "Flow Tester");
      assert.ok((await text(page, "#event-log")).includes(`user${user.email}`), "the session listener reported the restore");
      const restores = (await requestLog(emulator.url)).filter((r) => r.path === restorePath);
      assert.equal(restores.length, restoresBefore + 1, `one GET ${restorePath} after the reload`);
      assert.equal(restores.at(-1).method, "GET");
      assert.ok("user-token" in restores.at(-1).headers, "the restore request carries the user-token header");
      assert.equal(restores.at(-1).tokenUserId, userId, "…with this user's token");
      assert.equal(await storedSession(page), JSON.stringify({ stayLoggedIn: true, "user-token": token, "current-user-id": userId }));

      await page.getByRole("button", { name: "isValidLogin()" }).click();
      await page.waitForFunction(() => document.getElementById("valid-result").textContent === "true", null, { timeout: 10_000 });

      // Log out from the keyboard.
      await page.getByRole("button", { name: "Log out" }).focus();
      await page.keyboard.press("Enter");
      await expectLoggedOut(page);
      assert.equal(await page.evaluate(() => document.activeElement.id), "logout", "keyboard focus stays on the button");
      assert.equal(await storedSession(page), "{}");
      assert.equal(await text(page, "#cache-raw"), "{}");
      assert.equal(await text(page, "#cache-token"), "undefined");
      await page.screenshot({ path: screenshotPath("03-logged-out"), fullPage: true });

      await reload(page);
      await expectLoggedOut(page);
      assert.equal(await storedSession(page), "{}");
      // The token is dead on the server too.
      const check = await fetch(`${emulator.url}/${TEST_APP_ID}/${TEST_API_KEY}/users/isvalidusertoken/${token}`);
      assert.equal(await check.json(), false);
      assert.deepEqual(page.pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test("sign in with the local provider: its sign-in page, back signed in with roles shown, a reload keeps it", { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext();
    try {
      const page = await openDemo(context);
      const email = uniqueEmail("demo-oauth");
      await page.getByRole("button", { name: /Sign in with GitHub \(local provider\)/ }).click();
      await page.waitForURL(/\/oauth-provider\/github\/authorize\?/, { timeout: 10_000 });
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Display name").fill("Mad Hatter");
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.waitForURL((url) => url.href.startsWith(demo.url), { timeout: 10_000 });
      await waitUntilReady(page);
      await expectLoggedIn(page, email);
      const address = new URL(page.url());
      assert.deepEqual([address.search, address.hash], ["", ""], "the session is not left in the address bar");
      assert.equal(await text(page, "#user-name"), "Mad Hatter", "the provider's name, through fieldsMapping");
      await page.waitForFunction(() => document.getElementById("user-roles").textContent === "AuthenticatedUser", null, { timeout: 10_000 });
      const stored = JSON.parse(await storedSession(page));
      assert.equal(stored["current-user-id"], await text(page, "#user-id"));
      assert.match(stored["user-token"], UUID);
      await page.screenshot({ path: screenshotPath("demo-oauth-signed-in"), fullPage: true });

      await reload(page);
      await expectLoggedIn(page, email);
      assert.deepEqual(page.pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test("login without stay logged in keeps the session in memory only", { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext();
    try {
      const user = newUser("e2e-nostay");
      await registerUser(emulator.url, user);
      const page = await openDemo(context);
      await logInAs(page, user.email, user.password, false);
      assert.equal(await storedSession(page), "{}");
      await reload(page);
      await expectLoggedOut(page);
    } finally {
      await context.close();
    }
  });

  test("a session the server has ended is cleared: on reload, and by isValidLogin()", { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext();
    try {
      const user = newUser("e2e-dead");
      await registerUser(emulator.url, user);
      const page = await openDemo(context);

      await logInAs(page, user.email, user.password, true);
      await endSessionOnServer((await displayedSession(page)).token);
      await reload(page);
      await expectLoggedOut(page);
      assert.equal(await storedSession(page), "{}");

      await logInAs(page, user.email, user.password, true);
      await endSessionOnServer((await displayedSession(page)).token);
      await page.getByRole("button", { name: "isValidLogin()" }).click();
      await page.waitForFunction(() => document.getElementById("valid-result").textContent === "false", null, { timeout: 10_000 });
      await expectLoggedOut(page);
      assert.equal(await storedSession(page), "{}");
      assert.match(await text(page, "#event-log li:first-child"), /nullsession ended$/);
    } finally {
      await context.close();
    }
  });

  test("a wrong password shows error 3003 and changes nothing", { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    try {
      const user = newUser("e2e-wrong");
      await registerUser(emulator.url, user);
      const page = await openDemo(context);
      await logInThroughPage(page, { email: user.email, password: "not the password" });
      const panel = page.getByRole("alert").filter({ hasText: "Invalid login or password" });
      await panel.waitFor({ timeout: 10_000 });
      assert.equal(await text(page, "#error-title"), "BackendlessError");
      assert.match(await text(page, "#error-meta"), /^code 3003 · HTTP 4\d\d$/);
      await expectLoggedOut(page);
      assert.equal(await storedSession(page), null, "a failed login writes nothing");
      await page.screenshot({ path: screenshotPath("04-wrong-password"), fullPage: true });

      // The next good login clears the error.
      await logInAs(page, user.email, user.password);
      assert.equal(await page.locator("#error-panel").isVisible(), false);
    } finally {
      await context.close();
    }
  });

  test("two pages of one origin: logout in one, the other follows (and login too)", { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    try {
      const user = newUser("e2e-tabs");
      await registerUser(emulator.url, user);
      const first = await openDemo(context);
      await logInAs(first, user.email, user.password, true);
      const second = await openDemo(context);
      await expectLoggedIn(second, user.email); // restored from the shared storage

      await first.getByRole("button", { name: "Log out" }).click();
      await expectLoggedOut(first);
      // The other page learns it from the storage event, through its session listener.
      await expectLoggedOut(second);
      assert.match(await text(second, "#event-log li:first-child"), /nullsession ended$/);
      assert.equal(await text(second, "#cache-raw"), "{}");
      await second.screenshot({ path: screenshotPath("05-other-tab-followed-logout"), fullPage: true });

      await logInAs(second, user.email, user.password, true);
      await expectLoggedIn(first, user.email);
      assert.equal(await storedSession(first), await storedSession(second));
    } finally {
      await context.close();
    }
  });

  test("a reload while the server is unreachable keeps the stored session and restores it when the server is back", { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    try {
      const user = newUser("e2e-offline");
      await registerUser(emulator.url, user);
      const page = await openDemo(context);
      await logInAs(page, user.email, user.password, true);
      const stored = await storedSession(page);

      // The server "goes away" for this page only: connections to it are refused.
      const refuse = (route) => route.abort("connectionrefused");
      await context.route(`${emulator.url}/**`, refuse);
      await reload(page);
      await page.locator("#unreachable-banner").waitFor({ timeout: 10_000 });
      assert.equal(await text(page, "#error-title"), "NetworkError");
      assert.equal(await text(page, "#session-status-text"), "Stored session not restored yet");
      assert.match(await text(page, "#user-empty"), /stored session .* is waiting for the server/i);
      assert.equal(await storedSession(page), stored, "a network error keeps the stored session");
      await page.screenshot({ path: screenshotPath("08-offline-reload"), fullPage: true });

      await context.unroute(`${emulator.url}/**`, refuse);
      await page.getByRole("button", { name: "Retry now" }).click();
      await expectLoggedIn(page, user.email);
      assert.equal(await page.locator("#unreachable-banner").isVisible(), false);
    } finally {
      await context.close();
    }
  });

  test("Enter before the page is ready does not submit the form natively (no password in the URL)", { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // Hold the SDK (its entry module, the wasm inlined) back, so the page's handlers never get ready.
    await page.route("**/pkg/index.js", () => {});
    await page.goto(demo.url);
    await page.fill("#login-identity", "alice@yourmail.com");
    await page.fill("#login-password", "wonderland");
    await page.press("#login-password", "Enter");
    await page.waitForTimeout(300);
    assert.equal(new URL(page.url()).search, "", `the form was submitted natively: ${page.url()}`);
    assert.ok(await page.locator("#login-form button[type=submit]").isDisabled());
    await context.close();
  });

  test("every field has a label and every control is a real button", { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext();
    try {
      const page = await openDemo(context);
      const unlabelled = await page.evaluate(() => [...document.querySelectorAll("input, select, textarea")]
        .filter((field) => field.labels.length === 0 || !field.labels[0].textContent.trim()).map((field) => field.id));
      assert.deepEqual(unlabelled, []);
      const fakeButtons = await page.evaluate(() => [...document.querySelectorAll("[onclick], a:not([href]), div[role=button], span[role=button]")].length);
      assert.equal(fakeButtons, 0);
      // Tabbing from the top reaches the login form first, then the rest in order.
      await page.keyboard.press("Tab");
      const order = [];
      for (let i = 0; i < 13; i += 1) {
        order.push(await page.evaluate(() => document.activeElement.id || document.activeElement.textContent.trim()));
        await page.keyboard.press("Tab");
      }
      assert.deepEqual(order.slice(0, 9), [
        "login-identity", "login-password", "login-stay", "Log in", "oauth-signin",
        "register-email", "register-name", "register-password", "Register",
      ]);
      assert.deepEqual(order.slice(9, 12), ["check-valid", "get-current", "logout"]);
    } finally {
      await context.close();
    }
  });

  test("a user named like HTML renders as text", { timeout: TEST_TIMEOUT }, async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    try {
      const page = await openDemo(context);
      const user = newUser("e2e-xss", { name: XSS_NAME });
      await registerThroughPage(page, user);
      await logInAs(page, user.email, user.password);
      assert.equal(await text(page, "#user-name"), XSS_NAME);
      assert.equal(await page.locator("main img").count(), 0, "no <img> element was created");
      await page.getByRole("button", { name: "getCurrentUser()" }).click();
      await page.waitForFunction(() => document.getElementById("current-result").textContent !== "not called");
      await reload(page);
      await expectLoggedIn(page, user.email);
      assert.equal(await text(page, "#user-name"), XSS_NAME);
      assert.equal(await page.locator("main img").count(), 0);
      assert.ok((await text(page, "#event-log")).includes(`user${user.email}`), "the session listener reported the restore");
      assert.deepEqual(page.dialogs, [], "no alert() ran");
      await page.screenshot({ path: screenshotPath("06-html-name"), fullPage: true });
    } finally {
      await context.close();
    }
  });

  test("an unreachable server is shown, a login attempt says NetworkError, Retry notices it is back", { timeout: TEST_TIMEOUT }, async () => {
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    const deadDemo = await startDemoServer(deadUrl);
    let revived;
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    try {
      const page = await openDemo(context, deadDemo.url);
      await page.locator("#unreachable-banner").waitFor({ timeout: 10_000 });
      assert.equal(await text(page, "#server-status-text"), "Server unreachable");
      await logInThroughPage(page, { email: "nobody@example.test", password: "whatever" });
      await page.waitForFunction(() => document.getElementById("error-title").textContent === "NetworkError", null, { timeout: 10_000 });
      assert.equal(await page.locator("#error-panel").isVisible(), true);
      await expectLoggedOut(page);
      await page.screenshot({ path: screenshotPath("07-server-unreachable"), fullPage: true });

      // The server comes back (any HTTP answer will do for the page's check): Retry clears the state.
      revived = createServer((request, response) => response.writeHead(404, { "access-control-allow-origin": "*" }).end());
      await new Promise((resolve) => revived.listen(Number(new URL(deadUrl).port), "127.0.0.1", resolve));
      await page.getByRole("button", { name: "Retry now" }).press("Enter");
      // Well under the page's 5 s re-check interval, so that it is Retry that does it (most of the time).
      await page.locator("#unreachable-banner").waitFor({ state: "hidden", timeout: 3_000 });
      assert.equal(await text(page, "#server-status-text"), "Server reachable");
    } finally {
      await context.close();
      await deadDemo.stop();
      if (revived) await new Promise((resolve) => revived.close(resolve));
    }
  });
});
