// The login family through the built package, in each engine of BROWSERS (default: all three),
// each driven through its own WebDriver: what the entry module does on top of the wasm, and what
// only a real page can show.
//
// - "Sign in with (local) provider" end to end: getAuthorizationUrlLink, the page leaves for the
//   local identity provider's sign-in page, a person creates (then picks) a fake account there,
//   the provider and the server redirect back with the session in the query (`userId`,
//   `userToken`, as the hosted service does), and completeOAuthRedirect takes it over and clears
//   those two parameters from the address bar, keeping the page's own.
// - Persistence: setPersistence("session" | "memory" | "local"), before and after initApp, across
//   reloads, and other tabs' writes followed only where the storage is shared.
// - The entry module's argument handling: loginWithOauth2's shifts, argument errors, the
//   callback style.
//
//   BROWSERS=firefox BACKENDLESS_EMULATOR_URL=http://127.0.0.1:PORT node --test tests/node/login-family.test.mjs
// (the server must run with --oauth-provider github, as scripts/test.sh starts it).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { TEST_APP_ID, TEST_API_KEY, registerUser, repoRoot, requestLog, servePage, uniqueEmail, useEmulator } from "./lib/harness.mjs";
import { inEachEngine, inPage } from "./lib/webdriver.mjs";

const PROVIDER = "github";
const STORAGE_KEY = `Backendless_${TEST_APP_ID}`;

let emulator;
let site;

before(async () => {
  emulator = await useEmulator();
  site = await servePage(join(repoRoot, "tests/e2e/login-family/index.html"));
}, { timeout: 30_000 });

after(async () => {
  await site?.stop();
  await emulator?.stop();
});

const ready = "return document.documentElement.dataset.ready === 'true'";

/** Opens `path` of the test site, waits for the SDK, and sets up the app (persistence first). */
async function openPage(browser, { path = "", persistence = null } = {}) {
  await browser.navigate(site.url + path);
  await waitForPage(browser);
  await setUp(browser, persistence);
}

async function waitForPage(browser) {
  await browser.waitFor(ready, { timeoutMs: 15_000, what: "the test page to load the SDK" });
}

/** What an app does at start-up: its persistence choice, then connecting. */
function setUp(browser, persistence) {
  return inPage(browser, `
    if (args[3]) Backendless.setPersistence(args[3]);
    Backendless.connectEmulator(args[0], args[1], args[2]);`, emulator.url, TEST_APP_ID, TEST_API_KEY, persistence);
}

async function reload(browser, persistence = null) {
  await browser.refresh();
  await waitForPage(browser);
  await setUp(browser, persistence);
}

/** The raw cache item in localStorage and in sessionStorage. */
function storedItems(browser) {
  return browser.execute(
    "return { local: localStorage.getItem(arguments[0]), session: sessionStorage.getItem(arguments[0]) };",
    STORAGE_KEY,
  );
}

function sessionMap(user) {
  return JSON.stringify({ stayLoggedIn: true, "user-token": user["user-token"], "current-user-id": user.objectId });
}

/** An access token the local provider minted for a fake account (what a provider SDK hands a page). */
async function providerToken(email, name) {
  const response = await fetch(`${emulator.url}/oauth-provider/${PROVIDER}/accounts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, name }),
  });
  assert.equal(response.status, 200);
  return (await response.json()).access_token;
}

async function clearRequests() {
  const response = await fetch(`${emulator.url}/__emulator/requests`, { method: "DELETE" });
  assert.equal(response.status, 200);
}

/** Waits until the tab shows the local provider's sign-in page. */
function waitForProvider(browser) {
  return browser.waitFor("return location.pathname.includes('/oauth-provider/') && !!document.querySelector('form')", {
    timeoutMs: 15_000,
    what: "the local provider's sign-in page",
  });
}

/** Back on the test page after the redirects; resolves with the address the page came back to. */
async function waitForReturn(browser) {
  await browser.waitFor(`return location.origin === ${JSON.stringify(site.url.replace(/\/$/, ""))} && document.documentElement.dataset.ready === 'true'`, {
    timeoutMs: 20_000,
    what: "the redirect back to the test page",
  });
  return browser.currentUrl();
}

inEachEngine((engine, launched) => {
  test("sign in with the local provider: sign-in page, redirect back, completeOAuthRedirect, roles, reload", { timeout: 120_000 }, async () => {
    const browser = await launched().newSession();
    try {
      await openPage(browser);
      await browser.execute("localStorage.clear(); sessionStorage.clear();");
      const email = uniqueEmail(`oauth-${engine}`);

      // Nothing in the address: completeOAuthRedirect answers null and sends nothing.
      await clearRequests();
      assert.equal(await inPage(browser, "return Backendless.UserService.completeOAuthRedirect(true);"), null);
      assert.deepEqual(await requestLog(emulator.url), []);

      const url = await inPage(browser, `
        return Backendless.UserService.getAuthorizationUrlLink(args[0], { email: "email", name: "name" }, undefined, false, location.origin + "/signed-in?from=oauth&q=a%20b&flag#tab");`,
      PROVIDER);
      assert.ok(url.startsWith(`${emulator.url}/oauth-provider/${PROVIDER}/authorize?`), url);
      const [requestUrl] = (await requestLog(emulator.url)).filter((r) => r.path.endsWith("/request_url"));
      assert.equal(requestUrl.path, `/${TEST_APP_ID}/${TEST_API_KEY}/users/oauth/${PROVIDER}/request_url`);
      const { redirectAfterLoginUrl, ...rest } = requestUrl.body;
      assert.deepEqual(rest, { fieldsMapping: { email: "email", name: "name" }, redirect: false });
      const state = await browser.execute("return sessionStorage.getItem('Backendless_oauth_state');");
      assert.match(state, /^[0-9a-z]{4,}$/, "the tab keeps the flow's state");
      assert.equal(redirectAfterLoginUrl, `${site.url}signed-in?from=oauth&q=a%20b&flag&blState=${state}#tab`, "the state rides in the query, before the fragment");

      // A person at the provider's page creates a fake account and signs in.
      await inPage(browser, "location.assign(args[0]);", url);
      await waitForProvider(browser);
      await browser.fill("input[name=email]", email);
      await browser.fill("input[name=name]", "Alice Liddell");
      await browser.click("button[type=submit]");
      const landed = await waitForReturn(browser);
      assert.match(landed, /\/signed-in\?from=oauth&q=a%20b&flag&blState=[0-9a-z]+&userId=[^&#]+&userToken=[^&#]+#tab$/, "the session comes back in the query, after the page's own, before its fragment");
      await setUp(browser, null);

      const seen = await inPage(browser, `
        const user = await Backendless.UserService.completeOAuthRedirect(true);
        return {
          isUser: user instanceof Backendless.User && user.___class === "Users",
          id: user.objectId,
          email: user.email,
          name: user.name,
          token: user["user-token"],
          href: location.href,
          current: (await Backendless.UserService.getCurrentUser()).objectId,
          roles: await Backendless.UserService.getUserRoles(),
          again: await Backendless.UserService.completeOAuthRedirect(true),
          state: sessionStorage.getItem("Backendless_oauth_state"),
        };`);
      assert.equal(seen.email, email);
      assert.equal(seen.isUser, true, "a Backendless.User, as every user an answer brings");
      assert.equal(seen.name, "Alice Liddell", "fieldsMapping put the provider's name in the user");
      assert.equal(seen.current, seen.id);
      assert.deepEqual(seen.roles, ["AuthenticatedUser"]);
      assert.equal(seen.href, `${site.url}signed-in?from=oauth&q=a%20b&flag#tab`, "the session is gone from the address, the rest kept as it was written");
      assert.equal(seen.again, null, "nothing left to take over");
      assert.equal(seen.state, null, "the state is used up");
      assert.deepEqual(await storedItems(browser), { local: sessionMap({ "user-token": seen.token, objectId: seen.id }), session: null });

      // A reload restores the session like any other.
      await reload(browser);
      assert.equal(await inPage(browser, "return (await Backendless.UserService.getCurrentUser()).objectId;"), seen.id);

      // The next time, the same address on the provider's page (it lists no accounts) signs in as the same user.
      await inPage(browser, "await Backendless.UserService.logout();");
      const next = await inPage(browser, "return Backendless.UserService.getAuthorizationUrlLink(args[0], undefined, undefined, false, location.origin + '/again');", PROVIDER);
      await inPage(browser, "location.assign(args[0]);", next);
      await waitForProvider(browser);
      await browser.fill("input[name=email]", email);
      await browser.click("button[type=submit]");
      await waitForReturn(browser);
      await setUp(browser, null);
      assert.match(await browser.currentUrl(), /\/again\?blState=[0-9a-z]+&userId=[^&#]+&userToken=[^&#]+$/);
      const again = await inPage(browser, "const user = await Backendless.UserService.completeOAuthRedirect(); return { id: user.objectId, stored: localStorage.getItem(args[0]), href: location.href };", STORAGE_KEY);
      assert.equal(again.id, seen.id);
      assert.equal(again.href, `${site.url}again`, "a page without a query of its own is left without one");
      assert.equal(again.stored, "{}", "stayLoggedIn omitted: the session lives in memory only");
    } finally {
      await browser.delete();
    }
  });

  // Login CSRF: an attacker who gets a logged-in victim to open a landing URL carrying the
  // attacker's session must not switch the victim's tab to the attacker's account (what the
  // victim saved next would land there). Each way of making such a URL is tried here.
  test("login CSRF: a landing this tab did not start is refused and changes nothing", { timeout: 120_000 }, async () => {
    const people = [uniqueEmail(`csrf-victim-${engine}`), uniqueEmail(`csrf-attacker-${engine}`)].map((email) => ({ email, password: "wonderland" }));
    await Promise.all(people.map((person) => registerUser(emulator.url, person)));
    const [victimAccount, attackerAccount] = people;

    // The attacker's own session, from a password login.
    const login = await fetch(`${emulator.url}/${TEST_APP_ID}/${TEST_API_KEY}/users/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: attackerAccount.email, password: attackerAccount.password }),
    });
    const theirs = await login.json();
    const session = `userId=${theirs.objectId}&userToken=${theirs["user-token"]}`;

    // A flow the attacker started and finished in their own browser (drivers run one browser at
    // a time, so it comes first): its landing URL, which carries the attacker's state.
    const attacker = await launched().newSession();
    let attackersLanding;
    try {
      await openPage(attacker);
      const url = await inPage(attacker, "return Backendless.UserService.getAuthorizationUrlLink(args[0], undefined, undefined, false, location.origin + '/landing');", PROVIDER);
      await inPage(attacker, "location.assign(args[0]);", url);
      await waitForProvider(attacker);
      await attacker.fill("input[name=email]", uniqueEmail(`csrf-provider-${engine}`));
      await attacker.fill("input[name=name]", "Mallory");
      await attacker.click("button[type=submit]");
      attackersLanding = await waitForReturn(attacker);
      assert.match(attackersLanding, /\/landing\?blState=[0-9a-z]+&userId=[^&#]+&userToken=[^&#]+$/);
    } finally {
      await attacker.delete();
    }

    const victim = await launched().newSession();
    try {
      await openPage(victim);
      await victim.execute("localStorage.clear(); sessionStorage.clear();");
      const victimUser = await inPage(victim, "return Backendless.UserService.login(args[0], args[1], true);", victimAccount.email, victimAccount.password);
      // The victim's tab has a flow of its own pending: the attacker cannot know its state.
      await inPage(victim, "return Backendless.UserService.getAuthorizationUrlLink(args[0], undefined, undefined, false, location.origin + '/landing');", PROVIDER);

      for (const [what, link] of [
        ["the attacker's session, no state", `${site.url}landing?${session}`],
        ["a guessed state", `${site.url}landing?${session}&blState=0`],
        ["encoded parameter names", `${site.url}landing?user%49d=${theirs.objectId}&user%54oken=${theirs["user-token"]}`],
        ["the landing of the attacker's own flow", attackersLanding],
      ]) {
        await victim.navigate(link);
        await waitForPage(victim);
        await setUp(victim, null);
        const outcome = await inPage(victim, `
          const outcome = await Backendless.UserService.completeOAuthRedirect(true).then(
            (user) => ({ resolved: user?.objectId ?? null }),
            (error) => ({ name: error.name, code: error.code, message: error.message }));
          return {
            ...outcome,
            href: location.href,
            current: (await Backendless.UserService.getCurrentUser())?.objectId,
            stored: localStorage.getItem(args[0]),
          };`, STORAGE_KEY);
        assert.equal(outcome.name, "OAuthStateError", `${what}: ${JSON.stringify(outcome)}`);
        assert.equal(outcome.code, null, what);
        assert.match(outcome.message, /^No session from a sign-in this tab started$/, what);
        assert.equal(outcome.href, `${site.url}landing`, `${what}: the session is gone from the address bar`);
        assert.equal(outcome.current, victimUser.objectId, `${what}: the victim is still the victim`);
        assert.equal(outcome.stored, sessionMap(victimUser), `${what}: the stored session is the victim's`);
      }
      // And after a reload the victim is still themselves.
      await reload(victim);
      assert.equal(await inPage(victim, "return (await Backendless.UserService.getCurrentUser()).objectId;"), victimUser.objectId);
    } finally {
      await victim.delete();
    }
  });

  test("persistence: sessionStorage, memory and back to localStorage; other tabs followed only where storage is shared", { timeout: 120_000 }, async () => {
    const browser = await launched().newSession();
    try {
      const alice = { email: uniqueEmail(`persist-a-${engine}`), password: "wonderland" };
      const bob = { email: uniqueEmail(`persist-b-${engine}`), password: "wonderland" };
      await registerUser(emulator.url, alice);
      await registerUser(emulator.url, bob);
      await openPage(browser);
      await browser.execute("localStorage.clear(); sessionStorage.clear();");

      // Chosen before initApp: the session lives in this tab's sessionStorage.
      await reload(browser, "session");
      const user = await inPage(browser, "return Backendless.UserService.login(args[0], args[1], true);", alice.email, alice.password);
      assert.deepEqual(await storedItems(browser), { local: null, session: sessionMap(user) });
      await reload(browser, "session");
      assert.equal(await inPage(browser, "return (await Backendless.UserService.getCurrentUser()).objectId;"), user.objectId);

      // Another tab logs bob in with the default persistence: its localStorage write is not
      // this tab's storage, so this tab stays alice's.
      const first = await browser.windowHandle();
      const other = await browser.newWindow("window");
      await browser.switchTo(other);
      await openPage(browser);
      await inPage(browser, "await Backendless.UserService.login(args[0], args[1], true);", bob.email, bob.password);
      await browser.switchTo(first);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(await inPage(browser, "return Backendless.UserService.getCurrentUserToken();"), user["user-token"]);
      await browser.execute("localStorage.clear();");

      // After initApp: switching moves the whole map (LocalCache keys too).
      await inPage(browser, "Backendless.LocalCache.set('theme', 'dark'); Backendless.setPersistence('local');");
      const moved = await storedItems(browser);
      assert.equal(moved.session, null, "removed from sessionStorage");
      assert.deepEqual(JSON.parse(moved.local), { ...JSON.parse(sessionMap(user)), theme: "dark" });

      // Memory: nothing stored anywhere, the session still works, a reload forgets it.
      const inMemory = await inPage(browser, `
        Backendless.setPersistence("memory");
        return {
          token: Backendless.LocalCache.get("user-token"),
          theme: Backendless.LocalCache.get("theme"),
          valid: await Backendless.UserService.isValidLogin(),
        };`);
      assert.deepEqual(inMemory, { token: user["user-token"], theme: "dark", valid: true });
      assert.deepEqual(await storedItems(browser), { local: null, session: null });
      await reload(browser, "memory");
      assert.equal(await inPage(browser, "return Backendless.UserService.getCurrentUser();"), null);

      // A choice that does not exist is refused, and changes nothing.
      const refused = await inPage(browser, "try { Backendless.setPersistence('disk'); return null; } catch (e) { return { name: e.name, message: e.message }; }");
      assert.equal(refused.name, "TypeError");
      assert.match(refused.message, /"local", "session" or "memory"/);
    } finally {
      await browser.delete();
    }
  });

  test("the entry's argument handling: loginWithOauth2 shifts, argument errors, callbacks", { timeout: 60_000 }, async () => {
    const browser = await launched().newSession();
    try {
      await openPage(browser);
      await browser.execute("localStorage.clear(); sessionStorage.clear();");
      const email = uniqueEmail(`shift-${engine}`);

      // (providerCode, accessToken, true): the boolean is stayLoggedIn.
      const token = await providerToken(email, "Eve");
      await clearRequests();
      const user = await inPage(browser, "const user = await Backendless.UserService.loginWithOauth2('GitHub', args[0], true); return { ...user, isUser: user instanceof Backendless.User };", token);
      assert.equal(user.isUser, true);
      delete user.isUser;
      assert.deepEqual(await storedItems(browser), { local: sessionMap(user), session: null });
      const [login] = await requestLog(emulator.url);
      assert.equal(login.path, `/${TEST_APP_ID}/${TEST_API_KEY}/users/social/${PROVIDER}/login`, "the code lower-cased, as the official client sends it");
      assert.deepEqual(login.body, { accessToken: "[redacted]" });

      // (providerCode, accessToken, fieldsMapping, false, options): no user third, so it is the mapping.
      const second = await providerToken(uniqueEmail(`shift2-${engine}`), "Frank");
      await clearRequests();
      await inPage(browser, "await Backendless.UserService.loginWithOauth2('github', args[0], { name: 'name' }, false, { timeout: 5000 });", second);
      const [mapped] = await requestLog(emulator.url);
      assert.deepEqual(mapped.body, { accessToken: "[redacted]", fieldsMapping: { name: "name" } });
      assert.equal(await browser.execute("return localStorage.getItem(arguments[0]);", STORAGE_KEY), "{}");

      // Argument errors reject (no request): TypeErrors with code null.
      await clearRequests();
      const errors = await inPage(browser, `
        const outcome = (promise) => promise.then(() => "resolved", (e) => ({ name: e.name, code: e.code, message: e.message }));
        return {
          noProvider: await outcome(Backendless.UserService.loginWithOauth2("", "token")),
          noToken: await outcome(Backendless.UserService.loginWithOauth2("github", "")),
          urlNoProvider: await outcome(Backendless.UserService.getAuthorizationUrlLink(undefined)),
          update: await outcome(Backendless.UserService.update({ name: "no objectId" })),
          resend: await outcome(Backendless.UserService.resendEmailConfirmation("")),
        };`);
      for (const [call, error] of Object.entries(errors)) {
        assert.equal(error.name, "TypeError", call);
        assert.equal(error.code, null, call);
        assert.ok(error.message.length > 0, call);
      }
      assert.deepEqual(await requestLog(emulator.url), [], "no request for a bad argument");

      // A number identity goes in the path as its digits; the server's code comes back.
      const resend = await inPage(browser, "return Backendless.UserService.resendEmailConfirmation(42).catch((e) => e.code);");
      assert.equal(resend, 3103);
      assert.equal((await requestLog(emulator.url)).at(-1).path, `/${TEST_APP_ID}/${TEST_API_KEY}/users/resendconfirmation/42`);

      // The docs' callback style works for the new calls too.
      const roles = await inPage(browser, `
        return new Promise((resolve, reject) =>
          Backendless.UserService.getUserRoles(new Backendless.Async(resolve, reject)));`);
      assert.deepEqual(roles, ["AuthenticatedUser"]);
    } finally {
      await browser.delete();
    }
  });
}, { timeout: 240_000 });
