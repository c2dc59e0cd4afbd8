// The demo page (www/) against the real local server, written once for every engine that runs
// it: what a user sees, and what the SDK leaves in localStorage and sends on the wire. The
// entry files (tests/node/e2e.test.mjs for Chromium, e2e-webkit.test.mjs for WebKit) pick the
// driver (drivers.mjs); a scenario lists the engines it runs in, the ones needing what only
// Playwright can do (stopping requests, catching dialogs) in Chromium alone.
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
} from "../lib/harness.mjs";

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

async function waitUntilReady(page) {
  await page.waitFor(() => document.documentElement.dataset.ready === "true", [], { timeout: 15_000 });
  await page.watchErrors?.();
}

async function reload(page) {
  await page.reload();
  await waitUntilReady(page);
}

function storedSession(page) {
  return page.evaluate((key) => localStorage.getItem(key), CACHE_KEY);
}

/** A screenshot under this engine's name for it, if it has one (the names predate this file). */
async function screenshot(page, names) {
  if (names[page.engine]) await page.screenshot(screenshotPath(names[page.engine]));
}

async function expectLoggedIn(page, email) {
  await page.waitFor((expected) => document.getElementById("session-status-text").textContent === `Logged in as ${expected}`
    && !document.getElementById("user-details").hidden, [email]);
  // The card names the user: the name with the email under it, or the email alone.
  const card = await page.text("#user-details");
  assert.ok(card.includes(email), `the current-user card shows ${email}`);
}

async function expectLoggedOut(page) {
  await page.waitFor(() => !document.getElementById("user-empty").hidden);
  assert.equal(await page.visible("#user-details"), false);
  assert.equal(await page.text("#session-status-text"), "Logged out");
}

function waitForText(page, id, expected, timeout = 10_000) {
  return page.waitFor((i, e) => document.getElementById(i).textContent === e, [id, expected], { timeout });
}

async function registerThroughPage(page, { email, name, password }) {
  await page.css("#register-email").fill(email);
  if (name) await page.css("#register-name").fill(name);
  await page.css("#register-password").fill(password);
  await page.byRole("button", { name: "Register" }).click();
  await page.waitFor(() => document.getElementById("register-result").textContent.startsWith("Registered"));
}

async function logInThroughPage(page, { email, password, stayLoggedIn = true }) {
  // The login form comes first; the register form has fields of the same names.
  await page.byLabel("Email", { first: true }).fill(email);
  await page.byLabel("Password", { first: true }).fill(password);
  await page.byLabel(/Stay logged in/).setChecked(stayLoggedIn);
  // Submitted from the keyboard, as a user would.
  await page.byLabel("Password", { first: true }).press("Enter");
}

async function logInAs(page, email, password, stayLoggedIn = true) {
  await logInThroughPage(page, { email, password, stayLoggedIn });
  await expectLoggedIn(page, email);
}

async function displayedSession(page) {
  return { userId: await page.text("#user-id"), token: await page.text("#user-token") };
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
// Each runs in a fresh browser (its own storage), `browser`; `engine` names the engine.

const scenarios = [
  {
    name: "register → stay logged in → reload restores from the server → isValidLogin → logout → reload",
    engines: BOTH,
    async run({ browser, engine }) {
      const page = await openDemo(browser);
      await expectLoggedOut(page);
      assert.equal(await storedSession(page), null, "a fresh page has no session item");
      // The page probes the server in parallel with loading the SDK: wait for its answer.
      await waitForText(page, "server-status-text", "Server reachable");
      await screenshot(page, { chromium: "01-fresh" });

      const user = newUser(`${engine}-flow`, { name: "Flow Tester" });
      await registerThroughPage(page, user);
      // Registering does not log in.
      await expectLoggedOut(page);
      assert.equal(await page.byLabel("Email", { first: true }).value(), user.email, "the login form gets the new email");

      await logInAs(page, user.email, user.password, true);
      const { userId, token } = await displayedSession(page);
      assert.match(userId, UUID);
      assert.match(token, UUID);
      assert.equal(await storedSession(page), JSON.stringify({ stayLoggedIn: true, "user-token": token, "current-user-id": userId }));
      assert.equal(await page.text("#cache-token"), JSON.stringify(token), "the LocalCache viewer shows LocalCache.get(\"user-token\")");
      assert.ok((await page.text("#event-log")).includes(`user${user.email}`), "the session listener reported the login");
      await screenshot(page, { chromium: "02-logged-in", webkit: "webkit-01-logged-in" });

      const restorePath = `/${TEST_APP_ID}/${TEST_API_KEY}/data/Users/${userId}`;
      const restoresBefore = (await requestLog(emulator.url)).filter((r) => r.path === restorePath).length;
      await reload(page);
      await expectLoggedIn(page, user.email);
      assert.equal(await page.text("#user-name"), "Flow Tester");
      assert.ok((await page.text("#event-log")).includes(`user${user.email}`), "the session listener reported the restore");
      const restores = (await requestLog(emulator.url)).filter((r) => r.path === restorePath);
      assert.equal(restores.length, restoresBefore + 1, `one GET ${restorePath} after the reload`);
      assert.equal(restores.at(-1).method, "GET");
      assert.ok("user-token" in restores.at(-1).headers, "the restore request carries the user-token header");
      assert.equal(restores.at(-1).tokenUserId, userId, "…with this user's token");
      assert.equal(await storedSession(page), JSON.stringify({ stayLoggedIn: true, "user-token": token, "current-user-id": userId }));

      await page.byRole("button", { name: "isValidLogin()" }).click();
      await waitForText(page, "valid-result", "true");

      // Log out from the keyboard.
      await page.byRole("button", { name: "Log out" }).press("Enter");
      await expectLoggedOut(page);
      assert.equal(await page.evaluate(() => document.activeElement.id), "logout", "keyboard focus stays on the button");
      assert.equal(await storedSession(page), "{}");
      assert.equal(await page.text("#cache-raw"), "{}");
      assert.equal(await page.text("#cache-token"), "undefined");
      await screenshot(page, { chromium: "03-logged-out", webkit: "webkit-02-logged-out" });
      // WebDriver sees only the errors of the current document: look before reloading.
      assert.deepEqual(await page.pageErrors(), []);

      await reload(page);
      await expectLoggedOut(page);
      assert.equal(await storedSession(page), "{}");
      // The token is dead on the server too.
      const check = await fetch(`${emulator.url}/${TEST_APP_ID}/${TEST_API_KEY}/users/isvalidusertoken/${token}`);
      assert.equal(await check.json(), false);
      assert.deepEqual(await page.pageErrors(), []);
    },
  },
  {
    name: "sign in with the local provider: its sign-in page, back signed in with roles shown, a reload keeps it",
    engines: CHROMIUM,
    async run({ browser }) {
      const page = await openDemo(browser);
      const email = uniqueEmail("demo-oauth");
      await page.byRole("button", { name: /Sign in with GitHub \(local provider\)/ }).click();
      await page.waitForUrl(/\/oauth-provider\/github\/authorize\?/);
      await page.byLabel("Email").fill(email);
      await page.byLabel("Display name").fill("Mad Hatter");
      await page.byRole("button", { name: "Sign in", exact: true }).click();
      await page.waitForUrl((url) => url.startsWith(demo.url));
      await waitUntilReady(page);
      await expectLoggedIn(page, email);
      const address = new URL(await page.url());
      assert.deepEqual([address.search, address.hash], ["", ""], "the session is not left in the address bar");
      assert.equal(await page.text("#user-name"), "Mad Hatter", "the provider's name, through fieldsMapping");
      await waitForText(page, "user-roles", "AuthenticatedUser");
      const stored = JSON.parse(await storedSession(page));
      assert.equal(stored["current-user-id"], await page.text("#user-id"));
      assert.match(stored["user-token"], UUID);
      await screenshot(page, { chromium: "demo-oauth-signed-in" });

      await reload(page);
      await expectLoggedIn(page, email);
      assert.deepEqual(await page.pageErrors(), []);
    },
  },
  {
    name: "login without stay logged in keeps the session in memory only",
    engines: BOTH,
    async run({ browser, engine }) {
      const user = newUser(`${engine}-nostay`);
      await registerUser(emulator.url, user);
      const page = await openDemo(browser);
      await logInAs(page, user.email, user.password, false);
      assert.equal(await storedSession(page), "{}");
      await reload(page);
      await expectLoggedOut(page);
    },
  },
  {
    name: "a session the server has ended is cleared: on reload, and by isValidLogin()",
    engines: CHROMIUM,
    async run({ browser }) {
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
      await page.byRole("button", { name: "isValidLogin()" }).click();
      await waitForText(page, "valid-result", "false");
      await expectLoggedOut(page);
      assert.equal(await storedSession(page), "{}");
      assert.match(await page.text("#event-log li:first-child"), /nullsession ended$/);
    },
  },
  {
    name: "a wrong password shows error 3003 and changes nothing",
    engines: BOTH,
    async run({ browser, engine }) {
      const user = newUser(`${engine}-wrong`);
      await registerUser(emulator.url, user);
      const page = await openDemo(browser);
      await logInThroughPage(page, { email: user.email, password: "not the password" });
      await page.alert("Invalid login or password").waitFor();
      // …and that alert is the error banner.
      assert.equal(await page.visible("#error-panel"), true);
      assert.equal(await page.evaluate(() => document.getElementById("error-panel").getAttribute("role")), "alert");
      assert.match(await page.text("#error-panel"), /Invalid login or password/);
      assert.equal(await page.text("#error-title"), "BackendlessError");
      assert.match(await page.text("#error-meta"), /^code 3003 · HTTP 4\d\d$/);
      await expectLoggedOut(page);
      assert.equal(await storedSession(page), null, "a failed login writes nothing");
      await screenshot(page, { chromium: "04-wrong-password", webkit: "webkit-03-wrong-password" });

      // The next good login clears the error.
      await logInAs(page, user.email, user.password);
      assert.equal(await page.visible("#error-panel"), false);
      assert.deepEqual(await page.pageErrors(), []);
    },
  },
  {
    name: "two pages of one origin: logout in one, the other follows (and login too)",
    engines: BOTH,
    async run({ browser, engine }) {
      const user = newUser(`${engine}-tabs`);
      await registerUser(emulator.url, user);
      const first = await openDemo(browser);
      await logInAs(first, user.email, user.password, true);
      const second = await openDemo(browser);
      await expectLoggedIn(second, user.email); // restored from the shared storage

      await first.byRole("button", { name: "Log out" }).click();
      await expectLoggedOut(first);
      // The other page learns it from the storage event, through its session listener.
      await expectLoggedOut(second);
      assert.match(await second.text("#event-log li:first-child"), /nullsession ended$/);
      assert.equal(await second.text("#cache-raw"), "{}");
      await screenshot(second, { chromium: "05-other-tab-followed-logout", webkit: "webkit-04-other-window-followed-logout" });

      await logInAs(second, user.email, user.password, true);
      await expectLoggedIn(first, user.email);
      assert.ok((await first.text("#event-log li:first-child")).includes(`user${user.email}`), "its session listener reported the login");
      assert.equal(await storedSession(first), await storedSession(second));
      assert.deepEqual(await first.pageErrors(), []);
      assert.deepEqual(await second.pageErrors(), []);
    },
  },
  {
    name: "a reload while the server is unreachable keeps the stored session and restores it when the server is back",
    engines: CHROMIUM,
    async run({ browser }) {
      const user = newUser("e2e-offline");
      await registerUser(emulator.url, user);
      const page = await openDemo(browser);
      await logInAs(page, user.email, user.password, true);
      const stored = await storedSession(page);

      // The server "goes away" for this browser only: connections to it are refused.
      const restore = await browser.refuseConnections(`${emulator.url}/**`);
      await reload(page);
      await page.css("#unreachable-banner").waitFor();
      assert.equal(await page.text("#error-title"), "NetworkError");
      assert.equal(await page.text("#session-status-text"), "Stored session not restored yet");
      assert.match(await page.text("#user-empty"), /stored session .* is waiting for the server/i);
      assert.equal(await storedSession(page), stored, "a network error keeps the stored session");
      await screenshot(page, { chromium: "08-offline-reload" });

      await restore();
      await page.byRole("button", { name: "Retry now" }).click();
      await expectLoggedIn(page, user.email);
      assert.equal(await page.visible("#unreachable-banner"), false);
    },
  },
  {
    name: "Enter before the page is ready does not submit the form natively (no password in the URL)",
    engines: CHROMIUM,
    async run({ browser }) {
      const page = await browser.newPage();
      // Hold the SDK (its entry module, the wasm inlined) back, so the page's handlers never get ready.
      await page.holdRequests("**/pkg/index.js");
      await page.goto(demo.url);
      await page.css("#login-identity").fill("alice@yourmail.com");
      await page.css("#login-password").fill("wonderland");
      await page.css("#login-password").press("Enter");
      await page.sleep(300);
      const url = await page.url();
      assert.equal(new URL(url).search, "", `the form was submitted natively: ${url}`);
      assert.ok(await page.css("#login-form button[type=submit]").disabled());
    },
  },
  {
    name: "every field has a label and every control is a real button",
    engines: CHROMIUM,
    async run({ browser }) {
      const page = await openDemo(browser);
      const unlabelled = await page.evaluate(() => [...document.querySelectorAll("input, select, textarea")]
        .filter((field) => field.labels.length === 0 || !field.labels[0].textContent.trim()).map((field) => field.id));
      assert.deepEqual(unlabelled, []);
      const fakeButtons = await page.evaluate(() => [...document.querySelectorAll("[onclick], a:not([href]), div[role=button], span[role=button]")].length);
      assert.equal(fakeButtons, 0);
      // Tabbing from the top reaches the login form first, then the rest in order.
      await page.keyboard("Tab");
      const order = [];
      for (let i = 0; i < 13; i += 1) {
        order.push(await page.evaluate(() => document.activeElement.id || document.activeElement.textContent.trim()));
        await page.keyboard("Tab");
      }
      assert.deepEqual(order.slice(0, 9), [
        "login-identity", "login-password", "login-stay", "Log in", "oauth-signin",
        "register-email", "register-name", "register-password", "Register",
      ]);
      assert.deepEqual(order.slice(9, 12), ["check-valid", "get-current", "logout"]);
    },
  },
  {
    name: "a user named like HTML renders as text",
    engines: CHROMIUM,
    async run({ browser }) {
      const page = await openDemo(browser);
      const user = newUser("e2e-xss", { name: XSS_NAME });
      await registerThroughPage(page, user);
      await logInAs(page, user.email, user.password);
      const images = () => page.evaluate(() => document.querySelectorAll("main img").length);
      assert.equal(await page.text("#user-name"), XSS_NAME);
      assert.equal(await images(), 0, "no <img> element was created");
      await page.byRole("button", { name: "getCurrentUser()" }).click();
      await page.waitFor(() => document.getElementById("current-result").textContent !== "not called", [], { timeout: 30_000 });
      await reload(page);
      await expectLoggedIn(page, user.email);
      assert.equal(await page.text("#user-name"), XSS_NAME);
      assert.equal(await images(), 0);
      assert.ok((await page.text("#event-log")).includes(`user${user.email}`), "the session listener reported the restore");
      assert.deepEqual(page.dialogs(), [], "no alert() ran");
      await screenshot(page, { chromium: "06-html-name" });
    },
  },
  {
    name: "an unreachable server is shown, a login attempt says NetworkError, Retry notices it is back",
    engines: BOTH,
    async run({ browser }) {
      const deadUrl = `http://127.0.0.1:${await freePort()}`;
      const deadDemo = await startDemoServer(deadUrl);
      let revived;
      try {
        const page = await openDemo(browser, deadDemo.url);
        await page.css("#unreachable-banner").waitFor();
        assert.equal(await page.text("#server-status-text"), "Server unreachable");
        await logInThroughPage(page, { email: "nobody@example.test", password: "whatever" });
        await waitForText(page, "error-title", "NetworkError");
        assert.equal(await page.visible("#error-panel"), true);
        await expectLoggedOut(page);
        await screenshot(page, { chromium: "07-server-unreachable", webkit: "webkit-05-server-unreachable" });

        // The server comes back (any HTTP answer will do for the page's check): Retry clears the state.
        revived = createServer((request, response) => response.writeHead(404, { "access-control-allow-origin": "*" }).end());
        await new Promise((resolve) => revived.listen(Number(new URL(deadUrl).port), "127.0.0.1", resolve));
        await page.byRole("button", { name: "Retry now" }).press("Enter");
        // Well under the page's 5 s re-check interval, so that it is Retry that does it (most of the time).
        await page.css("#unreachable-banner").waitFor({ state: "hidden", timeout: 3_000 });
        assert.equal(await page.text("#server-status-text"), "Server reachable");
      } finally {
        await deadDemo.stop();
        if (revived) await new Promise((resolve) => revived.close(resolve));
      }
    },
  },
];

/**
 * Declares `suite`: every scenario that runs in `engine`, each in a fresh browser of the engine
 * `launch()` starts once for the file, against the local server (BACKENDLESS_EMULATOR_URL, or a
 * fresh in-memory one) and a demo server of its own.
 */
export function declareDemoScenarios({ engine, suite, launch, launchTimeout, suiteTimeout, testTimeout }) {
  let running;
  before(async () => {
    emulator = await useEmulator();
    demo = await startDemoServer(emulator.url);
    running = await launch();
  }, { timeout: launchTimeout });

  after(async () => {
    await running?.close();
    await demo?.stop();
    await emulator?.stop();
  }, { timeout: 30_000 });

  describe(suite, { timeout: suiteTimeout }, () => {
    for (const scenario of scenarios.filter((s) => s.engines.includes(engine))) {
      test(scenario.name, { timeout: testTimeout }, async () => {
        const browser = await running.newBrowser();
        try {
          await scenario.run({ browser, engine });
        } finally {
          await browser.close();
        }
      });
    }
  });
}
