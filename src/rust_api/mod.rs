//! The SDK for Rust web apps (Cargo feature `rust-api`): `async fn` calls, a typed [`User`] and a
//! typed [`Error`], over the very exports the JavaScript API uses.
//!
//! ```no_run
//! # async fn page() -> Result<(), backendless_wasm::rust_api::Error> {
//! use backendless_wasm::rust_api::{App, Config};
//! let app = App::init(Config::new("APP_ID", "API_KEY").server_url("http://127.0.0.1:8200"))?;
//! let user = app.login("alice@yourmail.com", "wonderland", true).await?;
//! assert_eq!(user.email.as_deref(), Some("alice@yourmail.com"));
//! # Ok(()) }
//! ```
//!
//! Every call here is the JavaScript API's export of the same name (in [`crate::js`]), awaited
//! and typed: the same requests, the same localStorage layout (`Backendless_{appId}`), the same
//! session rules (overlapping calls, other tabs). The session is the wasm instance's one
//! session, so JavaScript code calling this instance's exports (a page that mixes a Rust
//! component with JS code) sees a Rust login at once, and the other way round; other tabs follow
//! through storage events, as with the JavaScript API.
//!
//! The module is compiled only with the `rust-api` feature, so the npm package (built without it)
//! carries none of it.

#![warn(missing_docs)]

mod app;
mod cache;
mod error;
mod session;
mod user;

pub use crate::cache::Persistence;
pub use app::{App, Config};
pub use cache::LocalCache;
pub use error::Error;
pub use session::SessionListener;
pub use user::{NewUser, Properties, User};
