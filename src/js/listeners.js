// The session listeners of one wasm instance (each instance's glue holds its own copy of this
// module), by the id src/js/mod.rs gives them. Here rather than in a js_sys::Map driven from the
// wasm (size: see BENCHMARKS.md#size-listeners-js).

const listeners = new Map();

// Adds `listener` under `id`, or removes the one under `id` when `listener` is undefined.
export function listen(id, listener) {
  if (listener) listeners.set(id, listener);
  else listeners.delete(id);
}

// Calls every listener with `user` (or null).
export function notify(user) {
  // A snapshot: listeners added or removed by a listener take effect from the next change.
  for (const listener of [...listeners.values()]) {
    // A throwing listener must not stop the others, nor the SDK.
    try {
      listener.call(null, user);
    } catch (error) {
      console.error("Backendless: a session listener threw", error);
    }
  }
}
