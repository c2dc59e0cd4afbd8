// Small JS-object helpers of the glue, one module (each extra snippet module is one more file
// the wasm-bindgen test runner's page loads, and a fifth one made its page load hang at times).

// The JS form of a BackendlessError, for `error_to_js` in src/js/mod.rs: a real Error whose
// `name` tells the kind, with `code` and `statusCode` (the same number), `status` and `body`,
// each null when unknown.
export function jsError(message, name, code, status, body) {
  return Object.assign(new Error(message), { name, code, statusCode: code, status, body });
}

// LocalCache's own-property work on its map (a fresh object parsed from the stored JSON), for
// `LocalCache::entry` in src/cache.rs (measured -237 B gzip all-in against Reflect bindings);
// `op` is its CacheOp (0 get, 1 set, 2 remove).
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
