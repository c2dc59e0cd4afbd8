// The entry module as it shipped before the wasm was inlined (commit 23d5ff0, with the exports
// renamed since: CacheOp, setServerURL), kept for the
// start-up benchmark only: served next to pkg/backendless_wasm.js and pkg/backendless_wasm_bg.wasm
// it loads as pages loaded the package then, three requests in sequence (this file, the glue it
// imports, the wasm it fetches with top-level await). bench/run.mjs measures it against the shipped
// entry, with and without preload hints.
import * as wasm from "./backendless_wasm.js";

// Compiled here and handed to the glue's initSync: the glue's generic async loader (every
// argument form it accepts, with their warnings) is left out of the shipped glue.
const wasmUrl = new URL("./backendless_wasm_bg.wasm", import.meta.url);
wasm.initSync({ module: await compile(wasmUrl) });

async function compile(url) {
  if (url.protocol === "file:") return WebAssembly.compile(await readFromDisk(url));
  const response = await fetch(url);
  if (!response.ok) throw new Error(`backendless-wasm: fetching ${url} answered ${response.status}`);
  // Streaming compilation needs the application/wasm type; a server without it still works.
  const fallback = response.clone();
  try {
    return await WebAssembly.compileStreaming(response);
  } catch {
    return WebAssembly.compile(await fallback.arrayBuffer());
  }
}

// Node (scripts, server-side rendering) cannot fetch a file: URL, so the bytes are read from
// disk there. The specifier is kept opaque so bundlers leave this browser-irrelevant path alone.
async function readFromDisk(url) {
  const fs = "node:fs/promises";
  const { readFile } = await import(/* webpackIgnore: true */ /* @vite-ignore */ fs);
  return readFile(url);
}

/**
 * Callback style of the Backendless docs: pass `new Backendless.Async(onSuccess, onFault)` as
 * the last argument of any UserService call instead of using the returned Promise.
 */
export class Async {
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
function callbacks(call) {
  return (...args) => {
    const last = args[args.length - 1];
    if (!(last instanceof Async)) return call(...args);
    args.pop();
    call(...args).then((result) => last.success(result), (error) => last.fault(error));
    return undefined;
  };
}

export const UserService = Object.freeze({
  login: callbacks(wasm.login),
  loginAsGuest: callbacks(wasm.loginAsGuest),
  register: callbacks(wasm.register),
  logout: callbacks(wasm.logout),
  restorePassword: callbacks(wasm.restorePassword),
  isValidLogin: callbacks(wasm.isValidLogin),
  getCurrentUser: callbacks(wasm.getCurrentUser),
  isValidLoginSync: wasm.isValidLoginSync,
  getCurrentUserToken: wasm.getCurrentUserToken,
  loggedInUser: wasm.loggedInUser,
  setCurrentUser: wasm.setCurrentUser,
  addSessionListener(listener) {
    const id = wasm.addSessionListener(listener);
    return () => wasm.removeSessionListener(id);
  },
});

// One wasm export serves the three (op 0, 1, 2: see src/js/local_cache.rs).
export const LocalCache = Object.freeze({
  get: (key) => wasm.cache(wasm.CacheOp.Get, key),
  set: (key, value) => wasm.cache(wasm.CacheOp.Set, key, value),
  remove: (key) => wasm.cache(wasm.CacheOp.Remove, key),
});

/** `Backendless.initApp(appId, apiKey)` or `initApp("https://xxxx.backendless.app")`. */
export function initApp(appIdOrDomain, apiKey) {
  wasm.initApp(appIdOrDomain, apiKey);
  return Backendless;
}

/**
 * Points the SDK at a local backendless-emulator (default http://127.0.0.1:8200) and
 * initialises the app with the emulator's defaults unless ids are given.
 */
export function connectEmulator(url = "http://127.0.0.1:8200", appId = "LOCAL-APP-ID", apiKey = "LOCAL-API-KEY") {
  wasm.setServerURL(url);
  return initApp(appId, apiKey);
}

const Backendless = {
  initApp,
  connectEmulator,
  UserService,
  LocalCache,
  Async,
  // One wasm export reads (false) and sets (true) it.
  get serverURL() {
    return wasm.serverURL();
  },
  set serverURL(url) {
    wasm.setServerURL(url);
  },
};

export default Backendless;
