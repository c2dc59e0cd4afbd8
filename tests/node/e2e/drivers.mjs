// The two ways the demo scenarios (scenarios.mjs) drive a browser, behind one small interface:
// Playwright in Chromium, W3C WebDriver in WebKit (tests/node/lib/webdriver.mjs).
//
//   engine.newBrowser()    a fresh browser (its own storage), 1200×900; close() ends it
//   browser.newPage()      a page of that browser (Playwright page; WebDriver window)
//   page.goto/reload/url/waitForUrl, evaluate(fn, ...args), waitFor(fn, args, options),
//   page.css(selector) / byLabel(text, { first }) / byRole(role, { name, exact }) / alert(text)
//   → an element (exactly one matches, or the first with `first`):
//     click, press(key), fill(text), setChecked(bool), value, text, visible, waitFor({ state }),
//   page.text(selector), visible(selector), screenshot(path), pageErrors()
//
// Page functions are passed as functions and run in the page, so they may use only their
// arguments. What the WebDriver client here does not do (stop or refuse requests, catch dialogs,
// press keys on no element, read `disabled`) is on the Playwright side only, for the scenarios
// that run in Chromium alone.
import { launchChromium } from "../lib/harness.mjs";
import { Keys, launchWebKit } from "../lib/webdriver.mjs";

const VIEWPORT = { width: 1200, height: 900 };

// ---- Chromium through Playwright -----------------------------------------------------------

export async function launchPlaywrightChromium() {
  const chromium = await launchChromium();
  return {
    name: "chromium",
    async newBrowser() {
      const context = await chromium.newContext({ viewport: VIEWPORT });
      return {
        newPage: async () => playwrightPage(await context.newPage()),
        /** Connections to URLs matching `pattern` are refused until the returned function runs. */
        async refuseConnections(pattern) {
          const refuse = (route) => route.abort("connectionrefused");
          await context.route(pattern, refuse);
          return () => context.unroute(pattern, refuse);
        },
        close: () => context.close(),
      };
    },
    close: () => chromium.close(),
  };
}

/** `fn(...args)` as an expression for the page (arguments as JSON). */
const call = (fn, args) => `(${fn})(...${JSON.stringify(args)})`;

function playwrightPage(page) {
  const pageErrors = [];
  const dialogs = [];
  // Any alert() would mean user data ran as HTML.
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  const element = (locator) => ({
    click: () => locator.click(),
    press: (key) => locator.press(key),
    fill: (text) => locator.fill(text),
    setChecked: (checked) => locator.setChecked(checked),
    value: () => locator.inputValue(),
    text: () => locator.textContent(),
    visible: () => locator.isVisible(),
    disabled: () => locator.isDisabled(),
    waitFor: ({ state = "visible", timeout = 10_000 } = {}) => locator.waitFor({ state, timeout }),
  });
  return {
    engine: "chromium",
    goto: (url) => page.goto(url),
    reload: () => page.reload(),
    url: async () => page.url(),
    /** `target`: a RegExp or a predicate on the URL string; also waits for that page's load. */
    waitForUrl: (target, { timeout = 10_000 } = {}) =>
      page.waitForURL(typeof target === "function" ? (url) => target(url.href) : target, { timeout }),
    evaluate: (fn, ...args) => page.evaluate(call(fn, args)),
    waitFor: (fn, args = [], { timeout = 10_000 } = {}) => page.waitForFunction(call(fn, args), null, { timeout }),
    css: (selector) => element(page.locator(selector)),
    byLabel: (text, { first = false } = {}) => element(first ? page.getByLabel(text).first() : page.getByLabel(text)),
    byRole: (role, { name, exact } = {}) => element(page.getByRole(role, { name, exact })),
    alert: (hasText) => element(page.getByRole("alert").filter({ hasText })),
    text: (selector) => page.locator(selector).textContent(),
    visible: (selector) => page.locator(selector).isVisible(),
    screenshot: (path) => page.screenshot({ path, fullPage: true }),
    pageErrors: async () => [...pageErrors],
    // Playwright only.
    dialogs: () => [...dialogs],
    keyboard: (key) => page.keyboard.press(key),
    sleep: (ms) => page.waitForTimeout(ms),
    /** Requests matching `pattern` are never answered. */
    holdRequests: (pattern) => page.route(pattern, () => {}),
  };
}

// ---- WebKit through WebDriver --------------------------------------------------------------

export async function launchWebDriverWebKit() {
  const webkit = await launchWebKit();
  return {
    name: "webkit",
    async newBrowser() {
      const session = await webkit.newSession();
      await session.setWindowRect(VIEWPORT).catch(() => {});
      // Commands go to the current window: each page switches to its own first.
      const state = { current: await session.windowHandle(), unused: true };
      return {
        async newPage() {
          let handle = state.current;
          if (state.unused) state.unused = false;
          else handle = await session.newWindow("window");
          return webDriverPage(session, handle, state);
        },
        close: () => session.delete(),
      };
    },
    close: () => webkit.close(),
  };
}

const KEYS = { Enter: Keys.ENTER, Tab: Keys.TAB };

// Runs in the page: the elements a Playwright-style query names, rendered ones only where it
// asks for them. Playwright's rules, as far as the demo needs them: names and label texts match
// as case-insensitive substrings unless `exact`, or as a RegExp given as { source, flags }.
function queryInPage(kind, query) {
  const normal = (text) => (text ?? "").replace(/\s+/g, " ").trim();
  const matches = (actual, wanted, exact) => {
    if (wanted == null) return true;
    if (typeof wanted === "object") return new RegExp(wanted.source, wanted.flags).test(actual);
    return exact ? actual === wanted : actual.toLowerCase().includes(wanted.toLowerCase());
  };
  const rendered = (e) => e.getClientRects().length > 0;
  if (kind === "css") return [...document.querySelectorAll(query.selector)];
  if (kind === "label") {
    return [...document.querySelectorAll("input, select, textarea")]
      .filter((field) => [...field.labels].some((label) => matches(normal(label.textContent), query.text, false)));
  }
  const selectors = {
    button: "button, input[type=button], input[type=submit], input[type=reset], [role=button]",
  };
  return [...document.querySelectorAll(selectors[query.role] ?? `[role="${query.role}"]`)]
    .filter((e) => rendered(e) && (e.getAttribute("role") ?? query.role) === query.role)
    .filter((e) => matches(normal(e.getAttribute("aria-label") ?? (e instanceof HTMLInputElement ? e.value : e.textContent)), query.name, query.exact))
    .filter((e) => matches(normal(e.textContent), query.hasText, false));
}

function webDriverPage(session, handle, state) {
  const use = async () => {
    if (state.current !== handle) {
      await session.switchTo(handle);
      state.current = handle;
    }
    return session;
  };
  const run = async (fn, args) => (await use()).execute(`return (${fn})(...arguments)`, ...args);
  const poll = async (attempt, timeout, what) => {
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
      try {
        const value = await attempt();
        if (value) return value;
      } catch (error) {
        last = error; // a page still (re)loading cannot run scripts
      }
      if (Date.now() > deadline) throw new Error(`waiting for ${what}: not within ${timeout} ms${last ? ` (${last.message})` : ""}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const element = (kind, query, { first = false } = {}) => {
    const all = () => run(queryInPage, [kind, query]);
    const what = `${kind} ${JSON.stringify(query)}`;
    // Like a Playwright locator: exactly one element, or the first with `first`.
    const one = async () => {
      const found = await all();
      if (found.length === 0 || (found.length > 1 && !first)) throw new Error(`${what}: ${found.length} elements`);
      return Object.values(found[0])[0];
    };
    const command = async (method, path, body) => (await use()).command(method, `/element/${await one()}${path}`, body);
    const visible = async () => {
      const found = await all();
      return found.length > 0 && (await run((e) => e.getClientRects().length > 0, [found[0]]));
    };
    return {
      click: () => command("POST", "/click", {}),
      press: (key) => command("POST", "/value", { text: KEYS[key] ?? key }),
      async fill(text) {
        await command("POST", "/clear", {});
        await command("POST", "/value", { text });
      },
      async setChecked(checked) {
        if ((await command("GET", "/property/checked")) !== checked) await command("POST", "/click", {});
      },
      value: () => command("GET", "/property/value"),
      text: () => command("GET", "/property/textContent"),
      visible,
      waitFor: ({ state: wanted = "visible", timeout = 10_000 } = {}) =>
        poll(async () => (await visible()) === (wanted === "visible"), timeout, `${what} to be ${wanted}`),
    };
  };
  const regexp = (value) => (value instanceof RegExp ? { source: value.source, flags: value.flags } : value);
  return {
    engine: "webkit",
    goto: async (url) => (await use()).navigate(url),
    reload: async () => (await use()).refresh(),
    url: async () => (await use()).currentUrl(),
    waitForUrl: (target, { timeout = 10_000 } = {}) => poll(async () => {
      const url = await (await use()).currentUrl();
      return typeof target === "function" ? target(url) : target.test(url);
    }, timeout, `the address ${target}`),
    evaluate: (fn, ...args) => run(fn, args),
    waitFor: (fn, args = [], { timeout = 10_000 } = {}) => poll(() => run(fn, args), timeout, String(fn)),
    css: (selector) => element("css", { selector }),
    byLabel: (text, { first = false } = {}) => element("label", { text: regexp(text) }, { first }),
    byRole: (role, { name, exact } = {}) => element("role", { role, name: regexp(name), exact }),
    alert: (hasText) => element("role", { role: "alert", hasText }),
    text: (selector) => run((s) => document.querySelector(s)?.textContent ?? null, [selector]),
    visible: (selector) => run((s) => { const e = document.querySelector(s); return !!e && e.getClientRects().length > 0; }, [selector]),
    screenshot: async (path) => (await use()).screenshot(path),
    /**
     * Uncaught errors and rejections since the page last became ready (`watchErrors`); a
     * load-time one fails the readiness wait instead.
     */
    pageErrors: () => run(() => window.__pageErrors ?? [], []),
    watchErrors: () => run(() => {
      if (!window.__pageErrors) {
        window.__pageErrors = [];
        addEventListener("error", (e) => window.__pageErrors.push(String(e.message)));
        addEventListener("unhandledrejection", (e) => window.__pageErrors.push(String(e.reason)));
      }
    }, []),
  };
}
