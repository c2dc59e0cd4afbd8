// A fault-injecting HTTP responder for the browser fault tests — and only for what the real
// local server cannot produce: garbage bodies, wrong JSON types, dropped or truncated
// connections, answers slower than the caller's timeout, and the hosted service's recorded
// answers (tests/fixtures/real-service/, replayed byte for byte). Everything else is tested
// against the real backendless-emulator.
//
// The first path segment picks the fault, so a test points Backendless.serverURL at
// http://127.0.0.1:PORT/<fault> and every SDK call lands on it. A recorded answer is
// http://127.0.0.1:PORT/fixture/<file name without .json>/<variant> (see fixtureVariants);
// GET /fixtures lists them. It answers CORS like the real server. Prints
// "fault server on http://127.0.0.1:PORT" when ready.
import { readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:http";

const FIXTURES = new URL("../fixtures/real-service/", import.meta.url);

// The same answer in the forms the wire allows: other key order, other whitespace, extra keys,
// errorData of other shapes. null: the variant does not apply to this answer.
const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const reversed = (value) => Object.fromEntries(Object.entries(value).reverse());
const fixtureVariants = {
  recorded: (value, text) => text,
  reordered: (value) => (isObject(value) ? JSON.stringify(reversed(value)) : null),
  spaced: (value) => `\n\t ${JSON.stringify(value, null, 3)} \r\n`,
  "extra-keys": (value) => (isObject(value) ? JSON.stringify({ __extra: [1, { code: 1 }], ...value, zzz: null }) : null),
  // A decoy code and message inside errorData: only the top level counts.
  "error-data-decoy": (value) => (isObject(value) && "code" in value ? JSON.stringify({ ...value, errorData: { code: 1, message: "decoy" } }) : null),
  "error-data-null": (value) => (isObject(value) && "code" in value ? JSON.stringify({ ...value, errorData: null }) : null),
  "error-data-array": (value) => (isObject(value) && "code" in value ? JSON.stringify({ ...value, errorData: ["x", 2] }) : null),
  "error-data-string": (value) => (isObject(value) && "code" in value ? JSON.stringify({ ...value, errorData: "details" }) : null),
  "no-error-data": (value) => {
    if (!isObject(value) || !("code" in value)) return null;
    const { errorData, ...rest } = value;
    return JSON.stringify(rest);
  },
};

// Each recorded answer: its text as recorded (where the source gave only code and message,
// those two as a JSON object, flagged `synthesized`), and the status it is served with (the
// recorded one; where none was recorded, 200 for a success and 400 for an error, flagged
// `statusAssumed`).
const fixtures = readdirSync(FIXTURES)
  .filter((name) => name.endsWith(".json"))
  .sort()
  .map((file) => {
    const recorded = JSON.parse(readFileSync(new URL(file, FIXTURES), "utf8"));
    const synthesized = recorded.body == null;
    const text = synthesized ? JSON.stringify(recorded.known_fields) : recorded.body;
    const parsed = JSON.parse(text);
    const isError = parsed !== null && typeof parsed === "object" && "code" in parsed;
    return {
      name: file.replace(/\.json$/, ""),
      method: recorded.request.method,
      path: recorded.request.path,
      status: recorded.status ?? (isError ? 400 : 200),
      statusAssumed: recorded.status == null,
      synthesized,
      isError,
      text,
      variants: Object.keys(fixtureVariants).filter((variant) => fixtureVariants[variant](parsed, text) !== null),
    };
  });

function serveFixture(req, res, segments) {
  const [, name, variant] = segments;
  const fixture = fixtures.find((f) => f.name === name);
  const form = fixture && fixtureVariants[variant];
  if (!form) return send(res, 404, "application/json", json({ code: 404, message: `no fixture ${name}/${variant}` }));
  send(res, fixture.status, "application/json", form(JSON.parse(fixture.text), fixture.text));
}

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
  // A token no header can carry: stored, it would break every later call.
  "crlf-token": (req, res) => send(res, 200, "application/json", json(user({ "user-token": "FAULT\r\nX-Injected: 1" }))),
  // A 1 MB token: visible ASCII, but stored it would make every later request's headers too
  // large for servers.
  "huge-token": (req, res) => send(res, 200, "application/json", json(user({ "user-token": "T".repeat(1_000_000) }))),
  "empty-id": (req, res) => send(res, 200, "application/json", json(user({ objectId: "" }))),
  "other-user": (req, res) => send(res, 200, "application/json", json(user({ objectId: "SOMEONE-ELSE" }))),
  huge: (req, res) => send(res, 200, "application/json", json(Array.from({ length: 400_000 }, (_, i) => i))),
  // A code only inside errorData is no code: the service never puts it there.
  "error-data-only": (req, res) => send(res, 400, "application/json", json({ errorData: { code: 3003, message: "Invalid login or password" } })),
  "code-as-string": (req, res) => send(res, 400, "application/json", json({ code: "3003", message: 5 })),
  "code-3064": (req, res) => send(res, 401, "application/json", json({ code: 3064, message: "Not existing user token" })),
  truncated: (req, res) => {
    res.writeHead(200, { ...cors, "content-type": "application/json", "content-length": "5000" });
    res.write('{"objectId":"FAULT-USER","user-tok');
    setTimeout(() => res.socket?.destroy(), 20);
  },
  reset: (req, res) => req.socket.destroy(),
  // Slower than the callers' 300 ms timeout (the answer is dropped when the caller gave up).
  slow: (req, res) => {
    const timer = setTimeout(() => send(res, 200, "application/json", json(user())), 3000);
    res.on("close", () => clearTimeout(timer));
  },
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
  const segments = new URL(req.url, "http://x").pathname.split("/").slice(1);
  const name = segments[0];
  if (name === "fixtures" && req.method === "GET") return send(res, 200, "application/json", json(fixtures));
  if (name === "fixture") {
    req.resume();
    return req.on("end", () => serveFixture(req, res, segments));
  }
  const fault = faults[name];
  if (!fault) return send(res, 404, "application/json", json({ code: 404, message: `no fault named ${name}` }));
  req.resume();
  req.on("end", () => fault(req, res));
});

server.listen(Number(process.env.FAULT_PORT ?? 0), "127.0.0.1", () => {
  console.log(`fault server on http://127.0.0.1:${server.address().port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
