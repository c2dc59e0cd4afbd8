// The release package as a web developer meets it: `npm pack` of pkg/, installed into a scratch
// app, used from a plain <script type="module"> page, from a Vite app (built and dev-served), and
// from TypeScript; plus `npm start` starting and stopping cleanly.
//
//   npm run build && BACKENDLESS_EMULATOR_URL=http://127.0.0.1:PORT node --test tests/node/package.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, openSync } from "node:fs";
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  TEST_APP_ID,
  TEST_API_KEY,
  freePort,
  killGroup,
  launchChromium,
  portInUse,
  registerUser,
  repoRoot,
  run,
  screenshotPath,
  serveDirectory,
  spawnUntilLine,
  uniqueEmail,
  useEmulator,
  waitForExit,
} from "./lib/harness.mjs";

const PACKAGE_FILES = [
  "package/package.json",
  "package/index.js",
  "package/index.cjs",
  "package/node.js",
  "package/node.cjs",
  "package/server.js",
  "package/index.d.ts",
  "package/README.md",
  "package/LICENSE",
];

let emulator;
let browser;
let scratch; // os.tmpdir()/backendless-wasm-package-…: the tarball and the scratch app
let tarball;
let app; // scratch app with the tarball installed
const user = { email: uniqueEmail("package"), password: "package password" };

before(async () => {
  emulator = await useEmulator();
  scratch = await mkdtemp(join(tmpdir(), "backendless-wasm-package-"));
  tarball = await packPkg(scratch);
  app = join(scratch, "app");
  await installTarball(app, tarball);
  await registerUser(emulator.url, user);
  browser = await launchChromium();
}, { timeout: 90_000 });

after(async () => {
  await browser?.close();
  await emulator?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
}, { timeout: 30_000 });

/** `npm pack pkg/` into `dir`; resolves with the tarball's path. */
async function packPkg(dir) {
  const { stdout } = await run("npm", ["pack", join(repoRoot, "pkg"), "--pack-destination", dir, "--json", "--loglevel=error"], { timeoutMs: 60_000 });
  const [{ filename }] = JSON.parse(stdout);
  return join(dir, filename);
}

/** A scratch app (no dependencies of its own) with the tarball installed, offline. */
async function installTarball(dir, tgz) {
  await cp(join(repoRoot, "tests/e2e/plain-page"), dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "scratch-app", private: true, type: "module" }, null, 2));
  await run("npm", ["install", tgz, "--no-audit", "--no-fund", "--offline", "--loglevel=error"], { cwd: dir, timeoutMs: 60_000 });
}

function serverParams(extra = {}) {
  return new URLSearchParams({ server: emulator.url, appId: TEST_APP_ID, apiKey: TEST_API_KEY, login: user.email, password: user.password, ...extra });
}

async function newPage(context) {
  const page = await context.newPage();
  page.pageErrors = [];
  page.on("pageerror", (error) => page.pageErrors.push(error.message));
  return page;
}

/** Waits for `predicate` in the page, failing at once (not at the timeout) if the page throws. */
function waitInPage(page, predicate) {
  let onError;
  const pageFailed = new Promise((_, reject) => {
    onError = (error) => reject(new Error(`the page threw: ${error.message ?? error}`));
    page.on("pageerror", onError);
    if (page.pageErrors.length > 0) onError(page.pageErrors[0]); // thrown while loading
  });
  return Promise.race([page.waitForFunction(predicate, null, { timeout: 15_000 }), pageFailed])
    .finally(() => page.off("pageerror", onError));
}

/** Drives the Vite app's page: the docs' login sample must log the user in. */
async function expectViteAppLogsIn(baseUrl, screenshotName) {
  const context = await browser.newContext();
  try {
    const page = await newPage(context);
    await page.goto(`${baseUrl}?${serverParams()}`);
    await waitInPage(page, () => document.getElementById("result").textContent !== "pending");
    const result = JSON.parse(await page.locator("#result").textContent());
    assert.equal(result.error, undefined, `login failed: ${JSON.stringify(result)}`);
    assert.equal(result.email, user.email);
    assert.match(result.token, /^[0-9A-F-]{36}$/);
    assert.equal(result.storedToken, result.token, "login(…, true) stored the session");
    assert.equal(result.namedExportsMatch, true);
    assert.equal(result.businessLogic, "undefined", "a browser build gets the browser entry, without business logic's calls");
    assert.deepEqual(page.pageErrors, []);
    await page.screenshot({ path: screenshotPath(screenshotName) });
  } finally {
    await context.close();
  }
}

describe("npm package", { timeout: 120_000 }, () => {
  test("npm pack holds the entry modules (ESM, CommonJS, Node ESM and CommonJS, server), their types, README, LICENSE and package.json, and nothing else", { timeout: 20_000 }, async () => {
    const { stdout } = await run("tar", ["tzf", tarball]);
    const entries = stdout.split("\n").filter(Boolean);
    assert.deepEqual([...entries].sort(), [...PACKAGE_FILES].sort(), "the tarball holds exactly these files");

    const installed = join(app, "node_modules/backendless-wasm");
    const manifest = JSON.parse(await readFile(join(installed, "package.json"), "utf8"));
    assert.equal(manifest.name, "backendless-wasm");
    assert.equal(manifest.type, "module");
    assert.deepEqual(Object.keys(manifest.dependencies ?? {}), [], "the package has no runtime dependencies");
    // The fields tools read: TypeScript wants "types" first among the export conditions.
    assert.equal(Object.keys(manifest.exports["."])[0], "types");
    assert.equal(manifest.license, "MIT");
    assert.ok(manifest.repository?.url, "repository.url is set");
    assert.equal(typeof manifest.sideEffects, "boolean");
    assert.ok(manifest.engines?.node, "engines.node is set");
    assert.ok(Array.isArray(manifest.files), "files lists what ships");
    // Every file the manifest points at was shipped and is not empty.
    const conditions = manifest.exports["."];
    // A condition's value is a file, or conditions nested under it ("node": { import, require }).
    const files = (value) => (typeof value == "string" ? [value] : Object.values(value).flatMap(files));
    const pointedAt = [manifest.main, manifest.module, manifest.types, ...files(conditions), ...files(manifest.exports["./server"])];
    for (const file of new Set(pointedAt)) {
      assert.ok((await stat(join(installed, file))).size > 0, `${file} (named in package.json) is shipped and not empty`);
    }
    const declarations = await readFile(join(installed, manifest.types), "utf8");
    assert.match(declarations, /export default Backendless/);
  });

  test("a TypeScript app type-checks against the installed package", { timeout: 60_000 }, async () => {
    await writeFile(join(app, "tsconfig.json"), JSON.stringify({
      compilerOptions: { target: "es2022", module: "esnext", moduleResolution: "bundler", strict: true, noEmit: true, skipLibCheck: false, lib: ["es2022", "dom"] },
      files: ["check.ts"],
    }));
    await writeFile(join(app, "check.ts"), [
      'import Backendless, { UserService, type User, type BackendlessError } from "backendless-wasm";',
      'Backendless.initApp("APP", "KEY");',
      'const user: User = await UserService.login("a@b.c", "pw", true);',
      "const id: string = user.objectId;",
      "const valid: boolean = await Backendless.UserService.isValidLogin({ timeout: 5000 });",
      "const current: User | null = await Backendless.UserService.getCurrentUser();",
      "const stop: () => void = Backendless.UserService.addSessionListener((u: User | null) => void u);",
      'const token = Backendless.LocalCache.get("user-token");',
      "function onError(err: BackendlessError) { return [err.code, err.statusCode, err.status, err.message]; }",
      "// The declarations are real, not `any`: a wrong call must not compile.",
      "// @ts-expect-error login takes strings",
      "UserService.login(42);",
      "export { id, valid, current, stop, token, onError };",
    ].join("\n"));
    await run(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: app, timeoutMs: 50_000 });
  });

  test("a plain <script type=module> page runs the README's login sample, then restores after a reload", { timeout: 30_000 }, async () => {
    const server = await serveDirectory(app);
    const context = await browser.newContext();
    try {
      const page = await newPage(context);
      await page.goto(`${server.url}index.html?${serverParams({ step: "login" })}`);
      await waitInPage(page, () => document.getElementById("done").textContent === "yes");
      const loginLines = (await page.locator("#log").textContent()).split("\n");
      assert.match(loginLines[0], /^error message - Invalid login or password/);
      assert.deepEqual(loginLines.slice(1), ["error code - 3003", "user has logged in", `email - ${user.email}`]);

      await page.goto(`${server.url}index.html?${serverParams({ step: "reload" })}`);
      await waitInPage(page, () => document.getElementById("done").textContent === "yes");
      assert.deepEqual((await page.locator("#log").textContent()).split("\n"), [
        "stored id matches - true",
        "stored token matches - true",
        `current user - ${user.email}`,
      ]);
      assert.deepEqual(page.pageErrors, []);
      await page.screenshot({ path: screenshotPath("10-plain-page") });
    } finally {
      await context.close();
      await server.stop();
    }
  });

  test("a page loads the SDK in one request (index.js, the wasm inlined): no .wasm or glue fetch follows", { timeout: 30_000 }, async () => {
    const server = await serveDirectory(app);
    const context = await browser.newContext();
    try {
      const page = await newPage(context);
      const requested = [];
      page.on("request", (request) => requested.push(new URL(request.url()).pathname));
      await page.goto(`${server.url}index.html?${serverParams({ step: "login" })}`);
      await waitInPage(page, () => document.getElementById("done").textContent === "yes");
      assert.deepEqual((await page.locator("#log").textContent()).split("\n").slice(-2), ["user has logged in", `email - ${user.email}`]);
      const sdk = requested.filter((path) => path.startsWith("/node_modules/"));
      assert.deepEqual(sdk, ["/node_modules/backendless-wasm/index.js"]);
      assert.deepEqual(page.pageErrors, []);
    } finally {
      await context.close();
      await server.stop();
    }
  });

  test("a Vite app importing \"backendless-wasm\" builds, and its production build logs in", { timeout: 60_000 }, async () => {
    const { build, preview } = await import("vite");
    const root = join(app, "vite-app");
    await cp(join(repoRoot, "tests/e2e/vite-app"), root, { recursive: true });
    const outDir = join(root, "dist");
    await build({ root, configFile: false, logLevel: "silent", build: { outDir, emptyOutDir: true } });
    const assets = await readdir(join(outDir, "assets"));
    // The wasm travels inside the package's one entry file: the build is one JS chunk, no .wasm asset.
    assert.deepEqual(assets.filter((name) => !name.endsWith(".js")), [], `only JS was emitted (assets: ${assets.join(", ")})`);

    const server = await preview({ root, configFile: false, logLevel: "silent", build: { outDir }, preview: { host: "127.0.0.1", port: 0, open: false } });
    try {
      await expectViteAppLogsIn(server.resolvedUrls.local[0], "11-vite-build");
    } finally {
      await server.close();
    }
  });

  test("the same Vite app works on the Vite dev server", { timeout: 60_000 }, async () => {
    const { createServer } = await import("vite");
    const root = join(app, "vite-app");
    const server = await createServer({
      root,
      configFile: false,
      logLevel: "silent",
      cacheDir: join(app, ".vite-cache"),
      server: { host: "127.0.0.1", port: 0, hmr: false },
    });
    await server.listen();
    try {
      await expectViteAppLogsIn(server.resolvedUrls.local[0], "12-vite-dev");
    } finally {
      await server.close();
    }
  });

  test("importing the installed package in Node, and logging in from there", { timeout: 20_000 }, async () => {
    // SSR and test runners import the package in Node; the session then lives in memory.
    await writeFile(join(app, "node-import.mjs"), [
      'import Backendless from "backendless-wasm";',
      "const [server, appId, apiKey, login, password] = process.argv.slice(2);",
      "Backendless.serverURL = server;",
      "Backendless.initApp(appId, apiKey);",
      "const user = await Backendless.UserService.login(login, password);",
      "// A server's per-request instances: no warning of their own.",
      "for (let i = 0; i < 3; i++) Backendless.initApp({ appId, apiKey, standalone: true });",
      "// The \"node\" condition's entry: business logic's calls are there (under import and require).",
      'const cjs = (await import("node:module")).createRequire(import.meta.url)("backendless-wasm");',
      "const businessLogic = [Backendless, cjs].map((sdk) => typeof sdk.UserService.verifyPassword);",
      "console.log(JSON.stringify({ email: user.email, valid: await Backendless.UserService.isValidLogin(), businessLogic }));",
    ].join("\n"));
    const args = [emulator.url, TEST_APP_ID, TEST_API_KEY, user.email, user.password];
    const { stdout, stderr } = await run(process.execPath, ["node-import.mjs", ...args], { cwd: app, timeoutMs: 15_000 });
    assert.deepEqual(JSON.parse(stdout.trim().split("\n").at(-1)), { email: user.email, valid: true, businessLogic: ["function", "function"] });
    // The shared instance says once that the session lives in memory; the standalone ones do not repeat it.
    assert.equal(stderr.match(/kept in memory only/g)?.length, 1, stderr);
  });

  test("the server entry (backendless-wasm/server): the shared instance reads no session, a standalone one keeps its own", { timeout: 20_000 }, async () => {
    await writeFile(join(app, "server-entry.mjs"), [
      'import Backendless from "backendless-wasm/server";',
      "const [server, appId, apiKey, login, password] = process.argv.slice(2);",
      "Backendless.initApp({ appId, apiKey, serverURL: server });",
      "const own = Backendless.initApp({ appId, apiKey, serverURL: server, standalone: true });",
      "const user = await own.UserService.login(login, password);",
      "const { UserService } = Backendless;",
      "console.log(JSON.stringify({",
      "  shared: [UserService.getCurrentUserToken(), UserService.getCurrentUserId(), UserService.currentUser, await UserService.getCurrentUser()],",
      "  own: [own.UserService.getCurrentUserId() === user.objectId, (await own.UserService.getCurrentUser()).email, user instanceof Backendless.User],",
      "  storageName: Backendless.LocalCache.storageName,",
      "}));",
    ].join("\n"));
    const args = [emulator.url, TEST_APP_ID, TEST_API_KEY, user.email, user.password];
    const { stdout } = await run(process.execPath, ["server-entry.mjs", ...args], { cwd: app, timeoutMs: 15_000 });
    assert.deepEqual(JSON.parse(stdout.trim().split("\n").at(-1)), {
      shared: [null, null, null, null],
      own: [true, user.email, true],
      storageName: `Backendless_${TEST_APP_ID}`,
    });
  });
});

// ---- npm start -----------------------------------------------------------------------------

/** PIDs still alive in a process group. */
async function processesInGroup(groupId) {
  const { stdout } = await run("ps", ["-eo", "pid=,pgid="]);
  return stdout.split("\n").map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([pid, pgid]) => pgid === groupId && pid).map(([pid]) => pid);
}

/** What the README tells a newcomer to do: open the page, log in as alice. */
async function logInOnDemoPage(demoUrl) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  try {
    const page = await newPage(context);
    await page.goto(demoUrl);
    // The page instantiates the wasm first; typing before it is wired would race it.
    await page.waitForSelector("html[data-ready=true]", { timeout: 30_000 });
    await page.fill("#login-identity", "alice@yourmail.com");
    await page.fill("#login-password", "wonderland");
    await page.press("#login-password", "Enter");
    try {
      await waitInPage(page, () => document.getElementById("session-status-text").textContent === "Logged in as alice@yourmail.com");
    } finally {
      await page.screenshot({ path: screenshotPath("13-npm-start-alice"), fullPage: true });
    }
  } finally {
    await context.close();
  }
}

describe("npm start", { timeout: 200_000 }, () => {
  test("prints the URLs, serves the demo pointed at its local server, and Ctrl-C stops everything", { timeout: 190_000 }, async () => {
    const emulatorPort = await freePort();
    const demoPort = await freePort();
    const dbDir = await mkdtemp(join(tmpdir(), "backendless-wasm-start-"));
    // stderr goes to a file, not a pipe: start.sh hands the server `2>/dev/stderr`, which cannot
    // be opened when stderr is a socket (what Node's pipes are).
    const stderrFile = join(dbDir, "stderr.log");
    const stderr = openSync(stderrFile, "w");
    // Its own process group, so that "Ctrl-C" reaches every process in it, as in a terminal.
    const started = spawnUntilLine("bash", ["scripts/start.sh"], {
      cwd: repoRoot,
      detached: true,
      stdio: ["ignore", "pipe", stderr],
      pattern: /demo on (http:\/\/\S+\/)[\s\S]*local server: (http:\/\/\S+)|local server: (http:\/\/\S+)[\s\S]*demo on (http:\/\/\S+\/)/,
      timeoutMs: 170_000, // it builds first (a no-op when the build is fresh)
      env: { ...process.env, EMULATOR_PORT: String(emulatorPort), DEMO_PORT: String(demoPort), EMULATOR_DB: join(dbDir, "start.db") },
    });
    closeSync(stderr); // the child holds its own copy
    let child;
    try {
      const { child: startProcess, match } = await started.catch(async (error) => {
        error.message += `\nstderr:\n${await readFile(stderrFile, "utf8")}`;
        throw error;
      });
      child = startProcess;
      const demoUrl = match[1] ?? match[4];
      const serverUrl = match[2] ?? match[3];
      assert.equal(demoUrl, `http://127.0.0.1:${demoPort}/`);
      assert.equal(serverUrl, `http://127.0.0.1:${emulatorPort}`);

      const page = await fetch(demoUrl);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>backendless-wasm demo<\/title>/);
      const config = await (await fetch(`${demoUrl}emulator.json`)).json();
      assert.deepEqual(config, { url: serverUrl, appId: "LOCAL-APP-ID", apiKey: "LOCAL-API-KEY", oauthProvider: "github" });
      // The provider the demo's button names is the one the server runs.
      const account = await fetch(`${serverUrl}/oauth-provider/${config.oauthProvider}/accounts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "demo-check@example.test", name: "Demo check" }),
      });
      assert.equal(account.status, 200, "the local identity provider of npm start");
      const login = await fetch(`${serverUrl}/LOCAL-APP-ID/LOCAL-API-KEY/users/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ login: "alice@yourmail.com", password: "wonderland" }),
      });
      assert.equal(login.status, 200, "the seeded demo user can log in");
      await logInOnDemoPage(demoUrl);

      process.kill(-child.pid, "SIGINT");
      const exit = await waitForExit(child, 15_000);
      assert.deepEqual(exit, { code: 0, signal: null }, "npm start exits cleanly on Ctrl-C");
      assert.equal(await portInUse(demoPort), false, "the demo port is free after Ctrl-C");
      assert.equal(await portInUse(emulatorPort), false, "the local server's port is free after Ctrl-C");
      assert.deepEqual(await processesInGroup(child.pid), [], "no process of npm start is left");
    } finally {
      if (child) {
        killGroup(child, "SIGKILL"); // whatever is left (only when the test already failed)
      } else {
        await started.catch(() => {});
      }
      await rm(dbDir, { recursive: true, force: true });
    }
  });
});
