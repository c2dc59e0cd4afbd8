// Type declarations of backendless-wasm's entry module.

/**
 * A Backendless user (`Backendless.User`): every property the server sent, custom columns
 * included, and `___class: "Users"`. Every call that answers a user answers one;
 * `new Backendless.User({ email, password })` builds one to register.
 */
export declare class User {
  static readonly className: "Users";
  constructor(properties?: Record<string, unknown>);
  objectId: string;
  ownerId?: string | null;
  email?: string;
  name?: string | null;
  userStatus?: "ENABLED" | "DISABLED" | "EMAIL_CONFIRMATION_PENDING" | "GUEST" | string;
  created?: number | null;
  updated?: number | null;
  lastLogin?: number | null;
  accountType?: string;
  socialAccount?: string;
  oAuthIdentities?: unknown;
  blUserLocale?: string;
  ___class: "Users" | string;
  /** Present on the logged-in user. */
  "user-token"?: string;
  [property: string]: unknown;
}

/** The properties of a user to register: the identity (usually `email`), `password`, any others. */
export interface NewUser {
  password: string;
  [property: string]: unknown;
}

/** What every rejection is: a real `Error` with the Backendless code and the HTTP status. */
export interface BackendlessError extends Error {
  name:
    | "BackendlessError"
    | "NetworkError"
    | "TimeoutError"
    | "AbortError"
    | "TypeError"
    | "InvalidResponseError"
    | "NotInitializedError"
    /** A session call answered after a later-made one took effect: it changed nothing. */
    | "SupersededError"
    /** completeOAuthRedirect on a landing this tab did not start: its session was not taken. */
    | "OAuthStateError";
  /** The Backendless error code, e.g. 3003; null when there is none (network errors). */
  code: number | null;
  /** The same code, as the documentation's samples read it. */
  statusCode: number | null;
  /** The HTTP status of the answer; null when there was no answer. */
  status: number | null;
  /**
   * The server's error body: parsed JSON (`{ code, message, errorData }` from Backendless), else
   * its text; null when there was no answer.
   */
  body: unknown;
}

/** Per-call options, accepted as the last argument of every asynchronous call. */
export interface CallOptions {
  /** Milliseconds before the call gives up with a TimeoutError; default 30000, 0 = never. */
  timeout?: number;
  /** Aborts the call (it rejects with an AbortError and changes nothing). */
  signal?: AbortSignal;
}

/** Callback style of the docs: pass as the last argument instead of using the Promise. */
export class Async<T = unknown> {
  constructor(
    responder?: (result: T) => void,
    faultHandler?: (error: BackendlessError) => void,
    context?: unknown,
  );
  success(result: T): void;
  fault(error: BackendlessError): void;
}

export type SessionListener = (user: User | null) => void;

export interface UserServiceApi {
  login(login: string | number, password: string, stayLoggedIn?: boolean, options?: CallOptions): Promise<User>;
  login(login: string | number, password: string, stayLoggedIn: boolean | undefined, callbacks: Async<User>): void;
  login(login: string | number, password: string, callbacks: Async<User>): void;
  /** Login by objectId: the hosted service allows it only under a CloudCode API key (else 2014). */
  login(objectId: string, stayLoggedIn?: boolean, options?: CallOptions): Promise<User>;
  loginAsGuest(stayLoggedIn?: boolean, options?: CallOptions): Promise<User>;
  loginAsGuest(stayLoggedIn: boolean | undefined, callbacks: Async<User>): void;
  /** Sends the user as given, plus `blUserLocale` (the page's language, two letters) unless set. */
  register(user: NewUser | User, options?: CallOptions): Promise<User>;
  register(user: NewUser | User, callbacks: Async<User>): void;
  logout(options?: CallOptions): Promise<void>;
  logout(callbacks: Async<void>): void;
  restorePassword(identity: string, options?: CallOptions): Promise<void>;
  restorePassword(identity: string, callbacks: Async<void>): void;
  isValidLogin(options?: CallOptions): Promise<boolean>;
  isValidLogin(callbacks: Async<boolean>): void;
  /** Blocking: synchronous XMLHttpRequest. Discouraged (it freezes the page), but works. */
  isValidLoginSync(): boolean;
  getCurrentUser(reload?: boolean, options?: CallOptions): Promise<User | null>;
  getCurrentUser(callbacks: Async<User | null>): void;
  getCurrentUser(reload: boolean, callbacks: Async<User | null>): void;
  /** The session's token, or null (also before initApp). */
  getCurrentUserToken(): string | null;
  /**
   * The session's token becomes `token` (stored where the session is stored); before
   * getCurrentUser() knows the user, a stored token is replaced; a falsy token ends the session.
   */
  setCurrentUserToken(token: string | null): void;
  /** The session's user id, or null. */
  getCurrentUserId(): string | null;
  /** The same as getCurrentUserId(). */
  loggedInUser(): string | null;
  /** The current user once known (after a login, or once getCurrentUser() has fetched it), else null. */
  readonly currentUser: User | null;
  /** Makes `user` (with its objectId and user-token) the session, as a Backendless.User; null ends the session. */
  setCurrentUser(user: Record<string, unknown> & { objectId: string; "user-token": string }, stayLoggedIn?: boolean): User;
  setCurrentUser(user: null | undefined): null;
  /** @deprecated the official client's old name of `currentUser`. */
  getLocalCurrentUser(): User | null;
  /** @deprecated the official client's old name of `setCurrentUser`. */
  setLocalCurrentUser(user: Record<string, unknown> & { objectId: string; "user-token": string }, stayLoggedIn?: boolean): User;
  /** The official client's helpers: the page's language as register sends it. */
  readonly Utils: { getClientUserLocale(): string | undefined };
  /** Runs `listener` on login, logout, restore, invalidation, profile updates and other tabs' changes. */
  addSessionListener(listener: SessionListener): () => void;

  /** The session's roles: `["AuthenticatedUser", …]`, `["GuestUser"]`, or `["NotAuthenticatedUser"]` without a session. */
  getUserRoles(options?: CallOptions): Promise<string[]>;
  getUserRoles(callbacks: Async<string[]>): void;
  /** The roles of the user `userId`. */
  getUserRoles(userId: string, options?: CallOptions): Promise<string[]>;
  getUserRoles(userId: string, callbacks: Async<string[]>): void;
  /** `PUT users/{objectId}`: saves the changed properties; the current user follows when it is this user. */
  update(user: Partial<User> & { objectId: string }, options?: CallOptions): Promise<User>;
  update(user: Partial<User> & { objectId: string }, callbacks: Async<User>): void;
  /** Sends the email-confirmation message again (apps that require confirmation). */
  resendEmailConfirmation(identity: string | number, options?: CallOptions): Promise<void>;
  resendEmailConfirmation(identity: string | number, callbacks: Async<void>): void;
  /** A link that confirms the user's email address: `{ confirmationURL }`. */
  createEmailConfirmationURL(identity: string | number, options?: CallOptions): Promise<{ confirmationURL: string }>;
  createEmailConfirmationURL(identity: string | number, callbacks: Async<{ confirmationURL: string }>): void;
  /** The Users table's columns. */
  describeUserClass(options?: CallOptions): Promise<UserProperty[]>;
  describeUserClass(callbacks: Async<UserProperty[]>): void;
  /**
   * Exchanges a login provider's access token for a Backendless session. As in the official
   * client, a third argument that is no user is the fieldsMapping, and a boolean in the
   * fieldsMapping's place is stayLoggedIn.
   */
  loginWithOauth2(
    providerCode: string,
    accessToken: string,
    guestUser?: User,
    fieldsMapping?: FieldsMapping,
    stayLoggedIn?: boolean,
    options?: CallOptions,
  ): Promise<User>;
  loginWithOauth2(providerCode: string, accessToken: string, fieldsMapping?: FieldsMapping, stayLoggedIn?: boolean, options?: CallOptions): Promise<User>;
  loginWithOauth2(providerCode: string, accessToken: string, stayLoggedIn?: boolean, options?: CallOptions): Promise<User>;
  /** loginWithOauth2 for OAuth 1.0a providers (Twitter): the token and its secret. */
  loginWithOauth1(
    providerCode: string,
    accessToken: string,
    accessTokenSecret: string,
    guestUser?: User,
    fieldsMapping?: FieldsMapping,
    stayLoggedIn?: boolean,
    options?: CallOptions,
  ): Promise<User>;
  loginWithOauth1(providerCode: string, accessToken: string, accessTokenSecret: string, fieldsMapping?: FieldsMapping, stayLoggedIn?: boolean, options?: CallOptions): Promise<User>;
  loginWithOauth1(providerCode: string, accessToken: string, accessTokenSecret: string, stayLoggedIn?: boolean, options?: CallOptions): Promise<User>;
  /**
   * Exchanges the access token a provider's own JS SDK gave the page (Facebook's, Google's) for a
   * Backendless session. A boolean in the fieldsMapping's place is stayLoggedIn.
   */
  loginWithFacebookSdk(accessToken: string, fieldsMapping?: FieldsMapping, stayLoggedIn?: boolean, options?: CallOptions): Promise<User>;
  loginWithFacebookSdk(accessToken: string, stayLoggedIn?: boolean, options?: CallOptions): Promise<User>;
  loginWithGooglePlusSdk(accessToken: string, fieldsMapping?: FieldsMapping, stayLoggedIn?: boolean, options?: CallOptions): Promise<User>;
  loginWithGooglePlusSdk(accessToken: string, stayLoggedIn?: boolean, options?: CallOptions): Promise<User>;
  /**
   * The provider's authorization (sign-in) URL, for the redirect flow. A string
   * `redirectAfterLoginUrl` gets the tab's flow state added to its query (`blState`), which
   * completeOAuthRedirect requires back.
   */
  getAuthorizationUrlLink(
    providerCode: string,
    fieldsMapping?: FieldsMapping,
    scope?: string | string[],
    redirect?: boolean,
    redirectAfterLoginUrl?: string,
    callbackUrlDomain?: string,
    options?: CallOptions,
  ): Promise<string>;
  /**
   * On the page `redirectAfterLoginUrl` names: takes over the session the redirect brought back
   * in the query (`?userId=…&userToken=…`), removes those parameters and the flow's state from
   * the address bar, and resolves with the user (null when the address carries no session).
   * Rejects with an `OAuthStateError`, leaving the session as it was, when this tab did not start
   * the flow with getAuthorizationUrlLink (a link someone else made: login CSRF).
   */
  completeOAuthRedirect(stayLoggedIn?: boolean, options?: CallOptions): Promise<User | null>;

  // Business logic's calls. The server answers them under the CloudCode API key only, a key no
  // page may hold, so only the Node entries have them (the "node" export condition, and
  // `backendless-wasm/server`); in the browser entries they are undefined.
  /** Whether `password` is the logged-in user's password (rejects with a TypeError without a session). */
  verifyPassword?(password: string, options?: CallOptions): Promise<boolean>;
  verifyPassword?(password: string, callbacks: Async<boolean>): void;
  /** The users having the role; `loadRoles` adds each one's `roles`, `query` pages them. */
  findByRole?(roleName: string, loadRoles?: boolean, query?: DataQuery, options?: CallOptions): Promise<User[]>;
  findByRole?(roleName: string, loadRoles: boolean | undefined, query: DataQuery | undefined, callbacks: Async<User[]>): void;
  /** Gives the user (identity or objectId) the role. */
  assignRole?(identity: string | number, roleName: string, options?: CallOptions): Promise<void>;
  assignRole?(identity: string | number, roleName: string, callbacks: Async<void>): void;
  /** Takes the role from the user (identity or objectId). */
  unassignRole?(identity: string | number, roleName: string, options?: CallOptions): Promise<void>;
  unassignRole?(identity: string | number, roleName: string, callbacks: Async<void>): void;
  /** `updateUserStatus(userId, "ENABLED")`. */
  enableUser?(userId: string | number, options?: CallOptions): Promise<User>;
  enableUser?(userId: string | number, callbacks: Async<User>): void;
  /** `updateUserStatus(userId, "DISABLED")`: the user's sessions end and its logins are refused. */
  disableUser?(userId: string | number, options?: CallOptions): Promise<User>;
  disableUser?(userId: string | number, callbacks: Async<User>): void;
  updateUserStatus?(userId: string | number, userStatus: "ENABLED" | "DISABLED", options?: CallOptions): Promise<User>;
  updateUserStatus?(userId: string | number, userStatus: "ENABLED" | "DISABLED", callbacks: Async<User>): void;
}

/**
 * A data query as the official client's DataQueryBuilder writes it into the URL (findByRole), or
 * anything whose `toJSON()` answers one (a DataQueryBuilder).
 */
export type DataQuery =
  | {
      pageSize?: number;
      offset?: number;
      properties?: string[];
      excludeProps?: string[];
      where?: string;
      having?: string;
      sortBy?: string | string[];
      groupBy?: string | string[];
      relations?: string[];
      relationsDepth?: number;
      relationsPageSize?: number;
      distinct?: boolean;
      fileReferencePrefix?: string;
    }
  | { toJSON(): DataQuery };

/** A column of the Users table, as describeUserClass answers it. */
export interface UserProperty {
  name: string;
  type: string;
  required: boolean;
  identity: boolean;
  defaultValue: unknown;
  [property: string]: unknown;
}

/** Provider property name → Users column, e.g. `{ email: "email", name: "name" }`. */
export type FieldsMapping = Record<string, string>;

/** Where the session and LocalCache live: localStorage (default), this tab's sessionStorage, or memory. */
export type Persistence = "local" | "session" | "memory";

export interface LocalCacheApi {
  get(key: "user-token" | "current-user-id"): string | undefined;
  get(key: "stayLoggedIn"): boolean | undefined;
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  remove(key: string): void;
  /** The storage item holding the map: `Backendless_{appId}`, or `Backendless` for a custom domain; null before initApp. */
  readonly storageName: string | null;
  readonly Keys: { readonly USER_TOKEN: "user-token"; readonly CURRENT_USER_ID: "current-user-id"; readonly STAY_LOGGED_IN: "stayLoggedIn" };
}

export declare const UserService: UserServiceApi;
export declare const LocalCache: LocalCacheApi;

/** initApp's object form, as the official client reads it; other options are warned about once. */
export interface InitAppOptions {
  appId?: string;
  apiKey?: string;
  /** A custom domain: requests go to `{domain}/api`, the session is stored under `Backendless`. */
  domain?: string;
  /** Where `(appId, apiKey)` apps send requests, e.g. "https://eu-api.backendless.com". */
  serverURL?: string;
  /** A new, independent Backendless (its own session, LocalCache and listeners): per-request sessions on a server. */
  standalone?: boolean;
  debugMode?: boolean;
}

/**
 * initApp(appId, apiKey), initApp("https://xxxx.backendless.app") or initApp({ appId, apiKey,
 * serverURL, domain, standalone, debugMode }). Called again with the same settings it changes
 * nothing. Answers this Backendless, or with `standalone: true` a new one.
 */
export declare function initApp(appId: string, apiKey: string): BackendlessApi;
export declare function initApp(domain: string): BackendlessApi;
export declare function initApp(config: InitAppOptions): BackendlessApi;

/** Points the SDK at a local backendless-emulator (default http://127.0.0.1:8200, its default app id and key). */
export declare function connectEmulator(url?: string, appId?: string, apiKey?: string): BackendlessApi;

/**
 * Where the session (and LocalCache) lives from now on. Before initApp it picks where initApp
 * looks; after, it moves the stored map there. Throws a TypeError for anything else.
 */
export declare function setPersistence(persistence: Persistence): BackendlessApi;

export interface BackendlessApi {
  initApp: typeof initApp;
  connectEmulator: typeof connectEmulator;
  setPersistence: typeof setPersistence;
  UserService: UserServiceApi;
  LocalCache: LocalCacheApi;
  Async: typeof Async;
  User: typeof User;
  getCurrentUserToken(): string | null;
  setCurrentUserToken(token: string | null): void;
  /** Where requests go in the (appId, apiKey) form; default https://api.backendless.com. */
  serverURL: string;
  /** What initApp was given (read them; initApp changes them). */
  readonly appId: string | null;
  readonly apiKey: string | null;
  readonly domain: string | null;
  readonly standalone: boolean;
  debugMode: boolean;
  /** Where requests go: `{domain}/api` or `{serverURL}/{appId}/{apiKey}`; null before initApp. */
  readonly appPath: string | null;
}

declare const Backendless: BackendlessApi;
export default Backendless;
