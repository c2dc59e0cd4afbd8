// Small JS-object helpers of the glue, one module (each extra snippet module is one more file
// the wasm-bindgen test runner's page loads, and a fifth one made its page load hang at times).

// The SDK's one error constructor: the JS form of a BackendlessError, for `error_to_js` in
// src/js/mod.rs, and of the entry module's argument errors (npm/api.js; scripts/shrink.mjs keeps
// it an export of the glue for that). A real Error whose `name` tells the kind, with `code` and
// `statusCode` (the same number), `status` and `body`, each null when unknown.
export function jsError(message, name, code, status, body) {
  return Object.assign(new Error(message), { name, code, statusCode: code, status, body });
}

// Backendless.User, the class of every user an instance answers. The entry module gives it
// (setUserClass, which scripts/shrink.mjs keeps an export of the glue) so that all the instances
// of a page share one class; until then it is `Object`, whose constructor answers its argument.
let User = Object;
export function setUserClass(userClass) {
  User = userClass;
}

// A user object of an answer, as a Backendless.User (the class copies its own properties in
// their order and adds `___class` where it is missing), for `user::as_user` in src/user.rs.
export function asUser(value) {
  return value && typeof value == "object" && !(value instanceof User) ? new User(value) : value;
}

// LocalCache's own-property work on its map (a fresh object parsed from the stored JSON), for
// `LocalCache::entry` in src/cache.rs; `op` is its CacheOp (0 get, 1 set, 2 remove).
// - get: the map's own value under `key`, or undefined (`constructor` or `toString` are not
//   found on the map's prototype);
// - set: `value` becomes an own data property whatever the key, so `__proto__` is stored as
//   data (an assignment would set the map's prototype instead);
// - remove: the key is deleted (a parsed object's properties are all configurable).
export function entry(op, map, key, value) {
  if (op === 0) return Object.hasOwn(map, key) ? map[key] : undefined;
  if (op === 1) Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
  else delete map[key];
}

// LocalCache's stored text as a map, for `LocalCache::parse` in src/cache.rs: the parsed JSON
// object (a fresh one), or null when the text is not JSON or not a JSON object (an array, a
// number, null); Rust then warns once and reads it as `{}`.
export function parseMap(text) {
  try {
    const map = JSON.parse(text);
    if (map && typeof map == "object" && !Array.isArray(map)) return map;
  } catch {}
  return null;
}

// LocalCache's session keys on its map, for `LocalCache::apply` in src/cache.rs: written
// (`stayLoggedIn: true` and the token and user id, each a string or null) when `write`, else
// removed.
export function sessionKeys(map, write, token, id) {
  if (write) Object.assign(map, { stayLoggedIn: true, "user-token": token ?? null, "current-user-id": id ?? null });
  else for (const name of ["stayLoggedIn", "user-token", "current-user-id"]) delete map[name];
}

// The legacy item `legacy` moved into `key` of `storage`, for `LocalCache::migrate` in
// src/cache.rs: only when `legacy` holds a string and `key` holds none (a throwing read reads
// as none); written before the legacy item is removed, so an interrupted migration leaves the
// session in both places, never in neither; a failing write leaves the legacy item alone.
export function migrate(storage, legacy, key) {
  const read = name => { try { return storage.getItem(name); } catch {} };
  const old = read(legacy);
  if (typeof old != "string" || typeof read(key) == "string") return;
  try {
    storage.setItem(key, old);
    storage.removeItem(legacy);
  } catch {}
}

// A storage of one item kept in memory, for `LocalCache` in src/cache.rs: where the map lives
// for the "memory" persistence and once Web Storage has failed the page. It answers getItem,
// setItem and removeItem as Web Storage does for the map's one key.
export function memoryStorage(text) {
  return {
    getItem: () => text,
    setItem(_key, value) { text = value; },
    removeItem() { text = null; },
  };
}
