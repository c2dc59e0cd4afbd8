// The demo's static server (scripts/serve.mjs) against requests any web page can make it send:
// a malformed percent-escape in the path (`<img src="http://127.0.0.1:8080/%">`) used to throw in
// decodeURIComponent and take `npm start` down.
//
//   node --test tests/node/serve.test.mjs
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { request } from "node:http";
import { fileURLToPath } from "node:url";

const serveScript = fileURLToPath(new URL("../../scripts/serve.mjs", import.meta.url));
let server;
let port;

function get(path) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET" }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk) => { body += chunk; });
      response.on("end", () => resolve({ status: response.statusCode, body }));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${path}: no answer within 5 s`)));
    req.on("error", reject);
    req.end();
  });
}

before(async () => {
  server = spawn(process.execPath, [serveScript], {
    env: { ...process.env, DEMO_PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  port = await new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`serve.mjs did not start:\n${output}`)), 10_000);
    server.stdout.setEncoding("utf8").on("data", (chunk) => {
      output += chunk;
      const match = output.match(/demo on http:\/\/127\.0\.0\.1:(\d+)\//);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    server.stderr.setEncoding("utf8").on("data", (chunk) => { output += chunk; });
    server.on("exit", (code) => reject(new Error(`serve.mjs exited (${code}):\n${output}`)));
  });
});

after(() => {
  if (server.exitCode === null && server.signalCode === null) server.kill("SIGTERM");
});

test("malformed percent-escapes get a 400 and the server keeps serving", async () => {
  for (const path of ["/%", "/%zz", "/a%", "/pkg/%E0%A4%A", "/%C0%AF"]) {
    const reply = await get(path);
    assert.ok(reply.status >= 400 && reply.status < 500, `${path}: ${reply.status}`);
  }
  assert.equal(server.exitCode, null, "the server is still running");
  const config = await get("/emulator.json");
  assert.equal(config.status, 200);
  assert.ok(JSON.parse(config.body).url);
});
