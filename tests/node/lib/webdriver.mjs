// A small W3C WebDriver client (HTTP + JSON over `fetch`), enough to drive WebKitGTK's
// WebKitWebDriver (MiniBrowser) from the Node suites: Playwright's own WebKit build cannot be
// downloaded here, and Debian's WebKitGTK is only reachable through WebDriver. The same client
// drives chromedriver and geckodriver, for suites that run in every engine (`launchEngine`).
//
// Also starts what WebKit needs on a machine without a screen: an Xvfb display of its own
// (unless DISPLAY is already set, as `npm test` does) and the driver, each stopped by its PID.
import { spawn } from "node:child_process";
import { after, before, describe } from "node:test";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort, repoRoot, stopProcess } from "./harness.mjs";

export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER ?? "/usr/bin/WebKitWebDriver";

// The browser settings of the wasm-bindgen runs (webdriver.json), headless added as the runner
// adds it. WebKit takes none: its driver's defaults start MiniBrowser in automation mode.
const WEBDRIVER_JSON = JSON.parse(readFileSync(join(repoRoot, "webdriver.json"), "utf8"));

/** How each engine is driven: its WebDriver binary, the session's capabilities, whether it needs X. */
export const ENGINES = {
  chromium: {
    driver: process.env.CHROMEDRIVER ?? "chromedriver",
    capabilities: () => {
      const options = WEBDRIVER_JSON["goog:chromeOptions"] ?? {};
      return {
        "goog:chromeOptions": {
          ...options,
          binary: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: [...(options.args ?? []), "--headless", "--no-sandbox", "--disable-dev-shm-usage"],
        },
      };
    },
  },
  firefox: {
    driver: process.env.GECKODRIVER ?? "geckodriver",
    // Keeps Firefox from reaching for its remote-settings host on a closed network.
    env: { MOZ_REMOTE_SETTINGS_DEVTOOLS: "1" },
    capabilities: () => {
      const options = WEBDRIVER_JSON["moz:firefoxOptions"] ?? {};
      return { "moz:firefoxOptions": { ...options, args: [...(options.args ?? []), "-headless"] } };
    },
  },
  webkit: { driver: WEBKIT_DRIVER, display: true, capabilities: () => ({}) },
};

/** How long a new session (a browser starting) may take; well under a second normally. */
const SESSION_START_MS = 20_000;

/** WebDriver key codes (W3C "keyboard actions" table). */
export const Keys = { ENTER: "\uE007", TAB: "\uE004", BACKSPACE: "\uE003" };

// The W3C element reference key.
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export class WebDriverError extends Error {
  constructor(command, status, value) {
    super(`${command}: HTTP ${status} ${value?.error ?? ""}: ${value?.message ?? JSON.stringify(value)}`);
    this.name = "WebDriverError";
    this.error = value?.error;
  }
}

/**
 * The X display WebKit draws on: `$DISPLAY` when set (npm test starts one Xvfb for the whole
 * run), else a fresh Xvfb on a free display number (`-displayfd` lets Xvfb pick it), stopped by
 * `stop()`. `-noreset` as in scripts/lib.sh: an Xvfb resetting after its last client refuses the
 * next browser, and WebKitWebDriver then waits for that browser forever.
 */
export async function useDisplay() {
  if (process.env.DISPLAY) return { display: process.env.DISPLAY, stop: async () => {} };
  const child = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp", "-noreset"], {
    stdio: ["ignore", "ignore", "pipe", "pipe"],
  });
  killOnExit(child);
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk) => { stderr += chunk; });
  const number = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Xvfb gave no display number within 10 s\n${stderr}`)), 10_000);
    child.stdio[3].setEncoding("utf8").on("data", (chunk) => {
      clearTimeout(timer);
      resolve(chunk.trim());
    });
    child.on("error", (error) => { clearTimeout(timer); reject(error); });
    child.on("exit", (code, signal) => { clearTimeout(timer); reject(new Error(`Xvfb exited (${code ?? signal})\n${stderr}`)); });
  }).catch(async (error) => {
    await stopProcess(child, 2000);
    throw error;
  });
  return { display: `:${number}`, stop: () => stopProcess(child, 5000) };
}

/**
 * If this process ends without stopping `child` (a crash, a cancelled test run), ends it too.
 * Xvfb going away also ends any MiniBrowser still drawing on it.
 */
function killOnExit(child) {
  const kill = () => child.kill("SIGTERM");
  process.once("exit", kill);
  child.once("exit", () => process.off("exit", kill));
}

/** Runs `attempt` until it answers something truthy or `timeoutMs` passes. */
async function poll(attempt, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await attempt();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${last.message})` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A WebDriver binary on a free port of 127.0.0.1 (drawing on `display` if given). Resolves
 * once it answers `/status`; `stop()` ends it by PID (a browser it still runs may outlive it:
 * end sessions first; Xvfb going away ends what drew on it).
 */
export async function startDriver(command, { display, env = {} } = {}) {
  const port = await freePort();
  const child = spawn(command, [`--port=${port}`], {
    env: { ...process.env, ...env, ...(display ? { DISPLAY: display } : {}) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  killOnExit(child);
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => { output += chunk; });
  child.stderr.setEncoding("utf8").on("data", (chunk) => { output += chunk; });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((_, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => reject(new Error(`${command} exited (${code ?? signal})\n${output}`)));
  });
  exited.catch(() => {});
  try {
    await Promise.race([exited, poll(async () => (await fetch(`${url}/status`)).ok, 15_000, `${command} /status`)]);
  } catch (error) {
    await stopProcess(child, 2000);
    throw error;
  }
  return { url, output: () => output, stop: () => stopProcess(child, 5000) };
}

/** One WebDriver session: one browser with its windows. */
export class WebDriverSession {
  constructor(driverUrl, id, capabilities) {
    this.driverUrl = driverUrl;
    this.id = id;
    this.capabilities = capabilities;
  }

  /** Opens a session. WebKitGTK's defaults start MiniBrowser in automation mode. */
  static async create(driverUrl, alwaysMatch = {}) {
    const value = await request(driverUrl, "POST", "/session", { capabilities: { alwaysMatch } });
    const session = new WebDriverSession(driverUrl, value.sessionId, value.capabilities);
    // Scripts may wait on the page (executeAsync); the W3C default of 30 s is fine, pages load
    // with a bound of our own.
    await session.command("POST", "/timeouts", { script: 30_000, pageLoad: 30_000, implicit: 0 });
    return session;
  }

  command(method, path, body) {
    return request(this.driverUrl, method, `/session/${this.id}${path}`, body);
  }

  async delete() {
    await request(this.driverUrl, "DELETE", `/session/${this.id}`).catch(() => {});
  }

  // ---- navigation and windows --------------------------------------------------------------

  navigate(url) {
    return this.command("POST", "/url", { url });
  }

  refresh() {
    return this.command("POST", "/refresh", {});
  }

  currentUrl() {
    return this.command("GET", "/url");
  }

  windowHandle() {
    return this.command("GET", "/window");
  }

  windowHandles() {
    return this.command("GET", "/window/handles");
  }

  /** Opens a new top-level browsing context (same browser, same storage) and returns its handle. */
  async newWindow(type = "tab") {
    return (await this.command("POST", "/window/new", { type })).handle;
  }

  switchTo(handle) {
    return this.command("POST", "/window", { handle });
  }

  setWindowRect(rect) {
    return this.command("POST", "/window/rect", rect);
  }

  // ---- scripts -----------------------------------------------------------------------------

  /** Runs `body` (a function body; arguments as `arguments[i]`) in the page; returns its result. */
  execute(body, ...args) {
    return this.command("POST", "/execute/sync", { script: body, args });
  }

  /** Like `execute`, for a body that calls `arguments[arguments.length - 1](result)` when done. */
  executeAsync(body, ...args) {
    return this.command("POST", "/execute/async", { script: body, args });
  }

  /**
   * Polls `body` (as for `execute`) until it answers something truthy; resolves with that.
   * Script errors while the page is (re)loading count as "not yet".
   */
  waitFor(body, { args = [], timeoutMs = 10_000, what = body } = {}) {
    return poll(() => this.execute(body, ...args), timeoutMs, `waiting for ${what}`);
  }

  // ---- elements ----------------------------------------------------------------------------

  async find(selector) {
    const value = await this.command("POST", "/element", { using: "css selector", value: selector });
    return value[ELEMENT];
  }

  async click(selector) {
    return this.command("POST", `/element/${await this.find(selector)}/click`, {});
  }

  async clear(selector) {
    return this.command("POST", `/element/${await this.find(selector)}/clear`, {});
  }

  /** Types `text` into the element (focusing it first, as a user clicking into it would). */
  async type(selector, text) {
    return this.command("POST", `/element/${await this.find(selector)}/value`, { text });
  }

  /** Clears a field and types `text` into it. */
  async fill(selector, text) {
    await this.clear(selector);
    await this.type(selector, text);
  }

  text(selector) {
    return this.execute("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", selector);
  }

  /** True when the element exists and is rendered (not `hidden`, not display:none). */
  visible(selector) {
    return this.execute("const e = document.querySelector(arguments[0]); return !!e && e.getClientRects().length > 0;", selector);
  }

  async screenshot(path) {
    const base64 = await this.command("GET", "/screenshot");
    await writeFile(path, Buffer.from(base64, "base64"));
  }
}

async function request(driverUrl, method, path, body) {
  const response = await fetch(`${driverUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json; charset=utf-8" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WebDriverError(`${method} ${path}`, response.status, { message: text });
  }
  if (!response.ok) throw new WebDriverError(`${method} ${path}`, response.status, parsed.value);
  return parsed.value;
}

/**
 * One engine (a key of ENGINES) through its WebDriver; WebKit on a display of its own unless
 * DISPLAY is set. `newSession()` starts a fresh browser (fresh storage); `close()` ends the
 * sessions, the driver and the display.
 */
export async function launchEngine(name) {
  const engine = ENGINES[name];
  if (!engine) throw new Error(`no engine named ${name} (${Object.keys(ENGINES).join(", ")})`);
  const display = engine.display ? await useDisplay() : { display: undefined, stop: async () => {} };
  let driver;
  try {
    driver = await startDriver(engine.driver, { display: display.display, env: engine.env });
  } catch (error) {
    await display.stop();
    throw error;
  }
  const sessions = new Set();
  return {
    name,
    display: display.display,
    async newSession() {
      // A browser that dies as it starts leaves WebKitWebDriver waiting for it forever: bounded
      // here, failing with the driver's output (which holds the browser's own).
      let timer;
      const late = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${engine.driver} opened no session within ${SESSION_START_MS / 1000} s; its output:\n${driver.output().slice(-2000)}`)), SESSION_START_MS);
      });
      const session = await Promise.race([WebDriverSession.create(driver.url, engine.capabilities()), late]).finally(() => clearTimeout(timer));
      sessions.add(session);
      const end = session.delete.bind(session);
      session.delete = async () => {
        sessions.delete(session);
        await end();
      };
      return session;
    },
    async close() {
      for (const session of [...sessions]) await session.delete();
      await driver.stop();
      await display.stop();
    },
  };
}

/** WebKit (MiniBrowser) through WebKitWebDriver: `launchEngine("webkit")`. */
export function launchWebKit() {
  return launchEngine("webkit");
}

/**
 * Runs `body` (an async function body; the arguments as `args`) in the page; resolves with its
 * result, rejects with the page's error (name and message).
 */
export async function inPage(browser, body, ...args) {
  const outcome = await browser.executeAsync(
    `const done = arguments[arguments.length - 1];
     const args = Array.prototype.slice.call(arguments, 0, -1);
     (async () => { ${body} })().then(
       (value) => done({ value: value === undefined ? null : value }),
       (error) => done({ error: { name: error && error.name, code: error && error.code != null ? error.code : null, message: String(error && error.message || error) } }));`,
    ...args,
  );
  if (outcome.error) throw Object.assign(new Error(`${outcome.error.name}: ${outcome.error.message}`), outcome.error);
  return outcome.value;
}

/**
 * One `describe("in <engine>")` per engine of BROWSERS (default: all three; names separated by
 * spaces or commas), the engine launched once for it and closed after; `body(engine, launched)`
 * declares the tests, and `launched()` answers the running engine inside them
 * (`launched().newSession()`). A name it does not know throws at once: with no engine left, the
 * file would declare no test and wait on its servers forever.
 */
export function inEachEngine(body, { timeout = 120_000 } = {}) {
  const names = (process.env.BROWSERS ?? "chromium firefox webkit").split(/[\s,]+/).filter(Boolean);
  const unknown = names.filter((name) => !(name in ENGINES));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`BROWSERS=${JSON.stringify(process.env.BROWSERS)}: expected some of ${Object.keys(ENGINES).join(", ")}`);
  }
  for (const engine of names) {
    describe(`in ${engine}`, { timeout }, () => {
      let running;
      before(async () => {
        running = await launchEngine(engine);
      }, { timeout: 60_000 });
      after(async () => {
        await running?.close();
      }, { timeout: 30_000 });
      body(engine, () => running);
    });
  }
}
