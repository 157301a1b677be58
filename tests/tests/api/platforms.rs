//! Platforms (SPEC §18): a platform's key acts for one of its merchants, named per request by
//! the `Merchant-Id` header or `merchantId` in the body; any other merchant is a 404.

use checkoutctl::merchants::{MerchantOptions, create_platform};
use integration_tests::{ApiResponse, Call, TestEnv};
use serde_json::{Value, json};

/// A platform with two merchants, and a merchant of another platform: the platform's key and
/// the merchants' ids and keys.
struct Platforms {
    key: String,
    first: (String, String),
    second: (String, String),
    foreign: (String, String),
}

async fn platforms(env: &TestEnv) -> Platforms {
    let platform = create_platform(&env.app.store, "Marketplace", env.app.config.stage)
        .await
        .expect("a platform");
    let other = create_platform(&env.app.store, "Other", env.app.config.stage)
        .await
        .expect("a platform");
    let under = |platform_id: &str, name: &str| MerchantOptions {
        name: name.into(),
        success_url: Some("https://shop.example/ok".into()),
        cancel_url: Some("https://shop.example/cancel".into()),
        platform: Some(platform_id.to_owned()),
        ..MerchantOptions::default()
    };
    let mut merchants = Vec::new();
    for options in [
        under(platform.platform_id.as_str(), "First"),
        under(platform.platform_id.as_str(), "Second"),
        under(other.platform_id.as_str(), "Foreign"),
    ] {
        let created = env.merchant_with(options).await;
        merchants.push((created.merchant_id.to_string(), created.api_key));
    }
    let foreign = merchants.pop().expect("three");
    let second = merchants.pop().expect("two");
    let first = merchants.pop().expect("one");
    Platforms {
        key: platform.api_key,
        first,
        second,
        foreign,
    }
}

async fn create_for(env: &TestEnv, key: &str, merchant: Option<&str>, body: &Value) -> ApiResponse {
    let request = Call::event("create-session")
        .key(Some(key))
        .header("idempotency-key", None)
        .header("merchant-id", merchant)
        .json(body)
        .into_request();
    ApiResponse::from_response(create_session::handle(&env.app, request).await)
}

async fn list_for(env: &TestEnv, key: &str, merchant: Option<&str>) -> ApiResponse {
    let request = Call::event("list-sessions")
        .key(Some(key))
        .header("merchant-id", merchant)
        .query(&[])
        .into_request();
    ApiResponse::from_response(list_sessions::handle(&env.app, request).await)
}

#[tokio::test]
async fn a_platform_key_acts_for_the_merchant_it_names() {
    let env = TestEnv::new().await;
    let p = platforms(&env).await;
    let (first_id, first_key) = &p.first;
    let (second_id, second_key) = &p.second;

    let created = create_for(&env, &p.key, Some(first_id), &json!({"amount": "7.00"})).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().expect("an id");
    assert_eq!(
        env.get(first_key, id).await.status,
        200,
        "the first merchant's session"
    );
    assert_eq!(env.get(second_key, id).await.status, 404);
    let listed = list_for(&env, &p.key, Some(first_id)).await;
    assert_eq!(listed.body["data"][0]["id"], id);
    assert_eq!(
        list_for(&env, &p.key, Some(second_id)).await.body["data"],
        json!([])
    );

    let in_body = create_for(
        &env,
        &p.key,
        None,
        &json!({"amount": "8.00", "merchantId": second_id}),
    )
    .await;
    assert_eq!(in_body.status, 201, "{}", in_body.body);
    let second_session = in_body.body["id"].as_str().expect("an id");
    assert_eq!(env.get(second_key, second_session).await.status, 200);

    let token = {
        let request = Call::event("issue-token")
            .key(Some(&p.key))
            .header("merchant-id", Some(first_id))
            .into_request();
        ApiResponse::from_response(issue_token::handle(&env.app, request).await)
    };
    assert_eq!(token.status, 200, "{}", token.body);
    let token = token.body["accessToken"].as_str().expect("a token");
    let by_token = list_for(&env, token, None).await;
    assert_eq!(by_token.status, 200, "the token names its merchant");
    assert_eq!(by_token.body["data"][0]["id"], id);
    assert_eq!(list_for(&env, token, Some(second_id)).await.status, 404);
}

#[tokio::test]
async fn without_a_merchant_or_outside_the_platform_nothing_is_done() {
    let env = TestEnv::new().await;
    let p = platforms(&env).await;
    let (first_id, first_key) = &p.first;
    let (second_id, _) = &p.second;
    let (foreign_id, _) = &p.foreign;
    let standalone = env.merchant().await;
    let before = env.data_items().await;

    for response in [
        create_for(&env, &p.key, None, &json!({"amount": "7.00"})).await,
        list_for(&env, &p.key, None).await,
    ] {
        assert_eq!(response.status, 400, "{}", response.body);
        assert_eq!(response.body["code"], "merchant_required");
    }
    for named in [
        foreign_id.as_str(),
        standalone.merchant_id.as_str(),
        "mer_00000000000000000000",
        "nonsense",
    ] {
        let refused = create_for(&env, &p.key, Some(named), &json!({"amount": "7.00"})).await;
        assert_eq!(refused.status, 404, "{named}: {}", refused.body);
        assert_eq!(
            list_for(&env, &p.key, Some(named)).await.status,
            404,
            "{named}"
        );
    }
    let mismatch = create_for(
        &env,
        &p.key,
        Some(first_id),
        &json!({"amount": "7.00", "merchantId": second_id}),
    )
    .await;
    assert_eq!(mismatch.status, 400);
    assert_eq!(mismatch.error_fields(), ["merchantId"]);
    let other_merchant =
        create_for(&env, first_key, Some(second_id), &json!({"amount": "7.00"})).await;
    assert_eq!(
        other_merchant.status, 404,
        "a merchant's key acts for it alone"
    );
    assert_eq!(env.data_items().await, before, "nothing written");
}

#[tokio::test]
async fn a_platforms_requests_count_against_the_merchant_acted_for() {
    let mut env = TestEnv::new().await;
    env.app.config.rate_limits = true;
    let p = platforms(&env).await;
    let (first_id, first_key) = &p.first;
    let (second_id, _) = &p.second;
    let mut admitted = 0;
    for _ in 0..30 {
        admitted += usize::from(list_for(&env, &p.key, Some(first_id)).await.status == 200);
    }
    assert_eq!(admitted, 25, "the first merchant's limit");
    assert_eq!(
        list_for(&env, first_key, None).await.status,
        429,
        "its own key shares it"
    );
    assert_eq!(
        list_for(&env, &p.key, Some(second_id)).await.status,
        200,
        "the second merchant's window is its own"
    );
}
