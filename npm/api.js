// The documented API (Backendless, UserService, LocalCache, Async, User), assembled over
// the raw wasm exports of one instance (see wasm.js): `api(wasm, spawn)` answers the `Backendless`
// object; `spawn()` answers a new one over a new instance, for `initApp({ standalone: true })`. The
// entry modules (index.js, server.js) decide which instances those are. What each member costs
// in bytes is in BENCHMARKS.md ("What each member costs").

/**
 * `Backendless.User`: what every call that answers a user answers, and what pages may build to
 * register (`new Backendless.User()`, `new Backendless.User({ email, password })`). It holds the
 * given object's own properties, in their order, and `___class: "Users"`; one class for every
 * instance of the page.
 */
export class User {
  static className = "Users";
  constructor(properties) {
    // Defined, not assigned: a property named `__proto__` stays data.
    for (const [key, value] of Object.entries(properties ?? {})) {
      Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
    }
    this.___class = "Users";
  }
}

const globalScope = globalThis;

/** `UserService.Utils`: the page's language, as `register` sends it (`blUserLocale`). */
const UsersUtils = {
  getClientUserLocale: () => (globalScope.navigator?.languages?.[0] || globalScope.navigator?.language || "").slice(0, 2).toLowerCase() || undefined,
};

const isObject = (value) => typeof value == "object" && value !== null && !Array.isArray(value);
// A trailing `Async` argument turns the Promise `call` answers into callbacks (and the call
// returns undefined), as for every UserService call.
export const withCallbacks = (Async, call) => (...args) => {
  const last = args[args.length - 1];
  if (!(last instanceof Async)) return call(...args);
  args.pop();
  call(...args).then((result) => last.success(result), (error) => last.fault(error));
};

export const filled = (value) => typeof value == "string" && value !== "";
// An identity or objectId as the official client takes it: a non-empty string, or a number.
export const identity = (value) => (typeof value == "number" ? String(value) : filled(value) ? value : null);

// initApp's options, as the official client reads them; others are warned about once per page.
const OPTIONS = ["appId", "apiKey", "domain", "serverURL", "standalone", "debugMode"];
const warned = new Set();

export function api(wasm, spawn, standalone = false) {
  wasm.setUserClass(User);

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

  // `run` is a wasm export's name, or a function of the caller's arguments.
  const callbacks = (run) => withCallbacks(Async, typeof run === "string" ? wasm[run] : run);

  // Every call beyond the password flow goes through one export (UserCall in
  // src/js/user_service.rs); its arguments are checked and placed here (size: see
  // BENCHMARKS.md#size-family-in-js).
  const { Roles, Update, ResendConfirmation, OAuthLogin, AuthorizationUrl, Adopt, RolesOf, ConfirmationUrl, DescribeUserClass, SdkLogin } =
    wasm.UserCall;
  const call = (which, segment, body, stayLoggedIn, options) => wasm.userCall(which, segment, body, stayLoggedIn, options);
  const { Token, UserId, User: CurrentUser, StorageName, AppPath } = wasm.Read;
  // The SDK's one error constructor (jsError in src/js/objects.js, which the wasm's rejections use
  // too, exported by the glue): an Error named `name` (TypeError: a caller's mistake) with code,
  // statusCode, status and body all null.
  const argumentError = (message, name = "TypeError") => wasm.jsError(message, name, null, null, null);
  const refuse = (message, name) => Promise.reject(argumentError(message, name));
  const nonEmpty = (what) => refuse(`${what} must be a non-empty string`);
  const isUser = (value) => isObject(value) && filled(value.objectId);

  /** getUserRoles(userId?): the session's roles, or those of the user `userId`. */
  function getUserRoles(userId, options) {
    if (isObject(userId)) [userId, options] = [undefined, userId];
    const id = identity(userId);
    return userId == null ? call(Roles, "", undefined, false, options) : id ? call(RolesOf, id, undefined, false, options) : nonEmpty("userId");
  }

  /** update(user): PUT users/{objectId}; the current user follows when it is the same user. */
  const update = (user, options) => (isUser(user) ? call(Update, user.objectId, user, false, options) : refuse("update: the user needs its objectId"));

  // A call whose path ends with the caller's identity or objectId (a string or a number).
  const byId = (which, what, body) => (value, options) => {
    const id = identity(value);
    return id ? call(which, id, body, false, options) : nonEmpty(what);
  };

  // The official client lower-cases the provider code in the URL.
  const provider = (code) => filled(code) && code.toLowerCase();

  /**
   * loginWithOauth2(providerCode, accessToken, guestUser?, fieldsMapping?, stayLoggedIn?) and
   * loginWithOauth1(providerCode, accessToken, accessTokenSecret, guestUser?, …) (`which` is
   * OAuthLogin), with the official client's shifts: a guestUser argument that is no user is the
   * fieldsMapping, and a boolean where the fieldsMapping goes is stayLoggedIn. The provider SDK
   * logins (SdkLogin) take no guest (undefined here): after the token come the fieldsMapping, or
   * stayLoggedIn in its place.
   */
  function oauthLogin(which, providerCode, tokens, guestUser, fieldsMapping, stayLoggedIn, options) {
    if (guestUser && !isUser(guestUser)) [guestUser, fieldsMapping, stayLoggedIn, options] = [undefined, guestUser, fieldsMapping, stayLoggedIn];
    if (typeof fieldsMapping === "boolean") [fieldsMapping, stayLoggedIn, options] = [undefined, fieldsMapping, stayLoggedIn];
    const code = provider(providerCode);
    if (!code) return nonEmpty("providerCode");
    for (const name in tokens) if (!filled(tokens[name])) return nonEmpty(name);
    return call(which, code, { ...tokens, fieldsMapping, guestUser }, stayLoggedIn, options);
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
    if (!code) return nonEmpty("providerCode");
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
    return call(AuthorizationUrl, code, body, false, options);
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
    const location = globalScope.location;
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
    globalScope.history?.replaceState(history.state, "", location.pathname + (rest && "?" + rest) + location.hash);
    const storage = tabStorage();
    const expected = storage[STATE_KEY];
    delete storage[STATE_KEY];
    return expected && landing[STATE] === expected && filled(userToken) && filled(userId)
      ? call(Adopt, userId, userToken, stayLoggedIn, options)
      : refuse("No session from a sign-in this tab started", "OAuthStateError");
  }

  const setCurrentUser = (user, stayLoggedIn) => wasm.setCurrentUser(user, stayLoggedIn);
  const getCurrentUserId = () => wasm.read(UserId);
  const getCurrentUserToken = () => wasm.read(Token);
  /**
   * setCurrentUserToken(token): the current user takes that token (stored where the session is);
   * before getCurrentUser() knows the user, a stored token is replaced, as the official client
   * does; a falsy token ends the session.
   */
  function setCurrentUserToken(token) {
    const user = wasm.read(CurrentUser);
    if (!token) setCurrentUser(null);
    else if (user) setCurrentUser({ ...user, "user-token": token }, LocalCache.get("stayLoggedIn"));
    else if (LocalCache.get("user-token")) LocalCache.set("user-token", token);
  }

  const UserService = Object.freeze({
    login: callbacks((login, password, stayLoggedIn, options) =>
      // login(objectId, stayLoggedIn?, options?): the official client's shift.
      typeof password === "boolean" ? wasm.login(login, undefined, password, stayLoggedIn) : wasm.login(login, password, stayLoggedIn, options)),
    loginAsGuest: callbacks("loginAsGuest"),
    /** register(user): the user as given, plus `blUserLocale` (the page's language) unless set. */
    register: callbacks((user, options) => {
      const blUserLocale = isObject(user) && !user.blUserLocale && UsersUtils.getClientUserLocale();
      return wasm.register(blUserLocale ? { ...user, blUserLocale } : user, options);
    }),
    logout: callbacks("logout"),
    restorePassword: callbacks("restorePassword"),
    isValidLogin: callbacks("isValidLogin"),
    getCurrentUser: callbacks("getCurrentUser"),
    getUserRoles: callbacks(getUserRoles),
    update: callbacks(update),
    resendEmailConfirmation: callbacks(byId(ResendConfirmation, "identity")),
    createEmailConfirmationURL: callbacks(byId(ConfirmationUrl, "identity")),
    describeUserClass: callbacks((options) => call(DescribeUserClass, "", undefined, false, options)),
    loginWithOauth2: callbacks((providerCode, accessToken, ...rest) => oauthLogin(OAuthLogin, providerCode, { accessToken }, ...rest)),
    loginWithOauth1: callbacks((providerCode, accessToken, accessTokenSecret, ...rest) =>
      oauthLogin(OAuthLogin, providerCode, { accessToken, accessTokenSecret }, ...rest)),
    loginWithFacebookSdk: callbacks((accessToken, ...rest) => oauthLogin(SdkLogin, "facebook", { accessToken }, undefined, ...rest)),
    loginWithGooglePlusSdk: callbacks((accessToken, ...rest) => oauthLogin(SdkLogin, "googleplus", { accessToken }, undefined, ...rest)),
    getAuthorizationUrlLink: callbacks(getAuthorizationUrlLink),
    completeOAuthRedirect: callbacks(completeOAuthRedirect),
    isValidLoginSync: () => wasm.isValidLoginSync(),
    getCurrentUserToken,
    setCurrentUserToken,
    getCurrentUserId,
    loggedInUser: getCurrentUserId,
    /** The current user once known (after a login, or once getCurrentUser() has fetched it), else null. */
    get currentUser() {
      return wasm.read(CurrentUser);
    },
    setCurrentUser,
    /** @deprecated the official client's old names of `currentUser` and `setCurrentUser`. */
    getLocalCurrentUser: () => wasm.read(CurrentUser),
    setLocalCurrentUser: setCurrentUser,
    Utils: UsersUtils,
    addSessionListener(listener) {
      const id = wasm.addSessionListener(listener);
      return () => wasm.removeSessionListener(id);
    },
  });

  // One wasm export serves them (see CacheOp in src/cache.rs). A page that writes the session's
  // own keys itself is heard as the official client hears it: while no user is known in memory
  // (after a reload, before getCurrentUser()), the session is read again from the map, as a page
  // load reads it.
  const { Get, Set, Remove } = wasm.CacheOp;
  const Keys = { USER_TOKEN: "user-token", CURRENT_USER_ID: "current-user-id", STAY_LOGGED_IN: "stayLoggedIn" };
  const write = (op) => (key, value) => {
    wasm.cache(op, key, value);
    if ((key === Keys.USER_TOKEN || key === Keys.CURRENT_USER_ID) && !wasm.read(CurrentUser)) wasm.initApp(...applied);
  };
  const LocalCache = Object.freeze({
    get: (key) => wasm.cache(Get, key),
    set: write(Set),
    remove: write(Remove),
    /** The storage item holding this app's map: `Backendless_{appId}`, or `Backendless`. */
    get storageName() {
      return wasm.read(StorageName);
    },
    Keys,
  });

  // The wasm initApp's arguments in force, and what initApp was given.
  let applied;
  const settings = { appId: null, apiKey: null, domain: null, debugMode: false, standalone };

  /**
   * `Backendless.initApp(appId, apiKey)`, `initApp("https://xxxx.backendless.app")` or
   * `initApp({ appId, apiKey, domain, serverURL, standalone, debugMode })`, read as the
   * official client reads them; other options are warned about once. Answers this Backendless, or
   * with `standalone: true` a new, independent one (its own session, LocalCache and listeners)
   * that starts from this one's serverURL and debugMode. The same settings again change
   * nothing. The wasm export takes strings only (size: see BENCHMARKS.md#size-init-app-strings).
   */
  function initApp(app, apiKey) {
    const config = isObject(app) ? app : typeof app === "string" && apiKey === undefined ? { domain: app } : { appId: app, apiKey };
    for (const name in config) {
      if (!OPTIONS.includes(name) && !warned.has(name)) console.warn("Backendless.initApp ignores the option", warned.add(name) && name);
    }
    const before = wasm.serverURL();
    const { domain, debugMode = settings.debugMode, serverURL = before } = config;
    if (config.standalone) return spawn().initApp({ ...config, debugMode, serverURL, standalone: false });
    const [first, second] = domain ? [domain] : [config.appId, config.apiKey];
    if (serverURL !== before) wasm.setServerURL(serverURL);
    // The same settings again (a React effect run twice) change nothing: calls in flight carry on.
    if (`${applied}` === `${first},${second}` && wasm.serverURL() === before) return Backendless;
    try {
      wasm.initApp(first, second);
    } catch (error) {
      wasm.setServerURL(before); // nothing half-done: the server URL goes back too
      throw error;
    }
    applied = [first, second];
    // What the page gave, as the official client shows it (the wasm keeps the checked forms).
    Object.assign(settings, { appId: domain ? null : first, apiKey: second ?? null, domain: domain || null, debugMode: !!debugMode });
    return Backendless;
  }

  const fixed = (name) => ({ get: () => settings[name] });
  const Backendless = Object.defineProperties(
    {
      initApp,
      /**
       * Points the SDK at a local backendless-emulator (default http://127.0.0.1:8200) and
       * initialises the app with the emulator's defaults unless ids are given.
       */
      connectEmulator: (serverURL = "http://127.0.0.1:8200", appId = "LOCAL-APP-ID", apiKey = "LOCAL-API-KEY") => initApp({ appId, apiKey, serverURL }),
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
      User,
      getCurrentUserToken,
      setCurrentUserToken,
    },
    {
      // What initApp was given, read-only as in the official client (assigning throws in strict
      // code): initApp changes them.
      appId: fixed("appId"),
      apiKey: fixed("apiKey"),
      domain: fixed("domain"),
      standalone: fixed("standalone"),
      debugMode: { get: () => settings.debugMode, set: (on) => void (settings.debugMode = !!on) },
      /** Where requests go: `{domain}/api` or `{serverURL}/{appId}/{apiKey}`; null before initApp. */
      appPath: { get: () => (settings.appId || settings.domain ? wasm.read(AppPath) : null) },
      serverURL: { get: () => wasm.serverURL(), set: (url) => wasm.setServerURL(url) },
    },
  );
  return Backendless;
}
