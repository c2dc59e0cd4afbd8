// Pages written for the official `backendless` client, on this package, in each engine of
// BROWSERS (default: all three), each driven through its own WebDriver against the real local
// server: what the official client's source (backendless@8.0.0, src/users/, src/local-cache/,
// src/index.js) promises a page, as a page sees it.
//
// - Backendless.User: `new Backendless.User(…)` registers, and every call that answers a user
//   answers one, with the server's JSON unchanged;
// - initApp's object form: serverURL (an EU-region app), debugMode, unknown options warned once,
//   the same settings again changing nothing (a React StrictMode effect), standalone instances;
// - the session reads and writes: getCurrentUserId, currentUser, setCurrentUserToken, a session
//   the page writes into LocalCache itself, LocalCache.Keys and storageName;
// - the requests of the calls added for the drop-in, as the local server receives them.
//
//   BROWSERS=firefox BACKENDLESS_EMULATOR_URL=http://127.0.0.1:PORT node --test tests/node/drop-in.test.mjs
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { TEST_APP_ID, TEST_API_KEY, appBase, registerUser, repoRoot, requestLog, servePage, uniqueEmail, useEmulator } from "./lib/harness.mjs";
import { inEachEngine, inPage } from "./lib/webdriver.mjs";

const PASSWORD = "wonderland";
const STORAGE_KEY = `Backendless_${TEST_APP_ID}`;
// The fault responder (tests/support/fault-server.mjs), for the one answer the real server
// cannot give: a success that is plain text rather than JSON.
const FAULT_URL = process.env.BACKENDLESS_FAULT_URL;
// The server's CloudCode (business logic) API key, for the calls only it may make.
const CLOUD_CODE_KEY = process.env.BACKENDLESS_TEST_CLOUD_CODE_KEY;

let emulator;
let site;

before(async () => {
  emulator = await useEmulator();
  // The generic test page: it imports /pkg/index.js as window.Backendless.
  site = await servePage(join(repoRoot, "tests/e2e/login-family/index.html"));
}, { timeout: 30_000 });

after(async () => {
  await site?.stop();
  await emulator?.stop();
});

/** A fresh page with the package loaded and nothing stored; the app is not set up yet. */
async function openPage(browser) {
  await browser.navigate(site.url);
  await browser.waitFor("return document.documentElement.dataset.ready === 'true'", { timeoutMs: 15_000, what: "the test page to load the SDK" });
  await inPage(browser, "localStorage.clear(); sessionStorage.clear();");
}

/** What the app does at start-up: initApp's object form, as the official client's docs show it. */
const initApp = (browser) =>
  inPage(browser, "Backendless.initApp({ appId: args[1], apiKey: args[2], serverURL: args[0] });", emulator.url, TEST_APP_ID, TEST_API_KEY);

/** Logs `email` in straight through the REST API: its user (with the user-token). */
async function restLogin(email) {
  const response = await fetch(`${appBase(emulator.url)}/users/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login: email, password: PASSWORD }),
  });
  assert.equal(response.status, 200);
  return response.json();
}

const clearLog = () => fetch(`${emulator.url}/__emulator/requests`, { method: "DELETE" });
const base = () => new URL(appBase(emulator.url)).pathname;

/** The requests since the last clearLog, as `METHOD path` below the app, with their bodies. */
async function requestsSince() {
  return (await requestLog(emulator.url)).map((entry) => ({
    call: `${entry.method} ${entry.path.replace(base(), "")}`,
    body: entry.body,
    tokenUserId: entry.tokenUserId,
  }));
}

inEachEngine((engine, launched) => {
  let browser;
  before(async () => {
    browser = await launched().newSession();
  });
  after(async () => {
    await browser?.delete();
  });

  test("new Backendless.User() registers, and every call that answers a user answers a Backendless.User, its JSON unchanged", async () => {
    const email = uniqueEmail(`user-class-${engine}`);
    await openPage(browser);
    await initApp(browser);
    const seen = await inPage(browser, `
      const { User, UserService } = Backendless;
      const kind = (user) => user instanceof User && user.___class === "Users" && user.constructor === User;
      const fresh = new User();
      const built = new User({ email: args[0], password: args[1], name: "Alice", __proto__x: 1 });
      const registered = await UserService.register(built);
      const loggedIn = await UserService.login(args[0], args[1], true);
      const current = await UserService.getCurrentUser();
      const updated = await UserService.update({ objectId: loggedIn.objectId, name: "Alice L." });
      const adopted = UserService.setLocalCurrentUser({ ...loggedIn }, true);
      const restored = await UserService.getCurrentUser(true);
      const guest = await UserService.loginAsGuest();
      return {
        fresh: [fresh.___class, Object.keys(fresh), kind(fresh)],
        builtKeys: Object.keys(built),
        className: User.className,
        kinds: [registered, loggedIn, current, updated, adopted, restored, guest].map(kind),
        sameCurrent: current === loggedIn,
        loggedInKeys: Object.keys(loggedIn),
        loggedInJson: JSON.stringify(loggedIn),
        currentUser: kind(UserService.currentUser) && UserService.currentUser.objectId === guest.objectId,
      };`, email, PASSWORD);
    assert.deepEqual(seen.fresh, ["Users", ["___class"], true]);
    assert.deepEqual(seen.builtKeys, ["email", "password", "name", "__proto__x", "___class"]);
    assert.equal(seen.className, "Users");
    assert.deepEqual(seen.kinds, [true, true, true, true, true, true, true], "register, login, getCurrentUser, update, setLocalCurrentUser, restore, loginAsGuest");
    assert.equal(seen.sameCurrent, true, "getCurrentUser answers the logged-in user itself");
    assert.equal(seen.currentUser, true);
    // The same properties, in the server's order and with its values, as the official client keeps them.
    const raw = await restLogin(email);
    assert.deepEqual(seen.loggedInKeys, Object.keys(raw));
    // (Less what differs between two logins and what the update changed since.)
    const comparable = ({ "user-token": _token, lastLogin: _last, updated: _updated, name: _name, ...rest }) => rest;
    assert.deepEqual(comparable(JSON.parse(seen.loggedInJson)), comparable(raw));
  });

  test("initApp({ serverURL }) sends every call there, and its settings read back as the official client shows them", async () => {
    const email = uniqueEmail(`server-url-${engine}`);
    await registerUser(emulator.url, { email, password: PASSWORD });
    await openPage(browser);
    const seen = await inPage(browser, `
      const before = { serverURL: Backendless.serverURL, appPath: Backendless.appPath, appId: Backendless.appId };
      const same = Backendless.initApp({ appId: args[1], apiKey: args[2], serverURL: args[0] + "/", debugMode: true });
      const user = await Backendless.UserService.login(args[3], args[4]);
      const refused = (() => { try { Backendless.initApp({ appId: "OTHER", apiKey: "KEY", serverURL: "eu-api.backendless.com" }); } catch (error) { return error.name; } })();
      return {
        before,
        same: same === Backendless,
        id: user.objectId,
        after: { serverURL: Backendless.serverURL, appPath: Backendless.appPath, appId: Backendless.appId, apiKey: Backendless.apiKey, domain: Backendless.domain, debugMode: Backendless.debugMode, standalone: Backendless.standalone },
        refused,
        stillLoggedIn: Backendless.UserService.currentUser?.objectId === user.objectId,
      };`, emulator.url, TEST_APP_ID, TEST_API_KEY, email, PASSWORD);
    assert.deepEqual(seen.before, { serverURL: "https://api.backendless.com", appPath: null, appId: null });
    assert.equal(seen.same, true);
    assert.ok(seen.id);
    assert.deepEqual(seen.after, {
      serverURL: emulator.url,
      appPath: appBase(emulator.url),
      appId: TEST_APP_ID,
      apiKey: TEST_API_KEY,
      domain: null,
      debugMode: true,
      standalone: false,
    });
    // A refused initApp leaves everything as it was, the server URL included.
    assert.equal(seen.refused, "TypeError");
    assert.equal(seen.stillLoggedIn, true);
  });

  test("initApp again with the same settings changes nothing: a login in flight resolves (a React StrictMode effect runs twice)", async () => {
    const email = uniqueEmail(`strict-mode-${engine}`);
    await registerUser(emulator.url, { email, password: PASSWORD });
    await openPage(browser);
    const seen = await inPage(browser, `
      const effect = () => {
        Backendless.initApp({ appId: args[1], apiKey: args[2], serverURL: args[0] });
        return Backendless.UserService.login(args[3], args[4], true);
      };
      // StrictMode in development: effect, cleanup, effect again, before anything answers.
      const [first, second] = await Promise.allSettled([effect(), effect()]);
      const outcome = (result) => result.status === "fulfilled" ? result.value.email : result.reason.name;
      const sameAgain = Backendless.initApp(args[1], args[2]) === Backendless && Backendless.UserService.currentUser?.email;
      // Other settings start afresh: a login in flight under the old ones is superseded.
      const pending = Backendless.UserService.login(args[3], args[4], true);
      Backendless.initApp({ domain: args[0] });
      const superseded = await pending.then(() => "resolved", (error) => error.name);
      return { first: outcome(first), second: outcome(second), sameAgain, superseded };`, emulator.url, TEST_APP_ID, TEST_API_KEY, email, PASSWORD);
    assert.deepEqual(seen, { first: email, second: email, sameAgain: email, superseded: "SupersededError" });
  });

  test("an unknown initApp option is warned about once, and the app still starts", async () => {
    await openPage(browser);
    const seen = await inPage(browser, `
      const warnings = [];
      const warn = console.warn;
      console.warn = (...parts) => warnings.push(parts.join(" "));
      try {
        Backendless.initApp({ appId: args[1], apiKey: args[2], serverURL: args[0], logging: { levels: {} } });
        Backendless.initApp({ appId: args[1], apiKey: args[2], serverURL: args[0], logging: { levels: {} } });
      } finally {
        console.warn = warn;
      }
      return { warnings, appId: Backendless.appId };`, emulator.url, TEST_APP_ID, TEST_API_KEY);
    assert.equal(seen.appId, TEST_APP_ID);
    assert.deepEqual(seen.warnings, ["Backendless.initApp ignores the option logging"]);
  });

  test("initApp({ standalone: true }) answers an independent Backendless: its own session, LocalCache and listeners", async () => {
    const alice = uniqueEmail(`standalone-a-${engine}`);
    const bob = uniqueEmail(`standalone-b-${engine}`);
    await registerUser(emulator.url, { email: alice, password: PASSWORD });
    await registerUser(emulator.url, { email: bob, password: PASSWORD });
    await openPage(browser);
    await initApp(browser);
    const seen = await inPage(browser, `
      const heard = { shared: [], own: [] };
      Backendless.UserService.addSessionListener((user) => heard.shared.push(user && user.email));
      await Backendless.UserService.login(args[0], args[2]);
      const own = Backendless.initApp({ appId: args[3], apiKey: args[4], standalone: true });
      own.UserService.addSessionListener((user) => heard.own.push(user && user.email));
      const bobUser = await own.UserService.login(args[1], args[2]);
      own.LocalCache.set("theme", "dark");
      const result = {
        distinct: own !== Backendless && own.UserService !== Backendless.UserService,
        standalone: [own.standalone, Backendless.standalone],
        inherits: [own.serverURL === Backendless.serverURL, own.appId],
        users: [(await Backendless.UserService.getCurrentUser()).email, (await own.UserService.getCurrentUser()).email],
        tokens: Backendless.UserService.getCurrentUserToken() !== own.UserService.getCurrentUserToken(),
        sharedClass: bobUser instanceof Backendless.User && own.User === Backendless.User,
        // Both map the same storage item, as the official client's instances do.
        theme: [Backendless.LocalCache.get("theme"), own.LocalCache.storageName],
      };
      await own.UserService.logout();
      result.afterOwnLogout = [(await Backendless.UserService.getCurrentUser())?.email ?? null, await own.UserService.getCurrentUser()];
      result.heard = heard;
      return result;`, alice, bob, PASSWORD, TEST_APP_ID, TEST_API_KEY);
    assert.deepEqual(seen.distinct, true);
    assert.deepEqual(seen.standalone, [true, false]);
    assert.deepEqual(seen.inherits, [true, TEST_APP_ID]);
    assert.deepEqual(seen.users, [alice, bob]);
    assert.equal(seen.tokens, true);
    assert.equal(seen.sharedClass, true);
    assert.deepEqual(seen.theme, ["dark", STORAGE_KEY]);
    assert.deepEqual(seen.afterOwnLogout, [alice, null]);
    assert.deepEqual(seen.heard, { shared: [alice], own: [bob, null] });
  });

  test("the session reads: getCurrentUserId, loggedInUser, currentUser, LocalCache.Keys and storageName", async () => {
    const email = uniqueEmail(`reads-${engine}`);
    const { objectId } = await registerUser(emulator.url, { email, password: PASSWORD });
    await openPage(browser);
    await initApp(browser);
    const seen = await inPage(browser, `
      const { UserService, LocalCache } = Backendless;
      const reads = () => [UserService.getCurrentUserId(), UserService.loggedInUser(), UserService.currentUser?.email ?? null, UserService.getLocalCurrentUser()?.email ?? null];
      const result = { none: reads() };
      // memory only: login's stayLoggedIn is true itself, as the official client reads it
      await UserService.login(args[0], args[1], "yes");
      result.memory = reads();
      result.memoryStored = LocalCache.get(LocalCache.Keys.CURRENT_USER_ID) ?? null;
      await UserService.login(args[0], args[1], true);
      result.keys = LocalCache.Keys;
      result.storageName = LocalCache.storageName;
      result.stored = [LocalCache.get(LocalCache.Keys.CURRENT_USER_ID), LocalCache.get(LocalCache.Keys.STAY_LOGGED_IN)];
      return result;`, email, PASSWORD);
    assert.deepEqual(seen.none, [null, null, null, null]);
    assert.deepEqual(seen.memory, [objectId, objectId, email, email]);
    assert.equal(seen.memoryStored, null, "a memory session stores nothing");
    assert.deepEqual(seen.keys, { USER_TOKEN: "user-token", CURRENT_USER_ID: "current-user-id", STAY_LOGGED_IN: "stayLoggedIn" });
    assert.equal(seen.storageName, STORAGE_KEY);
    assert.deepEqual(seen.stored, [objectId, true]);
    // After a reload, the id is known before the user is fetched.
    await browser.refresh();
    await browser.waitFor("return document.documentElement.dataset.ready === 'true'", { timeoutMs: 15_000, what: "the page to reload" });
    await initApp(browser);
    const reloaded = await inPage(browser, `
      const { UserService } = Backendless;
      const before = [UserService.getCurrentUserId(), UserService.currentUser];
      const user = await UserService.getCurrentUser();
      return { before, after: UserService.currentUser === user };`);
    assert.deepEqual(reloaded, { before: [objectId, null], after: true });
  });

  test("setCurrentUserToken: the session and its user take the token, stored where the session is; null ends the session", async () => {
    const email = uniqueEmail(`set-token-${engine}`);
    const { objectId } = await registerUser(emulator.url, { email, password: PASSWORD });
    const other = await restLogin(email); // a second session of the same user
    await openPage(browser);
    await initApp(browser);
    await clearLog();
    const seen = await inPage(browser, `
      const { UserService, LocalCache } = Backendless;
      const heard = [];
      UserService.addSessionListener((user) => heard.push(user && user["user-token"]));
      const user = await UserService.login(args[0], args[1], true);
      Backendless.setCurrentUserToken(args[2]);
      const result = {
        token: UserService.getCurrentUserToken() === args[2],
        userToken: UserService.currentUser["user-token"] === args[2],
        stored: LocalCache.get("user-token") === args[2],
        valid: await UserService.isValidLogin(),
      };
      UserService.setCurrentUserToken(null);
      result.ended = [UserService.getCurrentUserToken(), UserService.currentUser, LocalCache.get("user-token") ?? null];
      result.heard = heard.map((token) => token === args[2] ? "new" : token === user["user-token"] ? "login" : token);
      return result;`, email, PASSWORD, other["user-token"]);
    assert.deepEqual(seen, {
      token: true,
      userToken: true,
      stored: true,
      valid: true,
      ended: [null, null, null],
      heard: ["login", "new", null],
    });
    const checked = (await requestsSince()).find((request) => request.call.startsWith("GET /users/isvalidusertoken/"));
    assert.equal(checked.tokenUserId, objectId, "isValidLogin asked about the new token");
  });

  test("a session the page writes into LocalCache itself is the one getCurrentUser and isValidLogin use; a login started before the write is superseded", async () => {
    const email = uniqueEmail(`written-${engine}`);
    const { objectId } = await registerUser(emulator.url, { email, password: PASSWORD });
    const session = await restLogin(email);
    const other = uniqueEmail(`written-other-${engine}`);
    await registerUser(emulator.url, { email: other, password: PASSWORD });
    await openPage(browser);
    await initApp(browser);
    const seen = await inPage(browser, `
      const { UserService, LocalCache } = Backendless;
      const before = [await UserService.isValidLogin(), await UserService.getCurrentUser()];
      // Another user's login, in flight while the page writes its session (a row of the
      // README's differences table: the official client lets the login's answer replace it).
      const pending = UserService.login(args[2], args[3], true);
      LocalCache.set(LocalCache.Keys.USER_TOKEN, args[0]);
      LocalCache.set(LocalCache.Keys.CURRENT_USER_ID, args[1]);
      const raced = await pending.then((user) => user.email, (error) => error.name);
      const user = await UserService.getCurrentUser();
      return {
        before,
        raced,
        user: user && [user.email, user["user-token"] === args[0], user instanceof Backendless.User],
        valid: await UserService.isValidLogin(),
        token: UserService.getCurrentUserToken() === args[0],
      };`, session["user-token"], objectId, other, PASSWORD);
    assert.deepEqual(seen, { before: [false, null], raced: "SupersededError", user: [email, true, true], valid: true, token: true });
  });

  test("register sends blUserLocale, the page's language, unless the user has one", async () => {
    const [first, second] = [uniqueEmail(`locale-a-${engine}`), uniqueEmail(`locale-b-${engine}`)];
    await openPage(browser);
    await initApp(browser);
    await clearLog();
    const language = await inPage(browser, `
      await Backendless.UserService.register({ email: args[0], password: args[2] });
      await Backendless.UserService.register(new Backendless.User({ email: args[1], password: args[2], blUserLocale: "fr" }));
      return (navigator.languages[0] || navigator.language).slice(0, 2).toLowerCase();`, first, second, PASSWORD);
    // The engine's own language (WebKit under a C locale says "c"), as the official client reads it.
    assert.ok(language.length > 0);
    const bodies = (await requestsSince()).filter((request) => request.call === "POST /users/register").map((request) => request.body);
    assert.deepEqual(bodies.map(({ email, blUserLocale }) => [email, blUserLocale]), [[first, language], [second, "fr"]]);
    assert.equal(bodies[1].___class, "Users", "a Backendless.User is sent with its class, as the official client sends it");
  });

  test("the calls added for the drop-in send the official client's requests", async () => {
    const email = uniqueEmail(`calls-${engine}`);
    const { objectId } = await registerUser(emulator.url, { email, password: PASSWORD });
    await openPage(browser);
    await initApp(browser);
    const token = await inPage(browser, "return (await Backendless.UserService.login(args[0], args[1], true))['user-token'];", email, PASSWORD);
    await clearLog();
    const seen = await inPage(browser, `
      const { UserService } = Backendless;
      const outcome = (promise) => promise.then((value) => ({ value }), (error) => ({ error: error.name, code: error.code }));
      return {
        ownRoles: await outcome(UserService.getUserRoles(args[0])),
        confirmation: await outcome(UserService.createEmailConfirmationURL(args[1])),
        columns: await outcome(UserService.describeUserClass().then((columns) => columns.map((column) => column.name))),
        byObjectId: await outcome(UserService.login(args[0], true)),
        oauth1: await outcome(UserService.loginWithOauth1("twitter", "not-a-token", "not-a-secret", true)),
        emptyUserId: await outcome(UserService.getUserRoles("")),
        stillLoggedIn: UserService.getCurrentUserToken() === args[2],
      };`, objectId, email, token);
    const requests = (await requestsSince()).map(({ call, body }) => [call, body]);
    assert.deepEqual(requests.map(([call]) => call), [
      `GET /users/userroles/${objectId}`,
      `POST /users/createEmailConfirmationURL/${encodeURIComponent(email)}`,
      "GET /users/userclassprops",
      "POST /users/login",
      "POST /users/social/twitter/login",
    ]);
    assert.deepEqual(requests[3][1], { objectId });
    // (The server's log redacts both.)
    assert.deepEqual(requests[4][1], { accessToken: "[redacted]", accessTokenSecret: "[redacted]" });
    assert.ok(Array.isArray(seen.ownRoles.value) && seen.ownRoles.value.includes("AuthenticatedUser"), JSON.stringify(seen.ownRoles));
    // The local server here does not require confirmation, so it answers as the hosted service
    // then does (emulator/tests/cloud_code.rs covers the link itself).
    assert.deepEqual(seen.confirmation, { error: "BackendlessError", code: 3103 });
    for (const column of ["objectId", "email", "created", "updated"]) assert.ok(seen.columns.value?.includes(column), `${column} in ${JSON.stringify(seen.columns)}`);
    // Login by objectId is for CloudCode keys: the app's own key gets the hosted service's 2014.
    assert.deepEqual(seen.byObjectId, { error: "BackendlessError", code: 2014 });
    assert.equal(seen.oauth1.error, "BackendlessError");
    assert.deepEqual(seen.emptyUserId, { error: "TypeError", code: null });
    assert.equal(seen.stillLoggedIn, true, "refused logins change nothing");
  });

  test("loginWithOauth1 signs in with a provider's OAuth 1 token and its secret; login(objectId) under a CloudCode key, on a standalone instance", { skip: !CLOUD_CODE_KEY && "BACKENDLESS_TEST_CLOUD_CODE_KEY is not set" }, async () => {
    const email = uniqueEmail(`oauth1-${engine}`);
    // An OAuth 1 account at the local identity provider (the server runs with --oauth-provider twitter).
    const response = await fetch(`${emulator.url}/oauth-provider/twitter/accounts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, name: "Tweety", oauth1: true }),
    });
    assert.equal(response.status, 200);
    const account = await response.json();
    await openPage(browser);
    await initApp(browser);
    const seen = await inPage(browser, `
      const { UserService } = Backendless;
      const outcome = (promise) => promise.then((user) => user.email, (error) => [error.name, error.code]);
      const wrongSecret = await outcome(UserService.loginWithOauth1("Twitter", args[0], args[1] + "x", true));
      const user = await UserService.loginWithOauth1("Twitter", args[0], args[1], { name: "name" }, true);
      const byId = Backendless.initApp({ appId: args[2], apiKey: args[3], standalone: true });
      const same = await byId.UserService.login(user.objectId, true);
      return {
        wrongSecret,
        user: [user.email, user.name, user instanceof Backendless.User, (await UserService.getCurrentUser()).objectId === user.objectId],
        byId: [same.objectId === user.objectId, same["user-token"] !== user["user-token"], byId.UserService.getCurrentUserId() === user.objectId],
      };`, account.access_token, account.access_token_secret, TEST_APP_ID, CLOUD_CODE_KEY);
    assert.deepEqual(seen.wrongSecret, ["BackendlessError", 3211]);
    assert.deepEqual(seen.user, [email, "Tweety", true, true]);
    assert.deepEqual(seen.byId, [true, true, true]);
  });

  test("loginWithFacebookSdk and loginWithGooglePlusSdk exchange a provider SDK's access token for a session, with the official client's argument shift", async () => {
    // Accounts at the local identity provider (the server runs with --oauth-provider facebook
    // and googleplus): the access tokens a provider's JS SDK would hand the page.
    const account = async (provider, name) => {
      const response = await fetch(`${emulator.url}/oauth-provider/${provider}/accounts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: uniqueEmail(`sdk-${provider}-${engine}`), name }),
      });
      assert.equal(response.status, 200);
      return response.json();
    };
    const facebook = await account("facebook", "Faye");
    const google = await account("googleplus", "Gus");
    await openPage(browser);
    await initApp(browser);
    const seen = await inPage(browser, `
      const { UserService, LocalCache } = Backendless;
      const outcome = (promise) => promise.then((user) => user.email, (error) => [error.name, error.code]);
      const noToken = await outcome(UserService.loginWithFacebookSdk(""));
      // Google's token at Facebook's door: the server refuses it, and the session stays empty.
      const crossed = await outcome(UserService.loginWithFacebookSdk(args[1]));
      const before = UserService.getCurrentUserToken();
      // fieldsMapping, then stayLoggedIn.
      const fb = await UserService.loginWithFacebookSdk(args[0], { name: "name" }, true);
      const fbStored = LocalCache.get("user-token") === fb["user-token"];
      // A boolean in the fieldsMapping's place is stayLoggedIn.
      const gp = await UserService.loginWithGooglePlusSdk(args[1], false);
      return {
        noToken, crossed, before,
        fb: [fb.email, fb.name, fb instanceof Backendless.User, fbStored],
        gp: [gp.email, UserService.getCurrentUserId() === gp.objectId, LocalCache.get("user-token") ?? null],
      };`, facebook.access_token, google.access_token);
    assert.deepEqual(seen.noToken, ["TypeError", null]);
    assert.deepEqual(seen.crossed, ["BackendlessError", 3211]);
    assert.equal(seen.before, null);
    assert.deepEqual(seen.fb, [facebook.email, "Faye", true, true]);
    assert.deepEqual(seen.gp, [google.email, true, null], "stayLoggedIn false: the session is not stored");
  });

  test("getAuthorizationUrlLink resolves with an authorization URL the server sends as plain text", { skip: !FAULT_URL && "BACKENDLESS_FAULT_URL is not set" }, async () => {
    await openPage(browser);
    const seen = await inPage(browser, `
      Backendless.initApp({ appId: "APP", apiKey: "KEY", serverURL: args[0] + "/text200" });
      const url = await Backendless.UserService.getAuthorizationUrlLink("github");
      const login = await Backendless.UserService.login("a@b.c", "p").then(() => "resolved", (error) => error.name);
      return { url, login };`, FAULT_URL);
    assert.deepEqual(seen, { url: "this is not JSON", login: "InvalidResponseError" });
  });
});
