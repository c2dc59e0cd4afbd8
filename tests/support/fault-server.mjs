// A fault-injecting HTTP responder for the browser fault tests — and only for them: it
// produces what the real local server never does (garbage bodies, wrong JSON types, dropped or
// truncated connections, answers slower than the caller's timeout). Everything a real server
// does is tested against the real backendless-emulator instead.
//
// The first path segment picks the fault, so a test points Backendless.serverURL at
// http://127.0.0.1:PORT/<fault> and every SDK call lands on it. It answers CORS like the real
// server. Prints "fault server on http://127.0.0.1:PORT" when ready.
import { createServer } from "node:http";

const json = (value) => JSON.stringify(value);
const user = (extra = {}) => ({ objectId: "FAULT-USER", email: "fault@example.com", "user-token": "FAULT-TOKEN", ...extra });

// fault name → (request, response) handler
const faults = {
  html502: (req, res) => send(res, 502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"),
  empty200: (req, res) => send(res, 200, "application/json", ""),
  text200: (req, res) => send(res, 200, "text/plain", "this is not JSON"),
  true200: (req, res) => send(res, 200, "application/json", "true"),
  string200: (req, res) => send(res, 200, "application/json", json("true")),
  array200: (req, res) => send(res, 200, "application/json", json([user()])),
  "wrong-types": (req, res) => send(res, 200, "application/json", json({ objectId: 42, "user-token": { token: "T" } })),
  "empty-id": (req, res) => send(res, 200, "application/json", json(user({ objectId: "" }))),
  "other-user": (req, res) => send(res, 200, "application/json", json(user({ objectId: "SOMEONE-ELSE" }))),
  huge: (req, res) => send(res, 200, "application/json", json(Array.from({ length: 400_000 }, (_, i) => i))),
  "error-data": (req, res) => send(res, 400, "application/json", json({ errorData: { code: 3003, message: "Invalid login or password" } })),
  "code-as-string": (req, res) => send(res, 400, "application/json", json({ code: "3003", message: 5 })),
  "code-3064": (req, res) => send(res, 401, "application/json", json({ code: 3064, message: "Not existing user token" })),
  truncated: (req, res) => {
    res.writeHead(200, { ...cors, "content-type": "application/json", "content-length": "5000" });
    res.write('{"objectId":"FAULT-USER","user-tok');
    setTimeout(() => res.socket?.destroy(), 20);
  },
  reset: (req, res) => req.socket.destroy(),
  slow: (req, res) => setTimeout(() => send(res, 200, "application/json", json(user())), 3000),
};

const cors = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "content-type, user-token",
  "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS",
};

function send(res, status, type, body) {
  if (res.destroyed) return;
  res.writeHead(status, { ...cors, "content-type": type });
  res.end(body);
}

const server = createServer((req, res) => {
  if (req.method === "OPTIONS") return send(res, 204, "text/plain", "");
  const name = new URL(req.url, "http://x").pathname.split("/")[1];
  const fault = faults[name];
  if (!fault) return send(res, 404, "application/json", json({ code: 404, message: `no fault named ${name}` }));
  req.resume();
  req.on("end", () => fault(req, res));
});

server.listen(Number(process.env.FAULT_PORT ?? 0), "127.0.0.1", () => {
  console.log(`fault server on http://127.0.0.1:${server.address().port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
