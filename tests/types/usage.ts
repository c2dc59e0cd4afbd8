// A typed page using the package: `tsc --strict --noEmit` must accept every line, and reject
// each line marked @ts-expect-error (an unused marker is itself an error, so the declarations
// cannot silently become `any`).
import Backendless, { Async, LocalCache, UserService, type BackendlessError, User } from "backendless-wasm";

Backendless.serverURL = "http://127.0.0.1:8200";
Backendless.initApp("APP_ID", "API_KEY");
Backendless.initApp("https://xxxx.backendless.app");
Backendless.initApp({ domain: "https://xxxx.backendless.app" });
Backendless.connectEmulator();

async function docsFlow(login: string, password: string): Promise<string | null> {
  const user: User = await Backendless.UserService.login(login, password, true);
  const token: string | undefined = user["user-token"];
  const id: string = user.objectId;
  const custom: unknown = user.favouriteColour;

  const current: User | null = await UserService.getCurrentUser();
  // @ts-expect-error getCurrentUser may resolve with null
  const unchecked: string = (await UserService.getCurrentUser()).objectId;

  const valid: boolean = await UserService.isValidLogin({ timeout: 5000 });
  const validSync: boolean = UserService.isValidLoginSync();
  const controller = new AbortController();
  await UserService.logout({ signal: controller.signal });

  const stored: string | undefined = LocalCache.get("user-token");
  const stay: boolean | undefined = Backendless.LocalCache.get("stayLoggedIn");
  LocalCache.set("theme", { dark: true });

  UserService.login(login, password, true, new Async<User>((u) => console.log(u.objectId), (e) => console.log(e.code)));

  const unsubscribe: () => void = UserService.addSessionListener((who) => console.log(who?.email));
  unsubscribe();

  try {
    await UserService.login(login, password);
  } catch (caught) {
    const error = caught as BackendlessError;
    const code: number | null = error.code;
    const statusCode: number | null = error.statusCode;
    const status: number | null = error.status;
    if (error.name === "TimeoutError" || error.name === "AbortError") return null;
    console.log(code, statusCode, status, error.message);
  }

  // @ts-expect-error login and password are strings
  await UserService.login(1, 2);
  // @ts-expect-error the options object has no such field
  await UserService.isValidLogin({ retries: 3 });
  // @ts-expect-error a session listener receives a user or null
  UserService.addSessionListener((who: string) => who);
  // @ts-expect-error serverURL is a string
  Backendless.serverURL = 8200;

  console.log(token, id, custom, current, unchecked, valid, validSync, stored, stay);
  return id;
}

async function loginFamily(accessToken: string): Promise<string[]> {
  Backendless.setPersistence("session").initApp("APP_ID", "API_KEY");
  // @ts-expect-error persistence is "local", "session" or "memory"
  Backendless.setPersistence("disk");

  const roles: string[] = await UserService.getUserRoles();
  const social: User = await UserService.loginWithOauth2("github", accessToken, { email: "email" }, true);
  const stay: User = await UserService.loginWithOauth2("github", accessToken, true);
  const guest: User = await UserService.loginAsGuest();
  const converted: User = await UserService.loginWithOauth2("github", accessToken, guest, undefined, true, { timeout: 5000 });
  const updated: User = await UserService.update({ objectId: social.objectId, name: "Alice" });
  // @ts-expect-error update needs the user's objectId
  await UserService.update({ name: "Alice" });
  await UserService.resendEmailConfirmation("alice@example.com");
  await UserService.resendEmailConfirmation(42);
  const url: string = await UserService.getAuthorizationUrlLink("github", undefined, "read:user", false, "https://app.example/signed-in");
  const back: User | null = await UserService.completeOAuthRedirect(true);
  UserService.getUserRoles(new Async<string[]>((list) => console.log(list.length)));

  console.log(stay, converted, updated, url, back);
  return roles;
}

async function dropIn(accessToken: string): Promise<string | null> {
  const app = Backendless.initApp({ appId: "APP_ID", apiKey: "API_KEY", serverURL: "https://eu-api.backendless.com" });
  const server = Backendless.initApp({ appId: "APP_ID", apiKey: "API_KEY", standalone: true });
  const fresh = new Backendless.User({ email: "alice@example.com", password: "secret" });
  const registered: User = await app.UserService.register(fresh);
  const byId: User = await server.UserService.login(registered.objectId, true);
  const twitter: User = await UserService.loginWithOauth1("twitter", accessToken, "secret", true);
  const facebook: User = await UserService.loginWithFacebookSdk(accessToken, { name: "name" }, true);
  const google: User = await UserService.loginWithGooglePlusSdk(accessToken, false);
  // @ts-expect-error the access token is a string
  await UserService.loginWithFacebookSdk(42);
  const theirs: string[] = await UserService.getUserRoles(byId.objectId);
  const link: { confirmationURL: string } = await UserService.createEmailConfirmationURL("alice@example.com");
  const columns: string[] = (await UserService.describeUserClass()).map((column) => column.name);
  UserService.setCurrentUserToken(byId["user-token"] ?? null);
  const current: User | null = UserService.currentUser;
  const name: string | null = LocalCache.storageName;
  const key: "user-token" = LocalCache.Keys.USER_TOKEN;
  const className: "Users" = User.className;
  // @ts-expect-error appId is changed through initApp
  Backendless.appId = "OTHER";
  console.log(twitter, facebook, google, theirs, link, columns, current, name, key, className, app.appPath, server.standalone);
  return UserService.getCurrentUserId();
}

// Business logic's calls exist in the Node entries only: typed as optional members.
async function businessLogic(roleName: string): Promise<number> {
  // @ts-expect-error may be undefined (a browser entry)
  await UserService.verifyPassword("secret");
  const { findByRole, disableUser } = UserService;
  if (!findByRole || !disableUser) return 0;
  const editors: User[] = await findByRole(roleName, true, { pageSize: 5, sortBy: ["email"] });
  const disabled: User = await disableUser(editors[0].objectId);
  await UserService.assignRole?.(editors[0].objectId, roleName);
  const valid: boolean | undefined = await UserService.verifyPassword?.("secret");
  // @ts-expect-error a status is ENABLED or DISABLED
  await UserService.updateUserStatus?.(disabled.objectId, "SLEEPING");
  console.log(valid);
  return editors.length;
}

export { docsFlow, loginFamily, dropIn, businessLogic };
