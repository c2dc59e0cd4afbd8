// Compatibility with the documentation and with the official `backendless` client, in Chromium
// against the real local server:
// - the JavaScript samples of the Login API docs (seed 001) run verbatim;
// - the callback style (`new Backendless.Async(onSuccess, onFault)`) works;
// - a session stored by the official client is picked up by ours, and the other way round;
// - for the same calls, our requests match the official client's (method, path, headers, body).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  appBase,
  launchChromium,
  registerUser,
  repoRoot,
  requestLog,
  serveDirectory,
  TEST_API_KEY,
  TEST_APP_ID,
  uniqueEmail,
  useEmulator,
} from "./lib/harness.mjs";

const PASSWORD = "wonderland";
const STORAGE_KEY = `Backendless_${TEST_APP_ID}`;
let emulator, site, browser;

before(async () => {
  emulator = await useEmulator();
  site = await serveDirectory(repoRoot);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await site?.stop();
  await emulator?.stop();
});

const clearLog = () => fetch(`${emulator.url}/__emulator/requests`, { method: "DELETE" });

/** A fresh page of one origin, with console lines collected. */
async function openPage(context) {
  const page = await (context ?? browser).newPage();
  const consoleLines = [];
  page.on("console", (message) => consoleLines.push(message.text()));
  await page.goto(`${site.url}tests/e2e/compat/blank.html`);
  return { page, consoleLines };
}

/** Loads our package as window.Backendless (as a page importing it would have it in scope). */
async function loadOurs(page) {
  await page.evaluate(async ([server, appId, apiKey]) => {
    const { default: Backendless } = await import("/pkg/index.js");
    window.Backendless = Backendless;
    Backendless.serverURL = server;
    Backendless.initApp(appId, apiKey);
  }, [emulator.url, TEST_APP_ID, TEST_API_KEY]);
}

/** Loads the official client's browser bundle as window.Backendless. */
async function loadOfficial(page) {
  await page.addScriptTag({ url: "/node_modules/backendless/dist/backendless.min.js" });
  await page.evaluate(([server, appId, apiKey]) => {
    window.Backendless.serverURL = server;
    window.Backendless.initApp(appId, apiKey);
  }, [emulator.url, TEST_APP_ID, TEST_API_KEY]);
}

// ---- the documentation's samples, verbatim --------------------------------------------------

// Copied exactly from the JavaScript Login API page (seed 001); the test below also checks that
// each one still stands in the seed document, so they cannot drift.
const SAMPLE_LOGIN_SHAPE = `Backendless.UserService.login( login, password, stayLoggedIn )
.then( function( loggedInUser ) {
})
.catch( function( error ) {
});`;
const SAMPLE_LOCAL_CACHE = `// get objectId of the logged-in user:
var userObjectId = Backendless.LocalCache.get("current-user-id")
// get user-token of the logged-in user:
var userToken = Backendless.LocalCache.get("user-token")
// get current user object:
var userObject = await Backendless.UserService.getCurrentUser()`;
const SAMPLE_EXAMPLE = `// do not forget to call Backendless.initApp( appId, apiKey ); to initialize your app
function userLoggedIn( user )
{
console.log( "user has logged in" );
}
function gotError( err ) // see more on error handling
{
console.log( "error message - " + err.message );
console.log( "error code - " + err.statusCode );
}
Backendless.UserService.login( login, password, true )
.then( userLoggedIn )
.catch( gotError );`;
const SAMPLE_VALIDATE = `function success( result )
{
console.log( "Is login valid?: " + result );
}
function error( err )
{
console.log( err.message );
console.log( err.statusCode );
}
Backendless.UserService.isValidLogin()
.then( success )
.catch( error );`;
const SAMPLE_BLOCKING = `var userTokenIsValid = Backendless.UserService.isValidLoginSync();
console.log( "Is login valid?: " + userTokenIsValid );`;

test("the samples are the seed document's, character for character", (t) => {
  const seeds = join(repoRoot, "..", "shared", "seeds");
  const file = existsSync(seeds) && readdirSync(seeds).find((name) => name.startsWith("001_"));
  if (!file) return t.skip("shared/seeds is not beside this checkout");
  const text = readFileSync(join(seeds, file), "utf8");
  for (const sample of [SAMPLE_LOGIN_SHAPE, SAMPLE_LOCAL_CACHE, SAMPLE_EXAMPLE, SAMPLE_VALIDATE, SAMPLE_BLOCKING]) {
    assert.ok(text.includes(sample), `not in ${file}:\n${sample}`);
  }
});

/** Runs documentation code in the page with `login`, `password` and `stayLoggedIn` in scope, as the docs assume. */
async function runSample(page, code, login, password) {
  await page.evaluate(
    async ([source, login, password]) => {
      const run = new Function("login", "password", "stayLoggedIn", `return (async () => {\n${source}\n})();`);
      await run(login, password, true);
      // The samples chain .then/.catch without returning the promise: let them settle.
      await new Promise((resolve) => setTimeout(resolve, 300));
    },
    [code, login, password],
  );
}

test("the docs' login, LocalCache, isValidLogin and blocking samples run as written", async () => {
  const email = uniqueEmail("docs");
  const registered = await registerUser(emulator.url, { email, password: PASSWORD });
  const { page, consoleLines } = await openPage();
  await loadOurs(page);

  await runSample(page, SAMPLE_LOGIN_SHAPE, email, PASSWORD);
  await runSample(page, SAMPLE_EXAMPLE, email, PASSWORD);
  assert.ok(consoleLines.includes("user has logged in"), consoleLines.join("\n"));

  await runSample(page, `${SAMPLE_LOCAL_CACHE}\nwindow.sample = { userObjectId, userToken, userObject };`, email, PASSWORD);
  const sample = await page.evaluate(() => window.sample);
  assert.equal(sample.userObjectId, registered.objectId);
  assert.match(sample.userToken, /^[0-9A-F-]{36}$/);
  assert.equal(sample.userObject.objectId, registered.objectId);
  assert.equal(sample.userObject["user-token"], sample.userToken);

  await runSample(page, SAMPLE_VALIDATE, email, PASSWORD);
  await runSample(page, SAMPLE_BLOCKING, email, PASSWORD);
  assert.equal(consoleLines.filter((line) => line === "Is login valid?: true").length, 2, consoleLines.join("\n"));

  // The error path of the example: the docs read err.statusCode.
  await runSample(page, SAMPLE_EXAMPLE, email, "not-the-password");
  assert.ok(consoleLines.includes("error code - 3003"), consoleLines.join("\n"));
  assert.ok(consoleLines.some((line) => line.startsWith("error message - ") && line.length > "error message - ".length));
  await page.close();
});

test("the callback style: new Backendless.Async(onSuccess, onFault) as the last argument", async () => {
  const email = uniqueEmail("async");
  await registerUser(emulator.url, { email, password: PASSWORD });
  const { page } = await openPage();
  await loadOurs(page);

  const outcome = await page.evaluate(async ([email, password]) => {
    const settle = (call) =>
      new Promise((resolve) => {
        const returned = call(new Backendless.Async((result) => resolve({ ok: result, returned }), (error) => resolve({ error: { code: error.code, status: error.status, isError: error instanceof Error }, returned })));
      });
    const loggedIn = await settle((callbacks) => Backendless.UserService.login(email, password, true, callbacks));
    const wrong = await settle((callbacks) => Backendless.UserService.login(email, "wrong", true, callbacks));
    const shortForm = await settle((callbacks) => Backendless.UserService.login(email, password, callbacks));
    const valid = await settle((callbacks) => Backendless.UserService.isValidLogin(callbacks));
    const current = await settle((callbacks) => Backendless.UserService.getCurrentUser(callbacks));
    return { loggedIn: loggedIn.ok?.email, wrong: wrong.error, shortForm: shortForm.ok?.email, valid: valid.ok, current: current.ok?.email, returned: loggedIn.returned };
  }, [email, PASSWORD]);

  assert.deepEqual(outcome, {
    loggedIn: email,
    wrong: { code: 3003, status: 401, isError: true },
    shortForm: email,
    valid: true,
    current: email,
    returned: undefined,
  });
  await page.close();
});

// ---- sessions shared with the official client ----------------------------------------------

test("a session stored by the official client is picked up by ours after a reload", async () => {
  const email = uniqueEmail("from-official");
  const registered = await registerUser(emulator.url, { email, password: PASSWORD });
  const context = await browser.newContext();
  const { page } = await openPage(context);
  await loadOfficial(page);
  const token = await page.evaluate(async ([email, password]) => (await Backendless.UserService.login(email, password, true))["user-token"], [email, PASSWORD]);
  const stored = await page.evaluate((key) => localStorage.getItem(key), STORAGE_KEY);
  assert.deepEqual(JSON.parse(stored), { stayLoggedIn: true, "user-token": token, "current-user-id": registered.objectId });

  await page.reload();
  await loadOurs(page);
  await clearLog();
  const picked = await page.evaluate(async () => {
    const user = await Backendless.UserService.getCurrentUser();
    return { id: user?.objectId, token: Backendless.LocalCache.get("user-token"), valid: await Backendless.UserService.isValidLogin() };
  });

  assert.deepEqual(picked, { id: registered.objectId, token, valid: true });
  const paths = (await requestLog(emulator.url)).map((entry) => `${entry.method} ${entry.path}`);
  assert.ok(!paths.some((path) => path.endsWith("/users/login")), `no new login was needed: ${paths}`);
  await context.close();
});

test("a session stored by ours is picked up by the official client after a reload", async () => {
  const email = uniqueEmail("to-official");
  const registered = await registerUser(emulator.url, { email, password: PASSWORD });
  const context = await browser.newContext();
  const { page } = await openPage(context);
  await loadOurs(page);
  const token = await page.evaluate(async ([email, password]) => (await Backendless.UserService.login(email, password, true))["user-token"], [email, PASSWORD]);

  await page.reload();
  await loadOfficial(page);
  const picked = await page.evaluate(async () => {
    const user = await Backendless.UserService.getCurrentUser();
    return { id: user?.objectId, token: Backendless.LocalCache.get("user-token"), valid: await Backendless.UserService.isValidLogin() };
  });

  assert.deepEqual(picked, { id: registered.objectId, token, valid: true });
  await context.close();
});

// ---- the same requests as the official client -----------------------------------------------

// Headers every browser adds by itself; what is left is what the client chose to send.
const BROWSER_HEADERS = /^(accept|accept-encoding|accept-language|connection|host|origin|referer|user-agent|content-length|cache-control|pragma|priority|dnt|sec-.*)$/;

/** One client's requests for: login (stay), isValidLogin, reload + getCurrentUser, logout. */
async function recordSession(load) {
  const email = uniqueEmail("wire");
  const registered = await registerUser(emulator.url, { email, password: PASSWORD });
  const context = await browser.newContext();
  const { page } = await openPage(context);
  await load(page);
  await clearLog();
  await page.evaluate(async ([email, password]) => {
    await Backendless.UserService.login(email, password, true);
    await Backendless.UserService.isValidLogin();
  }, [email, PASSWORD]);
  await page.reload();
  await load(page);
  await page.evaluate(async () => {
    await Backendless.UserService.getCurrentUser();
    await Backendless.UserService.logout();
  });
  const log = await requestLog(emulator.url);
  await context.close();
  const base = new URL(appBase(emulator.url)).pathname;
  return log
    .filter((entry) => !entry.path.endsWith("/info")) // the official client's start-up call
    .map((entry) => ({
      method: entry.method,
      path: entry.path.replace(base, "{base}").replace(registered.objectId, "{id}"),
      headers: Object.fromEntries(Object.entries(entry.headers).filter(([name]) => !BROWSER_HEADERS.test(name))),
      body: entry.body === null ? null : JSON.stringify(entry.body).replace(email, "{email}"),
      tokenIsTheUsers: entry.tokenUserId === registered.objectId,
    }));
}

test("our requests are the official client's: method, path, headers, body", async () => {
  const official = await recordSession(loadOfficial);
  const ours = await recordSession(loadOurs);
  assert.deepEqual(
    ours.map((request) => `${request.method} ${request.path}`),
    ["POST {base}/users/login", "GET {base}/users/isvalidusertoken/[redacted]", "GET {base}/data/Users/{id}", "GET {base}/users/logout"],
  );
  assert.deepEqual(ours, official);
});

test("addSessionListener returns a function that unsubscribes (through the package's entry module)", async () => {
  const email = uniqueEmail("listener");
  const registered = await registerUser(emulator.url, { email, password: PASSWORD });
  const { page } = await openPage();
  await loadOurs(page);
  const heard = await page.evaluate(async ([email, password]) => {
    const heard = [];
    const unsubscribe = Backendless.UserService.addSessionListener((user) => heard.push(user ? user.objectId : null));
    await Backendless.UserService.login(email, password, true);
    unsubscribe();
    unsubscribe(); // twice is harmless
    await Backendless.UserService.logout();
    return heard;
  }, [email, PASSWORD]);
  assert.deepEqual(heard, [registered.objectId]);
  await page.close();
});

test("initApp's object forms, { appId, apiKey } and { domain } (read by the package's entry module)", async () => {
  const email = uniqueEmail("object-forms");
  const registered = await registerUser(emulator.url, { email, password: PASSWORD });
  const { page } = await openPage();
  await loadOurs(page);
  const seen = await page.evaluate(
    async ([server, appId, apiKey, email, password]) => {
      const { UserService } = Backendless;
      const restored = async () => (await UserService.getCurrentUser())?.objectId ?? null;
      const seen = {};
      localStorage.clear();
      // Each initApp starts a fresh in-memory state, as a reload does: the user comes back from
      // storage, under the item its form names.
      seen.chained = Backendless.initApp({ appId, apiKey }) === Backendless;
      await UserService.login(email, password, true);
      Backendless.initApp({ appId, apiKey });
      seen.keys = await restored();
      seen.keysItem = localStorage.getItem(`Backendless_${appId}`) !== null;
      localStorage.clear();
      Backendless.initApp({ domain: server });
      await UserService.login(email, password, true);
      Backendless.initApp({ domain: server });
      seen.domain = await restored();
      seen.domainItem = localStorage.getItem("Backendless") !== null;
      seen.refused = [{}, { domain: 5 }, { appId }, { domain: "APP" }, null].map((form) => {
        try {
          Backendless.initApp(form);
          return "accepted";
        } catch (error) {
          return error.name;
        }
      });
      return seen;
    },
    [emulator.url, TEST_APP_ID, TEST_API_KEY, email, PASSWORD],
  );
  assert.deepEqual(seen, {
    chained: true,
    keys: registered.objectId,
    keysItem: true,
    domain: registered.objectId,
    domainItem: true,
    refused: ["TypeError", "TypeError", "TypeError", "TypeError", "TypeError"],
  });
  await page.close();
});

/**
 * One client's requests for the calls the drop-in added, made as a page written for the official
 * client makes them: registration with `new Backendless.User(…)`, then, logged in, another
 * user's roles, the Users columns, a confirmation link, an OAuth 1 login, the provider-SDK
 * logins and a login by objectId (refused by this server: only the requests count here).
 */
async function recordDropIn(load) {
  const email = uniqueEmail("drop-in-wire");
  const context = await browser.newContext();
  const { page } = await openPage(context);
  await load(page);
  await clearLog();
  const objectId = await page.evaluate(async ([email, password]) => {
    const { UserService } = Backendless;
    const settle = (promise) => promise.catch(() => null);
    const registered = await UserService.register(new Backendless.User({ email, password, name: "Drop In" }));
    await UserService.login(email, password, true);
    await UserService.getUserRoles(registered.objectId);
    await UserService.describeUserClass();
    await settle(UserService.createEmailConfirmationURL(email));
    await settle(UserService.loginWithOauth1("twitter", "token", "secret", true));
    await settle(UserService.loginWithFacebookSdk("fb-token", { name: "name" }, true));
    await settle(UserService.loginWithGooglePlusSdk("gp-token", false));
    await settle(UserService.login(registered.objectId, true));
    return registered.objectId;
  }, [email, PASSWORD]);
  const log = await requestLog(emulator.url);
  await context.close();
  const base = new URL(appBase(emulator.url)).pathname;
  return log
    .filter((entry) => !entry.path.endsWith("/info"))
    .map((entry) => ({
      method: entry.method,
      path: entry.path.replace(base, "{base}").replace(objectId, "{id}").replace(email, "{email}").replace(encodeURIComponent(email), "{email}"),
      headers: Object.fromEntries(Object.entries(entry.headers).filter(([name]) => !BROWSER_HEADERS.test(name))),
      body: entry.body === null ? null : JSON.stringify(entry.body).replace(email, "{email}").replace(objectId, "{id}"),
    }));
}

test("the drop-in calls' requests are the official client's: register with Backendless.User and blUserLocale, roles, columns, confirmation link, OAuth 1, provider-SDK logins, login by objectId", async () => {
  const official = await recordDropIn(loadOfficial);
  const ours = await recordDropIn(loadOurs);
  assert.deepEqual(
    ours.map((request) => `${request.method} ${request.path}`),
    [
      "POST {base}/users/register",
      "POST {base}/users/login",
      "GET {base}/users/userroles/{id}",
      "GET {base}/users/userclassprops",
      "POST {base}/users/createEmailConfirmationURL/{email}",
      "POST {base}/users/social/twitter/login",
      "POST {base}/users/social/facebook/sdk/login",
      "POST {base}/users/social/googleplus/sdk/login",
      "POST {base}/users/login",
    ],
  );
  assert.match(ours[0].body, /"blUserLocale":"[a-z]+"/);
  assert.deepEqual(ours, official);
});
