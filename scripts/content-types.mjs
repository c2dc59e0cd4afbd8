// Content types of the files our static servers hand to browsers (the demo's, the tests' and the
// benchmark's).
// `.wasm` must be application/wasm for WebAssembly.instantiateStreaming.
export const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};
