//! Regressions of the hostile black-box run (issue #12): CSP injection through merchant URLs, the
//! same-key refund race, metadata numbers DynamoDB cannot hold, payable sessions of a deactivated
//! merchant, and the smaller findings.

use std::sync::Arc;

use checkout_api::payments::{
    ChargeOutcome, ChargeRequest, CryptoQuote, PaymentProcessor, Settlement, SettlementRequest,
};
use checkout_domain::ids::{MerchantId, SessionId};
use checkout_domain::money::{Amount, Currency};
use checkout_domain::session::PaymentDetails;
use checkout_domain::values::CryptoAsset;
use checkoutctl::merchants::MerchantOptions;
use integration_tests::{Call, PageResponse, TestEnv};
use serde_json::{Value, json};

async fn paid_session(env: &TestEnv, key: &str, amount: &str) -> String {
    let id = env.created_id(key, &json!({ "amount": amount })).await;
    let paid = env.pay_card(&id, "4242424242424242").await;
    assert_eq!(paid.status, 303, "{}", paid.body);
    id
}

async fn open(env: &TestEnv, id: &str) -> PageResponse {
    env.page(&format!("/pay/{id}"), None).await
}

/// A card form for the page of a session never changed since it was created (version 1).
fn card_form(token: &str) -> [(&'static str, &str); 7] {
    [
        ("method", "card"),
        ("token", token),
        ("version", "1"),
        ("cardNumber", "4242424242424242"),
        ("cardExpiry", "12/34"),
        ("cardCvc", "123"),
        ("cardName", "Jane Payer"),
    ]
}

async fn pay(env: &TestEnv, id: &str, token: &str) -> PageResponse {
    env.page(&format!("/pay/{id}"), Some(&card_form(token)))
        .await
}

async fn stored_status(env: &TestEnv, id: &str) -> String {
    env.app
        .store
        .get_session(&SessionId::from_stored(id))
        .await
        .expect("a read")
        .expect("the session")
        .status
        .as_str()
        .to_owned()
}

async fn create_raw(env: &TestEnv, key: &str, body: &str) -> integration_tests::ApiResponse {
    env.create_call(
        Call::event("create-session")
            .key(Some(key))
            .header("idempotency-key", None)
            .raw_body(body.as_bytes().to_vec()),
    )
    .await
}

fn has_error(body: &Value, field: &str, code: &str) -> bool {
    body["errors"].as_array().is_some_and(|errors| {
        errors
            .iter()
            .any(|e| e["field"] == field && e["code"] == code)
    })
}

#[tokio::test]
async fn urls_whose_host_could_carry_a_policy_directive_are_refused_and_write_nothing() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let before = env.item_count().await;
    for host in [
        "a.example;frame-ancestors",
        "a.example,b.example",
        "a'b.example",
        "a*b.example",
        "a%3Bb.example",
        "a_b.example",
        "[::1]",
    ] {
        for field in ["successUrl", "cancelUrl", "webhookUrl"] {
            let body = json!({ "amount": "1.00", field: format!("https://{host}/") });
            let response = env.create(&key, &body).await;
            assert_eq!(response.status, 400, "{body} → {:?}", response.body);
            assert!(
                has_error(&response.body, field, "invalid_url"),
                "{body} → {:?}",
                response.body
            );
        }
    }
    assert_eq!(env.item_count().await, before, "nothing written");

    let operator = env.app.store.clone();
    let refused = checkoutctl::merchants::create_merchant(
        &operator,
        MerchantOptions {
            name: "Injected".into(),
            success_url: Some("https://a.example;frame-ancestors/".into()),
            ..MerchantOptions::default()
        },
    )
    .await;
    assert!(refused.is_err(), "checkoutctl --success-url refuses it too");
}

#[tokio::test]
async fn the_page_policy_has_exactly_its_directives_and_the_redirect_origins() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let created = env
        .create(
            &key,
            &json!({
                "amount": "1.00",
                "successUrl": "https://Shop.Example:8443/ok;x,y'z?a=;b",
                "cancelUrl": "https://attacker.example/",
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let page = open(&env, created.body["id"].as_str().expect("an id")).await;
    assert_eq!(page.status, 200);
    let policy = page.header("content-security-policy").expect("a policy");
    let names: Vec<&str> = policy
        .split(';')
        .filter_map(|d| d.split_whitespace().next())
        .collect();
    assert_eq!(
        names,
        [
            "default-src",
            "script-src",
            "style-src",
            "img-src",
            "form-action",
            "frame-ancestors",
            "base-uri"
        ]
    );
    assert!(
        policy.contains(
            "form-action 'self' https://attacker.example https://shop.example:8443; frame-ancestors 'none'"
        ),
        "{policy}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_same_key_refunds_racing_all_get_the_first_answer_in_fifteen_rounds() {
    const RACERS: usize = 30;
    const ROUNDS: usize = 15;
    let env = Arc::new(TestEnv::new().await);
    let key = env.merchant().await.api_key;
    for round in 0..ROUNDS {
        let id = paid_session(&env, &key, "20.00").await;
        let idempotency_key = format!("refund-round-{round}");
        let race = integration_tests::race(RACERS, |_| {
            let (env, key, id, idem) = (
                Arc::clone(&env),
                key.clone(),
                id.clone(),
                idempotency_key.clone(),
            );
            async move { env.refund(&key, &id, Some(&idem)).await }
        })
        .await;
        assert!(
            race.peak_in_flight >= 6,
            "round {round}: peak {}",
            race.peak_in_flight
        );
        let responses = race.answers;
        let statuses: Vec<(u16, Option<String>)> = responses
            .iter()
            .map(|r| (r.status, r.body["code"].as_str().map(str::to_owned)))
            .collect();
        assert!(
            responses.iter().all(|r| r.status == 200),
            "round {round}: {statuses:?}"
        );
        assert!(
            responses.iter().all(|r| r.body == responses[0].body),
            "round {round}: one answer for all"
        );
        let first_answers = responses
            .iter()
            .filter(|r| r.header("idempotent-replayed").is_none())
            .count();
        assert_eq!(
            first_answers, 1,
            "round {round}: one refund, the rest replays"
        );
        assert_eq!(stored_status(&env, &id).await, "refunded");
        let events = env
            .events(
                &key,
                &[("sessionId", &id), ("type", "checkout.session.refunded")],
            )
            .await;
        assert_eq!(events.body["data"].as_array().map(Vec::len), Some(1));
    }
}

#[tokio::test]
async fn metadata_numbers_outside_the_documented_range_are_a_400_and_write_nothing() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let before = env.item_count().await;
    for number in [
        "1e300",
        "-1e200",
        "1e126",
        "1e125",
        "1e-131",
        "1e-300",
        "9007199254740992",
        "-9007199254740992",
        "18446744073709551615",
    ] {
        let body = format!(r#"{{"amount": "1.00", "metadata": {{"n": {number}}}}}"#);
        let response = create_raw(&env, &key, &body).await;
        assert_eq!(response.status, 400, "{number} → {:?}", response.body);
        assert!(
            has_error(&response.body, "metadata.n", "number_out_of_range"),
            "{number} → {:?}",
            response.body
        );
    }
    assert_eq!(env.item_count().await, before, "nothing written");

    let body = r#"{"amount": "1.00", "metadata": {"max": 9007199254740991, "min": -9007199254740991,
        "small": 1.5e-9, "price": 12.34, "zero": 0, "neg": -0.25}}"#;
    let created = create_raw(&env, &key, body).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let read = env
        .get(&key, created.body["id"].as_str().expect("an id"))
        .await;
    assert_eq!(
        read.body["metadata"],
        json!({"max": 9007199254740991_i64, "min": -9007199254740991_i64,
               "small": 1.5e-9, "price": 12.34, "zero": 0, "neg": -0.25})
    );
}

#[tokio::test]
async fn a_deactivated_merchants_page_takes_no_payment_and_writes_nothing() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let created = env
        .create(&merchant.api_key, &json!({"amount": "5.00"}))
        .await;
    let id = created.body["id"].as_str().expect("an id").to_owned();
    let token = open(&env, &id).await.token();
    assert!(!token.is_empty());
    assert!(
        env.app
            .store
            .set_merchant_active(&merchant.merchant_id, false)
            .await
            .expect("deactivated")
    );
    let before = env.item_count().await;

    let page = open(&env, &id).await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page.body.contains("cannot take payments"), "{}", page.body);
    assert!(
        !page.body.contains("name=\"cardNumber\""),
        "no payment form"
    );
    assert!(!page.body.contains("<form"), "no form at all");

    let paid = pay(&env, &id, &token).await;
    assert_eq!(paid.status, 503, "{}", paid.body);
    assert!(paid.body.contains("cannot take payments"));
    let cancelled = env
        .page(
            &format!("/pay/{id}/cancel"),
            Some(&[("token", token.as_str())]),
        )
        .await;
    assert_eq!(cancelled.status, 503);
    assert_eq!(stored_status(&env, &id).await, "pending");
    assert_eq!(env.item_count().await, before, "nothing written");

    assert!(
        env.app
            .store
            .set_merchant_active(&merchant.merchant_id, true)
            .await
            .expect("reactivated")
    );
    assert_eq!(pay(&env, &id, &token).await.status, 303, "payable again");
}

/// The test-mode processor, except that the merchant is switched off while the charge runs.
struct DeactivatingProcessor {
    env: Arc<TestEnv>,
    merchant_id: MerchantId,
}

impl PaymentProcessor for DeactivatingProcessor {
    async fn charge(&self, request: &ChargeRequest<'_>) -> ChargeOutcome {
        self.env
            .app
            .store
            .set_merchant_active(&self.merchant_id, false)
            .await
            .expect("deactivated");
        self.env.processor().charge(request).await
    }

    async fn authenticated(&self, awaiting: &PaymentDetails, passed: bool) -> ChargeOutcome {
        self.env.processor().authenticated(awaiting, passed).await
    }

    fn quote(&self, amount: Amount, currency: Currency, asset: CryptoAsset) -> CryptoQuote {
        self.env.processor().quote(amount, currency, asset)
    }

    async fn settlement(&self, request: &SettlementRequest<'_>) -> Option<Settlement> {
        self.env.processor().settlement(request).await
    }
}

#[tokio::test]
async fn a_merchant_deactivated_during_the_charge_gets_no_payment_recorded() {
    let env = Arc::new(TestEnv::new().await);
    let merchant = env.merchant().await;
    let created = env
        .create(&merchant.api_key, &json!({"amount": "5.00"}))
        .await;
    let id = created.body["id"].as_str().expect("an id").to_owned();
    let token = open(&env, &id).await.token();
    let processor = DeactivatingProcessor {
        env: Arc::clone(&env),
        merchant_id: merchant.merchant_id.clone(),
    };
    let request = integration_tests::page_request(&format!("/pay/{id}"), Some(&card_form(&token)));
    let response = checkout_page::handle(&env.app, &processor, request).await;
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(stored_status(&env, &id).await, "pending");
}

#[tokio::test]
async fn smaller_findings_are_each_reported_on_their_field() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let before = env.item_count().await;
    for duration in [
        "PT4294967356S",
        "PT9999999999M",
        "PT99999999999999999999S",
        "P4294967296D",
    ] {
        let response = env
            .create(&key, &json!({"amount": "1.00", "expiresIn": duration}))
            .await;
        assert!(
            has_error(&response.body, "expiresIn", "expiry_too_late"),
            "{duration} → {:?}",
            response.body
        );
    }
    for order_id in [
        "a\u{202E}b",
        "a\u{200B}b",
        "\u{FEFF}order",
        "   ",
        "\u{2028}",
        "a\u{00AD}",
    ] {
        let response = env
            .create(&key, &json!({"amount": "1.00", "orderId": order_id}))
            .await;
        assert!(
            has_error(&response.body, "orderId", "invalid_characters"),
            "{order_id:?} → {:?}",
            response.body
        );
    }
    let response = env
        .create(&key, &json!({"amount": "abc", "currency": "XYZ"}))
        .await;
    assert!(response.error_fields().contains(&"currency".to_owned()));
    assert!(
        has_error(&response.body, "amount", "invalid_amount"),
        "{:?}",
        response.body
    );
    let response = env
        .create(
            &key,
            &json!({"currency": "XYZ", "lineItems": [{"name": "Tea", "unitAmount": "1,00", "quantity": 1}]}),
        )
        .await;
    assert!(
        has_error(&response.body, "lineItems[0].unitAmount", "invalid_amount"),
        "{:?}",
        response.body
    );
    assert_eq!(env.item_count().await, before, "nothing written");
}

#[tokio::test]
async fn successful_answers_carry_the_rate_limit_headers() {
    let mut env = TestEnv::new().await;
    env.app.config.rate_limits = true;
    let key = env
        .merchant_with(MerchantOptions {
            name: "Paced Shop".into(),
            success_url: Some("https://shop.example/ok".into()),
            cancel_url: Some("https://shop.example/no".into()),
            rate_limit: Some(25),
            ..MerchantOptions::default()
        })
        .await
        .api_key;
    let created = env.create(&key, &json!({"amount": "1.00"})).await;
    assert_eq!(created.status, 201);
    assert_eq!(created.header("ratelimit-limit"), Some("25"));
    assert_eq!(created.header("ratelimit-remaining"), Some("24"));
    assert_eq!(created.header("ratelimit-reset"), Some("1"));
    let id = created.body["id"].as_str().expect("an id");
    let read = env.get(&key, id).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("ratelimit-remaining"), Some("23"));
    let missing = env.get(&key, "cs_doesnotexist0000000000000000").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("ratelimit-limit"), Some("25"));
    assert_eq!(missing.header("ratelimit-remaining"), Some("22"));
    for response in [
        env.list(&key, &[]).await,
        env.cancel(&key, id).await,
        env.events(&key, &[]).await,
        env.token(&key).await,
    ] {
        assert!(response.status < 300, "{:?}", response.body);
        assert_eq!(response.header("ratelimit-limit"), Some("25"));
        assert!(response.header("ratelimit-remaining").is_some());
    }
}
