// Browser side of the benchmark (loaded by bench/page.html). One page drives one client:
//   "ours"     — this repository's release package (pkg/index.js)
//   "official" — the official `backendless` browser bundle (dist/backendless.min.js, UMD)
//   "fetch"    — no SDK: a bare fetch() of the identical request, and the bare-JS equivalents of
//                the hot paths (a variable for the in-memory user, localStorage + JSON.parse for
//                LocalCache.get), as the floor both SDKs are compared with.
//   "xhr"      — no SDK: the identical request with a bare XMLHttpRequest, the transport both SDKs
//                use in pages (latency only), so each SDK's own overhead over it shows too.
// The harness (bench/run.mjs) calls window.bench.setup(config), then run()/hot() via
// page.evaluate, and does the statistics itself from the raw samples.

/** Loads a client by name and points it at the server. Returns the Backendless-shaped object. */
export async function loadClient(name, { server, appId, apiKey }) {
  if (name === "ours") {
    const { default: Backendless } = await import("/pkg/index.js");
    Backendless.serverURL = server;
    Backendless.initApp(appId, apiKey);
    return Backendless;
  }
  if (name === "official") {
    // The UMD bundle, evaluated as a module, falls through to `self.Backendless = …`.
    await import("/node_modules/backendless/dist/backendless.min.js");
    const Backendless = self.Backendless;
    Backendless.serverURL = server;
    Backendless.initApp(appId, apiKey);
    return Backendless;
  }
  if (name === "fetch") return bareClient({ server, appId, apiKey });
  if (name === "xhr") return bareXhrClient({ server, appId, apiKey });
  throw new Error(`unknown client ${name}`);
}

/** The same requests as the SDKs, written by hand: method, URL, headers and body as they send them. */
function bareClient({ server, appId, apiKey }) {
  const base = `${server}/${appId}/${apiKey}`;
  const storageKey = `Backendless_${appId}`;
  let user = null;
  let token = null;
  async function answer(response) {
    const value = await response.json();
    if (!response.ok) throw Object.assign(new Error(value?.message ?? "error"), { code: value?.code });
    return value;
  }
  return {
    UserService: {
      async login(login, password, stayLoggedIn) {
        const headers = { "Content-Type": "application/json" };
        if (token) headers["user-token"] = token;
        const response = await fetch(`${base}/users/login`, {
          method: "POST",
          headers,
          body: JSON.stringify({ login, password }),
        });
        user = await answer(response);
        token = user["user-token"];
        localStorage.setItem(storageKey, JSON.stringify(stayLoggedIn
          ? { stayLoggedIn: true, "user-token": token, "current-user-id": user.objectId }
          : {}));
        return user;
      },
      async isValidLogin() {
        if (!token) return false;
        const response = await fetch(`${base}/users/isvalidusertoken/${token}`, { headers: { "user-token": token } });
        return answer(response);
      },
      async getCurrentUser() {
        return user;
      },
    },
    LocalCache: {
      get(key) {
        return JSON.parse(localStorage.getItem(storageKey) ?? "{}")[key];
      },
    },
  };
}

/** bareClient's requests over a bare XMLHttpRequest: one event carries status and body. */
function bareXhrClient({ server, appId, apiKey }) {
  const base = `${server}/${appId}/${apiKey}`;
  let token = null;
  function send(method, url, headers, body) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      for (const name in headers) xhr.setRequestHeader(name, headers[name]);
      xhr.onload = () => {
        const value = JSON.parse(xhr.responseText);
        if (xhr.status < 200 || xhr.status > 299) reject(Object.assign(new Error(value?.message ?? "error"), { code: value?.code }));
        else resolve(value);
      };
      xhr.onerror = () => reject(new Error("network error"));
      xhr.send(body);
    });
  }
  return {
    UserService: {
      async login(login, password) {
        const headers = { "Content-Type": "application/json" };
        if (token) headers["user-token"] = token;
        const user = await send("POST", `${base}/users/login`, headers, JSON.stringify({ login, password }));
        token = user["user-token"];
        return user;
      },
      async isValidLogin() {
        if (!token) return false;
        return send("GET", `${base}/users/isvalidusertoken/${token}`, { "user-token": token }, null);
      },
    },
  };
}

let client = null;
let credentials = null;

/** Loads the client and logs in once (stayLoggedIn), so every later call has a session. */
export async function setup(config) {
  localStorage.clear();
  performance.setResourceTimingBufferSize(10_000);
  credentials = config;
  client = await loadClient(config.client, config);
  const user = await client.UserService.login(config.login, config.password, true);
  if (!user?.["user-token"]) throw new Error(`${config.client}: login gave no user-token`);
  return { crossOriginIsolated: self.crossOriginIsolated };
}

const OPERATIONS = {
  login: {
    call: () => client.UserService.login(credentials.login, credentials.password, true),
    ok: (result) => typeof result?.["user-token"] === "string",
  },
  isValidLogin: {
    call: () => client.UserService.isValidLogin(),
    ok: (result) => result === true,
  },
};

/**
 * n sequential calls of one operation. Returns the milliseconds per call (performance.now()) and,
 * from the Resource Timing entries of the API requests, where each call's time went: before the
 * request started, request start → response end, and after the response until the call resolved.
 */
export async function run(operation, n) {
  const { call, ok } = OPERATIONS[operation];
  const starts = new Array(n);
  const samples = new Array(n);
  performance.clearResourceTimings();
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const result = await call();
    samples[i] = performance.now() - start;
    starts[i] = start;
    if (!ok(result)) throw new Error(`${credentials.client} ${operation}: unexpected answer ${JSON.stringify(result)}`);
  }
  const requests = performance.getEntriesByType("resource").filter((entry) => entry.name.includes("/users/"));
  const phases = requests.length === n
    ? requests.map((entry, i) => [entry.startTime - starts[i], entry.responseEnd - entry.startTime,
      starts[i] + samples[i] - entry.responseEnd])
    : null;
  return { samples, phases };
}

let sink;

/** The hot paths, `batches` batches of `n` calls each; microseconds per call of every batch. */
export async function hot(n, batches) {
  const users = client.UserService;
  const cache = client.LocalCache;
  const user = await users.getCurrentUser();
  if (!user?.objectId) throw new Error(`${credentials.client}: getCurrentUser() has no user in memory`);
  const token = cache.get("user-token");
  if (typeof token !== "string" || token.length === 0) throw new Error(`${credentials.client}: LocalCache.get gave ${token}`);
  const currentUser = [];
  const cacheGet = [];
  for (let batch = 0; batch < batches; batch++) {
    let start = performance.now();
    for (let i = 0; i < n; i++) sink = await users.getCurrentUser();
    currentUser.push(((performance.now() - start) * 1000) / n);
    start = performance.now();
    for (let i = 0; i < n; i++) sink = cache.get("user-token");
    cacheGet.push(((performance.now() - start) * 1000) / n);
  }
  if (sink !== token) throw new Error(`${credentials.client}: LocalCache.get changed its answer`);
  return { currentUser, cacheGet };
}

window.bench = { setup, run, hot };
