//! Business logic's calls: `verifyPassword`, `findByRole`, `assignRole`, `unassignRole` and
//! `updateUserStatus` (`enableUser` and `disableUser` are its two statuses). The server answers
//! them under the CloudCode API key only, a key no page may hold, so only the package's Node
//! entries have them: their wasm is built with the feature `business-logic`, the browser entries'
//! without it (npm/business-logic.js says what each costs). The rows are in [`crate::calls`].

use js_sys::Promise;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::user_service::{segment_call, start};
use crate::calls::Call;
use crate::engine::Op;

/// The calls that [`business_call`] serves; the entry module names them (`BusinessCall.…`).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusinessCall {
    /// `body` `{password}`.
    VerifyPassword = 0,
    /// `segment` the role, `body` the encoded query string (or undefined).
    UsersByRole = 1,
    /// `body` `{user, roleName}`.
    AssignRole = 2,
    UnassignRole = 3,
    /// `segment` the objectId, `body` `{userStatus}`.
    UserStatus = 4,
}

/// The calls of [`BusinessCall`], in its order.
const CALLS: [Call; 5] = [
    Call::VerifyPassword,
    Call::UsersByRole,
    Call::AssignRole,
    Call::UnassignRole,
    Call::UserStatus,
];

/// One export for the five; the entry module checks and places the caller's arguments. They
/// change no session: each resolves with the server's answer, with the rules of every call
/// (typed errors, `{ timeout, signal }`).
#[wasm_bindgen(js_name = businessCall)]
pub fn business_call(
    call: BusinessCall,
    segment: String,
    body: JsValue,
    options: JsValue,
) -> Promise {
    let query = (call == BusinessCall::UsersByRole)
        .then(|| body.as_string())
        .flatten();
    let op = segment_call(CALLS[call as usize], segment, &body).map(|op| Op { query, ..op });
    start(op, &options)
}
