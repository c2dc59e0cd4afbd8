// backendless-wasm for Node (the "node" export condition: CloudCode, servers, scripts, tests):
// index.js's API and session, plus business logic's calls (npm/business-logic.js), which the
// server answers under the CloudCode API key only and so are left out of the browser entries.
// The build makes it one self-contained file, as index.js, over a wasm built with the feature
// `business-logic`.
import { instantiate } from "./wasm.js";
import { api } from "./api.js";
import { User } from "./api.js";
import { addBusinessLogic } from "./business-logic.js";

// Standalone instances (initApp({ standalone: true })) get the same calls; Node has no
// localStorage, so they do not repeat the "memory only" warning (see index.js).
const make = (quiet, standalone) => {
  const wasm = instantiate(quiet);
  return addBusinessLogic(api(wasm, spawn, standalone), wasm);
};
const spawn = () => make(typeof localStorage == "undefined", true);
const Backendless = make(false, false);

// @exports: the build turns these into `module.exports = Backendless` for node.cjs.
export const { initApp, connectEmulator, setPersistence, UserService, LocalCache, Async } = Backendless;
export { User };
export default Backendless;
