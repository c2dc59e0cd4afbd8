// The documented API (Backendless, UserService, LocalCache, Async), assembled over the raw wasm
// exports of one instance (see wasm.js): `api(wasm)` answers the `Backendless` object. The entry
// modules (index.js, server.js) decide which instance that is.

export function api(wasm) {
  /**
   * Callback style of the Backendless docs: pass `new Backendless.Async(onSuccess, onFault)` as
   * the last argument of any UserService call instead of using the returned Promise.
   */
  class Async {
    constructor(responder, faultHandler, context) {
      this.responder = responder;
      this.faultHandler = faultHandler;
      this.context = context;
    }
    success(result) {
      if (typeof this.responder === "function") this.responder.call(this.context, result);
    }
    fault(error) {
      if (typeof this.faultHandler === "function") this.faultHandler.call(this.context, error);
    }
  }

  // A trailing Backendless.Async turns the Promise into callbacks (and the call returns undefined).
  // `run` is a wasm export's name, or a function of the caller's arguments.
  const callbacks = (run) => (...args) => {
    const call = typeof run === "string" ? wasm[run] : run;
    const last = args[args.length - 1];
    if (!(last instanceof Async)) return call(...args);
    args.pop();
    call(...args).then((result) => last.success(result), (error) => last.fault(error));
  };

  // The login family beyond the password goes through one export (UserCall in
  // src/js/user_service.rs). Checking and placing its arguments is done here: the same checks in
  // the wasm cost several times the bytes (BENCHMARKS.md, "The login family").
  const { Roles, Update, ResendConfirmation, OAuthLogin, AuthorizationUrl, Adopt } = wasm.UserCall;
  // A rejection like the wasm's argument errors: a TypeError with code, statusCode, status, body.
  const refuse = (message) =>
    Promise.reject(Object.assign(new TypeError(message), { code: null, statusCode: null, status: null, body: null }));
  const filled = (value) => typeof value === "string" && value !== "";
  const isUser = (value) => typeof value === "object" && value !== null && filled(value.objectId);

  const getUserRoles = (options) => wasm.userCall(Roles, "", undefined, false, options);

  /** update(user): PUT users/{objectId}; the current user follows when it is the same user. */
  const update = (user, options) =>
    isUser(user) && !Array.isArray(user)
      ? wasm.userCall(Update, user.objectId, user, false, options)
      : refuse("update: the user must be an object with its objectId");

  function resendEmailConfirmation(identity, options) {
    if (typeof identity === "number") identity = String(identity);
    return filled(identity)
      ? wasm.userCall(ResendConfirmation, identity, undefined, false, options)
      : refuse("resendEmailConfirmation: the identity must be a non-empty string or a number");
  }

  // The official client lower-cases the provider code in the URL.
  const provider = (code) => (filled(code) ? code.toLowerCase() : null);
  const noProvider = () => refuse("providerCode must be a non-empty string");

  /**
   * loginWithOauth2(providerCode, accessToken, guestUser?, fieldsMapping?, stayLoggedIn?, options?),
   * with the official client's shifts: a third argument that is no user is the fieldsMapping, and a
   * boolean where the fieldsMapping goes is stayLoggedIn.
   */
  function loginWithOauth2(providerCode, accessToken, guestUser, fieldsMapping, stayLoggedIn, options) {
    if (guestUser && !isUser(guestUser)) {
      [guestUser, fieldsMapping, stayLoggedIn, options] = [undefined, guestUser, fieldsMapping, stayLoggedIn];
    }
    if (typeof fieldsMapping === "boolean") {
      [fieldsMapping, stayLoggedIn, options] = [undefined, fieldsMapping, stayLoggedIn];
    }
    const code = provider(providerCode);
    if (code === null) return noProvider();
    if (!filled(accessToken)) return refuse("accessToken must be a non-empty string");
    return wasm.userCall(OAuthLogin, code, { accessToken, fieldsMapping, guestUser }, stayLoggedIn, options);
  }

  function getAuthorizationUrlLink(providerCode, fieldsMapping, scope, redirect, redirectAfterLoginUrl, callbackUrlDomain, options) {
    const code = provider(providerCode);
    if (code === null) return noProvider();
    const body = { fieldsMapping, permissions: scope, redirect, redirectAfterLoginUrl, callbackUrlDomain };
    return wasm.userCall(AuthorizationUrl, code, body, false, options);
  }

  /**
   * The end of the redirect flow, on the page `redirectAfterLoginUrl` names: takes the session the
   * server put in the query (`?userId=…&userToken=…`, see `redirect` in src/protocol.rs), removes
   * those two parameters from the address bar, fetches the user with that token and makes it the
   * current user. Resolves with the user, or null when the URL carries no session.
   */
  function completeOAuthRedirect(stayLoggedIn, options) {
    const location = globalThis.location;
    const query = new URLSearchParams(location?.search);
    const token = query.get("userToken");
    const objectId = query.get("userId");
    if (token === null && objectId === null) return Promise.resolve(null);
    // The token must not stay in the address bar, the history or a bookmark.
    // Only those two parameters go; the rest stays as written (URLSearchParams would re-encode it).
    const rest = location.search.replace(/[?&]user(Id|Token)=[^&]*/g, "").replace(/^&/, "?");
    globalThis.history?.replaceState(history.state, "", location.pathname + rest + location.hash);
    return filled(token) && filled(objectId)
      ? wasm.userCall(Adopt, objectId, token, stayLoggedIn, options)
      : refuse("The redirect carried no usable userId and userToken");
  }

  const UserService = Object.freeze({
    login: callbacks("login"),
    loginAsGuest: callbacks("loginAsGuest"),
    register: callbacks("register"),
    logout: callbacks("logout"),
    restorePassword: callbacks("restorePassword"),
    isValidLogin: callbacks("isValidLogin"),
    getCurrentUser: callbacks("getCurrentUser"),
    getUserRoles: callbacks(getUserRoles),
    update: callbacks(update),
    resendEmailConfirmation: callbacks(resendEmailConfirmation),
    loginWithOauth2: callbacks(loginWithOauth2),
    getAuthorizationUrlLink: callbacks(getAuthorizationUrlLink),
    completeOAuthRedirect: callbacks(completeOAuthRedirect),
    isValidLoginSync: () => wasm.isValidLoginSync(),
    getCurrentUserToken: () => wasm.getCurrentUserToken(),
    loggedInUser: () => wasm.loggedInUser(),
    setCurrentUser: (user, stayLoggedIn) => wasm.setCurrentUser(user, stayLoggedIn),
    addSessionListener(listener) {
      const id = wasm.addSessionListener(listener);
      return () => wasm.removeSessionListener(id);
    },
  });

  // One wasm export serves the three (see CacheOp in src/js/local_cache.rs).
  const { Get, Set, Remove } = wasm.CacheOp;
  const LocalCache = Object.freeze({
    get: (key) => wasm.cache(Get, key),
    set: (key, value) => wasm.cache(Set, key, value),
    remove: (key) => wasm.cache(Remove, key),
  });

  /**
   * `Backendless.initApp(appId, apiKey)`, `initApp("https://xxxx.backendless.app")`,
   * `initApp({ domain })` or `initApp({ appId, apiKey })`. The object forms are read here and
   * the wasm export takes strings only (measured: -90 B gzip in the shipped entry).
   */
  function initApp(app, apiKey) {
    if (typeof app === "object" && app !== null) {
      [app, apiKey] = typeof app.domain === "string" ? [app.domain] : [app.appId, app.apiKey];
    }
    wasm.initApp(app, apiKey);
    return Backendless;
  }

  /**
   * Points the SDK at a local backendless-emulator (default http://127.0.0.1:8200) and
   * initialises the app with the emulator's defaults unless ids are given.
   */
  function connectEmulator(url = "http://127.0.0.1:8200", appId = "LOCAL-APP-ID", apiKey = "LOCAL-API-KEY") {
    wasm.setServerURL(url);
    return initApp(appId, apiKey);
  }

  const Backendless = {
    initApp,
    connectEmulator,
    /** Where the session lives: "local" (default), "session" (this tab) or "memory". */
    setPersistence(persistence) {
      const { Local, Session, Memory } = wasm.Persistence;
      const choice = { local: Local, session: Session, memory: Memory }[persistence];
      if (choice === undefined) throw new TypeError('setPersistence: expected "local", "session" or "memory"');
      wasm.setPersistence(choice);
      return Backendless;
    },
    UserService,
    LocalCache,
    Async,
    get serverURL() {
      return wasm.serverURL();
    },
    set serverURL(url) {
      wasm.setServerURL(url);
    },
  };
  return Backendless;
}
