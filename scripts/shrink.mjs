// Shrinks what ships in pkg/, after wasm-pack:
// 1. wasm-opt -Oz (see WASM_OPT_ARGS), also minifying the wasm's import, export and module
//    names (each of the ~80 imports otherwise carries a module path and a hashed name, in the
//    wasm and in the glue);
// 2. rewrites the JS glue to the new names, and proves the two still link by instantiating the
//    module in Node with the glue's own import object;
// 3. minifies the glue with terser.
// The entry module (index.js) stays readable: it is ours, small, and bundlers minify it anyway.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { minify } from "terser";

const root = new URL("../", import.meta.url);
// The package directory to shrink (default pkg/), relative to the repository root.
const pkg = new URL(`${(process.argv[2] ?? "pkg").replace(/\/*$/, "")}/`, root);
const wasmPath = new URL("backendless_wasm_bg.wasm", pkg);
const gluePath = new URL("backendless_wasm.js", pkg);
const wasmOpt = new URL("node_modules/.bin/wasm-opt", root).pathname;

// --strip-producers / --strip-target-features: custom sections only tools read (toolchain
// versions, target features); the browser ignores them.
// --low-memory-unused: lets wasm-opt fold constant offsets into loads and stores. Rust places the
// 1 MiB stack below the data, so the first KiB is only ever reached by a stack overflow.
// Then -Oz, twice more after --flatten --rereloop (which rebuilds the control flow, undoing
// rustc's structure) and once more at the end (size: see BENCHMARKS.md#size-reoptimize).
const REOPTIMIZE = ["--flatten", "--rereloop", "-Oz"];
const WASM_OPT_ARGS = [
  "--minify-imports-and-exports-and-modules",
  "--strip-producers",
  "--low-memory-unused",
  "-Oz",
  ...REOPTIMIZE,
  ...REOPTIMIZE,
  "-Oz",
];
const mapping = JSON.parse(
  execFileSync(wasmOpt, [wasmPath.pathname, ...WASM_OPT_ARGS, "-o", wasmPath.pathname], { encoding: "utf8" }),
);
// Then -Oz until a pass changes nothing (its own run: --converge repeats the whole command,
// which would print the import and export mapping again), and the target-features section
// dropped last, since wasm-opt reads the features from it.
execFileSync(wasmOpt, [wasmPath.pathname, "--converge", "-Oz", "--strip-target-features", "-o", wasmPath.pathname]);

let glue = readFileSync(gluePath, "utf8");
const fail = (message) => {
  console.error(`shrink: ${message}`);
  process.exit(1);
};

// Import object keys: `name: function(` inside __wbg_get_imports.
for (const [, oldName, newName] of mapping.imports) {
  const key = new RegExp(`(?<![\\w$])${oldName}(?=\\s*:)`, "g");
  const count = (glue.match(key) ?? []).length;
  if (count !== 1) fail(`import ${oldName} appears ${count} times as a key in the glue`);
  glue = glue.replace(key, JSON.stringify(newName));
}

// The one import module, renamed by wasm-opt: read it back from the wasm's import section.
const modules = importModules(readFileSync(wasmPath));
if (modules.size !== 1) fail(`expected one import module after minifying, found ${[...modules]}`);
const [moduleName] = modules;
const moduleKey = /"\.\/backendless_wasm_bg\.js"(?=\s*:)/g;
if ((glue.match(moduleKey) ?? []).length !== 1) fail("the glue's import module key was not found once");
glue = glue.replace(moduleKey, JSON.stringify(moduleName));

// Exports are only reached as `wasm.name`.
const exportNames = new Map(mapping.exports);
glue = glue.replace(/(?<![\w$])wasm\.([A-Za-z_$][\w$]*)/g, (whole, name) => {
  const renamed = exportNames.get(name);
  if (renamed === undefined) fail(`the glue uses export ${name}, which the wasm no longer has`);
  return `wasm.${renamed}`;
});

// The entry module compiles the wasm itself and calls initSync; the glue's async loader
// (default export) is dropped so terser can remove it.
const exportsLine = "export { initSync, __wbg_init as default };";
if (!glue.includes(exportsLine)) fail("the glue's export line was not found");
glue = glue.replace(exportsLine, "export { initSync };");

// JS modules of the crate's own (`#[wasm_bindgen(module = "/src/js/….js")]`, which wasm-bindgen
// copies to snippets/ and imports): their code goes into the glue itself, so the glue stays one
// file with no imports, as the entries need. The functions of SHARED stay exports of the glue, so
// that the entry module (npm/api.js) uses the very same ones: `jsError` is the SDK's one error
// constructor, for the wasm's rejections and the entry's alike; `setUserClass` gives the glue the
// entry's Backendless.User.
const SHARED = new Set(["jsError", "setUserClass"]);
glue = glue.replace(/^import \{([^}]*)\} from '(\.\/snippets\/[^']+)';\n/gm, (line, names, path) => {
  const source = readFileSync(new URL(path, pkg), "utf8");
  for (const name of names.split(",").map((n) => n.trim())) {
    if (!new RegExp(`^export function ${name}\\(`, "m").test(source)) fail(`${path} does not export function ${name}`);
  }
  return source.replace(/^export function (\w+)/gm, (whole, name) => (SHARED.has(name) ? whole : `function ${name}`));
});
for (const name of SHARED) {
  if (!new RegExp(`^export function ${name}\\(`, "m").test(glue)) fail(`the glue does not export ${name} for the entry`);
}
rmSync(new URL("snippets", pkg), { recursive: true, force: true });

// initSync as the entry calls it (one of the leftovers below): once per glue, with `{ module }`;
// and strings passed in as the glue passes them, always with the wasm's realloc.
const INIT = [
  [
    /(function passStringToWasm0\(arg, malloc, realloc\) \{\n)    if \(realloc === undefined\) \{\n[^}]*\}\n/g,
    "$1",
  ],
  [
    /let wasmModule, wasmInstance, wasm;\nfunction __wbg_finalize_init\(instance, module\) \{[^}]*\}/g,
    "let wasm;\nfunction __wbg_finalize_init(instance) {\n    wasm = instance.exports;\n    return wasm;\n}",
  ],
  [
    /function initSync\(module\) \{\n[\s\S]*?\n\}\n/g,
    "function initSync({ module }) {\n    return __wbg_finalize_init(new WebAssembly.Instance(module, __wbg_get_imports()));\n}\n",
  ],
];
const stringCalls = glue.match(/passStringToWasm0\(/g)?.length ?? 0;
const withRealloc = glue.match(/passStringToWasm0\(\w+, wasm\.\w+, wasm\.\w+\)/g)?.length ?? 0;
if (stringCalls !== withRealloc + 1) fail("a passStringToWasm0 call without the wasm's realloc");
for (const [pattern, replacement] of INIT) {
  if ((glue.match(pattern) ?? []).length !== 1) fail(`glue leftover ${pattern} not found once`);
  glue = glue.replace(pattern, replacement);
}

const minified = await minify(glue, { module: true, ecma: 2020, compress: { passes: 2 }, mangle: true });
if (!minified.code) fail("terser produced nothing");
// What the glue carries that this package never runs (size: see BENCHMARKS.md#size-glue-leftovers),
// each checked to be there once:
// - each exported enum maps names to numbers and numbers back to names; the entry only reads
//   names (`UserCall.Roles`), so the numbers' names go;
// - a TextEncoder.encodeInto polyfill: every engine the SDK runs in has encodeInto;
// - initSync's other argument forms (bytes, the old bare form and its warning), its return of an
//   instance already made, and the instance and module it keeps: the entry calls it once per
//   glue with `{ module }`, a compiled module, and reads only the exports (INIT, above);
// - passStringToWasm0's form for a wasm without realloc: every call passes the wasm's (INIT);
// - a stand-in for a missing FinalizationRegistry: every engine the SDK runs in has one.
let lean = minified.code.replace(/Object\.freeze\(\{[^}]*\}\)/g, (object) => object.replace(/,\d+:"\w+"/g, ""));
if (lean === minified.code) fail("no exported enum found in the glue");
const leftovers = [
  [/"encodeInto"in (\w+)\|\|\(\1\.encodeInto=function\(\w+,\w+\)\{[^{}]*\{[^{}]*\}\}\);/g, ""],
  [/"undefined"==typeof FinalizationRegistry\?\{register:\(\)=>\{\},unregister:\(\)=>\{\}\}:/g, ""],
];
for (const [pattern, replacement] of leftovers) {
  if ((lean.match(pattern) ?? []).length !== 1) fail(`glue leftover ${pattern} not found once`);
  lean = lean.replace(pattern, replacement);
}
writeFileSync(gluePath, lean);

// The wasm's own type file describes the old export names; with --target web nobody needs it.
rmSync(new URL("backendless_wasm_bg.wasm.d.ts", pkg), { force: true });

// Link check: instantiate with the rewritten glue's import object (initSync), as a page would.
const { initSync } = await import(`${gluePath.href}?check=${Date.now()}`);
initSync({ module: new WebAssembly.Module(readFileSync(wasmPath)) });

function importModules(bytes) {
  let offset = 8;
  const leb = () => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[offset++];
      result |= (byte & 0x7f) << shift;
      shift += 7;
      if (byte < 0x80) return result >>> 0;
    }
  };
  const name = () => {
    const length = leb();
    const text = bytes.subarray(offset, offset + length).toString("utf8");
    offset += length;
    return text;
  };
  const found = new Set();
  while (offset < bytes.length) {
    const id = bytes[offset++];
    const size = leb();
    const end = offset + size;
    if (id === 2) {
      for (let count = leb(); count > 0; count--) {
        found.add(name());
        name();
        const kind = bytes[offset++];
        if (kind === 0) leb(); // function: type index
        else if (kind === 1) { offset++; const flags = leb(); leb(); if (flags & 1) leb(); } // table
        else if (kind === 2) { const flags = leb(); leb(); if (flags & 1) leb(); } // memory
        else if (kind === 3) offset += 2; // global: type + mutability
        else fail(`unknown import kind ${kind}`);
      }
      return found;
    }
    offset = end;
  }
  return found;
}
