// A minimal headless-Chromium driver for the benchmark: the DevTools protocol over
// --remote-debugging-pipe, with only the Runtime domain switched on (for page errors).
//
// Why not Playwright, as the tests use: Playwright enables the Network domain on every page, and
// with it Blink records a JavaScript stack trace for each request's initiator. Measured here
// that adds ~0.35-0.7 ms to every request of every client alike, which dilutes the latency ratios
// this benchmark exists to report. Nothing here watches the network.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Starts Chromium; resolves with `{ version, newContext(), close() }`. */
export async function launchBrowser({ executablePath, args = [] }) {
  const profile = mkdtempSync(join(tmpdir(), "bench-chromium-"));
  const child = spawn(executablePath, ["--headless=new", "--remote-debugging-pipe", `--user-data-dir=${profile}`, ...args, "about:blank"], {
    stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"],
  });
  const connection = pipeConnection(child.stdio[3], child.stdio[4]);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.once("exit", () => connection.fail(new Error("Chromium exited")));

  const { product } = await connection.send("Browser.getVersion");
  return {
    version: product.replace(/^[^/]*\//, ""),
    newContext: () => newContext(connection),
    async close() {
      if (child.exitCode === null) {
        await Promise.race([connection.send("Browser.close").catch(() => {}), delay(2000)]);
        await Promise.race([exited, delay(3000)]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Messages are JSON, each ended by a NUL byte, both ways. */
function pipeConnection(toBrowser, fromBrowser) {
  let nextId = 0;
  let buffered = "";
  const pending = new Map();
  const listeners = new Set();
  fromBrowser.on("data", (chunk) => {
    buffered += chunk.toString("utf8");
    for (let end = buffered.indexOf("\0"); end >= 0; end = buffered.indexOf("\0")) {
      const message = JSON.parse(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
      const waiter = pending.get(message.id);
      if (waiter) {
        pending.delete(message.id);
        if (message.error) waiter.reject(new Error(`${message.error.message} ${message.error.data ?? ""}`.trim()));
        else waiter.resolve(message.result);
      } else {
        for (const listener of listeners) listener(message);
      }
    }
  });
  return {
    send(method, params = {}, sessionId) {
      return new Promise((resolve, reject) => {
        const id = ++nextId;
        pending.set(id, { resolve, reject });
        toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
      });
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    fail(error) {
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    },
  };
}

/** An isolated browser context (its own storage), like a fresh profile. */
async function newContext(connection) {
  const { browserContextId } = await connection.send("Target.createBrowserContext");
  const initScripts = [];
  return {
    /** `fn(arg)` runs in every page of this context before the page's own scripts. */
    addInitScript(fn, arg) {
      initScripts.push(`(${fn})(${JSON.stringify(arg)})`);
    },
    async newPage() {
      const { targetId } = await connection.send("Target.createTarget", { url: "about:blank", browserContextId });
      const { sessionId } = await connection.send("Target.attachToTarget", { targetId, flatten: true });
      const send = (method, params) => connection.send(method, params, sessionId);
      const errors = [];
      connection.on((message) => {
        if (message.sessionId === sessionId && message.method === "Runtime.exceptionThrown") {
          const details = message.params.exceptionDetails;
          errors.push(details.exception?.description ?? details.text);
        }
      });
      await send("Runtime.enable");
      // Init scripts take effect only with the Page domain on (it does not watch the network).
      if (initScripts.length > 0) await send("Page.enable");
      for (const source of initScripts) await send("Page.addScriptToEvaluateOnNewDocument", { source });
      return pageApi(send, errors);
    },
    close: () => connection.send("Target.disposeBrowserContext", { browserContextId }),
  };
}

function pageApi(send, errors) {
  const evaluate = async (fn, arg) => {
    const expression = `(${fn})(${arg === undefined ? "" : JSON.stringify(arg)})`;
    const { result, exceptionDetails } = await send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
    if (exceptionDetails) throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text);
    return result.value;
  };
  return {
    errors,
    evaluate,
    goto: (url) => send("Page.navigate", { url }),
    /**
     * Throttles this page's network (Network.emulateNetworkConditions). It needs the Network
     * domain, which the latency pages never turn on (see above); only start-up pages use this.
     */
    async emulateNetwork(conditions) {
      await send("Network.enable");
      await send("Network.emulateNetworkConditions", conditions);
    },
    /** Polls `fn` in the page until it is truthy; fails after `timeout` ms or at a page error. */
    async waitFor(fn, { timeout = 15_000 } = {}) {
      const until = Date.now() + timeout;
      for (;;) {
        if (errors.length > 0) throw new Error(`the page threw: ${errors[0]}`);
        // Evaluating during a navigation can fail: that is "not yet".
        if (await evaluate(fn).catch(() => false)) return;
        if (Date.now() > until) throw new Error(`timed out waiting for ${fn}`);
        await delay(20);
      }
    },
  };
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
