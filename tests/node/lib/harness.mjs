// Shared by the Node-driven suites: the local server, child processes stopped by PID, static
// servers, Chromium through playwright-core, and small waiting helpers.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { existsSync, mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CONTENT_TYPES } from "../../../scripts/content-types.mjs";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const screenshotDir = join(repoRoot, "tests/e2e/screenshots");
export const TEST_APP_ID = process.env.BACKENDLESS_TEST_APP_ID ?? "TEST-APP";
export const TEST_API_KEY = process.env.BACKENDLESS_TEST_API_KEY ?? "TEST-KEY";

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  // Without these Chromium keeps reaching for Google hosts on this closed network.
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launchChromium() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });
}

export function screenshotPath(name) {
  mkdirSync(screenshotDir, { recursive: true });
  return join(screenshotDir, `${name}.png`);
}

let uniqueCounter = 0;
/** An email no other test (nor an earlier run against the same server) has used. */
export function uniqueEmail(prefix) {
  uniqueCounter += 1;
  return `${prefix}-${Date.now().toString(36)}-${process.pid}-${uniqueCounter}@example.test`;
}

// ---- child processes -----------------------------------------------------------------------

/**
 * Spawns a command and waits until a line of its stdout matches `pattern`; resolves with the
 * child and the match. The child is killed if the line does not come in time.
 */
export function spawnUntilLine(command, args, { pattern, timeoutMs = 20_000, ...options }) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // A detached child leads its own process group: stop all of it.
      if (options.detached) killGroup(child, "SIGKILL");
      else stopProcess(child);
      reject(new Error(`${command} ${args.join(" ")}: no line matching ${pattern} within ${timeoutMs} ms. Output:\n${output}`));
    }, timeoutMs);
    const onData = (chunk) => {
      output += chunk;
      const match = output.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, output: () => output });
      }
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr?.setEncoding("utf8").on("data", (chunk) => { output += chunk; });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code ?? signal}) before printing ${pattern}. Output:\n${output}`));
    });
  });
}

/** Sends `signal` to the process group a detached child leads. */
export function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Stops a child by its PID: SIGTERM, then SIGKILL if it lingers. Resolves once it has exited. */
export function stopProcess(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export function waitForExit(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process ${child.pid} still running after ${timeoutMs} ms`)), timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Runs a command to completion; rejects with its output when it fails or takes too long. */
export function run(command, args, { timeoutMs = 60_000, ...options } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => { stdout += chunk; });
    child.stderr.setEncoding("utf8").on("data", (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} timed out after ${timeoutMs} ms\n${stdout}${stderr}`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code}\n${stdout}${stderr}`));
    });
  });
}

// ---- the local server ----------------------------------------------------------------------

/**
 * The local server under test: the one `npm test` started (BACKENDLESS_EMULATOR_URL), or, when
 * a suite runs on its own, a fresh in-memory one started here and stopped by `stop()`.
 */
export async function useEmulator() {
  const given = process.env.BACKENDLESS_EMULATOR_URL;
  if (given) return { url: given.replace(/\/+$/, ""), stop: async () => {} };
  const binary = join(repoRoot, "target/server/backendless-emulator");
  if (!existsSync(binary)) throw new Error(`set BACKENDLESS_EMULATOR_URL or build ${binary} (cargo build -p backendless-emulator --profile server)`);
  const { child, match } = await spawnUntilLine(
    binary,
    ["--port", "0", "--db", ":memory:", "--app-id", TEST_APP_ID, "--api-key", TEST_API_KEY],
    { pattern: /listening on (http\S+)/ },
  );
  return { url: match[1], stop: () => stopProcess(child) };
}

export function appBase(emulatorUrl) {
  return `${emulatorUrl}/${TEST_APP_ID}/${TEST_API_KEY}`;
}

/** The server's request log (method, path, headers with user-token redacted, body, tokenUserId). */
export async function requestLog(emulatorUrl) {
  const response = await fetch(`${emulatorUrl}/__emulator/requests`);
  if (!response.ok) throw new Error(`request log: HTTP ${response.status}`);
  return response.json();
}

/** Registers a user straight through the REST API (for tests whose subject is not registering). */
export async function registerUser(emulatorUrl, properties) {
  const response = await fetch(`${appBase(emulatorUrl)}/users/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(properties),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`register ${properties.email}: HTTP ${response.status} ${JSON.stringify(body)}`);
  return body;
}

// ---- static servers ------------------------------------------------------------------------

/**
 * The demo's own static server (scripts/serve.mjs) on a free port, pointed at `emulatorUrl`.
 * Resolves with its base URL and a `stop()` that kills it by PID.
 */
export async function startDemoServer(emulatorUrl, { appId = TEST_APP_ID, apiKey = TEST_API_KEY } = {}) {
  const { child, match } = await spawnUntilLine(process.execPath, [join(repoRoot, "scripts/serve.mjs")], {
    pattern: /demo on (http:\/\/\S+\/)/,
    env: { ...process.env, DEMO_PORT: "0", EMULATOR_URL: emulatorUrl, EMULATOR_APP_ID: appId, EMULATOR_API_KEY: apiKey },
  });
  return { url: match[1], stop: () => stopProcess(child) };
}


/**
 * Serves one directory on 127.0.0.1 at a free port (in this process). `wasm` changes how .wasm
 * files are served, as misconfigured servers do: `{ type }` another content type, `{ missing:
 * true }` a 404.
 */
export async function serveDirectory(root, { wasm = {} } = {}) {
  return listenLocally(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, "http://x").pathname));
    const file = join(root, path.endsWith("/") ? `${path}index.html` : path);
    if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return response.writeHead(403).end();
    const ext = extname(file);
    try {
      if (ext === ".wasm" && wasm.missing) throw new Error("hidden");
      const body = await readFile(file);
      const type = (ext === ".wasm" && wasm.type) || CONTENT_TYPES[ext] || "application/octet-stream";
      response.writeHead(200, { "content-type": type }).end(body);
    } catch {
      response.writeHead(404).end("not found");
    }
  });
}

/**
 * Serves one test page at / and the built package at /pkg/ (with CORS, which an opaque-origin
 * page needs), on 127.0.0.1 at a free port. Any other path answers the page too, so a redirect
 * may come back to any address of the site. `headers` go with the page.
 */
export async function servePage(pageFile, { headers = {} } = {}) {
  return listenLocally(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, "http://x").pathname));
    const file = path.startsWith(`${sep}pkg${sep}`) ? join(repoRoot, path) : pageFile;
    try {
      const body = await readFile(file);
      response.writeHead(200, {
        "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-store",
        "access-control-allow-origin": "*",
        ...(file === pageFile ? headers : {}),
      });
      response.end(body);
    } catch {
      response.writeHead(404).end("not found");
    }
  });
}

/** An HTTP server of `handler` on 127.0.0.1 at a free port: its base URL and `stop()`. */
async function listenLocally(handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A port nobody listens on right now (bound, then released). */
export async function freePort() {
  const server = createNetServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** True when something accepts connections on 127.0.0.1:port. */
export async function portInUse(port) {
  const { connect } = await import("node:net");
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
