// backendless-wasm for React Server Components, Server Actions and route handlers (the
// "react-server" export condition): a server process answers many users at once, so this entry
// keeps no session at all. Every call runs on a fresh instance of the wasm module (compiled once),
// set up with the last initApp()/serverURL given:
// - getCurrentUser() answers null, isValidLogin() false, getCurrentUserToken() null, LocalCache is
//   empty: "no stored session", without a request;
// - login() and loginAsGuest() send their request and resolve with the user and its user-token,
//   then keep nothing: no later call, in this request or another, sees that session.
// A request that wants a session of its own asks for one: `initApp({ …, standalone: true })`
// answers a Backendless over an instance of its own (README, "On the server").
// Business logic's calls (npm/business-logic.js) are here too: a server may hold the CloudCode key.
import { instantiate } from "./wasm.js";
import { api } from "./api.js";
import { User } from "./api.js";
import { addBusinessLogic } from "./business-logic.js";

let app = null; // the arguments of the last successful initApp
let server = null; // the serverURL last set

function fresh() {
  const wasm = instantiate(true);
  wasm.setUserClass(User);
  if (server !== null) wasm.setServerURL(server);
  if (app !== null) wasm.initApp(...app);
  return wasm;
}

const stateless = new Proxy({}, { get: (_, name) => (...args) => fresh()[name](...args) });
// The exported enums are plain objects, the same in every instance. api() destructures them from
// the object it is given: one left out here comes through the proxy as a function (Read did:
// getCurrentUserToken() threw "invalid enum value passed").
const { CacheOp, UserCall, Persistence, Read, BusinessCall } = instantiate(true);
const spawn = () => {
  const wasm = instantiate(true);
  return addBusinessLogic(api(wasm, spawn, true), wasm);
};
const shared = {
  __proto__: stateless,
  CacheOp,
  UserCall,
  Persistence,
  Read,
  BusinessCall,
  initApp(...args) {
    instantiate(true).initApp(...args); // throws for bad arguments, as everywhere
    app = args;
  },
  serverURL() {
    return server ?? fresh().serverURL();
  },
  setServerURL(url) {
    const wasm = fresh();
    wasm.setServerURL(url); // throws for a bad URL, as everywhere
    server = wasm.serverURL();
  },
};
const Backendless = addBusinessLogic(api(shared, spawn), shared);

// @exports
export const { initApp, connectEmulator, setPersistence, UserService, LocalCache, Async } = Backendless;
export { User };
export default Backendless;
