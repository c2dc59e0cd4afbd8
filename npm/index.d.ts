// Type declarations of backendless-wasm's entry module.

/** A Backendless user: every property the server sent, custom columns included. */
export interface User {
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
  ___class?: "Users" | string;
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
  login(login: string, password: string, stayLoggedIn?: boolean, options?: CallOptions): Promise<User>;
  login(login: string, password: string, stayLoggedIn: boolean | undefined, callbacks: Async<User>): void;
  login(login: string, password: string, callbacks: Async<User>): void;
  loginAsGuest(stayLoggedIn?: boolean, options?: CallOptions): Promise<User>;
  loginAsGuest(stayLoggedIn: boolean | undefined, callbacks: Async<User>): void;
  register(user: NewUser, options?: CallOptions): Promise<User>;
  register(user: NewUser, callbacks: Async<User>): void;
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
  getCurrentUserToken(): string | null;
  loggedInUser(): string | null;
  setCurrentUser(user: User, stayLoggedIn?: boolean): User;
  /** Runs `listener` on login, logout, restore, invalidation, profile updates and other tabs' changes. */
  addSessionListener(listener: SessionListener): () => void;

  /** The session's roles: `["AuthenticatedUser", …]`, `["GuestUser"]`, or `["NotAuthenticatedUser"]` without a session. */
  getUserRoles(options?: CallOptions): Promise<string[]>;
  getUserRoles(callbacks: Async<string[]>): void;
  /** `PUT users/{objectId}`: saves the changed properties; the current user follows when it is this user. */
  update(user: Partial<User> & { objectId: string }, options?: CallOptions): Promise<User>;
  update(user: Partial<User> & { objectId: string }, callbacks: Async<User>): void;
  /** Sends the email-confirmation message again (apps that require confirmation). */
  resendEmailConfirmation(identity: string | number, options?: CallOptions): Promise<void>;
  resendEmailConfirmation(identity: string | number, callbacks: Async<void>): void;
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
}

export declare const UserService: UserServiceApi;
export declare const LocalCache: LocalCacheApi;

/** initApp(appId, apiKey), initApp("https://xxxx.backendless.app"), initApp({ domain }) or initApp({ appId, apiKey }). */
export declare function initApp(appId: string, apiKey: string): BackendlessApi;
export declare function initApp(domain: string): BackendlessApi;
export declare function initApp(config: { domain: string } | { appId: string; apiKey: string }): BackendlessApi;

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
  /** Where requests go in the (appId, apiKey) form; default https://api.backendless.com. */
  serverURL: string;
}

declare const Backendless: BackendlessApi;
export default Backendless;
