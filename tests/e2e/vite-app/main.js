// A minimal app as a Vite user writes it: the package imported by name, no init() call, then
// the docs' login sample. The test passes the server and the credentials in the query string.
import Backendless from "backendless-wasm";
import { UserService, LocalCache, initApp } from "backendless-wasm";

const params = new URLSearchParams(location.search);
const result = document.getElementById("result");

Backendless.serverURL = params.get("server");
// do not forget to call Backendless.initApp( appId, apiKey ); to initialize your app
Backendless.initApp(params.get("appId"), params.get("apiKey"));

function userLoggedIn(user) {
  result.textContent = JSON.stringify({
    email: user.email,
    token: user["user-token"],
    storedToken: LocalCache.get("user-token"),
    // Named exports are the same objects as the default export's members.
    namedExportsMatch: UserService === Backendless.UserService && typeof initApp === "function",
    // Only the Node entries have business logic's calls; a browser build gets the browser entry.
    businessLogic: typeof UserService.verifyPassword,
  });
}

function gotError(err) {
  result.textContent = JSON.stringify({ error: err.message, code: err.statusCode });
}

Backendless.UserService.login(params.get("login"), params.get("password"), true)
  .then(userLoggedIn)
  .catch(gotError);
