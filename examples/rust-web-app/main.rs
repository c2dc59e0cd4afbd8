//! A Rust web app that logs in with `backendless_wasm::rust_api`: a login form, the current user,
//! the session restored after a reload, and a logout in another tab followed at once. All of it is
//! async Rust over typed users and errors; the only JS this page has is the loader wasm-bindgen
//! writes. Built by `scripts/build-example.sh`, driven in Chromium by
//! `tests/node/rust-app.test.mjs`.
//!
//! The page takes the server from its query (`?server=…&app=…&key=…`), else the local server of
//! `npm start` (`http://127.0.0.1:8200`, its default app).
#![cfg(target_arch = "wasm32")]

use backendless_wasm::rust_api::{App, Config, Error, User};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Document, HtmlElement, HtmlInputElement, UrlSearchParams};

#[wasm_bindgen(start)]
pub fn start() {
    spawn_local(async {
        if let Err(error) = run().await {
            show_error(&error);
        }
    });
}

async fn run() -> Result<(), Error> {
    let query = web_sys::window()
        .and_then(|window| window.location().search().ok())
        .and_then(|search| UrlSearchParams::new_with_str(&search).ok());
    let param = |name: &str, default: &str| {
        query
            .as_ref()
            .and_then(|query| query.get(name))
            .unwrap_or_else(|| default.to_owned())
    };
    let config = Config::new(param("app", "LOCAL-APP-ID"), param("key", "LOCAL-API-KEY"))
        .server_url(param("server", "http://127.0.0.1:8200"));
    let app = App::init(config)?;

    // Every session change, this tab's or another's, redraws the page. The listener lives as
    // long as the page.
    std::mem::forget(app.on_session_change(|user| show_user(user.as_ref()))?);

    on("login-form", "submit", move |event| {
        event.prevent_default();
        let (login, password) = (input("email").value(), input("password").value());
        let stay = input("stay").checked();
        spawn_local(async move {
            show_message("");
            // The listener draws the user; only a failure is drawn here.
            if let Err(error) = app.login(&login, &password, stay).await {
                show_error(&error);
            }
        });
    });
    on("logout", "click", move |_| {
        spawn_local(async move {
            if let Err(error) = app.logout().await {
                show_error(&error);
            }
        });
    });

    // After a reload: the stored session's user, fetched from the server.
    let user = app.current_user().await?;
    show_user(user.as_ref());
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-ready", "true");
    }
    Ok(())
}

fn document() -> Document {
    web_sys::window()
        .and_then(|window| window.document())
        .expect_throw("a page")
}

fn element(id: &str) -> HtmlElement {
    document()
        .get_element_by_id(id)
        .and_then(|element| element.dyn_into().ok())
        .expect_throw(id)
}

fn input(id: &str) -> HtmlInputElement {
    element(id).unchecked_into()
}

fn on(id: &str, event: &str, handler: impl FnMut(web_sys::Event) + 'static) {
    let handler = Closure::<dyn FnMut(web_sys::Event)>::new(handler);
    let _ = element(id).add_event_listener_with_callback(event, handler.as_ref().unchecked_ref());
    handler.forget();
}

fn show_user(user: Option<&User>) {
    let status = match user {
        Some(user) => format!(
            "Logged in as {}",
            user.email.as_deref().unwrap_or(&user.object_id)
        ),
        None => "Logged out".to_owned(),
    };
    element("status").set_text_content(Some(&status));
    element("login-form").set_hidden(user.is_some());
    element("logout").set_hidden(user.is_none());
}

fn show_message(text: &str) {
    element("message").set_text_content(Some(text));
}

fn show_error(error: &Error) {
    let text = match error {
        Error::Backendless {
            code: Some(3003), ..
        } => "Wrong email or password".to_owned(),
        Error::Network { .. } => "The server cannot be reached; try again".to_owned(),
        other => other.to_string(),
    };
    show_message(&text);
}
