// What a Rust app over backendless_wasm::rust_api pays for gloo-storage / gloo-net on top of the
// SDK it already has: the same calls, each variant built in release (opt-level z, LTO), sizes of
// the wasm-bindgen output (wasm-opt -Oz), gzip -9.
use backendless_wasm::rust_api::{App, Config};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub async fn run(id: String, key: String, email: String, password: String) -> String {
    let Ok(app) = App::init(Config::new(id, key)) else { return "init".into() };
    let cache = app.local_cache();
    let _ = cache.set("k", &serde_json::json!({ "a": 1 }));
    let mut out = format!("{:?}", cache.get::<serde_json::Value>("k"));
    #[cfg(feature = "storage")]
    {
        use gloo_storage::Storage;
        let _ = gloo_storage::LocalStorage::set("k", serde_json::json!({ "a": 1 }));
        out += &format!("{:?}", gloo_storage::LocalStorage::get::<serde_json::Value>("k").ok());
    }
    #[cfg(feature = "net")]
    {
        let body = serde_json::json!({ "login": email, "password": password }).to_string();
        let answer = gloo_net::http::Request::post("/users/login")
            .header("content-type", "application/json")
            .body(body);
        if let Ok(request) = answer {
            if let Ok(response) = request.send().await {
                out += &format!("{}", response.status());
            }
        }
    }
    match app.login(&email, &password, true).await {
        Ok(user) => out + &user.object_id,
        Err(error) => out + &error.to_string(),
    }
}
