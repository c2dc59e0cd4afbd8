// The demo page (www/) against the real local server, each scenario written once for the engines
// it runs in: what a user sees, and what the SDK leaves in localStorage and sends on the wire.
// tests/node/e2e.test.mjs runs them in Chromium (Playwright), e2e-webkit.test.mjs in WebKit
// (WebDriver); drivers.mjs is the page interface both drive. The ones needing what only
// Playwright does (refusing or holding requests, catching dialogs) run in Chromium alone.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { TEST_APP_ID, TEST_API_KEY, freePort, registerUser, requestLog, screenshotPath, startDemoServer, uniqueEmail, useEmulator } from "../lib/harness.mjs";

const CACHE_KEY = `Backendless_${TEST_APP_ID}`;
const XSS_NAME = "<img src=x onerror=alert(1)>";
const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const BOTH = ["chromium", "webkit"];
const CHROMIUM = ["chromium"];

let emulator;
let demo;

// ---- page helpers --------------------------------------------------------------------------

/** Opens the demo in a new page of `browser` and waits until it has loaded the SDK and restored any session. */
async function openDemo(browser, url = demo.url) {
  const page = await browser.newPage();
  await page.goto(url);
  await waitUntilReady(page);
  return page;
}

function waitUntilReady(page) {
  return page.waitFor("the demo to be ready", () => document.documentElement.dataset.ready === "true", [], 15_000);
}

async function reload(page) {
  await page.reload();
  await waitUntilReady(page);
}

const storedSession = (page) => page.evaluate((key) => localStorage.getItem(key), CACHE_KEY);
const text = (page, selector) => page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);
/** True when the element exists and is rendered (not `hidden`, not display:none). */
const visible = (page, selector) => page.evaluate((s) => (document.querySelector(s)?.getClientRects().length ?? 0) > 0, selector);

function waitForText(page, selector, expected, timeoutMs) {
  return page.waitFor(`${selector} to read "${expected}"`, (s, e) => document.querySelector(s).textContent === e, [selector, expected], timeoutMs);
}

/** A screenshot under the name given for this engine, if one is. */
async function screenshot(page, names) {
  if (names[page.engine]) await page.screenshot(screenshotPath(names[page.engine]));
}

async function expectLoggedIn(page, email) {
  await page.waitFor(`"Logged in as ${email}"`, (expected) => document.getElementById("session-status-text").textContent === `Logged in as ${expected}`
    && !document.getElementById("user-details").hidden, [email]);
  // The card names the user: the name with the email under it, or the email alone.
  assert.ok((await text(page, "#user-details")).includes(email), `the current-user card shows ${email}`);
}

async function expectLoggedOut(page) {
  await page.waitFor("the logged-out card", () => !document.getElementById("user-empty").hidden);
  assert.equal(await visible(page, "#user-details"), false);
  assert.equal(await text(page, "#session-status-text"), "Logged out");
}

async function registerThroughPage(page, { email, name, password }) {
  await page.fill("#register-email", email);
  if (name) await page.fill("#register-name", name);
  await page.fill("#register-password", password);
  await page.click({ button: "Register" });
  await page.waitFor("the registration result", () => document.getElementById("register-result").textContent.startsWith("Registered"));
}

/** Fills the login form and submits it from the keyboard, as a user would. */
async function logInThroughPage(page, { email, password, stayLoggedIn = true }) {
  // The login form comes first; the register form has fields of the same names.
  await page.fill({ label: "Email", first: true }, email);
  await page.fill({ label: "Password", first: true }, password);
  await page.setChecked({ label: "Stay logged in" }, stayLoggedIn);
  await page.press({ label: "Password", first: true }, "Enter");
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
// Each runs in a fresh browser of its engine (its own storage), given as its argument.

const scenarios = [];
const scenario = (name, engines, run) => scenarios.push({ name, engines, run });

scenario("register → stay logged in → reload restores from the server → isValidLogin → logout → reload", BOTH, async (browser) => {
  const page = await openDemo(browser);
  await expectLoggedOut(page);
  assert.equal(await storedSession(page), null, "a fresh page has no session item");
  // The page probes the server in parallel with loading the SDK: wait for its answer.
  await waitForText(page, "#server-status-text", "Server reachable");
  await screenshot(page, { chromium: "01-fresh" });

  const user = newUser("e2e-flow", { name: "Flow Tester" });
  await registerThroughPage(page, user);
  // Registering does not log in.
  await expectLoggedOut(page);
  assert.equal(await page.evaluate(() => document.getElementById("login-identity").value), user.email, "the login form gets the new email");

  await logInAs(page, user.email, user.password, true);
  const { userId, token } = await displayedSession(page);
  assert.match(userId, UUID);
  assert.match(token, UUID);
  assert.equal(await storedSession(page), JSON.stringify({ stayLoggedIn: true, "user-token": token, "current-user-id": userId }));
  assert.equal(await text(page, "#cache-token"), JSON.stringify(token), "the LocalCache viewer shows LocalCache.get(\"user-token\")");
  assert.ok((await text(page, "#event-log")).includes(`user${user.email}`), "the session listener reported the login");
  await screenshot(page, { chromium: "02-logged-in", webkit: "webkit-01-logged-in" });

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

  await page.click({ button: "isValidLogin()" });
  await waitForText(page, "#valid-result", "true");

  // Log out from the keyboard.
  await page.press({ button: "Log out" }, "Enter");
  await expectLoggedOut(page);
  assert.equal(await page.evaluate(() => document.activeElement.id), "logout", "keyboard focus stays on the button");
  assert.equal(await storedSession(page), "{}");
  assert.equal(await text(page, "#cache-raw"), "{}");
  assert.equal(await text(page, "#cache-token"), "undefined");
  await screenshot(page, { chromium: "03-logged-out", webkit: "webkit-02-logged-out" });
  // In WebKit only the current document's errors are seen: look before reloading too.
  assert.deepEqual(await page.pageErrors(), []);

  await reload(page);
  await expectLoggedOut(page);
  assert.equal(await storedSession(page), "{}");
  // The token is dead on the server too.
  const check = await fetch(`${emulator.url}/${TEST_APP_ID}/${TEST_API_KEY}/users/isvalidusertoken/${token}`);
  assert.equal(await check.json(), false);
  assert.deepEqual(await page.pageErrors(), []);
});

scenario("sign in with the local provider: its sign-in page, back signed in with roles shown, a reload keeps it", CHROMIUM, async (browser) => {
  const page = await openDemo(browser);
  const provider = page.playwright;
  const email = uniqueEmail("demo-oauth");
  await page.click({ button: "Sign in with GitHub (local provider)" });
  await provider.waitForURL(/\/oauth-provider\/github\/authorize\?/);
  await page.fill({ label: "Email" }, email);
  await page.fill({ label: "Display name" }, "Mad Hatter");
  await page.click({ button: "Sign in" });
  await provider.waitForURL((url) => url.href.startsWith(demo.url));
  await waitUntilReady(page);
  await expectLoggedIn(page, email);
  const address = new URL(provider.url());
  assert.deepEqual([address.search, address.hash], ["", ""], "the session is not left in the address bar");
  assert.equal(await text(page, "#user-name"), "Mad Hatter", "the provider's name, through fieldsMapping");
  await waitForText(page, "#user-roles", "AuthenticatedUser");
  const stored = JSON.parse(await storedSession(page));
  assert.equal(stored["current-user-id"], await text(page, "#user-id"));
  assert.match(stored["user-token"], UUID);
  await screenshot(page, { chromium: "demo-oauth-signed-in" });

  await reload(page);
  await expectLoggedIn(page, email);
  assert.deepEqual(await page.pageErrors(), []);
});

scenario("login without stay logged in keeps the session in memory only", BOTH, async (browser) => {
  const user = newUser("e2e-nostay");
  await registerUser(emulator.url, user);
  const page = await openDemo(browser);
  await logInAs(page, user.email, user.password, false);
  assert.equal(await storedSession(page), "{}");
  await reload(page);
  await expectLoggedOut(page);
});

scenario("a session the server has ended is cleared: on reload, and by isValidLogin()", CHROMIUM, async (browser) => {
  const user = newUser("e2e-dead");
  await registerUser(emulator.url, user);
  const page = await openDemo(browser);

  await logInAs(page, user.email, user.password, true);
  await endSessionOnServer((await displayedSession(page)).token);
  await reload(page);
  await expectLoggedOut(page);
  assert.equal(await storedSession(page), "{}");

  await logInAs(page, user.email, user.password, true);
  await endSessionOnServer((await displayedSession(page)).token);
  await page.click({ button: "isValidLogin()" });
  await waitForText(page, "#valid-result", "false");
  await expectLoggedOut(page);
  assert.equal(await storedSession(page), "{}");
  assert.match(await text(page, "#event-log li:first-child"), /nullsession ended$/);
});

scenario("a wrong password shows error 3003 and changes nothing", BOTH, async (browser) => {
  const user = newUser("e2e-wrong");
  await registerUser(emulator.url, user);
  const page = await openDemo(browser);
  await logInThroughPage(page, { email: user.email, password: "not the password" });
  await page.waitFor("the error banner, an alert", () => {
    const panel = document.getElementById("error-panel");
    return !panel.hidden && panel.getAttribute("role") === "alert" && panel.textContent.includes("Invalid login or password");
  });
  assert.equal(await text(page, "#error-title"), "BackendlessError");
  assert.match(await text(page, "#error-meta"), /^code 3003 · HTTP 4\d\d$/);
  await expectLoggedOut(page);
  assert.equal(await storedSession(page), null, "a failed login writes nothing");
  await screenshot(page, { chromium: "04-wrong-password", webkit: "webkit-03-wrong-password" });

  // The next good login clears the error.
  await logInAs(page, user.email, user.password);
  assert.equal(await visible(page, "#error-panel"), false);
  assert.deepEqual(await page.pageErrors(), []);
});

scenario("two pages of one origin: logout in one, the other follows (and login too)", BOTH, async (browser) => {
  const user = newUser("e2e-tabs");
  await registerUser(emulator.url, user);
  const first = await openDemo(browser);
  await logInAs(first, user.email, user.password, true);
  const second = await openDemo(browser);
  await expectLoggedIn(second, user.email); // restored from the shared storage

  await first.click({ button: "Log out" });
  await expectLoggedOut(first);
  // The other page learns it from the storage event, through its session listener.
  await expectLoggedOut(second);
  assert.match(await text(second, "#event-log li:first-child"), /nullsession ended$/);
  assert.equal(await text(second, "#cache-raw"), "{}");
  await screenshot(second, { chromium: "05-other-tab-followed-logout", webkit: "webkit-04-other-window-followed-logout" });

  await logInAs(second, user.email, user.password, true);
  await expectLoggedIn(first, user.email);
  assert.ok((await text(first, "#event-log li:first-child")).includes(`user${user.email}`), "its session listener reported the login");
  assert.equal(await storedSession(first), await storedSession(second));
  assert.deepEqual(await first.pageErrors(), []);
  assert.deepEqual(await second.pageErrors(), []);
});

scenario("a reload while the server is unreachable keeps the stored session and restores it when the server is back", CHROMIUM, async (browser) => {
  const user = newUser("e2e-offline");
  await registerUser(emulator.url, user);
  const page = await openDemo(browser);
  await logInAs(page, user.email, user.password, true);
  const stored = await storedSession(page);

  // The server "goes away" for this browser only: connections to it are refused.
  const refuse = (route) => route.abort("connectionrefused");
  await browser.context.route(`${emulator.url}/**`, refuse);
  await reload(page);
  await page.waitFor("the unreachable banner", () => !document.getElementById("unreachable-banner").hidden);
  assert.equal(await text(page, "#error-title"), "NetworkError");
  assert.equal(await text(page, "#session-status-text"), "Stored session not restored yet");
  assert.match(await text(page, "#user-empty"), /stored session .* is waiting for the server/i);
  assert.equal(await storedSession(page), stored, "a network error keeps the stored session");
  await screenshot(page, { chromium: "08-offline-reload" });

  await browser.context.unroute(`${emulator.url}/**`, refuse);
  await page.click({ button: "Retry now" });
  await expectLoggedIn(page, user.email);
  assert.equal(await visible(page, "#unreachable-banner"), false);
});

scenario("Enter before the page is ready does not submit the form natively (no password in the URL)", CHROMIUM, async (browser) => {
  const page = await browser.newPage();
  // Hold the SDK (its entry module, the wasm inlined) back, so the page's handlers never get ready.
  await page.playwright.route("**/pkg/index.js", () => {});
  await page.goto(demo.url);
  await page.fill("#login-identity", "alice@yourmail.com");
  await page.fill("#login-password", "wonderland");
  await page.press("#login-password", "Enter");
  await page.playwright.waitForTimeout(300);
  assert.equal(new URL(page.playwright.url()).search, "", `the form was submitted natively: ${page.playwright.url()}`);
  assert.ok(await page.evaluate(() => document.querySelector("#login-form button[type=submit]").disabled));
});

scenario("every field has a label and every control is a real button", CHROMIUM, async (browser) => {
  const page = await openDemo(browser);
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll("input, select, textarea")]
    .filter((field) => field.labels.length === 0 || !field.labels[0].textContent.trim()).map((field) => field.id));
  assert.deepEqual(unlabelled, []);
  const fakeButtons = await page.evaluate(() => document.querySelectorAll("[onclick], a:not([href]), div[role=button], span[role=button]").length);
  assert.equal(fakeButtons, 0);
  // Tabbing from the top reaches the login form first, then the rest in order.
  await page.playwright.keyboard.press("Tab");
  const order = [];
  for (let i = 0; i < 13; i += 1) {
    order.push(await page.evaluate(() => document.activeElement.id || document.activeElement.textContent.trim()));
    await page.playwright.keyboard.press("Tab");
  }
  assert.deepEqual(order.slice(0, 9), [
    "login-identity", "login-password", "login-stay", "Log in", "oauth-signin",
    "register-email", "register-name", "register-password", "Register",
  ]);
  assert.deepEqual(order.slice(9, 12), ["check-valid", "get-current", "logout"]);
});

scenario("a user named like HTML renders as text", CHROMIUM, async (browser) => {
  const page = await browser.newPage();
  // Any alert() would mean user data ran as HTML.
  const dialogs = [];
  page.playwright.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  await page.goto(demo.url);
  await waitUntilReady(page);
  const images = () => page.evaluate(() => document.querySelectorAll("main img").length);
  const user = newUser("e2e-xss", { name: XSS_NAME });
  await registerThroughPage(page, user);
  await logInAs(page, user.email, user.password);
  assert.equal(await text(page, "#user-name"), XSS_NAME);
  assert.equal(await images(), 0, "no <img> element was created");
  await page.click({ button: "getCurrentUser()" });
  await page.waitFor("getCurrentUser() to answer", () => document.getElementById("current-result").textContent !== "not called");
  await reload(page);
  await expectLoggedIn(page, user.email);
  assert.equal(await text(page, "#user-name"), XSS_NAME);
  assert.equal(await images(), 0);
  assert.ok((await text(page, "#event-log")).includes(`user${user.email}`), "the session listener reported the restore");
  assert.deepEqual(dialogs, [], "no alert() ran");
  await screenshot(page, { chromium: "06-html-name" });
});

scenario("an unreachable server is shown, a login attempt says NetworkError, Retry notices it is back", BOTH, async (browser) => {
  const deadPort = await freePort();
  const deadDemo = await startDemoServer(`http://127.0.0.1:${deadPort}`);
  let revived;
  try {
    const page = await openDemo(browser, deadDemo.url);
    await page.waitFor("the unreachable banner", () => !document.getElementById("unreachable-banner").hidden);
    assert.equal(await text(page, "#server-status-text"), "Server unreachable");
    await logInThroughPage(page, { email: "nobody@example.test", password: "whatever" });
    await waitForText(page, "#error-title", "NetworkError");
    assert.equal(await visible(page, "#error-panel"), true);
    await expectLoggedOut(page);
    await screenshot(page, { chromium: "07-server-unreachable", webkit: "webkit-05-server-unreachable" });

    // The server comes back (any HTTP answer will do for the page's check): Retry clears the state.
    revived = await listen(deadPort, (request, response) => response.writeHead(404, { "access-control-allow-origin": "*" }).end());
    await page.press({ button: "Retry now" }, "Enter");
    // Well under the page's 5 s re-check interval, so that it is Retry that does it (most of the time).
    await page.waitFor("the unreachable banner to go", () => document.getElementById("unreachable-banner").hidden, [], 3_000);
    assert.equal(await text(page, "#server-status-text"), "Server reachable");
  } finally {
    // The browser first, so that the servers have no connections of its left to wait for.
    await browser.close();
    await deadDemo.stop();
    await revived?.stop();
  }
});

/**
 * An HTTP server on 127.0.0.1:`port`; rejects if the port is taken. `stop()` ends its open
 * connections too: Node's close() alone waits for them, and counts one on which the browser has
 * sent nothing yet as busy until its 60 s headersTimeout.
 */
async function listen(port, handler) {
  const server = createServer(handler);
  await new Promise((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  return {
    stop: () => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    }),
  };
}

/**
 * Declares the suite of `driver` (drivers.mjs): every scenario that runs in its engine, each in a
 * fresh browser of the engine launched once for the file, against the local server
 * (BACKENDLESS_EMULATOR_URL, or a fresh in-memory one) and a demo server of its own.
 */
export function declareDemoScenarios(suite, driver) {
  let engine;
  before(async () => {
    emulator = await useEmulator();
    demo = await startDemoServer(emulator.url);
    engine = await driver.launch();
  }, { timeout: driver.launchTimeout });

  after(async () => {
    await engine?.close();
    await demo?.stop();
    await emulator?.stop();
  }, { timeout: 30_000 });

  describe(suite, { timeout: driver.suiteTimeout }, () => {
    for (const { name, run } of scenarios.filter((s) => s.engines.includes(driver.engine))) {
      test(name, { timeout: driver.testTimeout }, async () => {
        const browser = await engine.newBrowser();
        try {
          await run(browser);
        } finally {
          await browser.close();
        }
      });
    }
  });
}
