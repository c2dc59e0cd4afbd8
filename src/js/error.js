// The JS form of a BackendlessError, for `error_to_js` in src/js/mod.rs: a real Error whose
// `name` tells the kind, with `code` and `statusCode` (the same number), `status` and `body`,
// each null when unknown.
export function jsError(message, name, code, status, body) {
  return Object.assign(new Error(message), { name, code, statusCode: code, status, body });
}
