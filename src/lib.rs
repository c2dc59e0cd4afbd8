//! # backendless-wasm
//!
//! The Backendless user-login client for web pages, in Rust compiled to WebAssembly.
//! It speaks the Backendless REST protocol and keeps the browser session in exactly the
//! localStorage layout of the official JavaScript SDK, so a page can switch between the two
//! without logging its users out.
//!
//! The crate is split in two:
//! - a plain-Rust core that decides everything and is tested natively with `cargo test`:
//!   [`protocol`] (codes, messages, paths: shared with the local server), [`config`] (app id /
//!   domain → base URL, storage key), [`calls`] (the call table: what each `UserService` call
//!   sends and what its answer does to the session), [`engine`] (carries a row out: sharing,
//!   superseding and the session rules, generic over the page), [`error`] (error kinds and
//!   server-code mapping), [`session`] (the session transition table);
//! - a thin browser layer: [`transport`] (XMLHttpRequest in pages, fetch elsewhere), [`cache`]
//!   (the `Backendless_{appId}` map in localStorage), [`user`] (reading the JS user object),
//!   [`property`] (JS properties by name) and [`js`] (the `#[wasm_bindgen]` surface: `initApp`,
//!   `UserService`, `LocalCache`; each call's answer settles its Promise through one closure).
//!
//! With the `rust-api` feature, `rust_api` is the same SDK for Rust web apps: `async fn` calls
//! with a typed user and typed errors, over the same exports and the same session.
//!
//! From JavaScript:
//! ```js
//! import Backendless from "backendless-wasm";
//! Backendless.serverURL = "http://127.0.0.1:8200";
//! Backendless.initApp("APP_ID", "API_KEY");
//! const user = await Backendless.UserService.login("alice@yourmail.com", "wonderland", true);
//! ```
//!
//! Size matters here (the shipped wasm is budgeted in kilobytes), so the browser layer keeps JSON
//! on the JavaScript side and uses static error messages instead of `format!`.

// The wasm module is single-threaded (no atomics), which is what AssumeSingleThreaded requires;
// the free-list allocator reuses freed blocks, so a long-lived page does not grow without bound.
// Not with the `rust-api` feature: there the crate is a library of a Rust app, whose binary
// chooses its own allocator (a second `#[global_allocator]` would not link).
#[cfg(all(target_arch = "wasm32", not(feature = "rust-api")))]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

pub mod cache;
pub mod calls;
pub mod config;
pub mod engine;
pub mod error;
pub mod js;
pub mod property;
pub mod protocol;
#[cfg(feature = "rust-api")]
pub mod rust_api;
pub mod session;
pub mod transport;
pub mod user;
