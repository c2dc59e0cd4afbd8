// `npm run bench` measurements (started by scripts/bench.sh, which builds, starts the local
// server and passes it in the environment). Measures, in one run:
//   1. shipped size: ours vs the official bundle, raw / gzip -9 / brotli
//   2. call latency in headless Chromium: login and isValidLogin, ours vs official vs bare fetch
//   3. start-up: navigation → initApp returned / resolved getCurrentUser() with a stored session,
//      plain page and Vite build, over loopback and an emulated network (bench/startup.mjs)
//   4. hot paths: getCurrentUser() with the user in memory, LocalCache.get("user-token")
// Prints the tables and writes the raw figures as JSON (BENCH_RESULTS, default
// target/bench/results.json) for bench/report.mjs.
//
// Environment: EMULATOR_URL (required), BENCH_APP_ID, BENCH_API_KEY, BENCH_LOGIN, BENCH_PASSWORD,
// BENCH_CALLS (login calls, 500), BENCH_CHECK_CALLS (isValidLogin calls, 1000: its server side is
// cheap, so more calls are affordable and the SDK's own overhead shows more clearly),
// BENCH_WARMUP (20), BENCH_ROUNDS (5), BENCH_STARTUP_LOADS (30, per client over loopback),
// BENCH_STARTUP_SLOW_LOADS (10, per client over the emulated network),
// BENCH_HOT_CALLS (10000), BENCH_HOT_BATCHES (5), CHROMIUM (/usr/bin/chromium).
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { execFileSync } from "node:child_process";
import { launchBrowser } from "./browser.mjs";
import { GOAL_GZIP_BYTES, OFFICIAL_FILE, ROOT, SHIPPED_FILES, measureAll, readBudget } from "./size.mjs";
import { startStaticServer } from "./server.mjs";
import { SLOW_NETWORK, STARTUP_CLIENTS, STARTUP_LABEL, prepareStartupPages } from "./startup.mjs";

const env = process.env;
const config = {
  server: env.EMULATOR_URL,
  appId: env.BENCH_APP_ID ?? "BENCH-APP",
  apiKey: env.BENCH_API_KEY ?? "BENCH-KEY",
  login: env.BENCH_LOGIN ?? "bench@example.com",
  password: env.BENCH_PASSWORD ?? "benchpass",
};
const CALLS = Number(env.BENCH_CALLS ?? 500);
const CHECK_CALLS = Number(env.BENCH_CHECK_CALLS ?? 1000);
const CALLS_OF = { login: CALLS, isValidLogin: CHECK_CALLS };
const WARMUP = Number(env.BENCH_WARMUP ?? 20);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 5);
const STARTUP_LOADS = Number(env.BENCH_STARTUP_LOADS ?? 30);
const STARTUP_SLOW_LOADS = Number(env.BENCH_STARTUP_SLOW_LOADS ?? 10);
const HOT_CALLS = Number(env.BENCH_HOT_CALLS ?? 10_000);
const HOT_BATCHES = Number(env.BENCH_HOT_BATCHES ?? 5);
const RESULTS = env.BENCH_RESULTS ?? "target/bench/results.json";
const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync",
];
const CLIENTS = ["ours", "official", "fetch", "xhr"];
/** The hot paths have no bare-XHR form. */
const HOT_CLIENTS = ["ours", "official", "fetch"];
const SDKS = ["ours", "official"];
const LABEL = { ours: "backendless-wasm", official: "official backendless", fetch: "bare fetch / bare JS", xhr: "bare XMLHttpRequest" };

if (!config.server) throw new Error("EMULATOR_URL is not set (scripts/bench.sh starts the local server)");
if (CALLS % ROUNDS || CHECK_CALLS % ROUNDS) throw new Error("BENCH_CALLS and BENCH_CHECK_CALLS must be multiples of BENCH_ROUNDS");

// ---- statistics -------------------------------------------------------------------------------
const sorted = (values) => [...values].sort((a, b) => a - b);
/** Nearest-rank percentile. */
function percentile(values, p) {
  const s = sorted(values);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const median = (values) => {
  const s = sorted(values);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const fmt = (value, digits = 2) => value.toFixed(digits);
const bytes = (value) => value.toLocaleString("en-US");

function table(header, rows) {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => String(row[i]).length)));
  const line = (row) => row.map((cell, i) => String(cell).padEnd(widths[i])).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

const log = (...args) => console.error("[bench]", ...args);

// ---- snapshot of what is measured --------------------------------------------------------------
// Other work on this machine may rebuild pkg/ (or reinstall node_modules/) while the benchmark
// runs: everything is measured and served from a private copy taken here, checked to be whole.
const SNAPSHOT = env.BENCH_SNAPSHOT ?? join(ROOT, "target/bench/snapshot");
function copyOnce() {
  rmSync(SNAPSHOT, { recursive: true, force: true });
  for (const file of [...SHIPPED_FILES, OFFICIAL_FILE]) {
    mkdirSync(dirname(join(SNAPSHOT, file)), { recursive: true });
    cpSync(join(ROOT, file), join(SNAPSHOT, file));
  }
  const wasm = readFileSync(join(SNAPSHOT, "pkg/backendless_wasm_bg.wasm"));
  if (!WebAssembly.validate(wasm)) throw new Error("pkg/backendless_wasm_bg.wasm is not a valid module");
  // All files of one build: unchanged in pkg/ after the copy.
  for (const file of SHIPPED_FILES) {
    if (!readFileSync(join(ROOT, file)).equals(readFileSync(join(SNAPSHOT, file)))) throw new Error(`${file} changed while copying`);
  }
}

function takeSnapshot() {
  for (let attempt = 1; ; attempt++) {
    try {
      copyOnce();
      break;
    } catch (error) {
      // Another build is swapping pkg/ in: wait a little and copy again.
      if (attempt === 10) throw new Error(`could not take a consistent copy of pkg/: ${error.message}`);
      log(`pkg/ is being rebuilt (${error.message}); retrying`);
      execFileSync("sleep", ["1"]);
    }
  }
  // Which source the snapshot is of (taken right after scripts/build.sh).
  const git = (...args) => { try { return execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim(); } catch { return ""; } };
  return {
    commit: git("rev-parse", "--short", "HEAD") || "unknown",
    dirty: git("status", "--porcelain", "--", "src", "npm", "Cargo.toml", "Cargo.lock", "scripts", ":(exclude)scripts/bench.sh") !== "",
  };
}

// ---- 1. size ----------------------------------------------------------------------------------
function sizes() {
  const all = measureAll(SNAPSHOT);
  const budget = readBudget();
  return { ...all, budgetGzipBytes: budget.gzipBytes, goalGzipBytes: GOAL_GZIP_BYTES };
}

// ---- browser helpers --------------------------------------------------------------------------
async function openClient(browser, site, name) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site}/bench/page.html`);
  await page.waitFor(() => window.bench !== undefined).catch((error) => {
    throw new Error(`${name}: bench page did not load: ${error.message}`);
  });
  const info = await page.evaluate((cfg) => window.bench.setup(cfg), { ...config, client: name });
  return { name, context, page, info };
}

async function emulator(method, path) {
  const response = await fetch(`${config.server}/__emulator/${path}`, { method });
  if (!response.ok) throw new Error(`${method} /__emulator/${path}: ${response.status}`);
  return response.json();
}

const BROWSER_HEADERS = new Set(["host", "connection", "user-agent", "origin", "referer", "accept-encoding",
  "accept-language", "content-length"]);

/** Whether every client sent the same requests as ours (method, path, headers, body). */
function sameRequests(requests) {
  const key = (list) => JSON.stringify(list);
  return CLIENTS.every((name) => key(requests[name]) === key(requests.ours));
}

/** What a request looked like on the wire, minus what the browser adds by itself. */
function wire(entry) {
  const headers = Object.keys(entry.headers ?? {})
    .filter((name) => !BROWSER_HEADERS.has(name) && !name.startsWith("sec-"))
    .sort()
    .map((name) => (name === "user-token" ? name : `${name}: ${entry.headers[name]}`));
  return {
    request: `${entry.method} ${entry.path.replace(/[0-9A-F]{8}-[0-9A-F-]{27}$/i, "{token}").replace(/^\/[^/]+\/[^/]+\//, "{base}/")}`,
    headers: headers.join(", "),
    body: entry.body === null || entry.body === undefined ? "" : JSON.stringify(entry.body),
  };
}

// ---- 2. latency + 4. hot paths ------------------------------------------------------------------
async function latencyAndHot(browser, site) {
  const pages = {};
  for (const name of CLIENTS) pages[name] = await openClient(browser, site, name);
  const isolated = Object.values(pages).every((p) => p.info.crossOriginIsolated);

  // The request each client sends, from the server's request log.
  const requests = {};
  for (const name of CLIENTS) {
    await emulator("DELETE", "requests");
    await pages[name].page.evaluate(() => window.bench.run("login", 1));
    await pages[name].page.evaluate(() => window.bench.run("isValidLogin", 1));
    requests[name] = (await emulator("GET", "requests")).map(wire);
  }

  const latency = {};
  const phases = {};
  // Each round's block median per client: the paired ratios (ours over bare fetch, round by round).
  const blocks = {};
  for (const operation of ["login", "isValidLogin"]) {
    latency[operation] = Object.fromEntries(CLIENTS.map((name) => [name, []]));
    phases[operation] = Object.fromEntries(CLIENTS.map((name) => [name, []]));
    blocks[operation] = Object.fromEntries(CLIENTS.map((name) => [name, []]));
    for (const name of CLIENTS) await pages[name].page.evaluate(([op, n]) => window.bench.run(op, n), [operation, WARMUP]);
    // Interleaved rounds, order rotated, so drift from the shared machine hits every client alike.
    for (let round = 0; round < ROUNDS; round++) {
      const order = CLIENTS.map((_, i) => CLIENTS[(i + round) % CLIENTS.length]);
      for (const name of order) {
        const block = await pages[name].page.evaluate(([op, n]) => window.bench.run(op, n), [operation, CALLS_OF[operation] / ROUNDS]);
        latency[operation][name].push(...block.samples);
        blocks[operation][name].push(median(block.samples));
        if (block.phases) phases[operation][name].push(...block.phases);
      }
    }
    log(`latency ${operation}: done`);
  }

  const hot = {};
  for (const name of HOT_CLIENTS) {
    hot[name] = await pages[name].page.evaluate(([n, b]) => window.bench.hot(n, b), [HOT_CALLS, HOT_BATCHES]);
  }
  log("hot paths: done");
  for (const { context } of Object.values(pages)) await context.close();
  return { latency, phases, blocks, hot, requests, crossOriginIsolated: isolated };
}

// ---- 3. start-up --------------------------------------------------------------------------------
// Pages and builds: bench/startup.mjs. Every (page, network) block alternates the clients load by
// load, so drift from the shared machine hits them alike.
async function startup(browser, site, paths) {
  // A real session for the stored-session page loads.
  const response = await fetch(`${config.server}/${config.appId}/${config.apiKey}/users/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login: config.login, password: config.password }),
  });
  const user = await response.json();
  if (!response.ok) throw new Error(`start-up: login failed: ${JSON.stringify(user)}`);
  const stored = JSON.stringify({ stayLoggedIn: true, "user-token": user["user-token"], "current-user-id": user.objectId });
  const storageKey = `Backendless_${config.appId}`;
  const query = new URLSearchParams({ server: config.server, app: config.appId, key: config.apiKey });

  const results = {};
  const WARM_LOADS = 2;
  for (const [network, loads] of [["loopback", STARTUP_LOADS], ["emulated", STARTUP_SLOW_LOADS]]) {
    for (const [pageName, clients] of Object.entries(STARTUP_CLIENTS)) {
      const block = (results[`${pageName}/${network}`] = Object.fromEntries(clients.map((name) => [name, []])));
      for (let i = 0; i < loads + WARM_LOADS; i++) {
        const order = clients.map((_, k) => clients[(k + i) % clients.length]);
        for (const name of order) {
          const context = await browser.newContext();
          await context.addInitScript(([key, value]) => {
            try { localStorage.setItem(key, value); } catch {}
          }, [storageKey, stored]);
          const page = await context.newPage();
          if (network === "emulated") await page.emulateNetwork(SLOW_NETWORK);
          await page.goto(`${site}${paths[pageName][name]}?${query}`);
          await page.waitFor(() => window.__startup !== undefined, { timeout: 60_000 });
          const result = await page.evaluate(() => window.__startup);
          await context.close();
          const label = `start-up ${pageName}/${network} ${name}`;
          if (result.error) throw new Error(`${label}: ${result.error}`);
          if (result.objectId !== user.objectId) throw new Error(`${label}: getCurrentUser gave ${result.objectId}`);
          if (i >= WARM_LOADS) block[name].push(result);
        }
      }
      log(`start-up ${pageName}/${network}: done`);
    }
  }
  return results;
}

// ---- summary + printing -------------------------------------------------------------------------
function summarise(raw) {
  const latency = {};
  for (const [operation, byClient] of Object.entries(raw.latency)) {
    latency[operation] = {};
    for (const [name, samples] of Object.entries(byClient)) {
      const split = raw.phases[operation][name];
      latency[operation][name] = { n: samples.length, median: median(samples), p95: percentile(samples, 95),
        mean: samples.reduce((a, b) => a + b, 0) / samples.length,
        // Median of each phase on its own (so they need not add up to the median), or null when
        // the Resource Timing entries did not match the calls one to one.
        phases: split.length === samples.length ? [0, 1, 2].map((k) => median(split.map((p) => p[k]))) : null,
        // The client's own time per call, network and server taken out: before the request
        // starts plus after the response ends, summed per call, then the median.
        client: split.length === samples.length ? median(split.map((p) => p[0] + p[2])) : null };
    }
    const l = latency[operation];
    latency[operation].ratios = {
      oursOverFetchMedian: l.ours.median / l.fetch.median, oursOverFetchP95: l.ours.p95 / l.fetch.p95,
      oursOverOfficialMedian: l.ours.median / l.official.median, oursOverOfficialP95: l.ours.p95 / l.official.p95,
      officialOverFetchMedian: l.official.median / l.fetch.median,
      oursOverXhrMedian: l.ours.median / l.xhr.median, officialOverXhrMedian: l.official.median / l.xhr.median,
      oursOverOfficialClient: l.ours.client && l.official.client ? l.ours.client / l.official.client : null,
    };
    // Paired blocks: in each interleaved round, ours' block median over bare fetch's; the median
    // and the spread of those ratios.
    const rounds = raw.blocks[operation];
    const paired = rounds.ours.map((ours, round) => ours / rounds.fetch[round]);
    latency[operation].paired = { n: paired.length, median: median(paired), min: Math.min(...paired), max: Math.max(...paired) };
  }
  const startup = {};
  for (const [row, byClient] of Object.entries(raw.startup)) {
    startup[row] = {};
    for (const [name, loads] of Object.entries(byClient)) {
      const ready = loads.map((l) => l.ready);
      const current = loads.map((l) => l.currentUser);
      startup[row][name] = { n: loads.length, readyMedian: median(ready), readyP95: percentile(ready, 95),
        currentUserMedian: median(current), currentUserP95: percentile(current, 95) };
    }
  }
  const hot = {};
  for (const [name, { currentUser, cacheGet }] of Object.entries(raw.hot)) {
    hot[name] = { calls: HOT_CALLS * HOT_BATCHES, currentUserUs: median(currentUser), cacheGetUs: median(cacheGet) };
  }
  return { latency, startup, hot };
}

function printAll(size, summary, requests, isolated) {
  const out = [];
  out.push("1. Shipped size (bytes; each file compressed on its own: gzip -9, brotli q11)");
  const row = (r, label = r.file) => [label, bytes(r.raw), bytes(r.gzip), bytes(r.brotli)];
  out.push(table(["file", "raw", "gzip", "brotli"], [
    ...size.files.map((r) => row(r)),
    row(size.budgeted, "ours: wasm + glue (budgeted)"),
    row(size.shipped, "ours: wasm + glue + entry"),
    row(size.official, "official: backendless.min.js"),
  ]));
  const over = size.budgeted.gzip - size.goalGzipBytes;
  out.push(`budget: wasm + glue ${bytes(size.budgeted.gzip)} B gzip vs goal ${bytes(size.goalGzipBytes)} B: ` +
    `${over > 0 ? `OVER by ${bytes(over)} B` : `under by ${bytes(-over)} B`}; regression ceiling ` +
    `${bytes(size.budgetGzipBytes)} B (size-budget.json): ${size.budgeted.gzip <= size.budgetGzipBytes ? "ok" : "EXCEEDED"}; ` +
    `ours (with entry) is ${fmt((100 * size.shipped.gzip) / size.official.gzip, 0)}% of the official bundle's gzip`);
  out.push("");
  out.push(`2. Call latency, headless Chromium, ${CALLS} (login) / ${CHECK_CALLS} (isValidLogin) sequential calls per client after ${WARMUP} warm-up ` +
    `(ms; performance.now() ${isolated ? "5 µs" : "100 µs"} resolution)`);
  for (const [operation, l] of Object.entries(summary.latency)) {
    out.push(table([operation, "median", "p95", "mean"], CLIENTS.map((name) =>
      [LABEL[name], fmt(l[name].median, 3), fmt(l[name].p95, 3), fmt(l[name].mean, 3)])));
    out.push("where the time goes (medians, ms): before the request starts / request start → response end / response end → resolved; client side (before + after, per call)");
    for (const name of CLIENTS) {
      const p = l[name].phases;
      out.push(`  ${LABEL[name].padEnd(20)}  ${p ? p.map((v) => fmt(v, 3)).join(" / ") : "n/a"}; ${l[name].client === null ? "n/a" : fmt(l[name].client, 3)}`);
    }
    const r = l.ratios;
    out.push(`ours/fetch: ${fmt(r.oursOverFetchMedian, 3)}× median, ${fmt(r.oursOverFetchP95, 3)}× p95 (goal ≤ 1.05×); ` +
      `ours/official: ${fmt(r.oursOverOfficialMedian, 3)}× median, ${fmt(r.oursOverOfficialP95, 3)}× p95 (goal < 1); ` +
      `over bare XHR: ours ${fmt(r.oursOverXhrMedian, 3)}×, official ${fmt(r.officialOverXhrMedian, 3)}×; ` +
      `client side ours/official: ${r.oursOverOfficialClient === null ? "n/a" : `${fmt(r.oursOverOfficialClient, 3)}×`}`);
    out.push(`paired blocks, ours/fetch per round (${l.paired.n} rounds): median ${fmt(l.paired.median, 3)}×, ` +
      `spread ${fmt(l.paired.min, 3)}–${fmt(l.paired.max, 3)}×`);
    out.push("");
  }
  out.push("3. Start-up: navigation start → initApp returned / → getCurrentUser() resolved (stored session), fresh context per load (ms)");
  const startupRows = [];
  for (const [row, byClient] of Object.entries(summary.startup)) {
    for (const [name, st] of Object.entries(byClient)) {
      startupRows.push([row, STARTUP_LABEL[name], String(st.n), fmt(st.readyMedian, 1), fmt(st.readyP95, 1), fmt(st.currentUserMedian, 1), fmt(st.currentUserP95, 1)]);
    }
  }
  out.push(table(["page/network", "client", "loads", "ready median", "ready p95", "getCurrentUser median", "getCurrentUser p95"], startupRows));
  out.push(Object.entries(summary.startup).map(([row, c]) =>
    `${row}: ours/official ${fmt(c.ours.readyMedian / c.official.readyMedian)}× ready, ${fmt(c.ours.currentUserMedian / c.official.currentUserMedian)}× getCurrentUser`).join("; "));
  out.push("");
  out.push(`4. Hot paths (µs per call, median of ${HOT_BATCHES} batches of ${HOT_CALLS} calls)`);
  out.push(table(["client", "await getCurrentUser() (in memory)", 'LocalCache.get("user-token")'],
    HOT_CLIENTS.map((name) => [LABEL[name], fmt(summary.hot[name].currentUserUs, 3), fmt(summary.hot[name].cacheGetUs, 3)])));
  out.push(`ours/official: ${fmt(summary.hot.ours.currentUserUs / summary.hot.official.currentUserUs)}× getCurrentUser, ` +
    `${fmt(summary.hot.ours.cacheGetUs / summary.hot.official.cacheGetUs)}× LocalCache.get`);
  out.push("");
  out.push(`Requests as the server saw them (login, then isValidLogin; browser-added headers left out): ` +
    `${sameRequests(requests) ? "identical for all three clients" : "THEY DIFFER between clients"}`);
  out.push(table(["client", "request", "headers", "body"], CLIENTS.flatMap((name) =>
    requests[name].map((r) => [name, r.request, r.headers, r.body]))));
  return out.join("\n");
}

// ---- main ---------------------------------------------------------------------------------------
const began = Date.now();
// A client that never answers must not hang the benchmark (Chromium exits when its debugging pipe
// closes with this process).
const TIMEOUT_S = Number(env.BENCH_TIMEOUT_S ?? 600);
setTimeout(() => {
  console.error(`[bench] the browser measurements took longer than ${TIMEOUT_S} s: giving up`);
  process.exit(2);
}, TIMEOUT_S * 1000).unref();
const build = takeSnapshot();
const size = sizes();
const startupPaths = await prepareStartupPages(SNAPSHOT);
const site = await startStaticServer(SNAPSHOT);
const browser = await launchBrowser({ executablePath: env.CHROMIUM ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
let raw;
try {
  const { latency, phases, blocks, hot, requests, crossOriginIsolated } = await latencyAndHot(browser, site.url);
  const startupLoads = await startup(browser, site.url, startupPaths);
  raw = { latency, phases, blocks, hot, startup: startupLoads, requests, crossOriginIsolated };
} finally {
  await browser.close();
  await site.close();
}
const summary = summarise(raw);
const results = {
  date: new Date().toISOString(),
  seconds: (Date.now() - began) / 1000,
  browser: browser.version,
  build,
  settings: { CALLS, CHECK_CALLS, WARMUP, ROUNDS, STARTUP_LOADS, STARTUP_SLOW_LOADS, SLOW_NETWORK, HOT_CALLS, HOT_BATCHES, crossOriginIsolated: raw.crossOriginIsolated },
  size,
  summary,
  requests: raw.requests,
  sameRequests: sameRequests(raw.requests),
  raw: { latency: raw.latency, phases: raw.phases, startup: raw.startup, hot: raw.hot },
};
results.text = printAll(size, summary, raw.requests, raw.crossOriginIsolated);
mkdirSync(dirname(RESULTS), { recursive: true });
writeFileSync(RESULTS, JSON.stringify(results, null, 1));
console.log(results.text);
log(`browser measurements took ${fmt(results.seconds, 1)} s; figures in ${RESULTS}`);
