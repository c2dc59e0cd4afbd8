// Static server for the benchmark pages: bench/ (the pages), pkg/ (our release package) and the
// official client's dist/ folder, and the start-up pages and builds made in the snapshot
// (bench/startup.mjs), nothing else. Every answer is
// `no-store` (each page load fetches and compiles the client afresh) and cross-origin isolated
// (COOP/COEP), which gives the pages a 5 µs performance.now() instead of 100 µs; the local
// server answers CORS, so the cross-origin calls to it are allowed under COEP.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { gzipSync } from "node:zlib";
import { CONTENT_TYPES } from "../scripts/content-types.mjs";
import { ROOT } from "./size.mjs";

const ALLOWED = ["/bench/", "/pkg/", "/node_modules/backendless/dist/", "/startup/", "/variants/", "/vite-ours/", "/vite-official/"];
const COMPRESSED = new Set([".js", ".html", ".wasm", ".css", ".json"]);
const gzipped = new Map(); // path → gzip -9 bytes (the files do not change during a run)

/**
 * Starts the server on a free port of 127.0.0.1; resolves with { url, close }. `snapshot` is a
 * directory with pkg/ and node_modules/backendless/dist/ copied in (the benchmark serves its own
 * copy of the build, so another build rewriting pkg/ meanwhile cannot change what it measures).
 */
export function startStaticServer(snapshot = ROOT) {
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, "http://x").pathname));
    if (!ALLOWED.some((prefix) => path.startsWith(prefix)) || path.includes("..")) {
      response.writeHead(404).end();
      return;
    }
    try {
      let body = await readFile(join(path.startsWith("/bench/") ? ROOT : snapshot, path));
      // Compressed as a production server sends them (it matters for the start-up figures over
      // the emulated network; over loopback it costs the browser a little decompression).
      const headers = {};
      if (COMPRESSED.has(extname(path)) && /\bgzip\b/.test(request.headers["accept-encoding"] ?? "")) {
        if (!gzipped.has(path)) gzipped.set(path, gzipSync(body, { level: 9 }));
        body = gzipped.get(path);
        headers["content-encoding"] = "gzip";
      }
      response.writeHead(200, {
        ...headers,
        "content-type": CONTENT_TYPES[extname(path)] ?? "application/octet-stream",
        "cache-control": "no-store",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-embedder-policy": "require-corp",
      });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }),
      });
    });
  });
}
