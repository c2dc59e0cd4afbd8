// The wasm instance factory, shared by the entry modules. scripts/package.mjs fills in the two
// marked parts when it builds the package: GLUE becomes the (minified) wasm-bindgen glue, wrapped
// in this function so that each call makes an instance with its own JS-side state, and BYTES a
// string literal holding the wasm module (see decode below).
function glue(console) {
  /* GLUE */
}

const text = BYTES;
let compiled; // the WebAssembly.Module, once compiled

/**
 * The wasm's bytes from `text`, which holds them in printable ASCII without `\` and `"` (93
 * characters, so no bundler or minifier ever re-escapes the literal): each byte b, taken as
 * r = (b + 1) mod 256, is one character when r < 91, else two (one of two escape characters, then
 * any of the 93). Size: see BENCHMARKS.md#size-wasm-as-text.
 */
function decode(text) {
  const bytes = new Uint8Array(text.length);
  const digit = (i) => {
    const c = text.charCodeAt(i);
    return c - 32 - (c > 34) - (c > 92);
  };
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let r = digit(i);
    if (r > 90) r = 91 + (r - 91) * 93 + digit(++i);
    bytes[n++] = r - 1;
  }
  return bytes.subarray(0, n);
}

/**
 * A new, initialised instance of the SDK's wasm (its raw exports). The module is compiled on the
 * first call, synchronously: allowed in every engine for a module this small (Chromium refuses
 * only above 8 MB on a page's main thread), and what lets the entry work without top-level await
 * (service workers forbid it, `require` and IIFE bundles cannot wait for it). `quiet` drops the
 * SDK's console warnings (server.js: "no localStorage" is not news on a server).
 */
export function instantiate(quiet) {
  if (compiled === undefined) {
    compiled = new WebAssembly.Module(decode(text));
  }
  const wasm = glue(quiet ? { warn() {} } : console);
  wasm.initSync({ module: compiled });
  return wasm;
}
