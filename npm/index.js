// backendless-wasm: the entry module, the same file for pages, bundlers, workers, service workers
// and Node. The build (scripts/package.mjs) makes it one self-contained file: the wasm-bindgen glue
// and the wasm's bytes are inlined, and the module is compiled and instantiated synchronously while
// this file evaluates. No top-level await, no fetch, no file to resolve next to it: no init() call,
// no bundler plugin, and nothing that differs between a page, a worker and a server.
//
//   import Backendless from "backendless-wasm";
//   Backendless.initApp(APP_ID, API_KEY);
//   const user = await Backendless.UserService.login(login, password, true);
import { instantiate } from "./wasm.js";
import { api } from "./api.js";
import { User } from "./api.js";

// initApp({ standalone: true }) answers a Backendless over an instance of its own. Where there is
// no localStorage at all (Node, workers) it does not repeat the "memory only" warning: on a server
// that makes one per request, it would be a line per request.
const spawn = () => api(instantiate(typeof localStorage == "undefined"), spawn, true);
const Backendless = api(instantiate(), spawn);

// @exports: the build turns these into `module.exports = Backendless` for index.cjs.
export const { initApp, connectEmulator, setPersistence, UserService, LocalCache, Async } = Backendless;
export { User };
export default Backendless;
