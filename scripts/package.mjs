// Finishes pkg/ after wasm-pack: the entry module, its type declarations, README, LICENSE and a
// package.json as npm and bundlers expect it.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";

const root = new URL("../", import.meta.url);
// The package directory to finish (default pkg/), relative to the repository root.
const pkg = new URL(`${(process.argv[2] ?? "pkg").replace(/\/*$/, "")}/`, root);
const cargo = readFileSync(new URL("Cargo.toml", root), "utf8");
const field = (name) => cargo.match(new RegExp(`^${name}\\s*=\\s*"([^"]*)"`, "m"))?.[1];

for (const [from, to] of [["npm/index.js", "index.js"], ["npm/index.d.ts", "index.d.ts"], ["README.md", "README.md"], ["LICENSE", "LICENSE"]]) {
  copyFileSync(new URL(from, root), new URL(to, pkg));
}

const files = [
  "index.js",
  "index.d.ts",
  "backendless_wasm.js",
  "backendless_wasm.d.ts",
  "backendless_wasm_bg.wasm",
  "README.md",
  "LICENSE",
];
const manifest = {
  name: field("name"),
  version: field("version"),
  description: field("description"),
  license: field("license"),
  repository: { type: "git", url: field("repository") },
  keywords: ["backendless", "auth", "login", "session", "wasm", "webassembly"],
  type: "module",
  main: "./index.js",
  module: "./index.js",
  types: "./index.d.ts",
  exports: {
    ".": { types: "./index.d.ts", import: "./index.js", default: "./index.js" },
    "./backendless_wasm_bg.wasm": "./backendless_wasm_bg.wasm",
    "./package.json": "./package.json",
  },
  files,
  sideEffects: false,
  engines: { node: ">=18" },
};
writeFileSync(new URL("package.json", pkg), JSON.stringify(manifest, null, 2) + "\n");
