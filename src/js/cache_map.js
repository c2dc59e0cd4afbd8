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
