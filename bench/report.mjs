// Writes BENCHMARKS.md from bench/BENCHMARKS.template.md, the figures of bench/run.mjs
// (target/bench/results.json) and the local server's load benchmark output, keeping the
// "Local server" section of the existing BENCHMARKS.md (the emulator's maintainer writes it)
// exactly as it is. Run by scripts/bench.sh.
//
// Environment (set by scripts/bench.sh): BENCH_RESULTS, BENCH_SERVER_LOAD_FILE,
// BENCH_SERVER_LOAD_CMD, BENCH_LOAD_START, BENCH_LOAD_END.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./size.mjs";

const env = process.env;
const results = JSON.parse(readFileSync(env.BENCH_RESULTS ?? join(ROOT, "target/bench/results.json"), "utf8"));
const target = join(ROOT, "BENCHMARKS.md");
const BEGIN = "<!-- local-server:begin";
const END = "<!-- local-server:end -->";

const fmt = (value, digits = 2) => value.toFixed(digits);
const bytes = (value) => value.toLocaleString("en-US");
const md = (header, rows, align) =>
  [`| ${header.join(" | ")} |`, `|${header.map((_, i) => (align?.[i] === "l" ? "---" : "---:")).join("|")}|`,
    ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n");
const LABEL = { ours: "backendless-wasm (ours)", official: "official `backendless`", fetch: "bare fetch / bare JS",
  xhr: "bare `XMLHttpRequest`" };

// ---- the Local server section, kept as it is -----------------------------------------------------
function localServerSection() {
  const fallback = [
    `${BEGIN} — written by the emulator's maintainer; npm run bench keeps everything up to the end marker as it is -->`,
    "(The local server's own description of its load benchmark goes here.)",
    END,
  ].join("\n");
  if (!existsSync(target)) return fallback;
  const current = readFileSync(target, "utf8");
  const begin = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (begin >= 0 && end > begin) return current.slice(begin, end + END.length);
  // A hand-written "## … Local server …" heading without markers: keep its body up to the next
  // "## " heading, inside markers from now on.
  const heading = /^## .*Local server.*$/im.exec(current);
  if (!heading) return fallback;
  const bodyStart = heading.index + heading[0].length;
  // Up to the next "## " heading, or to the generated figures that follow the section.
  const next = current.slice(bodyStart).search(/^## |^### Load benchmark, this run/m);
  const body = current.slice(bodyStart, next < 0 ? undefined : bodyStart + next).trim();
  return `${BEGIN} — written by the emulator's maintainer; npm run bench keeps everything up to the end marker as it is -->\n${body}\n${END}`;
}

// ---- machine --------------------------------------------------------------------------------------
function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const models = [...cpuinfo.matchAll(/^model name\s*:\s*(.*)$/gm)].map((m) => m[1].trim());
  const cores = (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
  const memKb = Number(/^MemTotal:\s*(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0);
  let os = "";
  try { os = /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? ""; } catch {}
  return {
    cpu: models[0] ?? "unknown",
    cores: String(cores),
    memory: `${fmt(memKb / 1024 / 1024, 1)} GiB`,
    os: `${os}, Linux ${readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}`,
    commit: results.build?.commit ?? "unknown",
    dirty: results.build?.dirty ? " plus uncommitted changes to the SDK in the working tree" : "",
  };
}

// ---- sections -------------------------------------------------------------------------------------
const { size, summary, settings } = results;

function sizeTable() {
  const row = (r, label = `\`${r.file}\``) => [label, bytes(r.raw), bytes(r.gzip), bytes(r.brotli)];
  return md(["file", "raw", "gzip -9", "brotli"], [
    ...size.files.map((r) => row(r)),
    row(size.budgeted, "ours: wasm + glue, the parts inlined in each browser entry"),
    row(size.shipped, "**ours: all a page loads** (`index.js`, one file)"),
    row(size.official, "**official**: `backendless.min.js`"),
  ], ["l"]);
}

function budgetLine() {
  const gz = size.shipped.gzip;
  const over = gz - size.goalGzipBytes;
  return `${bytes(gz)} B gzip, all-in — ${over > 0 ? `**over by ${bytes(over)} B**` : `under by ${bytes(-over)} B`} ` +
    `(the parts: wasm + glue ${bytes(size.budgeted.gzip)} B). ` +
    `Everything a page loads for our SDK is ${fmt((100 * size.shipped.gzip) / size.official.gzip, 0)}% of the ` +
    `official bundle's gzip size (${fmt((100 * size.shipped.brotli) / size.official.brotli, 0)}% brotli).`;
}

function latencyTables() {
  const parts = [];
  for (const [operation, l] of Object.entries(summary.latency)) {
    parts.push(`**${operation === "login" ? "`login(email, password, true)`" : "`isValidLogin()`"}**\n`);
    const phase = (name, k) => (l[name].phases ? fmt(l[name].phases[k], 3) : "n/a");
    parts.push(md(["client", "median", "p95", "mean", "before request", "request → response", "response → resolved", "client side"],
      ["ours", "official", "fetch", "xhr"].map((name) =>
        [LABEL[name], fmt(l[name].median, 3), fmt(l[name].p95, 3), fmt(l[name].mean, 3), phase(name, 0), phase(name, 1), phase(name, 2),
          l[name].client === null ? "n/a" : fmt(l[name].client, 3)]), ["l"]));
    const r = l.ratios;
    parts.push("");
    parts.push(md(["ratio", "median", "p95"], [
      ["ours / bare fetch", `${fmt(r.oursOverFetchMedian, 3)}×`, `${fmt(r.oursOverFetchP95, 3)}×`],
      ["ours / official", `${fmt(r.oursOverOfficialMedian, 3)}×`, `${fmt(r.oursOverOfficialP95, 3)}×`],
      ["official / bare fetch", `${fmt(r.officialOverFetchMedian, 3)}×`, ""],
      ["ours / bare XHR (the SDK's own overhead over its transport)", `${fmt(r.oursOverXhrMedian, 3)}×`, ""],
      ["official / bare XHR", `${fmt(r.officialOverXhrMedian, 3)}×`, ""],
      ["ours / official, client side only", r.oursOverOfficialClient === null ? "n/a" : `${fmt(r.oursOverOfficialClient, 3)}×`, ""],
    ], ["l"]));
    if (l.paired) {
      parts.push("");
      parts.push(`Paired blocks (each interleaved round's block medians, ours over bare fetch, ${l.paired.n} rounds): ` +
        `median **${fmt(l.paired.median, 3)}×**, spread ${fmt(l.paired.min, 3)}–${fmt(l.paired.max, 3)}× (goal ≤ 1.05×).`);
    }
    parts.push("");
  }
  return parts.join("\n").trim();
}

function requestsTable() {
  const rows = [];
  for (const [name, requests] of Object.entries(results.requests)) {
    for (const r of requests) rows.push([LABEL[name], `\`${r.request}\``, r.headers ? `\`${r.headers}\`` : "", r.body ? `\`${r.body}\`` : ""]);
  }
  return md(["client", "request", "headers", "body"], rows, ["l", "l", "l", "l"]) +
    (results.sameRequests ? "\n\nIdentical for all three clients." : "\n\n**The clients' requests differ.**");
}

const STARTUP_LABEL = {
  ours: "backendless-wasm (ours: one file, wasm inlined)",
  official: "official `backendless`",
  threeFiles: "ours as before: entry → glue → wasm (3 files in sequence)",
  threeFilesPreload: "ours as before + preload hints in the page",
};
const PAGE_LABEL = { plain: "plain page", vite: "Vite production build" };
const NETWORK_LABEL = { loopback: "loopback", emulated: "emulated network" };

function startupTable() {
  const rows = [];
  const ratios = [];
  for (const [key, byClient] of Object.entries(summary.startup)) {
    const [page, network] = key.split("/");
    for (const [name, st] of Object.entries(byClient)) {
      rows.push([PAGE_LABEL[page], NETWORK_LABEL[network], STARTUP_LABEL[name], String(st.n), fmt(st.readyMedian, 0),
        fmt(st.readyP95, 0), fmt(st.currentUserMedian, 0), fmt(st.currentUserP95, 0)]);
    }
    ratios.push(`${PAGE_LABEL[page]}, ${NETWORK_LABEL[network]}: ${fmt(byClient.ours.readyMedian / byClient.official.readyMedian)}× ready, ` +
      `${fmt(byClient.ours.currentUserMedian / byClient.official.currentUserMedian)}× getCurrentUser()`);
  }
  return md(["page", "network", "client", "loads", "ready median", "ready p95", "getCurrentUser() median", "getCurrentUser() p95"],
    rows, ["l", "l", "l"]) + `\n\nours / official (medians): ${ratios.join("; ")}.`;
}

function hotTable() {
  return md(["client", "`await getCurrentUser()` (user in memory)", "`LocalCache.get(\"user-token\")`"],
    ["ours", "official", "fetch"].map((name) =>
      [LABEL[name], fmt(summary.hot[name].currentUserUs, 3), fmt(summary.hot[name].cacheGetUs, 3)]), ["l"]) +
    `\n\nours / official: ${fmt(summary.hot.ours.currentUserUs / summary.hot.official.currentUserUs)}× for getCurrentUser(), ` +
    `${fmt(summary.hot.ours.cacheGetUs / summary.hot.official.cacheGetUs)}× for LocalCache.get.`;
}

function serverLoad() {
  const file = env.BENCH_SERVER_LOAD_FILE ?? join(ROOT, "target/bench/server-load.md");
  const text = file && existsSync(file) ? readFileSync(file, "utf8").trim() : "";
  return text || "Not run in this run (see the bench output).";
}

// ---- assemble -------------------------------------------------------------------------------------
/** A figure scripts/bench.sh saved in target/bench/ (so the report can be rewritten on its own). */
function saved(name) {
  const file = join(ROOT, "target/bench", name);
  return existsSync(file) ? readFileSync(file, "utf8").trim() : "?";
}
const m = machine();
const officialVersion = JSON.parse(readFileSync(join(ROOT, "node_modules/backendless/package.json"), "utf8")).version;
const values = {
  date: results.date.replace("T", " ").replace(/\.\d+Z$/, " UTC"),
  seconds: fmt(results.seconds, 0),
  ...m,
  loadStart: env.BENCH_LOAD_START ?? saved("load-before.txt"),
  loadEnd: env.BENCH_LOAD_END ?? saved("load-after.txt"),
  browser: results.browser,
  node: process.version,
  officialVersion,
  sizeTable: sizeTable(),
  budgetLine: budgetLine(),
  ceiling: bytes(size.budgetGzipBytes),
  calls: String(settings.CALLS),
  checkCalls: String(settings.CHECK_CALLS),
  warmup: String(settings.WARMUP),
  rounds: String(settings.ROUNDS),
  resolution: settings.crossOriginIsolated ? "5 µs resolution: the pages are cross-origin isolated" : "100 µs resolution: the pages were NOT cross-origin isolated",
  latencyTables: latencyTables(),
  requestsTable: requestsTable(),
  loads: String(settings.STARTUP_LOADS),
  slowLoads: String(settings.STARTUP_SLOW_LOADS),
  slowNetwork: `${settings.SLOW_NETWORK.latency} ms round trip, ${fmt(settings.SLOW_NETWORK.downloadThroughput * 8 / 1e6, 1)} Mbit/s down, ${fmt(settings.SLOW_NETWORK.uploadThroughput * 8 / 1e3, 0)} kbit/s up`,
  startupTable: startupTable(),
  hotBatches: String(settings.HOT_BATCHES),
  hotCalls: bytes(settings.HOT_CALLS),
  hotTable: hotTable(),
  localServer: localServerSection(),
  serverLoad: serverLoad(),
  serverLoadCommand: env.BENCH_SERVER_LOAD_CMD ?? saved("server-load-command.txt"),
};
let out = readFileSync(join(ROOT, "bench/BENCHMARKS.template.md"), "utf8");
out = out.replace(/\{\{(\w+)\}\}/g, (whole, key) => {
  if (!(key in values)) throw new Error(`template: no value for ${whole}`);
  return values[key];
});
writeFileSync(target, out);
console.error(`[bench] wrote ${target}`);
