// The backendless-wasm demo: every panel calls the documented API and shows what it answered.
// No framework and no build step. User data only ever goes into the page through textContent,
// so a name like <img src=x onerror=alert(1)> shows up as text.

const byId = (id) => document.getElementById(id);

// Where the page's static server says the local server is; the SDK's own defaults otherwise.
const FALLBACK_CONFIG = { url: "http://127.0.0.1:8200", appId: "LOCAL-APP-ID", apiKey: "LOCAL-API-KEY", oauthProvider: "github" };
const PROBE_INTERVAL_MS = 5000;
const MAX_EVENTS = 50;

let Backendless;
let config;
let probeTimer = null;

main();

async function main() {
  config = await loadConfig();
  try {
    // Imported dynamically so a missing build shows a message instead of a blank page.
    ({ default: Backendless } = await import("/pkg/index.js"));
  } catch (error) {
    showError({ name: "Package not loaded", message: `Could not load /pkg/index.js (${error.message}). Run npm run build.` });
    setSessionStatus("unavailable", "SDK not loaded");
    return;
  }
  Backendless.connectEmulator(config.url, config.appId, config.apiKey);
  byId("server-url").textContent = config.url;
  byId("app-id").textContent = config.appId;
  byId("cache-key").textContent = cacheItemKey();

  Backendless.UserService.addSessionListener(onSessionChange);
  // The SDK follows other tabs itself (and tells the listener); this keeps the raw view fresh too.
  window.addEventListener("storage", renderCache);
  wireControls();
  renderUser(null);
  renderCache();
  probeServer();
  // Back from the provider's sign-in page: the session is in the address (see onOAuthSignIn).
  if (!(await completeOAuthRedirect())) await restoreSession();
  document.documentElement.dataset.ready = "true";
}

async function loadConfig() {
  try {
    const response = await fetch("/emulator.json", { cache: "no-store" });
    if (response.ok) return { ...FALLBACK_CONFIG, ...(await response.json()) };
  } catch {
    // Served without the demo server: use the defaults.
  }
  return FALLBACK_CONFIG;
}

function cacheItemKey() {
  return `Backendless_${config.appId}`;
}

function wireControls() {
  byId("login-form").addEventListener("submit", onLogin);
  byId("register-form").addEventListener("submit", onRegister);
  byId("oauth-signin").addEventListener("click", onOAuthSignIn);
  byId("oauth-provider-name").textContent = providerName(config.oauthProvider);
  byId("check-valid").addEventListener("click", onCheckValid);
  byId("get-current").addEventListener("click", onGetCurrentUser);
  byId("logout").addEventListener("click", onLogout);
  byId("refresh-cache").addEventListener("click", renderCache);
  byId("clear-events").addEventListener("click", clearEvents);
  byId("dismiss-error").addEventListener("click", hideError);
  byId("retry-server").addEventListener("click", probeServer);
  // The forms are handled now: let them submit (they start disabled, see index.html).
  for (const button of document.querySelectorAll("form button[type=submit]")) button.disabled = false;
}

// ---- actions -------------------------------------------------------------------------------

/**
 * Runs one SDK call for a control: busy state while it runs, errors shown, cache refreshed.
 * The control stays enabled (disabling it would throw keyboard focus away); a second press
 * while busy is ignored instead.
 */
async function run(control, action) {
  if (control.getAttribute("aria-busy") === "true") return undefined;
  control.setAttribute("aria-busy", "true");
  hideError();
  try {
    return await action();
  } catch (error) {
    showError(error);
    return undefined;
  } finally {
    control.removeAttribute("aria-busy");
    renderCache();
  }
}

async function restoreSession() {
  if (!Backendless.LocalCache.get("current-user-id")) return;
  setSessionStatus("pending", "Restoring session…");
  const user = await run(byId("get-current"), () => Backendless.UserService.getCurrentUser());
  if (user === undefined && Backendless.LocalCache.get("current-user-id")) {
    // It failed (the server is unreachable, say) and the SDK kept the stored session: say so,
    // and try again when the server is back.
    renderUnrestoredSession(Backendless.LocalCache.get("current-user-id"));
    return;
  }
  renderUser(user ?? null);
}

function onLogin(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const login = form.elements.login.value.trim();
  const password = form.elements.password.value;
  const stayLoggedIn = form.elements.stayLoggedIn.checked;
  return run(form.querySelector("button[type=submit]"), async () => {
    const user = await Backendless.UserService.login(login, password, stayLoggedIn);
    form.elements.password.value = "";
    renderUser(user);
  });
}

/** "github" → "GitHub": how the button names the provider. */
function providerName(code) {
  return { github: "GitHub", google: "Google", gitlab: "GitLab" }[code] ?? code;
}

/**
 * The redirect flow: ask the server for the provider's sign-in URL, with this page as where to
 * come back, and go there. The provider's email and name fill the user's columns.
 */
function onOAuthSignIn(event) {
  return run(event.currentTarget, async () => {
    const here = location.href.split("#")[0];
    const url = await Backendless.UserService.getAuthorizationUrlLink(
      config.oauthProvider, { email: "email", name: "name" }, undefined, false, here);
    location.assign(url);
  });
}

/** Takes over the session a sign-in redirect brought back, if any; true when it did. */
async function completeOAuthRedirect() {
  const user = await run(byId("oauth-signin"), () => Backendless.UserService.completeOAuthRedirect(true));
  if (!user) return false;
  renderUser(user);
  return true;
}

function onRegister(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const result = byId("register-result");
  result.textContent = "";
  const properties = { email: form.elements.email.value.trim(), password: form.elements.password.value };
  const name = form.elements.name.value.trim();
  if (name) properties.name = name;
  return run(form.querySelector("button[type=submit]"), async () => {
    const user = await Backendless.UserService.register(properties);
    result.textContent = `Registered ${user.email} (${user.objectId}). Now log in.`;
    // Registering does not log in: hand the email to the login form.
    byId("login-identity").value = user.email ?? "";
    form.reset();
    byId("login-password").focus();
  });
}

function onCheckValid(event) {
  return run(event.currentTarget, async () => {
    const valid = await Backendless.UserService.isValidLogin();
    setBadge(byId("valid-result"), String(valid), valid ? "ok" : "bad");
  });
}

function onGetCurrentUser(event) {
  return run(event.currentTarget, async () => {
    const user = await Backendless.UserService.getCurrentUser();
    setBadge(byId("current-result"), user ? describeUser(user) : "null", user ? "ok" : "muted");
    renderUser(user);
  });
}

function onLogout(event) {
  return run(event.currentTarget, async () => {
    try {
      await Backendless.UserService.logout();
    } catch (error) {
      // The SDK ends the local session anyway; say that the server may still hold it.
      error.message = `Logged out here, but the server did not confirm: ${error.message}`;
      throw error;
    } finally {
      setBadge(byId("valid-result"), "not checked", "muted");
    }
  });
}

// ---- session -------------------------------------------------------------------------------

function onSessionChange(user) {
  logEvent(user);
  renderUser(user);
  renderCache();
}

function renderUnrestoredSession(userId) {
  renderUser(null);
  byId("user-empty").textContent = `A stored session (user ${userId}) is waiting for the server to confirm it.`;
  setBadge(byId("user-badge"), "Not restored", "warn");
  setSessionStatus("pending", "Stored session not restored yet");
}

function renderUser(user) {
  const loggedIn = Boolean(user);
  byId("user-empty").textContent = "Nobody is logged in.";
  byId("user-empty").hidden = loggedIn;
  byId("user-details").hidden = !loggedIn;
  setBadge(byId("user-badge"), loggedIn ? "Logged in" : "Logged out", loggedIn ? "ok" : "muted");
  setSessionStatus(loggedIn ? "in" : "out", loggedIn ? `Logged in as ${describeUser(user)}` : "Logged out");
  if (!loggedIn) return;
  const displayName = user.name || user.email || user.objectId;
  byId("user-avatar").textContent = String(displayName).trim().charAt(0).toUpperCase() || "?";
  byId("user-name").textContent = displayName;
  // The email goes under the name, unless it already is the title.
  byId("user-email").textContent = user.name && user.email ? user.email : "";
  byId("user-id").textContent = user.objectId;
  byId("user-status").textContent = user.userStatus ?? "—";
  byId("user-last-login").textContent = formatTime(user.lastLogin);
  byId("user-token").textContent = user["user-token"] ?? Backendless.UserService.getCurrentUserToken() ?? "—";
  renderRoles();
}

let rolesShown = 0;
/** Fills in the logged-in user's roles (getUserRoles); only the latest request's answer shows. */
async function renderRoles() {
  const request = ++rolesShown;
  const roles = byId("user-roles");
  roles.textContent = "…";
  let text;
  try {
    text = (await Backendless.UserService.getUserRoles()).join(", ") || "—";
  } catch (error) {
    text = `unknown (${error.message})`;
  }
  if (request === rolesShown) roles.textContent = text;
}

function describeUser(user) {
  return user.email || user.name || user.objectId;
}

function setSessionStatus(state, text) {
  byId("session-status").className = `pill pill-${{ in: "ok", out: "muted", pending: "unknown", unavailable: "bad" }[state]}`;
  byId("session-status-text").textContent = text;
}

function logEvent(user) {
  const item = document.createElement("li");
  const time = document.createElement("time");
  const now = new Date();
  time.dateTime = now.toISOString();
  time.textContent = now.toLocaleTimeString();
  const kind = document.createElement("span");
  kind.className = user ? "event event-in" : "event event-out";
  kind.textContent = user ? "user" : "null";
  const text = document.createElement("span");
  text.textContent = user ? `${describeUser(user)} (${user.objectId})` : "session ended";
  item.append(time, kind, text);
  const log = byId("event-log");
  log.prepend(item);
  while (log.children.length > MAX_EVENTS) log.lastElementChild.remove();
  byId("event-empty").hidden = true;
}

function clearEvents() {
  byId("event-log").replaceChildren();
  byId("event-empty").hidden = false;
}

// ---- LocalCache ----------------------------------------------------------------------------

function renderCache() {
  if (!Backendless) return;
  const raw = localStorage.getItem(cacheItemKey());
  byId("cache-raw").textContent = raw === null ? "(no item)" : prettyJson(raw);
  byId("cache-stay").textContent = show(Backendless.LocalCache.get("stayLoggedIn"));
  byId("cache-token").textContent = show(Backendless.LocalCache.get("user-token"));
  byId("cache-user-id").textContent = show(Backendless.LocalCache.get("current-user-id"));
}

function prettyJson(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text; // corrupt item: show it as it is
  }
}

function show(value) {
  return value === undefined ? "undefined" : JSON.stringify(value);
}

// ---- errors and reachability ---------------------------------------------------------------

function showError(error) {
  const facts = [];
  if (error.code != null) facts.push(`code ${error.code}`);
  if (error.status != null) facts.push(`HTTP ${error.status}`);
  byId("error-title").textContent = error.name || "Error";
  byId("error-meta").textContent = facts.join(" · ");
  byId("error-message").textContent = error.message;
  byId("error-panel").hidden = false;
  if (error.name === "NetworkError" || error.name === "TimeoutError") setReachable(false);
}

function hideError() {
  byId("error-panel").hidden = true;
}

// A cheap check: any HTTP answer from the app's info endpoint means the server is there. It runs
// once at start and, while the server is unreachable, every few seconds until it answers again.
async function probeServer() {
  const url = `${config.url}/${encodeURIComponent(config.appId)}/${encodeURIComponent(config.apiKey)}/info`;
  try {
    await fetch(url, { cache: "no-store", signal: AbortSignal.timeout(4000) });
    setReachable(true);
  } catch {
    setReachable(false);
  }
}

function setReachable(reachable) {
  const cameBack = reachable && !byId("unreachable-banner").hidden;
  const pill = byId("server-status");
  pill.className = `pill ${reachable ? "pill-ok" : "pill-bad"}`;
  byId("server-status-text").textContent = reachable ? "Server reachable" : "Server unreachable";
  byId("unreachable-banner").hidden = reachable;
  byId("unreachable-text").textContent = `No answer from ${config.url}; checking again every ${PROBE_INTERVAL_MS / 1000} s.`;
  clearInterval(probeTimer);
  probeTimer = reachable ? null : setInterval(probeServer, PROBE_INTERVAL_MS);
  // Back online with a stored session that could not be restored: try again now.
  if (cameBack && byId("user-details").hidden) restoreSession();
}

// ---- small helpers -------------------------------------------------------------------------

function setBadge(element, text, tone) {
  element.textContent = text;
  element.className = `badge badge-${tone}`;
}

function formatTime(epochMs) {
  return typeof epochMs === "number" ? new Date(epochMs).toLocaleString() : "—";
}
