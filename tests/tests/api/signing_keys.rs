//! Rotating a signing key (SPEC §24): while the replaced key is kept as `previous`, what it signed
//! (access tokens, list cursors, dashboard cookies) still works; once it is dropped, none does.

use checkout_api::App;
use checkout_api::secrets::{Secrets, SigningKey};
use checkout_api::service::dashboard;
use integration_tests::{ApiResponse, Call, TestEnv};
use serde_json::json;

fn key(name: &str) -> String {
    format!("{name:-<40}")
}

fn with_keys(env: &TestEnv, secrets: Secrets) -> App {
    let mut app = env.app_at(time::Duration::ZERO);
    app.config.secrets = secrets;
    app
}

async fn get_with(app: &App, bearer: &str, id: &str) -> ApiResponse {
    let request = Call::event("get-session")
        .key(Some(bearer))
        .id(id)
        .into_request();
    ApiResponse::from_response(get_session::handle(app, request).await)
}

async fn list_with(app: &App, key: &str, cursor: &str) -> ApiResponse {
    let request = Call::event("list-sessions")
        .key(Some(key))
        .query(&[("limit", "1"), ("cursor", cursor)])
        .into_request();
    ApiResponse::from_response(list_sessions::handle(app, request).await)
}

#[tokio::test]
async fn what_the_previous_key_signed_works_until_the_key_is_dropped() {
    let mut env = TestEnv::new().await;
    let old = |name: &str| SigningKey::new(&key(&format!("old-{name}")));
    let new = |name: &str| SigningKey::new(&key(&format!("new-{name}")));
    env.app.config.secrets = Secrets::known(old("tokens"), old("cursors"), old("cookies"));
    let merchant = env.merchant().await;
    let api_key = &merchant.api_key;
    let id = env.created_id(api_key, &json!({"amount": "1.00"})).await;
    env.created_id(api_key, &json!({"amount": "2.00"})).await;

    // Signed with the old keys.
    let token = env.token(api_key).await.body["accessToken"]
        .as_str()
        .expect("a token")
        .to_owned();
    let first = env.list(api_key, &[("limit", "1")]).await;
    let cursor = first.body["nextCursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();
    let signed_in = dashboard::sign_in_with_key(&env.app, api_key)
        .await
        .expect("signed in");
    let cookie = signed_in.encode(
        dashboard::signing_key(&env.app)
            .await
            .expect("the cookie key")
            .signing(),
    );

    let rotated = |name: &str| {
        SigningKey::rotated(&key(&format!("new-{name}")), &key(&format!("old-{name}")))
    };
    let during = with_keys(
        &env,
        Secrets::known(rotated("tokens"), rotated("cursors"), rotated("cookies")),
    );
    assert_eq!(get_with(&during, &token, &id).await.status, 200);
    assert_eq!(list_with(&during, api_key, &cursor).await.status, 200);
    assert!(dashboard::signed_in(&during, &cookie).await.is_ok());
    // What the new key signs is what the rotated deployment hands out.
    let fresh = ApiResponse::from_response(
        issue_token::handle(
            &during,
            Call::event("issue-token").key(Some(api_key)).into_request(),
        )
        .await,
    );
    let fresh_token = fresh.body["accessToken"]
        .as_str()
        .expect("a token")
        .to_owned();

    let after = with_keys(
        &env,
        Secrets::known(new("tokens"), new("cursors"), new("cookies")),
    );
    assert_eq!(get_with(&after, &token, &id).await.status, 401);
    let stale = list_with(&after, api_key, &cursor).await;
    assert_eq!(stale.status, 400, "{:?}", stale.body);
    assert!(dashboard::signed_in(&after, &cookie).await.is_err());
    assert_eq!(get_with(&after, &fresh_token, &id).await.status, 200);
}
