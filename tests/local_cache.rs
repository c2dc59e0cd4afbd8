//! `Backendless.LocalCache` and the stored map in a real browser: custom-domain mode, the
//! legacy item's migration, corrupt contents, keys of the page's own, and a localStorage that
//! is full (QuotaExceededError) or whose reads throw (SecurityError). A blocked
//! `window.localStorage` has a page of its own: tests/blocked_storage.rs.
#![cfg(target_arch = "wasm32")]

mod common;

use backendless_wasm::js::{backendless, user_service};
use common::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = "
const original = { setItem: Storage.prototype.setItem, getItem: Storage.prototype.getItem };
export function make_storage_full() { Storage.prototype.setItem = function () { throw new DOMException('full', 'QuotaExceededError'); }; }
export function make_reads_throw() { Storage.prototype.getItem = function () { throw new DOMException('denied', 'SecurityError'); }; }
export function restore_storage() { Storage.prototype.setItem = original.setItem; Storage.prototype.getItem = original.getItem; }
export function big_int() { return 10n; }
// Fills localStorage up to its real quota with filler items, halving the chunk until even a
// 64-character one no longer fits; answers how many items it wrote.
export function fill_storage() {
  let count = 0;
  for (let size = 1 << 20; size >= 64; size >>= 1) {
    const chunk = 'x'.repeat(size);
    try { for (;;) localStorage.setItem('filler-' + count++, chunk); } catch { count--; }
  }
  return count;
}
export function empty_filler(count) { for (let i = 0; i < count; i++) localStorage.removeItem('filler-' + i); }
")]
extern "C" {
    fn make_storage_full();
    fn make_reads_throw();
    fn restore_storage();
    fn big_int() -> JsValue;
    fn fill_storage() -> u32;
    fn empty_filler(count: u32);
}

#[wasm_bindgen_test]
async fn custom_domain_mode_uses_the_api_prefix_and_the_shared_item() {
    local_storage().clear().unwrap();
    let email = unique_email();
    register_user(&email, PASSWORD).await;
    backendless::init_app(SERVER.into(), JsValue::UNDEFINED).unwrap();
    clear_requests().await;

    let user = login_as(&email, true).await.unwrap();

    single_request("POST", "/api/users/login").await;
    assert_eq!(
        local_storage().get_item("Backendless").unwrap(),
        Some(session_map_of(&user))
    );
    assert_eq!(
        stored_item(),
        None,
        "nothing under Backendless_{{appId}} in domain mode"
    );

    // A fresh state of the same domain (the `{ domain }` form is the entry module's: see
    // tests/node/compat.test.mjs).
    backendless::init_app(SERVER.into(), JsValue::UNDEFINED).unwrap();
    let restored = current_user().await.unwrap();
    assert_eq!(
        get_string(&restored, "objectId"),
        get_string(&user, "objectId")
    );
}

#[wasm_bindgen_test]
async fn init_app_again_with_app_id_and_api_key_restores_from_the_same_item() {
    // The `{ appId, apiKey }` form is the entry module's: see tests/node/compat.test.mjs.
    fresh_page();
    let (_, id, user) = logged_in_user(true).await;
    backendless::init_app(APP_ID.into(), API_KEY.into()).unwrap();
    clear_requests().await;

    let restored = current_user().await.unwrap();

    assert_eq!(get_string(&restored, "objectId"), Some(id.clone()));
    assert_eq!(
        stored_item(),
        Some(session_map_of(&user)),
        "the same Backendless_{{appId}} item"
    );
    single_request("GET", &format!("{}/data/Users/{id}", base_path())).await;
}

#[wasm_bindgen_test]
async fn a_legacy_item_is_migrated_once_then_removed() {
    fresh_page();
    let (_, id, user) = logged_in_user(true).await;
    let map = session_map_of(&user);
    local_storage().clear().unwrap();
    local_storage().set_item("Backendless", &map).unwrap();

    reload();

    assert_eq!(local_storage().get_item("Backendless").unwrap(), None);
    assert_eq!(stored_item(), Some(map.clone()));
    let restored = current_user().await.unwrap();
    assert_eq!(get_string(&restored, "objectId"), Some(id));

    // A newer item is never overwritten by a legacy one.
    local_storage()
        .set_item("Backendless", "{\"user-token\":\"OLD\"}")
        .unwrap();
    reload();
    assert_eq!(stored_item(), Some(map));
}

#[wasm_bindgen_test]
async fn corrupt_or_non_object_contents_read_as_empty() {
    for corrupt in ["{not json", "[1,2]", "5", "\"text\"", "null", ""] {
        local_storage().clear().unwrap();
        local_storage().set_item(&storage_key(), corrupt).unwrap();
        reload();
        clear_requests().await;

        assert!(
            local_cache::get("user-token".into())
                .unwrap()
                .is_undefined(),
            "{corrupt:?}"
        );
        assert!(current_user().await.unwrap().is_null(), "{corrupt:?}");
        assert_eq!(
            resolve(user_service::is_valid_login(JsValue::UNDEFINED))
                .await
                .unwrap(),
            JsValue::FALSE
        );
        assert!(
            requests().await.is_empty(),
            "{corrupt:?}: no session, no request"
        );
    }
    // A login overwrites the corrupt item with a proper map.
    let (_, _, user) = logged_in_user(true).await;
    assert_eq!(stored_item(), Some(session_map_of(&user)));
}

#[wasm_bindgen_test]
async fn stored_values_of_the_wrong_type_are_not_a_session() {
    fresh_page();
    for map in [
        r#"{"stayLoggedIn":true,"user-token":{"a":1},"current-user-id":42}"#,
        r#"{"stayLoggedIn":true,"user-token":"TOKEN\nInjected: header","current-user-id":"ID"}"#,
        r#"{"stayLoggedIn":true,"user-token":"","current-user-id":"ID"}"#,
    ] {
        local_storage().set_item(&storage_key(), map).unwrap();
        reload();
        clear_requests().await;
        assert!(current_user().await.unwrap().is_null(), "{map}");
        assert_eq!(current_token(), None, "{map}");
        assert_eq!(
            resolve(user_service::is_valid_login(JsValue::UNDEFINED))
                .await
                .unwrap(),
            JsValue::FALSE,
            "{map}"
        );
        assert!(
            requests().await.is_empty(),
            "{map}: not a session, so no request"
        );
    }
}

#[wasm_bindgen_test]
async fn the_pages_own_keys_survive_session_changes() {
    fresh_page();
    local_cache::set("theme".into(), "dark".into()).unwrap();
    let email = unique_email();
    register_user(&email, PASSWORD).await;

    let user = login_as(&email, true).await.unwrap();
    let token = get_string(&user, "user-token").unwrap();
    let id = get_string(&user, "objectId").unwrap();
    assert_eq!(
        stored_item(),
        Some(format!(
            r#"{{"theme":"dark","stayLoggedIn":true,"user-token":"{token}","current-user-id":"{id}"}}"#
        ))
    );
    login_as(&email, false).await.unwrap();
    assert_eq!(stored_item().as_deref(), Some(r#"{"theme":"dark"}"#));
    resolve(user_service::logout(JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(stored_item().as_deref(), Some(r#"{"theme":"dark"}"#));
}

#[wasm_bindgen_test]
fn set_get_remove_round_trip_any_json_value() {
    fresh_page();
    let value = json(r#"{"nested":[1,"two",{"three":3}],"ok":true}"#);
    local_cache::set("prefs".into(), value.clone()).unwrap();
    assert_eq!(
        stringify(&local_cache::get("prefs".into()).unwrap()),
        stringify(&value)
    );
    local_cache::remove("prefs".into()).unwrap();
    assert!(local_cache::get("prefs".into()).unwrap().is_undefined());
    assert_eq!(stored_item().as_deref(), Some("{}"));

    let error = local_cache::set("n".into(), big_int()).unwrap_err();
    assert_eq!(
        get_string(&error, "name").as_deref(),
        Some("TypeError"),
        "a BigInt cannot be stored as JSON"
    );
    assert_eq!(
        stored_item().as_deref(),
        Some("{}"),
        "a failed set writes nothing"
    );
    for bad_key in [
        JsValue::NULL,
        JsValue::UNDEFINED,
        JsValue::from(1),
        json("{}"),
    ] {
        assert!(local_cache::get(bad_key.clone()).is_err());
        assert!(local_cache::set(bad_key.clone(), "v".into()).is_err());
        assert!(local_cache::remove(bad_key).is_err());
    }
}

/// Keys are plain data keys: the names of `Object.prototype`'s members are neither found on the
/// map's prototype nor able to change it.
#[wasm_bindgen_test]
fn keys_are_plain_data_keys() {
    fresh_page();
    for key in [
        "constructor",
        "toString",
        "hasOwnProperty",
        "__proto__",
        "valueOf",
    ] {
        assert!(
            local_cache::get(key.into()).unwrap().is_undefined(),
            "{key}: nothing stored under it yet"
        );
    }
    local_cache::set("__proto__".into(), json(r#"{"polluted":true}"#)).unwrap();
    local_cache::set("constructor".into(), "c".into()).unwrap();
    assert_eq!(
        stored_item().as_deref(),
        Some(r#"{"__proto__":{"polluted":true},"constructor":"c"}"#),
        "stored as data"
    );
    assert_eq!(
        stringify(&local_cache::get("__proto__".into()).unwrap()),
        r#"{"polluted":true}"#
    );
    assert_eq!(local_cache::get("constructor".into()).unwrap(), "c");
    assert!(local_cache::get("polluted".into()).unwrap().is_undefined());
    local_cache::remove("__proto__".into()).unwrap();
    assert!(local_cache::get("__proto__".into()).unwrap().is_undefined());
    assert_eq!(stored_item().as_deref(), Some(r#"{"constructor":"c"}"#));
}

#[wasm_bindgen_test]
async fn full_local_storage_falls_back_to_memory() {
    fresh_page();
    let email = unique_email();
    register_user(&email, PASSWORD).await;
    make_storage_full();

    let result = login_as(&email, true).await;
    let cached = local_cache::get("current-user-id".into());
    let set = local_cache::set("theme".into(), "dark".into());
    let theme = local_cache::get("theme".into());
    restore_storage();

    let user = result.expect("login works with a full localStorage");
    assert_eq!(cached.unwrap().as_string(), get_string(&user, "objectId"));
    assert!(set.is_ok());
    assert_eq!(theme.unwrap().as_string().as_deref(), Some("dark"));
    assert_eq!(current_token(), get_string(&user, "user-token"));
}

#[wasm_bindgen_test]
async fn throwing_reads_fall_back_to_memory() {
    fresh_page();
    let email = unique_email();
    register_user(&email, PASSWORD).await;
    make_reads_throw();

    let before = local_cache::get("user-token".into());
    let result = login_as(&email, true).await;
    let after = local_cache::get("user-token".into());
    restore_storage();

    assert!(before.unwrap().is_undefined());
    let user = result.expect("login works when reads throw");
    assert_eq!(after.unwrap().as_string(), get_string(&user, "user-token"));
}

/// A real quota, not a stub: once a write has been refused for want of room, the stored session
/// must not outlive the page's. Before, the refused write left the item as it was and every later
/// write went to memory only, so a logout left the session stored and a reload brought the user
/// back.
#[wasm_bindgen_test]
async fn at_quota_a_logout_leaves_no_session_for_a_reload_to_bring_back() {
    fresh_page();
    let (_, _, user) = logged_in_user(true).await;
    assert_eq!(stored_item(), Some(session_map_of(&user)));
    let filler = fill_storage();

    let refused = local_cache::set("draft".into(), "y".repeat(100_000).into());
    let logout = resolve(user_service::logout(JsValue::UNDEFINED)).await;
    let stored = stored_item();
    reload();
    let restored = current_user().await;
    empty_filler(filler);

    assert!(refused.is_ok(), "the page's write lands in memory");
    assert!(logout.is_ok());
    assert!(
        stored
            .as_deref()
            .map_or(true, |map| !map.contains("user-token")),
        "no session stored after the logout: {stored:?}"
    );
    assert!(restored.unwrap().is_null(), "a reload restores nobody");
}
