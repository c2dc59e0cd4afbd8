// The HTTP exchange of one described request, for src/transport.rs, which decides everything
// else (the path, the headers' values, what the answer means). In JS rather than through web-sys
// bindings (size: see BENCHMARKS.md#size-exchange-js).
//
// exchange() sends with XMLHttpRequest where there is one (pages: status and body arrive in one
// event, as the official client sends), with fetch elsewhere (service workers, Node). It throws
// at once when the platform refuses the URL or a header, and otherwise resolves with
// `{ status, text }`: the HTTP status and the body text, or status 0 (no answer: the network),
// -1 (the timeout passed) or -2 (the caller's signal aborted it).
// The URL of a described request (Request in src/calls.rs, whose url() is the same rule): `base`,
// then `path` with its `{}` replaced by `segment`, encoded.
const address = (base, path, segment) => `${base}/${path.replace("{}", () => encodeURIComponent(segment))}`;

export function exchange(method, base, path, segment, token, body, timeout, signal) {
  const url = address(base, path, segment);
  if (signal && signal.aborted) return Promise.resolve({ status: -2, text: "" });
  const headers = {};
  if (body != null) headers["Content-Type"] = "application/json";
  if (token != null) headers["user-token"] = token;
  if (typeof XMLHttpRequest == "function") {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const name in headers) xhr.setRequestHeader(name, headers[name]);
    xhr.timeout = timeout;
    return new Promise((resolve) => {
      const abort = () => xhr.abort();
      const end = (status) => () => {
        if (signal) signal.removeEventListener("abort", abort);
        resolve({ status: status ?? xhr.status, text: xhr.responseText });
      };
      xhr.onload = end();
      xhr.onerror = end(0);
      xhr.ontimeout = end(-1);
      xhr.onabort = end(-2);
      if (signal) signal.addEventListener("abort", abort);
      xhr.send(body);
    });
  }
  // fetch: one controller answers to the caller's signal and to the timeout. The timeout is the
  // engine's AbortSignal.timeout: a setTimeout of ours fires late in a page WebKit considers
  // hidden (measured: the 300 ms timeout of a 3 s answer never fired first there). Even that
  // timer can be held back there for long (a .ci/run saw one not fire within 15 s), so an answer
  // that comes after the deadline, by the monotonic clock, is a timeout too: the caller gets the
  // same TimeoutError, late, and the answer changes nothing.
  const controller = new AbortController();
  const abort = () => controller.abort();
  const timer = timeout ? AbortSignal.timeout(timeout) : null;
  const deadline = timeout ? performance.now() + timeout : Infinity;
  const request = new Request(url, { method, headers, body, signal: controller.signal });
  for (const source of [signal, timer]) if (source) source.addEventListener("abort", abort);
  return fetch(request)
    .then((response) => response.text().then((text) =>
      performance.now() > deadline ? { status: -1, text: "" } : { status: response.status, text }))
    .catch(() => ({ status: signal && signal.aborted ? -2 : timer && timer.aborted ? -1 : 0, text: "" }))
    .finally(() => {
      for (const source of [signal, timer]) if (source) source.removeEventListener("abort", abort);
    });
}

// The blocking form (isValidLoginSync): a synchronous XMLHttpRequest, no body. `{ status, text }`
// as above; status 0 where there is no XMLHttpRequest or no answer. Engines differ there: Chrome
// throws, Firefox may answer status 0, and WebKit answers a connection dropped mid-body with the
// status and an empty body, which a non-zero Content-Length gives away.
export function exchangeSync(method, base, path, segment, token) {
  if (typeof XMLHttpRequest != "function") return { status: 0, text: "" };
  const xhr = new XMLHttpRequest();
  xhr.open(method, address(base, path, segment), false);
  if (token != null) xhr.setRequestHeader("user-token", token);
  try {
    xhr.send();
  } catch {
    return { status: 0, text: "" };
  }
  const text = xhr.responseText;
  if (text === "" && xhr.getResponseHeader("content-length") > 0) return { status: 0, text };
  return { status: xhr.status, text };
}
