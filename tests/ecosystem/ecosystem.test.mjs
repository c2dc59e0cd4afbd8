// The packed package in fresh apps, as new users set them up, with no bundler config or plugin:
// each fixture in tests/ecosystem/fixtures/ installs the tarball of pkg/ (plus its own pinned
// tools, from the registry through a shared cache in target/npm-cache), builds or serves itself the
// way its toolchain's docs say, and logs in as alice against the local server, in headless Chromium
// (or in Node). Every check reads what the app itself reports: alice's email from login() and from
// getCurrentUser(), and isValidLogin() === true.
//
//   npm run build && BACKENDLESS_EMULATOR_URL=http://127.0.0.1:PORT node --test tests/ecosystem/ecosystem.test.mjs
//
// Scratch copies of the fixtures live in target/ecosystem/<name> (kept between runs, so only the
// tarball is reinstalled when the tools are already there).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  TEST_APP_ID,
  TEST_API_KEY,
  freePort,
  killGroup,
  launchChromium,
  repoRoot,
  run,
  screenshotPath,
  serveDirectory,
  useEmulator,
  waitForExit,
} from "../node/lib/harness.mjs";

const FIXTURES = join(repoRoot, "tests/ecosystem/fixtures");
const WORK = join(repoRoot, "target/ecosystem");
const CACHE = join(repoRoot, "target/npm-cache");
const ALICE = { email: "alice@yourmail.com", password: "wonderland" };
// A second user, for two Next.js requests at once with a session each.
const BOB = { email: "bob@yourmail.com", password: "builder" };
const EXPECTED = { email: ALICE.email, valid: true, current: ALICE.email };
// Tools that phone home unless told not to (there is no network here but the registry).
const QUIET_ENV = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", PARCEL_WORKERS: "1", NO_COLOR: "1", FORCE_COLOR: "0", CI: "1" };

let emulator;
let browser;
const timings = [];

before(async () => {
  emulator = await useEmulator();
  await ensureUser(ALICE);
  await ensureUser(BOB);
  await mkdir(WORK, { recursive: true });
  // ECOSYSTEM_PKG: another built package directory (e.g. an older build, to see the fixtures fail).
  const pkgDir = process.env.ECOSYSTEM_PKG ?? join(repoRoot, "pkg");
  const { stdout } = await run("npm", ["pack", pkgDir, "--pack-destination", WORK, "--json", "--loglevel=error"], { timeoutMs: 60_000 });
  const [{ filename }] = JSON.parse(stdout);
  await cp(join(WORK, filename), join(WORK, "backendless-wasm.tgz"));
  await rm(join(WORK, filename));
  browser = await launchChromium();
}, { timeout: 120_000 });

after(async () => {
  await browser?.close();
  await emulator?.stop();
  for (const [name, seconds] of timings) console.log(`${name}: ${seconds.toFixed(1)} s`);
}, { timeout: 30_000 });

/** `user` (alice@yourmail.com / wonderland, say), registered unless the server already has it (code 3033). */
async function ensureUser(user) {
  const response = await fetch(`${emulator.url}/${TEST_APP_ID}/${TEST_API_KEY}/users/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(user),
  });
  if (response.ok) return;
  const body = await response.json().catch(() => ({}));
  if (body.code !== 3033) throw new Error(`registering ${user.email}: HTTP ${response.status} ${JSON.stringify(body)}`);
}

const query = (user = ALICE) => new URLSearchParams({ server: emulator.url, appId: TEST_APP_ID, apiKey: TEST_API_KEY, login: user.email, password: user.password });

/**
 * target/ecosystem/<name>: the fixture's files over a scratch copy (its node_modules kept), the
 * tarball added as a dependency, then `npm install` from the shared cache.
 */
async function prepare(name) {
  const started = Date.now();
  const dir = join(WORK, name);
  await mkdir(dir, { recursive: true });
  // Everything but node_modules goes, build caches too (Parcel's fails a build once the package
  // under it changed: "bundleInfoMap[bundleId] is not iterable").
  for (const entry of await readdir(dir)) {
    if (entry !== "node_modules") await rm(join(dir, entry), { recursive: true, force: true });
  }
  await rm(join(dir, "node_modules/backendless-wasm"), { recursive: true, force: true });
  await cp(join(FIXTURES, name), dir, { recursive: true });
  const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
  manifest.dependencies = { ...manifest.dependencies, "backendless-wasm": "file:../backendless-wasm.tgz" };
  await writeFile(join(dir, "package.json"), JSON.stringify(manifest, null, 2));
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", "--cache", CACHE], { cwd: dir, timeoutMs: 300_000, env: QUIET_ENV });
  timings.push([`${name}: npm install`, (Date.now() - started) / 1000]);
  return dir;
}

/** Runs a fixture's own tool (node_modules/.bin/<tool>) to completion. */
async function tool(dir, name, args, timeoutMs = 240_000) {
  const started = Date.now();
  const result = await run(join(dir, "node_modules/.bin", name), args, { cwd: dir, timeoutMs, env: QUIET_ENV });
  timings.push([`${dir.split("/").pop()}: ${name} ${args.join(" ")}`, (Date.now() - started) / 1000]);
  return result;
}

/**
 * Starts a fixture's server (its own process group, stopped as a whole) and resolves once it
 * answers HTTP on `port`.
 */
async function serve(dir, name, args, port, timeoutMs = 120_000) {
  const child = spawn(join(dir, "node_modules/.bin", name), args, { cwd: dir, env: QUIET_ENV, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => { output += chunk; });
  child.stderr.setEncoding("utf8").on("data", (chunk) => { output += chunk; });
  const stop = async () => {
    killGroup(child, "SIGTERM");
    await waitForExit(child, 5000).catch(() => killGroup(child, "SIGKILL"));
  };
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} ${args.join(" ")} exited (${child.exitCode}):\n${output}`);
    try {
      await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(60_000) });
      return { url: `http://127.0.0.1:${port}`, stop, output: () => output };
    } catch {
      if (Date.now() > until) {
        await stop();
        throw new Error(`${name} ${args.join(" ")} did not answer on port ${port} within ${timeoutMs} ms:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * Opens `url` (the query added) in a fresh context and waits until every `selectors` element
 * holds an answer; asserts each is alice logged in, and that the page threw nothing.
 */
async function expectLoggedIn(url, { selectors = ["#result"], screenshot, timeout = 30_000, extra } = {}) {
  const context = await browser.newContext();
  const errors = [];
  try {
    const page = await context.newPage();
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => { if (message.type() === "error") errors.push(`console: ${message.text()}`); });
    await page.goto(`${url}${url.includes("?") ? "&" : "?"}${query()}`);
    const results = {};
    for (const selector of selectors) {
      await page.waitForFunction((s) => {
        const text = document.querySelector(s)?.textContent;
        return text && text !== "pending";
      }, selector, { timeout }).catch((error) => {
        throw new Error(`${selector} never answered (${error.message}); page errors: ${JSON.stringify(errors)}`);
      });
      results[selector] = JSON.parse(await page.locator(selector).textContent());
    }
    if (screenshot) await page.screenshot({ path: screenshotPath(`eco-${screenshot}`) });
    for (const selector of selectors) assert.deepEqual(results[selector], EXPECTED, `${selector} on ${url}`);
    if (extra) await extra(page, results);
    assert.deepEqual(errors.filter((e) => !/favicon|404 \(Not Found\)/.test(e)), [], "the page reported no error");
    return results;
  } finally {
    await context.close();
  }
}

// ---- bundlers that build a JS entry -----------------------------------------------------------

describe("bundlers", { timeout: 600_000 }, () => {
  test("esbuild --bundle --format=esm", { timeout: 180_000 }, async () => {
    const dir = await prepare("esbuild");
    await tool(dir, "esbuild", ["src/main.js", "--bundle", "--format=esm", "--outfile=dist/main.js"]);
    const server = await serveDirectory(dir);
    try {
      await expectLoggedIn(`${server.url}index.html`, { screenshot: "esbuild" });
    } finally {
      await server.stop();
    }
  });

  test("Rollup with @rollup/plugin-node-resolve", { timeout: 180_000 }, async () => {
    const dir = await prepare("rollup");
    await tool(dir, "rollup", ["src/main.js", "-p", "node-resolve", "-f", "es", "-o", "dist/main.js"]);
    const server = await serveDirectory(dir);
    try {
      await expectLoggedIn(`${server.url}index.html`, { screenshot: "rollup" });
    } finally {
      await server.stop();
    }
  });

  test("webpack 5, zero config (webpack --mode production)", { timeout: 180_000 }, async () => {
    const dir = await prepare("webpack");
    await tool(dir, "webpack", ["--mode", "production"]);
    const server = await serveDirectory(dir);
    try {
      await expectLoggedIn(`${server.url}index.html`, { screenshot: "webpack" });
    } finally {
      await server.stop();
    }
  });

  test("Parcel: parcel build, then the parcel dev server", { timeout: 300_000 }, async () => {
    const dir = await prepare("parcel");
    await tool(dir, "parcel", ["build", "--log-level", "warn"]);
    const built = await serveDirectory(join(dir, "dist"));
    try {
      await expectLoggedIn(`${built.url}index.html`, { screenshot: "parcel-build" });
    } finally {
      await built.stop();
    }
    const port = await freePort();
    const dev = await serve(dir, "parcel", ["serve", "--port", String(port), "--host", "127.0.0.1", "--no-hmr", "--log-level", "warn"], port);
    try {
      await expectLoggedIn(`${dev.url}/`, { screenshot: "parcel-dev" });
    } finally {
      await dev.stop();
    }
  });
});

// ---- Vite: page and module worker, dev server and production build -------------------------

describe("Vite", { timeout: 300_000 }, () => {
  test("vite dev server: the page and a module worker", { timeout: 120_000 }, async () => {
    const dir = await prepare("vite");
    const port = await freePort();
    const dev = await serve(dir, "vite", ["--port", String(port), "--strictPort", "--host", "127.0.0.1"], port);
    try {
      await expectLoggedIn(`${dev.url}/`, { selectors: ["#result", "#worker"], screenshot: "vite-dev" });
    } finally {
      await dev.stop();
    }
  });

  test("vite build + vite preview: the page and the worker (an IIFE classic worker in the build)", { timeout: 120_000 }, async () => {
    const dir = join(WORK, "vite");
    await tool(dir, "vite", ["build", "--logLevel", "warn"]);
    const assets = await readdir(join(dir, "dist/assets"));
    assert.ok(assets.some((name) => /^worker-.*\.js$/.test(name)), `the worker was built (assets: ${assets.join(", ")})`);
    const port = await freePort();
    const preview = await serve(dir, "vite", ["preview", "--port", String(port), "--strictPort", "--host", "127.0.0.1"], port);
    try {
      await expectLoggedIn(`${preview.url}/`, { selectors: ["#result", "#worker"], screenshot: "vite-build" });
    } finally {
      await preview.stop();
    }
  });

  test("React 19 under StrictMode (effects run twice) on the vite dev server", { timeout: 120_000 }, async () => {
    const dir = await prepare("react");
    const port = await freePort();
    const dev = await serve(dir, "vite", ["--port", String(port), "--strictPort", "--host", "127.0.0.1"], port);
    try {
      await expectLoggedIn(`${dev.url}/`, { screenshot: "react-strict" });
    } finally {
      await dev.stop();
    }
  });
});

// ---- workers without a bundler, Node -----------------------------------------------------------

describe("plain page under a CSP, service worker and Node", { timeout: 300_000 }, () => {
  test("a plain page with CSP script-src 'self' 'wasm-unsafe-eval' logs in; without 'wasm-unsafe-eval' the import fails with the CSP error", { timeout: 60_000 }, async () => {
    const dir = await prepare("csp");
    const server = await serveDirectory(dir);
    try {
      await expectLoggedIn(`${server.url}wasm-unsafe-eval.html`, { screenshot: "csp" });
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const errors = [];
        page.on("pageerror", (error) => errors.push(error.message));
        await page.goto(`${server.url}self-only.html?${query()}`);
        await page.waitForFunction(() => document.readyState === "complete");
        await page.waitForTimeout(500);
        assert.equal(await page.locator("#result").textContent(), "pending", "nothing ran");
        // Chromium's message names 'unsafe-eval'; the README says 'wasm-unsafe-eval' is enough.
        assert.ok(errors.some((message) => /WebAssembly\.Module\(\).*Content Security/.test(message)), `the page threw the CSP error: ${JSON.stringify(errors)}`);
      } finally {
        await context.close();
      }
    } finally {
      await server.stop();
    }
  });

  test("a module service worker imports the package and logs in", { timeout: 60_000 }, async () => {
    const dir = await prepare("service-worker");
    const server = await serveDirectory(dir);
    try {
      await expectLoggedIn(`${server.url}index.html`, { screenshot: "service-worker" });
    } finally {
      await server.stop();
    }
  });

  for (const [label, script] of [["Node ESM (import)", "esm.mjs"], ["Node CommonJS (require)", "cjs.cjs"]]) {
    test(label, { timeout: 60_000 }, async () => {
      const dir = join(WORK, "node");
      if (script === "esm.mjs") await prepare("node");
      const args = [emulator.url, TEST_APP_ID, TEST_API_KEY, ALICE.email, ALICE.password];
      const { stdout } = await run(process.execPath, [script, ...args], { cwd: dir, timeoutMs: 30_000 });
      assert.deepEqual(JSON.parse(stdout.trim().split("\n").at(-1)), EXPECTED);
    });
  }
});

// ---- Next.js (App Router) ----------------------------------------------------------------------

/**
 * What the server component rendered (#server, or `#${id}`) for a request that names `user`: the
 * server's view of the session.
 */
async function expectServerView(url, expected, { id = "server", user = ALICE } = {}) {
  const html = await (await fetch(`${url}${url.includes("?") ? "&" : "?"}${query(user)}`)).text();
  const match = html.match(new RegExp(`<output id="${id}">([^<]*)</output>`));
  assert.ok(match, `the server component rendered #${id}:\n${html.slice(0, 2000)}`);
  const seen = JSON.parse(match[1].replaceAll("&quot;", '"'));
  assert.deepEqual(seen, expected, `#${id} on ${url} for ${user.email}`);
}

const NO_SESSION = { serverLogin: null, current: null, valid: false, token: null };

// app/standalone: the request's standalone instance has the user it logged in; another one, and
// the shared instance, have no session.
const standaloneView = (user) => ({
  standalone: { current: user.email, valid: true },
  another: { token: null },
  shared: { current: null, token: null },
});

/**
 * Next's dev overlay: a `nextjs-portal` element holds the dev tools' indicator from the start, so
 * its mere presence says nothing; an error shows as the issues badge ([data-issues]) or the
 * error dialog ([data-nextjs-dialog]) inside its shadow root.
 */
async function devOverlayIssues(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("nextjs-portal")].flatMap((portal) =>
      [...(portal.shadowRoot?.querySelectorAll("[data-issues], [data-nextjs-dialog]") ?? [])].map((element) => element.outerHTML.slice(0, 300))));
}

async function expectNextApp(base, label) {
  // Per-request sessions: each request's standalone instance logs in its user and keeps it while
  // the page renders; alice's and bob's requests at once each see their own, twice over.
  // First, before any other page has set up the server's shared instance.
  for (let i = 0; i < 2; i++) {
    await Promise.all([ALICE, BOB].map((user) => expectServerView(`${base}/standalone`, standaloneView(user), { id: "standalone", user })));
  }
  // The client component: prerendered on the server (the import runs there), logs in in the page.
  await expectLoggedIn(`${base}/client`, { screenshot: `next-${label}-client`, timeout: 90_000 });
  // The server component: logs in on the server, which keeps nothing of it; its client child
  // logs in in the page.
  await expectServerView(`${base}/server?serverLogin=1`, { ...NO_SESSION, serverLogin: ALICE.email });
  await expectLoggedIn(`${base}/server`, { screenshot: `next-${label}-server`, timeout: 90_000 });
  // Another request after both logins: the server still has no session.
  await expectServerView(`${base}/server`, NO_SESSION);
}

describe("Next.js", { timeout: 900_000 }, () => {
  let dir;
  before(async () => {
    dir = await prepare("next");
  }, { timeout: 300_000 });

  for (const [label, buildArgs] of [["turbopack", ["build"]], ["webpack", ["build", "--webpack"]]]) {
    test(`next ${buildArgs.join(" ")} + next start: client and server components, standalone instances`, { timeout: 400_000 }, async () => {
      await rm(join(dir, ".next"), { recursive: true, force: true });
      await tool(dir, "next", buildArgs, 360_000);
      const port = await freePort();
      const server = await serve(dir, "next", ["start", "-p", String(port), "-H", "127.0.0.1"], port);
      try {
        await expectNextApp(server.url, label);
      } finally {
        await server.stop();
      }
    });
  }

  test("next dev: client and server components, standalone instances, StrictMode's double initApp + login", { timeout: 300_000 }, async () => {
    await rm(join(dir, ".next"), { recursive: true, force: true });
    const port = await freePort();
    const server = await serve(dir, "next", ["dev", "-p", String(port), "-H", "127.0.0.1"], port, 180_000);
    try {
      await expectNextApp(server.url, "dev");
      // initApp + login in one effect, which StrictMode runs twice: both logins resolve with alice
      // (two runs prove StrictMode is on), and the dev overlay shows no issue.
      await expectLoggedIn(`${server.url}/strict`, {
        screenshot: "next-dev-strict",
        timeout: 90_000,
        extra: async (page) => {
          const runs = JSON.parse(await page.locator("#runs").textContent());
          assert.deepEqual(runs, [{ email: ALICE.email }, { email: ALICE.email }], "each run of the effect logged in");
          await page.waitForTimeout(1000); // the overlay shows an issue a moment after it happens
          assert.deepEqual(await devOverlayIssues(page), [], "Next's dev overlay shows no issue");
        },
      });
    } finally {
      await server.stop();
    }
  });
});
