//! The JSON in `events/` drives the handlers as API Gateway would.

use integration_tests::{Call, TestEnv, sample_event};
use lambda_http::RequestExt;

#[tokio::test]
async fn the_sample_create_event_creates_its_session() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let response = env
        .create_call(Call::event("create-session").key(Some(&key)))
        .await;
    assert_eq!(response.status, 201, "{:?}", response.body);
    assert_eq!(response.body["orderId"], "order_12345");
    assert_eq!(response.body["amount"], "10.50");
    let replay = env
        .create_call(Call::event("create-session").key(Some(&key)))
        .await;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body, response.body);
}

#[tokio::test]
async fn every_sample_event_routes_to_its_handler_with_its_parameters() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    for name in [
        "get-session",
        "expire-session",
        "cancel-session",
        "create-refund",
        "list-refunds",
        "update-session",
        "settle-session",
    ] {
        let request = sample_event(name);
        assert_eq!(
            request.path_parameters_ref().and_then(|p| p.first("id")),
            Some("cs_REPLACE_WITH_A_SESSION_ID"),
            "{name}"
        );
        assert_eq!(http_request_id(&request), "sample-request-id");
    }
    let unknown = env.get(&key, "cs_REPLACE_WITH_A_SESSION_ID").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["requestId"], "sample-request-id");
    assert_eq!(unknown.header("request-id"), Some("sample-request-id"));

    let list = sample_event("list-sessions");
    let params = list
        .query_string_parameters_ref()
        .expect("query parameters");
    assert_eq!(params.first("status"), Some("pending"));
    let listed = env
        .list(&key, &[("limit", "2"), ("status", "pending")])
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["object"], "list");
}

#[tokio::test]
async fn the_sample_update_and_settle_events_do_what_they_say() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = env
        .created_id(
            &key,
            &serde_json::json!({"amount": "10.00", "metadata": {"cart": "c-1", "coupon": "X"}}),
        )
        .await;
    let request = Call::event("update-session")
        .key(Some(&key))
        .id(&id)
        .into_request();
    let updated = integration_tests::ApiResponse::from_response(
        update_session::handle(&env.app, request).await,
    );
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    assert_eq!(updated.body["amount"], "12.00");
    assert_eq!(updated.body["metadata"], serde_json::json!({"cart": "c-2"}));

    let crypto = env
        .created_id(
            &key,
            &serde_json::json!({"amount": "3.00", "paymentMethods": ["crypto"]}),
        )
        .await;
    assert_eq!(env.pay_crypto(&crypto, "USDC").await.status, 303);
    let request = Call::event("settle-session")
        .key(Some(&key))
        .id(&crypto)
        .into_request();
    let settled = integration_tests::ApiResponse::from_response(
        settle_session::handle(&env.app, request).await,
    );
    assert_eq!(settled.status, 200, "{:?}", settled.body);
    assert_eq!(settled.body["status"], "completed");
}

#[tokio::test]
async fn the_sample_account_and_key_events_do_what_they_say() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let created = env.call("create-api-key", &key, None, None).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["name"], "Reporting");
    assert_eq!(created.body["scope"], "read_only");
    let updated = env.call("update-account", &key, None, None).await;
    assert_eq!(updated.body["locale"], "de");
    let id = created.body["id"].as_str().expect("an id");
    let rolled = env.call("roll-api-key", &key, Some(id), None).await;
    assert_eq!(rolled.status, 201, "{:?}", rolled.body);
    let listed = env.call("list-api-keys", &key, None, None).await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(3));
    let revoked = env.call("revoke-api-key", &key, Some(id), None).await;
    assert_eq!(revoked.body["status"], "revoked");
    assert_eq!(
        env.call("get-account", &key, None, None).await.body["displayName"],
        "Acme Coffee"
    );
}

fn http_request_id(request: &lambda_http::Request) -> String {
    checkout_api::http::request_id(request)
}

#[tokio::test]
async fn the_sample_page_event_shows_its_session_through_the_page_handler() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let created = env
        .create(
            &key,
            &serde_json::json!({"amount": "4.20", "description": "From the event"}),
        )
        .await;
    let id = created.body["id"].as_str().expect("an id");
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/checkout-page.json");
    let json = std::fs::read_to_string(path)
        .expect("the sample event")
        .replace("cs_REPLACE_WITH_A_SESSION_ID", id);
    let request = lambda_http::request::from_str(&json).expect("an API Gateway v2 event");
    let response = checkout_page::handle(&env.app, &env.processor(), request).await;
    assert_eq!(response.status().as_u16(), 200);
    let body = String::from_utf8_lossy(response.body().as_ref()).into_owned();
    assert!(
        body.contains("$4.20") && body.contains("From the event"),
        "{body}"
    );
    assert!(body.contains(r#"name="cardNumber""#));
    assert!(response.headers().contains_key("content-security-policy"));
}

#[tokio::test]
async fn the_sample_dashboard_event_shows_the_sessions_page_to_its_cookie() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = env
        .created_id(&key, &serde_json::json!({"amount": "4.20"}))
        .await;
    let cookie = checkout_api::service::dashboard::sign_in_with_key(&env.app, &key)
        .await
        .expect("signed in")
        .encode(
            checkout_api::service::dashboard::signing_key(&env.app)
                .await
                .expect("the cookie key")
                .signing(),
        );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/dashboard.json");
    let json = std::fs::read_to_string(path)
        .expect("the sample event")
        .replace("REPLACE_WITH_A_DASHBOARD_COOKIE", &cookie);
    let request = lambda_http::request::from_str(&json).expect("an API Gateway v2 event");
    let response = dashboard::handle(&env.app, request).await;
    assert_eq!(response.status().as_u16(), 200);
    let body = String::from_utf8_lossy(response.body().as_ref()).into_owned();
    assert!(body.contains(&format!("data-session=\"{id}\"")), "{body}");
    assert_eq!(
        response
            .headers()
            .get("request-id")
            .and_then(|v| v.to_str().ok()),
        Some("sample-request-id")
    );
}
