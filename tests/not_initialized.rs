//! Calls made before `initApp` reject (or throw) with a NotInitializedError saying what to do;
//! the synchronous reads of the session answer null, as the official client's do.
#![cfg(target_arch = "wasm32")]

mod common;

use backendless_wasm::js::backendless::{self, Read};
use backendless_wasm::js::user_service;
use common::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn assert_not_initialized(error: &JsValue) {
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(
        get_string(error, "name").as_deref(),
        Some("NotInitializedError")
    );
    assert!(get_string(error, "message").is_some_and(|m| m.contains("initApp")));
}

#[wasm_bindgen_test]
async fn every_call_before_init_app_says_to_call_init_app() {
    let u = JsValue::UNDEFINED;
    for promise in [
        user_service::login("a@b.c".into(), "p".into(), true.into(), u.clone()),
        user_service::is_valid_login(u.clone()),
        user_service::get_current_user(u.clone(), u.clone()),
        user_service::logout(u.clone()),
        user_service::register(json(r#"{"email":"a@b.c","password":"p"}"#), u.clone()),
        user_service::login_as_guest(u.clone(), u.clone()),
        user_service::restore_password("a@b.c".into(), u.clone()),
    ] {
        assert_not_initialized(&resolve(promise).await.unwrap_err());
    }
    assert_not_initialized(&user_service::is_valid_login_sync().unwrap_err());
    for read in [
        Read::Token,
        Read::UserId,
        Read::User,
        Read::StorageName,
        Read::AppPath,
    ] {
        assert_eq!(backendless::read(read), JsValue::NULL, "{read:?}");
    }
    assert_not_initialized(&local_cache::get("user-token".into()).unwrap_err());
    assert_not_initialized(&local_cache::set("k".into(), "v".into()).unwrap_err());
    assert_not_initialized(&local_cache::remove("k".into()).unwrap_err());
}
