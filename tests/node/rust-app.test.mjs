// The Rust example app (examples/rust-web-app/, built by scripts/build-example.sh into
// target/rust-web-app/) in headless Chromium against the real local server: log in, the session
// restored after a reload, a logout in another tab followed, a typed error shown, and JavaScript
// on the same page sharing the Rust app's session.
//
//   BACKENDLESS_EMULATOR_URL=http://127.0.0.1:PORT node --test tests/node/rust-app.test.mjs
// (builds the example first when target/rust-web-app/ is missing).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  TEST_APP_ID,
  TEST_API_KEY,
  launchChromium,
  registerUser,
  repoRoot,
  run,
  serveDirectory,
  uniqueEmail,
  useEmulator,
} from "./lib/harness.mjs";

const SITE = join(repoRoot, "target/rust-web-app");
const CACHE_KEY = `Backendless_${TEST_APP_ID}`;
const PASSWORD = "wonderland";
const TEST_TIMEOUT = 45_000;

let emulator;
let site;
let browser;
let url;

before(async () => {
  if (!existsSync(join(SITE, "pkg/rust_web_app.js"))) {
    await run(join(repoRoot, "scripts/build-example.sh"), [], { timeoutMs: 900_000 });
  }
  emulator = await useEmulator();
  site = await serveDirectory(SITE);
  browser = await launchChromium();
  const query = new URLSearchParams({ server: emulator.url, app: TEST_APP_ID, key: TEST_API_KEY });
  url = `${site.url}?${query}`;
}, { timeout: 900_000 });

after(async () => {
  await browser?.close();
  await site?.stop();
  await emulator?.stop();
}, { timeout: 30_000 });

async function open(context) {
  const page = await context.newPage();
  page.pageErrors = [];
  page.on("pageerror", (error) => page.pageErrors.push(error.message));
  await page.goto(url);
  await page.waitForSelector("html[data-ready=true]", { timeout: 15_000 });
  return page;
}

async function status(page, expected) {
  await page.waitForFunction((text) => document.getElementById("status").textContent === text, expected, { timeout: 10_000 });
}

async function logIn(page, email, password = PASSWORD) {
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("#login-form button[type=submit]");
}

async function newUser() {
  const email = uniqueEmail("rust-app");
  await registerUser(emulator.url, { email, password: PASSWORD });
  return email;
}

test("logs in, keeps the session over a reload, and follows a logout in another tab", { timeout: TEST_TIMEOUT }, async () => {
  const email = await newUser();
  const context = await browser.newContext();
  const first = await open(context);
  await status(first, "Logged out");

  await logIn(first, email);
  await status(first, `Logged in as ${email}`);
  const stored = JSON.parse(await first.evaluate((key) => localStorage.getItem(key), CACHE_KEY));
  assert.equal(stored.stayLoggedIn, true);
  assert.equal(typeof stored["user-token"], "string");

  await first.reload();
  await first.waitForSelector("html[data-ready=true]");
  await status(first, `Logged in as ${email}`);

  const second = await open(context);
  await status(second, `Logged in as ${email}`);
  await second.click("#logout");
  await status(second, "Logged out");
  await status(first, "Logged out");
  assert.equal(await first.evaluate((key) => localStorage.getItem(key), CACHE_KEY), "{}");
  assert.deepEqual([...first.pageErrors, ...second.pageErrors], []);
  await context.close();
});

test("a wrong password shows the typed error and keeps the page logged out", { timeout: TEST_TIMEOUT }, async () => {
  const email = await newUser();
  const context = await browser.newContext();
  const page = await open(context);

  await logIn(page, email, "not the password");

  await page.waitForFunction(() => document.getElementById("message").textContent === "Wrong email or password", null, { timeout: 10_000 });
  await status(page, "Logged out");
  assert.deepEqual(page.pageErrors, []);
  await context.close();
});

test("JavaScript on the page shares the Rust app's session, both ways", { timeout: TEST_TIMEOUT }, async () => {
  const email = await newUser();
  const context = await browser.newContext();
  const page = await open(context);

  // Rust logs in; JavaScript reads the session.
  await logIn(page, email);
  await status(page, `Logged in as ${email}`);
  const seen = await page.evaluate(() => {
    const { read, Read } = globalThis.backendless;
    return { token: read(Read.Token), email: read(Read.User)?.email };
  });
  assert.equal(seen.email, email);
  assert.equal(typeof seen.token, "string");

  // JavaScript logs out, then in; the Rust app's listener redraws the page.
  await page.evaluate(() => globalThis.backendless.logout());
  await status(page, "Logged out");
  await page.evaluate(([login, password]) => globalThis.backendless.login(login, password, true), [email, PASSWORD]);
  await status(page, `Logged in as ${email}`);
  assert.deepEqual(page.pageErrors, []);
  await context.close();
});
