// The local server against the hosted service's recorded answers (tests/fixtures/real-service/):
// for every recorded case it can produce, it must answer with the same status (where one was
// recorded), the same keys in the same order, the same code and wording, and user objects with
// the same fields and value types. Ids, tokens and times differ by nature and are compared by
// shape only.
//
//   BACKENDLESS_EMULATOR_URL=http://127.0.0.1:PORT node --test tests/node/real-service.test.mjs
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { appBase, registerUser, uniqueEmail, useEmulator } from "./lib/harness.mjs";

const FIXTURES = new URL("../fixtures/real-service/", import.meta.url);
const recorded = Object.fromEntries(
  readdirSync(FIXTURES)
    .filter((name) => name.endsWith(".json"))
    .map((name) => [name.replace(/\.json$/, ""), JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8"))]),
);
const PASSWORD = "wonderland";
const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

let emulator;
before(async () => { emulator = await useEmulator(); });
after(async () => { await emulator?.stop(); });

async function call(method, path, { body, token, base } = {}) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers["user-token"] = token;
  const response = await fetch(`${base ?? appBase(emulator.url)}/${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, value: text ? JSON.parse(text) : null };
}

/** The recorded answer's value: its body, or the code and message the source kept. */
function recordedValue(name) {
  const fixture = recorded[name];
  assert.ok(fixture, `no recorded answer ${name}`);
  return fixture.body == null ? fixture.known_fields : JSON.parse(fixture.body);
}

/** An error answer must match the recording in status (if recorded), code and message. */
function assertSameError(answer, name, { message = recordedValue(name).message } = {}) {
  const fixture = recorded[name];
  const expected = recordedValue(name);
  if (fixture.status != null) assert.equal(answer.status, fixture.status, `${name}: status`);
  assert.equal(answer.value.code, expected.code, `${name}: code`);
  assert.equal(answer.value.message, message, `${name}: message`);
  // The keys of today's service; errorData always present (an object), as in the 2018 answer.
  assert.deepEqual(Object.keys(answer.value), ["code", "message", "errorData"], `${name}: keys`);
  assert.deepEqual(answer.value.errorData, {}, `${name}: errorData`);
}

const typeOf = (value) => (value === null ? "null" : typeof value);

/**
 * A user object must carry every system field of the recording with a value of the same type
 * (custom columns aside), the same fixed values, and no password; ids look like the service's.
 */
function assertSameUserShape(actual, name, { custom = [] } = {}) {
  const expected = recordedValue(name);
  for (const [key, value] of Object.entries(expected)) {
    if (custom.includes(key)) continue;
    assert.ok(key in actual, `${name}: missing ${key}`);
    if (value !== null && actual[key] !== null) {
      assert.equal(typeOf(actual[key]), typeOf(value), `${name}: type of ${key}`);
    }
  }
  for (const key of ["___class", "accountType", "userStatus", "blUserLocale"]) {
    if (key in expected) assert.equal(actual[key], expected[key], `${name}: ${key}`);
  }
  assert.ok(!("password" in actual), `${name}: no password`);
  assert.match(actual.objectId, UUID);
  assert.equal(actual.ownerId, actual.objectId, `${name}: ownerId is the objectId`);
}

test("a wrong password: 401 and the exact recorded body", async () => {
  const email = uniqueEmail("real-3003");
  await registerUser(emulator.url, { email, password: PASSWORD });
  const answer = await call("POST", "users/login", { body: { login: email, password: "nope" } });
  assert.equal(answer.status, 401);
  assert.equal(answer.text, recorded["login-3003-wrong-password"].body);
});

test("a wrong app id or API key: 2002 with the recorded wording", async () => {
  const answer = await call("POST", "users/login", {
    base: `${emulator.url}/NO-SUCH-APP/NO-SUCH-KEY`,
    body: { login: "a@b.c", password: PASSWORD },
  });
  assertSameError(answer, "data-2002-wrong-app-info-2017");
});

test("registering a taken identity: 3033 with the recorded wording", async () => {
  const email = uniqueEmail("real-3033");
  await registerUser(emulator.url, { email, password: PASSWORD });
  const answer = await call("POST", "users/register", { body: { email, password: PASSWORD } });
  assertSameError(answer, "register-3033-user-already-exists");
});

test("a stale token on data/Users and on logout: 3064 naming the token", async () => {
  const { objectId } = await registerUser(emulator.url, { email: uniqueEmail("real-3064"), password: PASSWORD });
  const token = "0DEAD000-0000-4000-8000-000000000000";
  // The recording names its own token; the local server names the one it was sent.
  const message = recordedValue("verifypassword-3064-stale-token").message.replace("invalid-token", token);
  assertSameError(await call("GET", `data/Users/${objectId}`, { token }), "verifypassword-3064-stale-token", { message });
  assertSameError(await call("GET", "users/logout", { token }), "verifypassword-3064-stale-token", { message });
});

test("a login answer has today's user fields, types and fixed values", async () => {
  const email = uniqueEmail("real-login");
  await registerUser(emulator.url, { email, password: PASSWORD, name: "Superman", phone: "01234567890" });
  const answer = await call("POST", "users/login", { body: { login: email, password: PASSWORD } });
  assert.equal(answer.status, 200);
  assertSameUserShape(answer.value, "login-success-2025-app-fixture");
  assertSameUserShape(answer.value, "login-success-2018-compact", { custom: ["name"] });
  assert.match(answer.value["user-token"], UUID);
});

test("a register answer has the recorded fields and no token", async () => {
  const answer = await call("POST", "users/register", {
    body: { email: uniqueEmail("real-register"), password: PASSWORD, username: "Boris" },
  });
  assert.equal(answer.status, 200);
  assertSameUserShape(answer.value, "register-success-2020");
  assert.equal(answer.value.lastLogin, null, "never logged in");
  assert.ok(!("user-token" in answer.value), "register does not log in");
});

test("a guest login answers a GUEST user with a token", async () => {
  const answer = await call("POST", "users/register/guest");
  assert.equal(answer.status, 200);
  const sample = recordedValue("guest-login-docs-sample");
  assert.equal(answer.value.userStatus, sample.userStatus);
  assert.match(answer.value["user-token"], UUID);
  assert.match(answer.value.objectId, UUID);
});
