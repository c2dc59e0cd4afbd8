// Finishes pkg/ after wasm-pack and scripts/shrink.mjs: the entry modules, their type
// declarations, README, LICENSE and a package.json as npm and bundlers expect it.
//
// Each entry is ONE self-contained file: npm/wasm.js (the minified glue wrapped in an instance
// factory, and the wasm's bytes inlined in a string literal), npm/api.js and the entry's own
// module, concatenated and minified with terser. So the package loads the same way everywhere:
// no top-level await, no fetch, no `new URL(…, import.meta.url)` for a bundler to understand.
//   index.js   ESM, for pages, bundlers, workers, service workers
//   index.cjs  the same as CommonJS, for `require` (Node 20 has no require() of ESM)
//   node.js    ESM for Node (the "node" condition): index.js plus business logic's calls
//   node.cjs   the same as CommonJS
//   server.js  ESM without any session state, for the "react-server" condition and
//              `backendless-wasm/server` (see npm/server.js)
// The browser entries inline backendless_wasm_bg.wasm and backendless_wasm.js (wasm-pack's
// build); the Node ones backendless_wasm_node_bg.wasm and backendless_wasm_node.js (the build
// with the feature `business-logic`, see npm/business-logic.js). Those four stay in pkg/ for the
// size report and the benchmark, but are not shipped: nothing loads them.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { minify } from "terser";

const root = new URL("../", import.meta.url);
// The package directory to finish (default pkg/), relative to the repository root.
const pkg = new URL(`${(process.argv[2] ?? "pkg").replace(/\/*$/, "")}/`, root);
const cargo = readFileSync(new URL("Cargo.toml", root), "utf8");
const field = (name) => cargo.match(new RegExp(`^${name}\\s*=\\s*"([^"]*)"`, "m"))?.[1];
const fail = (message) => {
  console.error(`package: ${message}`);
  process.exit(1);
};
const read = (path) => readFileSync(new URL(path, root), "utf8");

for (const [from, to] of [["npm/index.d.ts", "index.d.ts"], ["README.md", "README.md"], ["LICENSE", "LICENSE"]]) {
  copyFileSync(new URL(from, root), new URL(to, pkg));
}

// ---- the glue as an instance factory and the wasm bytes as a string literal ----------------
/**
 * The two parts of a wasm build (`name` is its files' stem in pkg/) that an entry inlines:
 * - `glue`: shrink.mjs left it as an ES module, `export function name(…)` for each raw export and
 *   one `export{x as initSync}`; inside a function they become locals, returned as one object;
 * - `literal`: the wasm's bytes in the encoding npm/wasm.js's decode() reads (printable ASCII
 *   without `\` and `"`), and `wasm` the bytes themselves.
 */
function parts(name) {
  let glue = readFileSync(new URL(`${name}.js`, pkg), "utf8");
  // Exported enums (`#[wasm_bindgen] enum`) are `export const Name = Object.freeze(…)`.
  const names = [...glue.matchAll(/(?<![\w$])export (?:function|const) ([\w$]+)/g)].map((m) => m[1]);
  const exportList = glue.match(/export\s*\{([^}]*)\};?/);
  if (names.length === 0 || !exportList) fail(`${name}: the glue's exports were not found`);
  glue = glue.replace(/(?<![\w$])export (function|const) /g, "$1 ").replace(exportList[0], "");
  if (/(?<![\w$])(export|import)(?![\w$])/.test(glue)) fail(`${name}: the glue still has an import or export statement`);
  const returned = [...names, ...exportList[1].split(",").map((item) => {
    const [local, exported = local] = item.trim().split(/\s+as\s+/);
    return `${exported}:${local}`;
  })];
  glue = `${glue}\nreturn{${returned.join(",")}};`;

  const wasm = readFileSync(new URL(`${name}_bg.wasm`, pkg));
  const DIGITS = [];
  for (let c = 32; c < 127; c++) if (c !== 0x22 && c !== 0x5c) DIGITS.push(String.fromCharCode(c));
  let text = "";
  for (const byte of wasm) {
    const r = (byte + 1) & 255;
    text += r < 91 ? DIGITS[r] : DIGITS[91 + Math.floor((r - 91) / 93)] + DIGITS[(r - 91) % 93];
  }
  return { glue, wasm, literal: `"${text}"` };
}
const browser = parts("backendless_wasm");
const node = parts("backendless_wasm_node");

// ---- the entries ---------------------------------------------------------------------------
/** A module's source without its imports of the parts (they are concatenated instead). */
function body(path, { keepExports }) {
  let source = read(path).replace(/^import \{ \w+(?:, \w+)* \} from "\.\/(wasm|api|business-logic)\.js";\n/gm, "");
  if (/^import /m.test(source)) fail(`${path}: an import the build does not inline`);
  if (!keepExports) source = source.replace(/^export (function|const|class) /gm, "$1 ");
  return source;
}

const wasmModule = body("npm/wasm.js", { keepExports: false });
if (!/\bBYTES\b/.test(wasmModule)) fail("npm/wasm.js: the BYTES placeholder was not found");
const apiPart = body("npm/api.js", { keepExports: false });
const businessPart = body("npm/business-logic.js", { keepExports: false });

/** One entry: `source`'s own module after the parts it imports, over one of the two wasm builds. */
async function entry(source, format, { glue, literal } = browser) {
  const wasmPart = wasmModule.replace("/* GLUE */", () => glue);
  const extra = /from "\.\/business-logic\.js"/.test(read(source)) ? businessPart : "";
  let own = body(source, { keepExports: true });
  if (format === "cjs") {
    // Everything the ESM entry exports is a member of Backendless: CommonJS exports that object.
    const marker = own.indexOf("// @exports");
    if (marker < 0) fail(`${source}: no // @exports marker`);
    own = `${own.slice(0, marker)}module.exports = Backendless;\n`;
  }
  const { code } = await minify(`${wasmPart}\n${apiPart}\n${extra}\n${own}`, {
    module: format === "esm",
    toplevel: true,
    ecma: 2020,
    // Function expressions that use no `this` become arrows and object methods use the
    // shorthand (neither is ever called with `new`: the only classes, such as Async, stay
    // classes), with a third pass (size: see BENCHMARKS.md#size-terser-arrows).
    compress: { passes: 3, unsafe_arrows: true, unsafe_methods: true },
    mangle: true,
  });
  // BYTES is an undeclared name to terser (so it cannot fold text.length): replaced afterwards.
  const placeholder = code.match(/(?<![\w$.])BYTES(?![\w$])/g)?.length ?? 0;
  if (placeholder !== 1) fail(`${source} (${format}): the BYTES placeholder is there ${placeholder} times after terser`);
  return code.replace(/(?<![\w$.])BYTES(?![\w$])/, () => literal);
}

const header = (what) => `/* backendless-wasm ${field("version")} (${what}): glue and wasm inlined, see the package's README. */\n`;
writeFileSync(new URL("index.js", pkg), header("ESM") + (await entry("npm/index.js", "esm")));
writeFileSync(new URL("index.cjs", pkg), header("CommonJS") + (await entry("npm/index.js", "cjs")));
writeFileSync(new URL("node.js", pkg), header("ESM for Node") + (await entry("npm/node.js", "esm", node)));
writeFileSync(new URL("node.cjs", pkg), header("CommonJS for Node") + (await entry("npm/node.js", "cjs", node)));
writeFileSync(new URL("server.js", pkg), header("server, no session state") + (await entry("npm/server.js", "esm", node)));

const files = ["index.js", "index.cjs", "node.js", "node.cjs", "server.js", "index.d.ts", "README.md", "LICENSE"];
const manifest = {
  name: field("name"),
  version: field("version"),
  description: field("description"),
  license: field("license"),
  repository: { type: "git", url: field("repository") },
  keywords: ["backendless", "auth", "login", "session", "wasm", "webassembly"],
  type: "module",
  main: "./index.cjs",
  module: "./index.js",
  types: "./index.d.ts",
  exports: {
    ".": {
      types: "./index.d.ts",
      // Server components, server actions and route handlers (Next.js and other RSC bundlers).
      "react-server": "./server.js",
      // Node (and bundlers building for it): the same API, plus business logic's calls.
      node: { import: "./node.js", require: "./node.cjs" },
      import: "./index.js",
      require: "./index.cjs",
      default: "./index.js",
    },
    "./server": { types: "./index.d.ts", default: "./server.js" },
    "./package.json": "./package.json",
  },
  files,
  sideEffects: false,
  engines: { node: ">=18" },
};
writeFileSync(new URL("package.json", pkg), JSON.stringify(manifest, null, 2) + "\n");

// ---- check: the literal decodes to the wasm, and each entry loads in Node -------------------
const decodeSource = read("npm/wasm.js").match(/^function decode\(text\) \{[\s\S]*?^\}/m)?.[0];
if (!decodeSource) fail("npm/wasm.js: decode() not found");
for (const { literal, wasm } of [browser, node]) {
  const decoded = new Function(`${decodeSource}; return decode(${literal});`)();
  if (!Buffer.from(decoded).equals(wasm)) fail("the bytes literal does not decode to the wasm");
}
const check = async (label, load) => {
  const Backendless = await load();
  if (typeof Backendless?.UserService?.login !== "function") fail(`${label}: no UserService.login`);
  Backendless.initApp("CHECK-APP", "CHECK-KEY");
  if ((await Backendless.UserService.getCurrentUser()) !== null) fail(`${label}: a session out of nowhere`);
};
const bust = `?check=${Date.now()}`;
// Node has no localStorage: the SDK's warning saying so is expected here, and not printed.
const warn = console.warn;
console.warn = (message, ...rest) => { if (!/localStorage is unavailable/.test(message)) warn(message, ...rest); };
await check("index.js", async () => (await import(new URL(`index.js${bust}`, pkg).href)).default);
await check("server.js", async () => (await import(new URL(`server.js${bust}`, pkg).href)).default);
await check("node.js", async () => (await import(new URL(`node.js${bust}`, pkg).href)).default);
await check("node.cjs", async () => createRequire(new URL("node.cjs", pkg))(new URL("node.cjs", pkg).pathname));
await check("index.cjs", async () => createRequire(new URL("index.cjs", pkg))(new URL("index.cjs", pkg).pathname));
