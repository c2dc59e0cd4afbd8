// Business logic's calls (verifyPassword, findByRole, assignRole, unassignRole, enableUser,
// disableUser, updateUserStatus) from the package's Node entry (pkg/node.js, the "node"
// condition), against the real local server under its CloudCode key: what they answer, what they
// do to the users, what they refuse, and the requests they send beside the official client's.
//
//   npm run build && BACKENDLESS_EMULATOR_URL=http://127.0.0.1:PORT \
//     BACKENDLESS_TEST_CLOUD_CODE_KEY=KEY node --test tests/node/business-logic.test.mjs
// (without them, a fresh in-memory server is started, with its default CloudCode key).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { request as httpRequest, createServer } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { TEST_APP_ID, TEST_API_KEY, registerUser, repoRoot, uniqueEmail, useEmulator } from "./lib/harness.mjs";

const CLOUD_CODE_KEY = process.env.BACKENDLESS_EMULATOR_URL ? process.env.BACKENDLESS_TEST_CLOUD_CODE_KEY : "LOCAL-CLOUDCODE-KEY";
const ROLE = `Editors${process.pid}`;
const PASSWORD = "business password";

let emulator;
let Backendless; // pkg/node.js's default export
let alice; // registered users, as the server answered
let bob;

before(async () => {
  assert.ok(CLOUD_CODE_KEY, "set BACKENDLESS_TEST_CLOUD_CODE_KEY with BACKENDLESS_EMULATOR_URL");
  emulator = await useEmulator();
  const created = await fetch(`${emulator.url}/__emulator/roles`, { method: "POST", body: JSON.stringify({ name: ROLE }) });
  assert.equal(created.status, 200, "the role was created");
  alice = await registerUser(emulator.url, { email: uniqueEmail("bl-alice"), password: PASSWORD });
  bob = await registerUser(emulator.url, { email: uniqueEmail("bl-bob"), password: PASSWORD });
  ({ default: Backendless } = await import(pathToFileURL(join(repoRoot, "pkg/node.js")).href));
}, { timeout: 30_000 });

after(() => emulator?.stop(), { timeout: 15_000 });

/** A standalone instance of the Node entry under `apiKey`, pointed at `serverURL`. */
const instance = (apiKey = CLOUD_CODE_KEY, serverURL = emulator.url) =>
  Backendless.initApp({ appId: TEST_APP_ID, apiKey, serverURL, standalone: true });

/** The error a Promise rejects with (fails if it resolves). */
async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("resolved, expected a rejection");
}

const emails = (users) => users.map((user) => user.email);

describe("business logic's calls, under the CloudCode key", { timeout: 60_000 }, () => {
  test("verifyPassword answers true for the session's password and false for another, and needs a session", async () => {
    const app = instance();
    const refused = await rejection(app.UserService.verifyPassword(PASSWORD));
    assert.equal(refused.name, "TypeError", "no request without a logged-in user");
    await app.UserService.login(alice.email, PASSWORD);
    assert.equal(await app.UserService.verifyPassword(PASSWORD), true);
    assert.equal(await app.UserService.verifyPassword("not the password"), false);
    // The Backendless.Async form of every UserService call.
    const viaCallbacks = await new Promise((resolve, reject) => {
      const result = app.UserService.verifyPassword(PASSWORD, new app.Async(resolve, reject));
      assert.equal(result, undefined);
    });
    assert.equal(viaCallbacks, true);
  });

  test("assignRole puts a user in a role, findByRole lists that role's users as Backendless.User, unassignRole takes the user out", async () => {
    const { UserService, User } = instance();
    assert.deepEqual(await UserService.findByRole(ROLE), []);
    // By identity (the e-mail) and by objectId, as the official client allows.
    await UserService.assignRole(alice.email, ROLE);
    await UserService.assignRole(bob.objectId, ROLE);
    const users = await UserService.findByRole(ROLE);
    assert.deepEqual(emails(users), [alice.email, bob.email]);
    assert.ok(users.every((user) => user instanceof User && user.___class === "Users"));
    assert.ok((await UserService.getUserRoles(alice.objectId)).includes(ROLE));
    // loadRoles and the query's paging reach the server.
    const [first] = await UserService.findByRole(ROLE, true, { pageSize: 1 });
    assert.equal(first.email, alice.email);
    assert.ok(first.roles.includes(ROLE), `roles loaded: ${JSON.stringify(first.roles)}`);
    assert.deepEqual(emails(await UserService.findByRole(ROLE, false, { pageSize: 1, offset: 1 })), [bob.email]);
    await UserService.unassignRole(alice.email, ROLE);
    await UserService.unassignRole(bob.objectId, ROLE);
    assert.deepEqual(await UserService.findByRole(ROLE), []);
    // The server's refusals come through as Backendless errors with their codes.
    assert.equal((await rejection(UserService.assignRole(alice.email, "NoSuchRole"))).code, 2005);
    assert.equal((await rejection(UserService.assignRole(alice.email, "AuthenticatedUser"))).code, 2007);
  });

  test("disableUser ends a user's logins until enableUser; updateUserStatus passes the server's refusal on", async () => {
    const { UserService } = instance();
    const page = instance(TEST_API_KEY);
    await UserService.disableUser(bob.objectId);
    const disabled = await rejection(page.UserService.login(bob.email, PASSWORD));
    assert.equal(disabled.name, "BackendlessError");
    assert.equal(disabled.code, 3000);
    const enabled = await UserService.enableUser(bob.objectId);
    assert.equal(enabled.userStatus, "ENABLED");
    assert.equal((await page.UserService.login(bob.email, PASSWORD)).email, bob.email);
    assert.equal((await rejection(UserService.updateUserStatus(bob.objectId, "SLEEPING"))).code, 8002);
    assert.equal((await rejection(UserService.updateUserStatus("no-such-user", "ENABLED"))).code, 3030);
  });

  test("each call refuses bad arguments with a TypeError, without a request", async () => {
    const { UserService } = instance(CLOUD_CODE_KEY, "http://127.0.0.1:9"); // nothing listens there
    const cases = [
      UserService.verifyPassword(""),
      UserService.findByRole(""),
      UserService.findByRole(ROLE, "yes"),
      UserService.findByRole(ROLE, true, [1]),
      UserService.assignRole(null, ROLE),
      UserService.unassignRole(alice.email, ""),
      UserService.updateUserStatus(alice.objectId, ""),
      UserService.enableUser(undefined),
      UserService.disableUser({}),
    ];
    for (const error of await Promise.all(cases.map(rejection))) assert.equal(error.name, "TypeError", error.message);
  });
});

describe("business logic's calls, under the app's key", { timeout: 30_000 }, () => {
  test("the server refuses them with its codes (what a page holding the browser key would get)", async () => {
    const app = instance(TEST_API_KEY);
    await app.UserService.login(alice.email, PASSWORD);
    const codes = [];
    for (const call of [
      () => app.UserService.verifyPassword(PASSWORD),
      () => app.UserService.assignRole(alice.email, ROLE),
      () => app.UserService.unassignRole(alice.email, ROLE),
      () => app.UserService.disableUser(alice.objectId),
    ]) codes.push((await rejection(call())).code);
    assert.deepEqual(codes, [3122, 2011, 2011, 3054]);
  });
});

describe("the package's entries", { timeout: 30_000 }, () => {
  test("node.cjs and server.js have the calls too; the browser entries do not carry them", async () => {
    const members = ["verifyPassword", "findByRole", "assignRole", "unassignRole", "enableUser", "disableUser", "updateUserStatus"];
    const cjs = createRequire(import.meta.url)(join(repoRoot, "pkg/node.cjs"));
    const { default: server } = await import(pathToFileURL(join(repoRoot, "pkg/server.js")).href);
    const { default: browser } = await import(pathToFileURL(join(repoRoot, "pkg/index.js")).href);
    for (const name of members) {
      assert.equal(typeof cjs.UserService[name], "function", `node.cjs ${name}`);
      assert.equal(typeof server.UserService[name], "function", `server.js ${name}`);
      assert.equal(browser.UserService[name], undefined, `index.js ${name}`);
    }
    // server.js's shared instance keeps no session, so verifyPassword has none to check.
    assert.equal((await rejection(server.UserService.verifyPassword(PASSWORD))).name, "TypeError");
  });
});

// ---- the requests, beside the official client's -------------------------------------------

/**
 * A recorder in front of the real server: forwards every request and keeps what the server
 * cannot log (the query string) with the rest. Both clients talk to the same server through it.
 */
async function startRecorder(target) {
  const seen = [];
  const server = createServer((incoming, outgoing) => {
    const chunks = [];
    incoming.on("data", (chunk) => chunks.push(chunk));
    incoming.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({
        method: incoming.method,
        url: incoming.url.replace(CLOUD_CODE_KEY, "KEY"),
        contentType: incoming.headers["content-type"]?.split(";")[0] ?? null,
        sessionToken: "user-token" in incoming.headers,
        body: body ? JSON.parse(body) : null,
      });
      const forward = httpRequest(new URL(incoming.url, target), { method: incoming.method, headers: incoming.headers }, (answer) => {
        outgoing.writeHead(answer.statusCode, answer.headers);
        answer.pipe(outgoing);
      });
      forward.on("error", () => outgoing.destroy());
      forward.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, stop: () => new Promise((resolve) => server.close(resolve)) };
}

/** The seven calls, in one order, on a logged-in UserService (`id` an objectId). */
async function everyCall(UserService, id) {
  await UserService.login(alice.email, PASSWORD);
  await UserService.verifyPassword(PASSWORD);
  await UserService.findByRole(ROLE, true, { pageSize: 5, offset: 1, where: "email like '%b%'", sortBy: ["email", "created desc"], properties: ["email"] });
  await UserService.assignRole(alice.email, ROLE);
  await UserService.unassignRole(alice.email, ROLE);
  await UserService.disableUser(id);
  await UserService.enableUser(id);
  await UserService.updateUserStatus(id, "ENABLED");
}

describe("requests", { timeout: 60_000 }, () => {
  test("each call sends the official client's method, URL, query, headers and body", async () => {
    const recorder = await startRecorder(emulator.url);
    try {
      const { default: Official } = await import("backendless");
      const official = Official.initApp({ appId: TEST_APP_ID, apiKey: CLOUD_CODE_KEY, serverURL: recorder.url, standalone: true });
      await everyCall(official.UserService, bob.objectId);
      // The official client also asks for the app's `info` when it starts: not one of the calls.
      const theirs = recorder.seen.splice(0).filter((request) => !request.url.endsWith("/info"));
      await everyCall(instance(CLOUD_CODE_KEY, recorder.url).UserService, bob.objectId);
      assert.equal(theirs.length, 8, JSON.stringify(theirs, null, 1));
      assert.deepEqual(recorder.seen, theirs);
    } finally {
      await recorder.stop();
    }
  });
});
