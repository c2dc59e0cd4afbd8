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
  // src/js/user_service.rs). Checking and placing its arguments is done here (size: see
  // BENCHMARKS.md#size-family-in-js).
  const { Roles, Update, ResendConfirmation, OAuthLogin, AuthorizationUrl, Adopt } = wasm.UserCall;
  // The SDK's one error constructor (jsError in src/js/objects.js, which the wasm's rejections use
  // too, exported by the glue): an Error named `name` (TypeError: a caller's mistake) with code,
  // statusCode, status and body all null.
  const argumentError = (message, name = "TypeError") => wasm.jsError(message, name, null, null, null);
  const refuse = (message, name) => Promise.reject(argumentError(message, name));
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

  // Login CSRF: a landing URL carrying someone else's session must not log this tab in. A flow
  // this tab starts carries a secret of the tab's (in sessionStorage, so only this tab's pages
  // on this origin read it) in its redirectAfterLoginUrl; completeOAuthRedirect takes over a
  // session only from a landing that brings that secret back, and uses it up. The names are
  // `redirect::STATE` and `redirect::STATE_KEY` in src/protocol.rs.
  const STATE = "blState";
  const STATE_KEY = "Backendless_oauth_state";
  // sessionStorage, or an empty object where there is none or touching it throws.
  const tabStorage = () => { try { return sessionStorage; } catch { return {}; } };

  function getAuthorizationUrlLink(providerCode, fieldsMapping, scope, redirect, redirectAfterLoginUrl, callbackUrlDomain, options) {
    const code = provider(providerCode);
    if (code === null) return noProvider();
    if (typeof redirectAfterLoginUrl === "string") {
      // The tab's state: made once (128 random bits) and kept until a landing uses it up, so
      // every link the tab makes (one per provider button, say) carries the same one.
      const storage = tabStorage();
      const state = (storage[STATE_KEY] ||= crypto.getRandomValues(new Uint32Array(4)).join(""));
      // At the end of the query, before any fragment.
      const [, head, hash] = redirectAfterLoginUrl.match(/([^#]*)(.*)/s);
      redirectAfterLoginUrl = `${head}${head.includes("?") ? "&" : "?"}${STATE}=${state}${hash}`;
    }
    const body = { fieldsMapping, permissions: scope, redirect, redirectAfterLoginUrl, callbackUrlDomain };
    return wasm.userCall(AuthorizationUrl, code, body, false, options);
  }

  /**
   * The end of the redirect flow, on the page `redirectAfterLoginUrl` names: takes the session the
   * server put in the query (`?userId=…&userToken=…`, see `redirect` in src/protocol.rs), removes
   * those parameters and the flow's state from the address bar, fetches the user with that token
   * and makes it the current user. Resolves with the user, or null when the URL carries none of
   * those parameters; rejects with an `OAuthStateError` (the session untouched) when this tab did
   * not start the flow that landed here, or the landing lacks the user's id or token (a sign-in
   * given up at the provider, say).
   */
  function completeOAuthRedirect(stayLoggedIn, options) {
    const location = globalThis.location;
    // Ours are found by their decoded names (`user%54oken` too) and leave the address bar, the
    // history and bookmarks; the rest of the query stays as written (URLSearchParams would
    // re-encode it).
    const landing = {};
    const rest = (location?.search ?? "").slice(1).split("&").filter((part) => {
      const [[name, value] = []] = new URLSearchParams(part);
      if (name !== "userId" && name !== "userToken" && name !== STATE) return part;
      landing[name] = value;
    }).join("&");
    const { userId, userToken } = landing;
    if (!Object.keys(landing).length) return Promise.resolve(null);
    globalThis.history?.replaceState(history.state, "", location.pathname + (rest && "?" + rest) + location.hash);
    const storage = tabStorage();
    const expected = storage[STATE_KEY];
    delete storage[STATE_KEY];
    return expected && landing[STATE] === expected && filled(userToken) && filled(userId)
      ? wasm.userCall(Adopt, userId, userToken, stayLoggedIn, options)
      : refuse("No session from a sign-in this tab started", "OAuthStateError");
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

  // One wasm export serves the three (see CacheOp in src/cache.rs).
  const { Get, Set, Remove } = wasm.CacheOp;
  const LocalCache = Object.freeze({
    get: (key) => wasm.cache(Get, key),
    set: (key, value) => wasm.cache(Set, key, value),
    remove: (key) => wasm.cache(Remove, key),
  });

  /**
   * `Backendless.initApp(appId, apiKey)`, `initApp("https://xxxx.backendless.app")`,
   * `initApp({ domain })` or `initApp({ appId, apiKey })`. The object forms are read here and
   * the wasm export takes strings only (size: see BENCHMARKS.md#size-init-app-strings).
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
      if (choice === undefined) throw argumentError('setPersistence: expected "local", "session" or "memory"');
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
