// Start-up benchmark (part 3 of bench/run.mjs): fresh page loads, each in a fresh browser context
// (empty HTTP cache, files served no-store and gzip -9 compressed, as a production server sends
// them), with a stored session put into localStorage before the page runs, so that every client
// restores the user with one request (GET data/Users/{id}). Measured from the navigation's start
// (performance.now() in the page): "ready" when initApp has returned, "current user" when
// getCurrentUser() has resolved. Each page runs over loopback and over an emulated network
// (Chromium's Network.emulateNetworkConditions), for two ways of shipping an app:
//   plain — a plain HTML page with a module script importing the client (the official bundle by
//           a classic <script>), the README's way without a bundler;
//   vite  — a Vite production build of the same app (the package imported by its name).
// On the plain page, two more rows measure the other ways to load the wasm that were considered
// (bench/variants/three-files.js, the entry as it shipped before: glue + wasm fetched after it).
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./size.mjs";

/** The emulated network: 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up. */
export const SLOW_NETWORK = { offline: false, latency: 150, downloadThroughput: 1_600_000 / 8, uploadThroughput: 750_000 / 8 };

export const STARTUP_CLIENTS = {
  plain: ["ours", "official", "threeFiles", "threeFilesPreload"],
  vite: ["ours", "official"],
};

export const STARTUP_LABEL = {
  ours: "backendless-wasm (ours, one file, wasm inlined)",
  official: "official `backendless`",
  threeFiles: "ours, as before: entry → glue → wasm fetched (3 files)",
  threeFilesPreload: "ours, 3 files + preload hints in the page",
};

// The page's script: the same for every client, after its own import.
const MEASURE = `
  const query = new URLSearchParams(location.search);
  try {
    Backendless.serverURL = query.get("server");
    Backendless.initApp(query.get("app"), query.get("key"));
    const ready = performance.now();
    const user = await Backendless.UserService.getCurrentUser();
    window.__startup = { ready, currentUser: performance.now(), objectId: user?.objectId ?? null };
  } catch (error) {
    window.__startup = { error: String(error?.stack ?? error) };
  }`;

const html = (head, script) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>start-up</title>
${head}</head>
<body>
<script type="module">${script}
</script>
</body>
</html>
`;

const PRELOAD = [
  '<link rel="modulepreload" href="/variants/three-files/index.js">',
  '<link rel="modulepreload" href="/variants/three-files/backendless_wasm.js">',
  '<link rel="preload" href="/variants/three-files/backendless_wasm_bg.wasm" as="fetch" crossorigin>',
].join("\n") + "\n";

/**
 * Writes the start-up pages and builds the Vite apps into the snapshot directory; answers the
 * URL path of each (page, client).
 */
export async function prepareStartupPages(snapshot) {
  const dir = join(snapshot, "startup");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // The entry as it shipped before, next to the glue and the wasm it loads.
  const variant = join(snapshot, "variants/three-files");
  mkdirSync(variant, { recursive: true });
  cpSync(join(ROOT, "bench/variants/three-files.js"), join(variant, "index.js"));
  for (const file of ["backendless_wasm.js", "backendless_wasm_bg.wasm"]) cpSync(join(snapshot, "pkg", file), join(variant, file));

  const ours = 'import Backendless from "/pkg/index.js";';
  const before = 'import Backendless from "/variants/three-files/index.js";';
  const pages = {
    ours: html("", `${ours}${MEASURE}`),
    official: html('<script src="/node_modules/backendless/dist/backendless.min.js"></script>\n', `const Backendless = self.Backendless;${MEASURE}`),
    threeFiles: html("", `${before}${MEASURE}`),
    threeFilesPreload: html(PRELOAD, `${before}${MEASURE}`),
  };
  const paths = { plain: {}, vite: {} };
  for (const [client, page] of Object.entries(pages)) {
    writeFileSync(join(dir, `plain-${client}.html`), page);
    paths.plain[client] = `/startup/plain-${client}.html`;
  }

  // Vite production builds: the app imports the package by name; Vite resolves "backendless" from
  // node_modules as any app would (its "browser" field), and "backendless-wasm" to the snapshot.
  const { build } = await import("vite");
  for (const client of STARTUP_CLIENTS.vite) {
    const source = join(ROOT, "target/bench/vite-src", client);
    rmSync(source, { recursive: true, force: true });
    mkdirSync(source, { recursive: true });
    const name = client === "ours" ? "backendless-wasm" : "backendless";
    writeFileSync(join(source, "main.js"), `import Backendless from "${name}";\n${MEASURE.replace(/^ {2}/gm, "")}\n`);
    writeFileSync(join(source, "index.html"), html("", "").replace(/<script type="module">\n<\/script>/, '<script type="module" src="./main.js"></script>'));
    await build({
      root: source,
      base: `/vite-${client}/`,
      configFile: false,
      logLevel: "warn",
      resolve: client === "ours" ? { alias: { "backendless-wasm": join(snapshot, "pkg/index.js") } } : {},
      build: { outDir: join(snapshot, `vite-${client}`), emptyOutDir: true, target: "es2022" },
    });
    paths.vite[client] = `/vite-${client}/index.html`;
  }
  return paths;
}
