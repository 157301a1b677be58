//! No page of another origin may read what a signed-in browser sees: neither the local router of
//! `make dev` nor a handler nor the deployed API answers with CORS headers (issue #26, item 7).

use integration_tests::{Call, TestEnv, page_request, workspace_root};
use lambda_http::http::HeaderValue;

/// Another local page, as the hostile run used.
const OTHER_ORIGIN: &str = "http://127.0.0.1:4444";

fn access_control_headers(headers: &lambda_http::http::HeaderMap) -> Vec<String> {
    headers
        .keys()
        .map(|name| name.as_str().to_owned())
        .filter(|name| name.starts_with("access-control-"))
        .collect()
}

#[tokio::test]
async fn handlers_answer_another_origin_with_no_cors_headers() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let call = Call::event("get-account")
        .key(Some(&key))
        .header("origin", Some(OTHER_ORIGIN));
    let account = env.call_with("get-account", call).await;
    assert_eq!(account.status, 200);
    assert_eq!(
        access_control_headers(&account.headers),
        Vec::<String>::new()
    );

    let id = env.created_id(&key, &integration_tests::valid_body()).await;
    let mut request = page_request(&format!("/pay/{id}"), None);
    request
        .headers_mut()
        .insert("origin", HeaderValue::from_static(OTHER_ORIGIN));
    let page = checkout_page::handle(&env.app, &env.processor(), request).await;
    assert_eq!(page.status(), 200);
    assert_eq!(access_control_headers(page.headers()), Vec::<String>::new());
}

#[test]
fn the_local_router_and_the_deployed_api_add_no_cors() {
    let dev = std::fs::read_to_string(workspace_root().join("scripts/dev.sh")).expect("dev.sh");
    let watch: Vec<&str> = dev
        .lines()
        .filter(|line| line.trim_start().starts_with("cargo lambda watch"))
        .collect();
    assert!(!watch.is_empty(), "make dev runs cargo lambda watch");
    for line in watch {
        // Without the flag, cargo-lambda reflects any Origin with credentials allowed.
        assert!(line.contains("--disable-cors"), "{line}");
    }
    let template =
        std::fs::read_to_string(workspace_root().join("template.yaml")).expect("template.yaml");
    assert!(
        !template.contains("CorsConfiguration"),
        "no CORS on the HTTP API"
    );
}
