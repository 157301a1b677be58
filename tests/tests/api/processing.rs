//! Payments that settle later (SPEC §16): crypto goes `pending → processing → completed | failed`,
//! time never expires a processing session, racing settlements end it once, and the 3-D Secure
//! card asks its payer to authenticate.

use std::sync::Arc;

use integration_tests::TestEnv;
use serde_json::{Value, json};

const DELAY: time::Duration = time::Duration::seconds(30);

/// The types of session `id`'s events, oldest first.
async fn event_types(env: &TestEnv, key: &str, id: &str) -> Vec<String> {
    let events = env.events(key, &[("sessionId", id)]).await;
    let mut types: Vec<(String, String)> = events.body["data"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["createdAt"].as_str().unwrap_or_default().to_owned(),
                e["type"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    types.sort();
    types.into_iter().map(|(_, kind)| kind).collect()
}

/// A crypto session paid from its page, now processing.
async fn processing(env: &TestEnv, key: &str, body: Value) -> String {
    let id = env.created_id(key, &body).await;
    let paid = env.pay_crypto(&id, "ETH").await;
    assert_eq!(paid.status, 303, "{}", paid.body);
    assert_eq!(env.get(key, &id).await.body["status"], "processing");
    id
}

#[tokio::test]
async fn a_crypto_payment_waits_for_its_confirmations_then_completes() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = env
        .created_id(
            &key,
            &json!({"amount": "10.50", "paymentMethods": ["crypto"], "orderId": "o-eth"}),
        )
        .await;
    let page = env.page(&format!("/pay/{id}"), None).await;
    assert!(
        page.body.contains("0.00350000 ETH") && page.body.contains("0.00017500 BTC"),
        "the page quotes each asset at the fixed test rates: {}",
        page.body
    );

    let paid = env.pay_crypto(&id, "ETH").await;
    assert_eq!(paid.status, 303);
    assert_eq!(
        paid.header("location"),
        Some(id.as_str()),
        "back to its page"
    );
    let session = env.get(&key, &id).await.body;
    assert_eq!(session["status"], "processing");
    assert_eq!(session["version"], 2);
    assert!(session["processingAt"].is_string());
    let payment = &session["payment"];
    assert_eq!(payment["method"], "crypto");
    assert_eq!(payment["asset"], "ETH");
    assert_eq!(payment["assetAmount"], "0.00350000");
    assert_eq!(payment["network"], "ethereum");
    assert_eq!(payment["confirmations"], 0);
    assert_eq!(payment["confirmationsRequired"], 12);
    let address = payment["depositAddress"].as_str().expect("an address");
    assert!(
        address.starts_with("0x") && address.len() == 42,
        "{address}"
    );
    assert!(payment["txHash"].as_str().is_some_and(|h| h.len() == 66));

    let waiting = env.page(&format!("/pay/{id}"), None).await;
    assert_eq!(waiting.status, 200);
    assert!(
        waiting.body.contains(address)
            && waiting.body.contains("0 of 12")
            && waiting.body.contains(r#"data-state="processing""#)
            && !waiting.body.contains("cardNumber"),
        "{}",
        waiting.body
    );

    // Nothing settles before the test delay has passed.
    env.clock.advance(DELAY - time::Duration::seconds(1));
    assert_eq!(env.settle_due().await["waiting"], 1);
    assert_eq!(env.get(&key, &id).await.body["status"], "processing");

    env.clock.advance(time::Duration::seconds(1));
    let report = env.settle_due().await;
    assert_eq!(
        (report["completed"].as_u64(), report["waiting"].as_u64()),
        (Some(1), Some(0))
    );
    let settled = env.get(&key, &id).await.body;
    assert_eq!(settled["status"], "completed");
    assert_eq!(settled["version"], 3);
    assert_eq!(settled["payment"]["confirmations"], 12);
    assert_eq!(settled["payment"]["depositAddress"], address);
    assert!(settled["completedAt"].is_string());
    assert_eq!(
        event_types(&env, &key, &id).await,
        ["checkout.session.processing", "checkout.session.completed"]
    );
    assert_eq!(
        env.settle_due().await["alreadySettled"],
        0,
        "it left the index"
    );
    let duplicate = env
        .create(&key, &json!({"amount": "1.00", "orderId": "o-eth"}))
        .await;
    assert_eq!(
        duplicate.body["code"], "order_id_in_use",
        "a paid order keeps its id"
    );
}

#[tokio::test]
async fn an_underpaid_payment_fails_and_frees_its_order_id() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = processing(
        &env,
        &key,
        json!({"amount": "10.13", "paymentMethods": ["crypto"], "orderId": "o-short"}),
    )
    .await;
    env.clock.advance(DELAY);
    assert_eq!(env.settle_due().await["failed"], 1);
    let failed = env.get(&key, &id).await.body;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["failureCode"], "underpaid");
    assert!(failed["failedAt"].is_string());
    assert_eq!(
        event_types(&env, &key, &id).await,
        ["checkout.session.processing", "checkout.session.failed"]
    );
    let again = env
        .create(&key, &json!({"amount": "10.13", "orderId": "o-short"}))
        .await;
    assert_eq!(
        again.status, 201,
        "the failed session released its order id"
    );
}

#[tokio::test]
async fn a_processing_session_is_never_expired_cancelled_or_paid_again() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let body = json!({
        "amount": "20.00",
        "paymentMethods": ["card", "crypto"],
        "expiresIn": "PT2M",
        "orderId": "o-held"
    });
    let id = env.created_id(&key, &body).await;
    let path = format!("/pay/{id}");
    let page = env.page(&path, None).await;
    let (token, version) = (page.token(), page.version());
    assert_eq!(env.pay_crypto(&id, "USDC").await.status, 303);
    // Past its expiry: still processing, to every reader and to the sweeper.
    env.clock.advance(time::Duration::minutes(5));
    assert_eq!(env.sweep().await["expired"], 0);
    assert_eq!(env.get(&key, &id).await.body["status"], "processing");
    let listed = env.list(&key, &[("status", "processing")]).await;
    assert_eq!(listed.body["data"][0]["id"], id.as_str());
    for response in [env.cancel(&key, &id).await, env.expire(&key, &id).await] {
        assert_eq!(response.status, 409);
        assert_eq!(response.body["code"], "invalid_status");
        assert_eq!(response.body["currentStatus"], "processing");
    }
    let taken = env
        .create(&key, &json!({"amount": "1.00", "orderId": "o-held"}))
        .await;
    assert_eq!(
        taken.body["code"], "order_id_in_use",
        "its order id stays reserved"
    );
    let card = [
        ("method", "card"),
        ("token", token.as_str()),
        ("version", version.as_str()),
        ("cardNumber", "4242424242424242"),
        ("cardExpiry", "12/34"),
        ("cardCvc", "123"),
    ];
    let again = env.page(&path, Some(&card)).await;
    assert_eq!(
        (again.status, again.header("location")),
        (303, Some(id.as_str())),
        "back to the page"
    );
    let waiting = env.page(&path, None).await;
    assert!(
        waiting.body.contains(r#"data-state="processing""#),
        "the page shows it waiting"
    );
    assert_eq!(
        env.get(&key, &id).await.body["version"],
        2,
        "nothing written"
    );
    // It still settles once its delay has passed.
    assert_eq!(env.settle_due().await["completed"], 1);
    assert_eq!(env.get(&key, &id).await.body["status"], "completed");
}

#[tokio::test]
async fn the_settle_helper_settles_at_once_and_refuses_anything_not_processing() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let other = env.merchant().await.api_key;
    let pending = env.created_id(&key, &json!({"amount": "5.00"})).await;
    let refused = env.settle(&key, &pending, &json!({})).await;
    assert_eq!(refused.status, 409);
    assert_eq!(refused.body["currentStatus"], "pending");

    let id = processing(
        &env,
        &key,
        json!({"amount": "5.00", "paymentMethods": ["crypto"]}),
    )
    .await;
    let before = env.data_items().await;
    for (body, field) in [
        (json!({"outcome": "lost"}), "outcome"),
        (json!({"outcome": 1}), "outcome"),
        (json!({"outcom": "underpaid"}), "outcom"),
    ] {
        let bad = env.settle(&key, &id, &body).await;
        assert_eq!(bad.status, 400, "{body}");
        assert_eq!(bad.error_fields(), [field], "{body}");
    }
    assert_eq!(env.settle(&other, &id, &json!({})).await.status, 404);
    assert_eq!(
        env.data_items().await,
        before,
        "nothing written by a refused settle"
    );

    let settled = env
        .settle(&key, &id, &json!({"outcome": "underpaid"}))
        .await;
    assert_eq!(settled.status, 200);
    assert_eq!(settled.body["status"], "failed");
    assert_eq!(settled.body["failureCode"], "underpaid");
    let twice = env.settle(&key, &id, &json!({})).await;
    assert_eq!(twice.status, 409);
    assert_eq!(twice.body["currentStatus"], "failed");
}

#[tokio::test]
async fn racing_settlements_and_the_sweeper_end_a_payment_once() {
    let env = Arc::new(TestEnv::new().await);
    let key = env.merchant().await.api_key;
    let id = processing(
        &env,
        &key,
        json!({"amount": "7.00", "paymentMethods": ["crypto"], "expiresIn": "PT1M"}),
    )
    .await;
    env.clock.advance(time::Duration::minutes(2));
    let mut tasks = Vec::new();
    for n in 0..30 {
        let (env, key, id) = (env.clone(), key.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            match n % 3 {
                0 => env.settle_due().await["completed"].as_u64().unwrap_or(0),
                1 => u64::from(env.settle(&key, &id, &json!({})).await.status == 200),
                _ => {
                    env.sweep().await;
                    0
                }
            }
        }));
    }
    let mut settled = 0;
    for task in tasks {
        settled += task.await.expect("the task ran");
    }
    assert_eq!(settled, 1, "one settlement won");
    assert_eq!(env.get(&key, &id).await.body["status"], "completed");
    assert_eq!(
        event_types(&env, &key, &id).await,
        ["checkout.session.processing", "checkout.session.completed"],
        "one terminal event"
    );
}

#[tokio::test]
async fn the_three_d_secure_card_pays_only_after_its_challenge_is_approved() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = env
        .created_id(
            &key,
            &json!({"amount": "30.00", "successUrl": "https://shop.example/ok"}),
        )
        .await;
    let path = format!("/pay/{id}");

    let asked = env.pay_card(&id, "4000 0027 6000 3184").await;
    assert_eq!(asked.status, 303);
    assert_eq!(asked.header("location"), Some(id.as_str()));
    let challenge = env.page(&path, None).await;
    assert!(
        challenge.body.contains(r#"data-state="challenge""#)
            && challenge
                .body
                .contains(r#"name="challenge" value="approve""#)
            && challenge.body.contains("3184"),
        "{}",
        challenge.body
    );
    assert_eq!(env.get(&key, &id).await.body["status"], "pending");
    let (token, version) = (challenge.token(), challenge.version());
    let before = env.data_items().await;
    let unknown = env
        .page(
            &path,
            Some(&[
                ("token", token.as_str()),
                ("version", version.as_str()),
                ("challenge", "maybe"),
            ]),
        )
        .await;
    assert_eq!(unknown.status, 422);
    assert!(
        unknown.body.contains(r#"data-state="challenge""#),
        "still asked"
    );
    assert_eq!(
        env.data_items().await,
        before,
        "an unknown answer writes nothing"
    );

    let failed = env
        .page(
            &path,
            Some(&[
                ("token", token.as_str()),
                ("version", version.as_str()),
                ("challenge", "fail"),
            ]),
        )
        .await;
    assert_eq!(failed.status, 422);
    assert!(
        failed.body.contains("could not be authenticated"),
        "{}",
        failed.body
    );
    assert!(
        failed.body.contains(r#"name="cardNumber""#),
        "the form is back"
    );
    let stale = env
        .page(
            &path,
            Some(&[
                ("token", token.as_str()),
                ("version", version.as_str()),
                ("challenge", "approve"),
            ]),
        )
        .await;
    assert!(stale.body.contains("authentication step has ended"));
    assert_eq!(env.get(&key, &id).await.body["status"], "pending");

    env.pay_card(&id, "4000002760003184").await;
    let approved = env
        .page(
            &path,
            Some(&[
                ("token", token.as_str()),
                ("version", version.as_str()),
                ("challenge", "approve"),
            ]),
        )
        .await;
    assert_eq!(approved.status, 303);
    assert!(
        approved
            .header("location")
            .is_some_and(|l| l.starts_with("https://shop.example/ok?"))
    );
    let paid = env.get(&key, &id).await.body;
    assert_eq!(paid["status"], "completed");
    assert_eq!(paid["payment"]["last4"], "3184");
    assert_eq!(paid["payment"]["threeDSecure"], true);
}

#[tokio::test]
async fn a_form_for_an_older_version_pays_nothing_and_shows_the_session_again() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = env.created_id(&key, &json!({"amount": "12.00"})).await;
    let path = format!("/pay/{id}");
    let token = env.page(&path, None).await.token();
    let before = env.data_items().await;
    let stale = env
        .page(
            &path,
            Some(&[
                ("method", "card"),
                ("token", token.as_str()),
                ("version", "0"),
                ("cardNumber", "4242424242424242"),
                ("cardExpiry", "12/34"),
                ("cardCvc", "123"),
            ]),
        )
        .await;
    assert_eq!(stale.status, 409);
    assert!(stale.body.contains("updated by the shop"), "{}", stale.body);
    assert!(stale.body.contains("$12.00"));
    assert_eq!(env.data_items().await, before, "nothing written");
}
