//! Who may call, and who may see what.

use integration_tests::{Call, TestEnv, valid_body};

#[tokio::test]
async fn missing_and_unknown_keys_are_401_problems() {
    let env = TestEnv::new().await;
    env.merchant().await;
    let before = env.item_count().await;
    let missing = env
        .create_call(Call::event("create-session").key(None).json(&valid_body()))
        .await;
    assert_eq!(
        (missing.status, missing.body["code"].as_str()),
        (401, Some("missing_api_key"))
    );
    assert_eq!(
        missing.header("content-type"),
        Some("application/problem+json")
    );

    let basic = env
        .create_call(
            Call::event("create-session")
                .header("authorization", Some("Basic dXNlcjpwYXNz"))
                .json(&valid_body()),
        )
        .await;
    assert_eq!(basic.body["code"], "missing_api_key");

    for wrong in ["sk_test_notakeywehaveeverissued", "pk_live_123"] {
        let response = env.create(wrong, &valid_body()).await;
        assert_eq!(
            (response.status, response.body["code"].as_str()),
            (401, Some("invalid_api_key")),
            "{wrong}"
        );
    }
    assert_eq!(
        env.item_count().await,
        before,
        "refused calls write nothing"
    );
}

#[tokio::test]
async fn a_revoked_key_stops_working_and_other_keys_go_on() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let second = checkoutctl::merchants::create_key(
        &env.app.store,
        &merchant.merchant_id,
        env.app.config.stage,
    )
    .await
    .expect("a second key");
    checkoutctl::merchants::revoke_key(&env.app.store, &merchant.api_key)
        .await
        .expect("revoked");
    let revoked = env.create(&merchant.api_key, &valid_body()).await;
    assert_eq!(
        (revoked.status, revoked.body["code"].as_str()),
        (401, Some("revoked_api_key"))
    );
    assert_eq!(env.create(&second, &valid_body()).await.status, 201);
}

#[tokio::test]
async fn an_inactive_merchant_cannot_authenticate_until_reactivated() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let created = env.create(&merchant.api_key, &valid_body()).await;
    let id = created.body["id"].as_str().expect("an id").to_owned();
    checkoutctl::merchants::set_active(&env.app.store, &merchant.merchant_id, false)
        .await
        .expect("deactivated");
    let refused = env.get(&merchant.api_key, &id).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (401, Some("merchant_inactive"))
    );
    checkoutctl::merchants::set_active(&env.app.store, &merchant.merchant_id, true)
        .await
        .expect("reactivated");
    assert_eq!(env.get(&merchant.api_key, &id).await.status, 200);
}

#[tokio::test]
async fn another_merchants_session_is_as_unknown_as_a_made_up_one() {
    let env = TestEnv::new().await;
    let alice = env.merchant().await.api_key;
    let bob = env.merchant().await.api_key;
    let created = env.create(&alice, &valid_body()).await;
    let id = created.body["id"].as_str().expect("an id");

    let foreign = env.get(&bob, id).await;
    let unknown = env.get(&bob, "cs_doesnotexist000000000000").await;
    assert_eq!(foreign.status, 404);
    assert_eq!(foreign.body["code"], unknown.body["code"]);
    assert_eq!(foreign.body["detail"], unknown.body["detail"]);
    assert_eq!(env.cancel(&bob, id).await.status, 404);
    assert_eq!(env.expire(&bob, id).await.status, 404);
    let bobs_list = env.list(&bob, &[]).await;
    assert_eq!(bobs_list.body["data"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        env.get(&alice, id).await.body["status"],
        "pending",
        "bob changed nothing"
    );
}

#[tokio::test]
async fn a_container_trusts_a_checked_key_for_the_auth_cache_time_only() {
    let mut env = TestEnv::new().await;
    env.app.config.auth_cache = time::Duration::seconds(5);
    let merchant = env.merchant().await;
    assert_eq!(
        env.create(&merchant.api_key, &valid_body()).await.status,
        201
    );
    checkoutctl::merchants::revoke_key(&env.app.store, &merchant.api_key)
        .await
        .expect("revoked");

    let within = env.get(&merchant.api_key, "cs_unknown").await;
    assert_eq!(
        within.status, 404,
        "the key checked a moment ago is trusted"
    );
    env.clock.advance(time::Duration::seconds(5));
    let after = env.get(&merchant.api_key, "cs_unknown").await;
    assert_eq!(
        (after.status, after.body["code"].as_str()),
        (401, Some("revoked_api_key"))
    );
    let again = env.get(&merchant.api_key, "cs_unknown").await;
    assert_eq!(again.status, 401, "a refused key is not remembered");
}
