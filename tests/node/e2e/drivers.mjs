// The two ways the demo scenarios (scenarios.mjs) drive a browser, behind one small interface:
// Playwright in Chromium, W3C WebDriver (../lib/webdriver.mjs) in WebKit.
//
//   driver.launch() → engine;  engine.newBrowser() → browser (its own storage, 1200×900);
//   browser.newPage() → page;  browser.close() (again is a no-op);  engine.close()
//   page.goto(url), reload(), evaluate(fn, ...args), waitFor(what, fn, args, timeoutMs),
//   click(target), press(target, key), fill(target, text), setChecked(target, checked),
//   screenshot(path), pageErrors()
//
// `fn` runs in the page, its arguments sent as JSON. A target is a CSS selector, { button: name }
// (a button by its exact name) or { label: text } (the field whose label contains text); like a
// Playwright locator it must name exactly one element, or the first of several with `first: true`.
// Every wait and every WebDriver command is bounded, and says what it was doing when it fails.
// In Chromium, page.playwright and browser.context serve the scenarios only Playwright can drive.
import { writeFile } from "node:fs/promises";
import { launchChromium } from "../lib/harness.mjs";
import { Keys, launchWebKit } from "../lib/webdriver.mjs";

const VIEWPORT = { width: 1200, height: 900 };
const WAIT_MS = 10_000;

/** `fn(...args)` as an expression to evaluate in the page. */
const call = (fn, args) => `(${fn})(...${JSON.stringify(args)})`;

/** Settles as `promise` does, or rejects with `message` after `ms`. */
function within(ms, message, promise) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- Chromium through Playwright -----------------------------------------------------------

export const chromiumDriver = {
  engine: "chromium",
  launchTimeout: 30_000,
  suiteTimeout: 150_000,
  testTimeout: 45_000,
  async launch() {
    const chromium = await launchChromium();
    return {
      async newBrowser() {
        const context = await chromium.newContext({ viewport: VIEWPORT });
        // Playwright's own bounds, under the test's: every action and navigation fails alone.
        context.setDefaultTimeout(WAIT_MS);
        context.setDefaultNavigationTimeout(15_000);
        return { context, newPage: async () => playwrightPage(await context.newPage()), close: () => context.close() };
      },
      close: () => chromium.close(),
    };
  },
};

function playwrightPage(page) {
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const locate = (target) => {
    if (typeof target === "string") return page.locator(target);
    if (target.button) return page.getByRole("button", { name: target.button, exact: true });
    return target.first ? page.getByLabel(target.label).first() : page.getByLabel(target.label);
  };
  return {
    engine: "chromium",
    playwright: page,
    goto: (url) => page.goto(url),
    reload: () => page.reload(),
    evaluate: (fn, ...args) => page.evaluate(call(fn, args)),
    async waitFor(what, fn, args = [], timeoutMs = WAIT_MS) {
      try {
        await page.waitForFunction(call(fn, args), null, { timeout: timeoutMs, polling: 100 });
      } catch (error) {
        throw new Error(`waiting for ${what}: ${error.message}`);
      }
    },
    click: (target) => locate(target).click(),
    press: (target, key) => locate(target).press(key),
    fill: (target, text) => locate(target).fill(text),
    setChecked: (target, checked) => locate(target).setChecked(checked),
    screenshot: (path) => page.screenshot({ path, fullPage: true }),
    pageErrors: async () => [...errors],
  };
}

// ---- WebKit through WebDriver --------------------------------------------------------------

// Each command is bounded twice: the session's own timeouts make WebKit answer an error for a
// script or a page load that does not finish, and our bound fails the test with the command's
// name should the driver not answer at all (the fetch of `request` has no timeout of its own).
const SESSION_TIMEOUTS = { script: 5_000, pageLoad: 15_000, implicit: 0 };
const COMMAND_MS = 20_000;

export const webkitDriver = {
  engine: "webkit",
  launchTimeout: 60_000,
  suiteTimeout: 300_000,
  testTimeout: 60_000,
  async launch() {
    const webkit = await launchWebKit();
    return {
      async newBrowser() {
        const session = await webkit.newSession(); // bounded in ../lib/webdriver.mjs
        const send = (method, path, body) =>
          within(COMMAND_MS, `WebDriver ${method} ${path}: no answer within ${COMMAND_MS} ms`, session.command(method, path, body));
        await send("POST", "/timeouts", SESSION_TIMEOUTS);
        await send("POST", "/window/rect", VIEWPORT).catch(() => {});
        // Commands go to the current window: a page switches to its own first.
        const windows = { current: await send("GET", "/window"), firstUsed: false };
        let closed;
        return {
          async newPage() {
            let handle = windows.current;
            if (windows.firstUsed) handle = (await send("POST", "/window/new", { type: "window" })).handle;
            windows.firstUsed = true;
            return webDriverPage(send, handle, windows);
          },
          close: () => (closed ??= within(COMMAND_MS, "WebDriver DELETE session: no answer", session.delete())),
        };
      },
      close: () => webkit.close(),
    };
  },
};

const KEYS = { Enter: Keys.ENTER };

// Runs in the page: the elements a target names, found as Playwright's locators find them.
function findTargets(target) {
  if (typeof target === "string") return [...document.querySelectorAll(target)];
  const words = (element) => element.textContent.replace(/\s+/g, " ").trim();
  if (target.label) {
    return [...document.querySelectorAll("input")].filter((field) => [...field.labels].some((label) => words(label).includes(target.label)));
  }
  return [...document.querySelectorAll("button")]
    .filter((button) => button.getClientRects().length > 0 && (button.getAttribute("aria-label") ?? words(button)) === target.button);
}

// Runs in the page, once per document: records its uncaught errors and rejections.
function watchErrors() {
  if (window.__pageErrors) return;
  window.__pageErrors = [];
  addEventListener("error", (event) => window.__pageErrors.push(String(event.message)));
  addEventListener("unhandledrejection", (event) => window.__pageErrors.push(String(event.reason)));
}

function webDriverPage(send, handle, windows) {
  const use = async () => {
    if (windows.current !== handle) await send("POST", "/window", { handle });
    windows.current = handle;
  };
  const evaluate = async (fn, ...args) => {
    await use();
    return send("POST", "/execute/sync", { script: `return ${call(fn, args)}`, args: [] });
  };
  // Like a Playwright locator: exactly one element, or the first of several with `first`.
  const elementPath = async (target) => {
    const found = await evaluate(findTargets, target);
    if (found.length === 0 || (found.length > 1 && !target.first)) throw new Error(`${found.length} elements for ${JSON.stringify(target)}`);
    return `/element/${Object.values(found[0])[0]}`;
  };
  const act = async (target, action, body) => send("POST", `${await elementPath(target)}/${action}`, body);
  // The page's errors are watched from its load on (WebDriver returns from a navigation then).
  const navigated = async (navigation) => {
    await navigation;
    await evaluate(watchErrors);
  };
  return {
    engine: "webkit",
    goto: async (url) => { await use(); await navigated(send("POST", "/url", { url })); },
    reload: async () => { await use(); await navigated(send("POST", "/refresh", {})); },
    evaluate,
    async waitFor(what, fn, args = [], timeoutMs = WAIT_MS) {
      const end = Date.now() + timeoutMs;
      let last;
      while (Date.now() < end) {
        try {
          // A page still (re)loading cannot run scripts: that counts as "not yet".
          if (await within(Math.max(end - Date.now(), 1), "out of time", evaluate(fn, ...args))) return;
        } catch (error) {
          last = error;
        }
        await sleep(100);
      }
      throw new Error(`waiting for ${what}: not within ${timeoutMs} ms${last ? ` (last: ${last.message})` : ""}`);
    },
    click: (target) => act(target, "click", {}),
    press: (target, key) => act(target, "value", { text: KEYS[key] ?? key }),
    async fill(target, text) {
      await act(target, "clear", {});
      await act(target, "value", { text });
    },
    async setChecked(target, checked) {
      const path = await elementPath(target);
      if ((await send("GET", `${path}/property/checked`)) !== checked) await send("POST", `${path}/click`, {});
    },
    async screenshot(path) {
      await use();
      await writeFile(path, Buffer.from(await send("GET", "/screenshot"), "base64"));
    },
    pageErrors: () => evaluate(() => window.__pageErrors ?? []),
  };
}
