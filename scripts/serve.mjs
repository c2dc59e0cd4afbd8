// A small static server for the demo: www/ at /, the built package at /pkg/, and
// /emulator.json telling the page where the local server is. No dependencies.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { CONTENT_TYPES } from "./content-types.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const port = Number(process.env.DEMO_PORT ?? 8080);
const emulator = {
  url: process.env.EMULATOR_URL ?? "http://127.0.0.1:8200",
  appId: process.env.EMULATOR_APP_ID ?? "LOCAL-APP-ID",
  apiKey: process.env.EMULATOR_API_KEY ?? "LOCAL-API-KEY",
  // The local identity provider the server was started with (--oauth-provider).
  oauthProvider: process.env.EMULATOR_OAUTH_PROVIDER ?? "github",
};

// The file for a URL path, or null when the path does not decode (a malformed %-escape such as
// `/%`, which any page can make a browser send with an <img>): decodeURIComponent throws on those,
// and an exception here must not take the server (and `npm start`) down.
function resolvePath(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const path = normalize(decoded).replace(/^(\.\.[/\\])+/, "");
  if (path.startsWith("/pkg/")) return join(root, path);
  return join(root, "www", path.endsWith("/") ? path + "index.html" : path);
}

const server = createServer((request, response) => {
  // Whatever goes wrong with one request is that request's 500, never the end of the server.
  handle(request, response).catch((error) => {
    console.error(`serve.mjs: ${request.method} ${request.url}: ${error}`);
    if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
    response.end();
  });
});

async function handle(request, response) {
  const url = new URL(request.url, "http://localhost");
  if (url.pathname === "/emulator.json") {
    response.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
    response.end(JSON.stringify(emulator));
    return;
  }
  const file = resolvePath(url.pathname);
  if (file === null) {
    response.writeHead(400, { "content-type": "text/plain" }).end("malformed path");
    return;
  }
  if (!file.startsWith(join(root, "www")) && !file.startsWith(join(root, "pkg"))) {
    response.writeHead(403).end();
    return;
  }
  try {
    const body = await readFile(file);
    response.writeHead(200, { "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    response.end(body);
  } catch {
    response.writeHead(404, { "content-type": "text/plain" }).end("not found");
  }
}

server.listen(port, "127.0.0.1", () => {
  console.log(`demo on http://127.0.0.1:${server.address().port}/`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
