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
  const callbacks = (name) => (...args) => {
    const last = args[args.length - 1];
    if (!(last instanceof Async)) return wasm[name](...args);
    args.pop();
    wasm[name](...args).then((result) => last.success(result), (error) => last.fault(error));
  };

  const UserService = Object.freeze({
    login: callbacks("login"),
    loginAsGuest: callbacks("loginAsGuest"),
    register: callbacks("register"),
    logout: callbacks("logout"),
    restorePassword: callbacks("restorePassword"),
    isValidLogin: callbacks("isValidLogin"),
    getCurrentUser: callbacks("getCurrentUser"),
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

  /** `Backendless.initApp(appId, apiKey)` or `initApp("https://xxxx.backendless.app")`. */
  function initApp(appIdOrDomain, apiKey) {
    wasm.initApp(appIdOrDomain, apiKey);
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
