//! Updating an open session (SPEC §17): a merge patch checked like a create, only while pending,
//! and never a payment for an amount its payer did not see.

use std::sync::Arc;

use checkout_api::payments::{
    ChargeOutcome, ChargeRequest, CryptoQuote, PaymentProcessor, Settlement, SettlementRequest,
};
use checkout_domain::money::{Amount, Currency};
use checkout_domain::session::PaymentDetails;
use checkout_domain::values::CryptoAsset;
use integration_tests::{Call, TestEnv};
use serde_json::{Value, json};

/// A processor during whose charge the merchant changes the session: the payer's page was read
/// at the old version, the payment is written after the change.
struct PatchingProcessor {
    env: Arc<TestEnv>,
    key: String,
}

impl PaymentProcessor for PatchingProcessor {
    async fn charge(&self, request: &ChargeRequest<'_>) -> ChargeOutcome {
        let id = request.session_id.as_str();
        let patched = self
            .env
            .update(&self.key, id, &json!({"amount": "20.00"}))
            .await;
        assert_eq!(patched.status, 200, "{}", patched.body);
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

fn card_form<'a>(token: &'a str, version: &'a str) -> [(&'static str, &'a str); 6] {
    [
        ("method", "card"),
        ("token", token),
        ("version", version),
        ("cardNumber", "4242424242424242"),
        ("cardExpiry", "12/34"),
        ("cardCvc", "123"),
    ]
}

#[tokio::test]
async fn a_patch_changes_what_it_names_and_merges_metadata_and_customer() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = env
        .created_id(
            &key,
            &json!({
                "amount": "10.00",
                "description": "Old",
                "customer": {"email": "jane@example.com", "name": "Jane"},
                "metadata": {"cart": "c-1", "coupon": "X"}
            }),
        )
        .await;
    let created = env.get(&key, &id).await.body;
    env.clock.advance(time::Duration::seconds(5));
    let updated = env
        .update(
            &key,
            &id,
            &json!({
                "amount": "25.00",
                "description": null,
                "customer": {"name": null, "id": "cus_1"},
                "metadata": {"coupon": null, "gift": true},
                "currency": "usd"
            }),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    let session = &updated.body;
    assert_eq!(session["amount"], "25.00");
    assert_ne!(session["fee"], created["fee"], "the fee follows the amount");
    assert_eq!(session["description"], Value::Null);
    assert_eq!(
        session["customer"],
        json!({"email": "jane@example.com", "id": "cus_1"})
    );
    assert_eq!(session["metadata"], json!({"cart": "c-1", "gift": true}));
    assert_eq!(session["version"], 2);
    assert_ne!(session["updatedAt"], created["updatedAt"]);
    assert_eq!(session["expiresAt"], created["expiresAt"], "unchanged");
    assert_eq!(env.get(&key, &id).await.body, updated.body, "as stored");

    let unchanged = env.update(&key, &id, &json!({})).await;
    assert_eq!(
        unchanged.body["version"], 2,
        "an empty change writes nothing"
    );

    let items = env
        .update(
            &key,
            &id,
            &json!({"lineItems": [{"name": "Tea", "unitAmount": "4.50", "quantity": 3}]}),
        )
        .await;
    assert_eq!(items.body["amount"], "13.50", "new items set the amount");
    assert_eq!(items.body["version"], 3);
}

#[tokio::test]
async fn bad_patches_name_every_field_and_write_nothing() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = env
        .created_id(
            &key,
            &json!({
                "lineItems": [{"name": "Tea", "unitAmount": "4.50", "quantity": 2}],
                "orderId": "o-1"
            }),
        )
        .await;
    let before = env.data_items().await;
    for (patch, fields) in [
        (json!({"currency": "EUR"}), vec!["currency"]),
        (json!({"orderId": "o-2"}), vec!["orderId"]),
        (
            json!({"paymentMethods": ["crypto"]}),
            vec!["paymentMethods"],
        ),
        (json!({"colour": "red"}), vec!["colour"]),
        (json!({"amount": "10.00"}), vec!["amount"]),
        (json!({"amount": "1.234"}), vec!["amount"]),
        (json!({"expiresIn": "PT30S"}), vec!["expiresIn"]),
        (json!({"expiresIn": "P32D"}), vec!["expiresIn"]),
        (
            json!({"expiresAt": "2027-06-01T00:00:00Z"}),
            vec!["expiresAt"],
        ),
        (json!({"successUrl": "ftp://x"}), vec!["successUrl"]),
        (json!({"lineItems": []}), vec!["lineItems"]),
        (
            json!({
                "currency": "GBP",
                "customer": {"email": "not-an-email"},
                "metadata": {"k": {"nested": 1}},
                "description": 5
            }),
            vec!["currency", "customer.email", "metadata.k", "description"],
        ),
    ] {
        let refused = env.update(&key, &id, &patch).await;
        assert_eq!(refused.status, 400, "{patch}: {}", refused.body);
        let mut got = refused.error_fields();
        got.sort();
        let mut want: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        want.sort();
        assert_eq!(got, want, "{patch}: {}", refused.body);
    }
    assert_eq!(env.data_items().await, before, "nothing written");
    let same = env
        .update(&key, &id, &json!({"currency": "USD", "orderId": "o-1"}))
        .await;
    assert_eq!(
        same.status, 200,
        "fixed fields sent back unchanged are fine"
    );

    let text = Call::event("update-session")
        .key(Some(&key))
        .id(&id)
        .header("content-type", Some("text/plain"))
        .into_request();
    let response =
        integration_tests::ApiResponse::from_response(update_session::handle(&env.app, text).await);
    assert_eq!(response.status, 415);
}

#[tokio::test]
async fn only_a_pending_session_of_ones_own_changes() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let other = env.merchant().await.api_key;
    let id = env.created_id(&key, &json!({"amount": "5.00"})).await;
    assert_eq!(
        env.update(&other, &id, &json!({"amount": "6.00"}))
            .await
            .status,
        404
    );
    env.pay_card(&id, "4242424242424242").await;
    let paid = env.update(&key, &id, &json!({"amount": "6.00"})).await;
    assert_eq!(paid.status, 409);
    assert_eq!(paid.body["currentStatus"], "completed");

    let short = env
        .created_id(&key, &json!({"amount": "5.00", "expiresIn": "PT2M"}))
        .await;
    env.clock.advance(time::Duration::minutes(3));
    let lapsed = env
        .update(&key, &short, &json!({"expiresIn": "PT1H"}))
        .await;
    assert_eq!(
        lapsed.status, 409,
        "a lapsed session cannot be brought back"
    );
    assert_eq!(lapsed.body["currentStatus"], "expired");
}

/// The TTL of the (only) item whose sort key is `sk`.
async fn ttl_of(env: &TestEnv, sk: &str) -> String {
    env.items()
        .await
        .into_iter()
        .find(|item| item["sk"].as_s().is_ok_and(|s| s == sk))
        .and_then(|item| item["ttl"].as_n().ok().cloned())
        .expect("an item")
}

#[tokio::test]
async fn a_new_expiry_moves_the_sweeper_and_the_order_ids_retention() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = env
        .created_id(
            &key,
            &json!({"amount": "5.00", "expiresIn": "PT10M", "orderId": "o-later"}),
        )
        .await;
    let longer = env.update(&key, &id, &json!({"expiresIn": "PT2H"})).await;
    assert_eq!(longer.status, 200, "{}", longer.body);
    env.clock.advance(time::Duration::minutes(30));
    assert_eq!(env.sweep().await["expired"], 0, "not due any more");
    assert_eq!(env.get(&key, &id).await.body["status"], "pending");
    let reservation_ttl = ttl_of(&env, "ORDER").await;
    let session_ttl = ttl_of(&env, "SESSION").await;
    assert_eq!(
        reservation_ttl, session_ttl,
        "the order id lives as long as its session"
    );

    let sooner = env.update(&key, &id, &json!({"expiresIn": "PT1M"})).await;
    assert_eq!(sooner.status, 200);
    env.clock.advance(time::Duration::minutes(2));
    assert_eq!(env.sweep().await["expired"], 1);
}

#[tokio::test]
async fn the_page_of_an_older_version_pays_nothing_and_shows_the_new_amount() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = env.created_id(&key, &json!({"amount": "10.00"})).await;
    let path = format!("/pay/{id}");
    let page = env.page(&path, None).await;
    assert!(page.body.contains(r#"name="version" value="1""#));
    let token = page.token();
    assert_eq!(
        env.update(&key, &id, &json!({"amount": "99.00"}))
            .await
            .status,
        200
    );
    let stale = env.page(&path, Some(&card_form(&token, "1"))).await;
    assert_eq!(stale.status, 409);
    assert!(stale.body.contains("$99.00") && stale.body.contains("updated by the shop"));
    assert!(stale.body.contains(r#"name="version" value="2""#));
    assert_eq!(env.get(&key, &id).await.body["status"], "pending");

    let paid = env.page(&path, Some(&card_form(&token, "2"))).await;
    assert_eq!(paid.status, 303);
    let events = env.events(&key, &[("sessionId", id.as_str())]).await;
    let object = &events.body["data"][0]["data"]["object"];
    assert_eq!(object["amount"], "99.00");
    assert_eq!(
        object["version"], 3,
        "the webhook payload carries the version"
    );
}

#[tokio::test]
async fn a_form_that_names_no_version_pays_nothing_whatever_the_amount() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = env.created_id(&key, &json!({"amount": "10.00"})).await;
    let path = format!("/pay/{id}");
    let token = env.page(&path, None).await.token();
    assert_eq!(
        env.update(&key, &id, &json!({"amount": "990.00"}))
            .await
            .status,
        200
    );
    let before = env.data_items().await;
    let [method, token_field, _, number, expiry, cvc] = card_form(&token, "");
    let no_version = [method, token_field, number, expiry, cvc];
    let mut forms = vec![no_version.to_vec()];
    for version in ["", "2.0", " 2", "two", "-1", "4294967298"] {
        forms.push(card_form(&token, version).to_vec());
    }
    for form in forms {
        let refused = env.page(&path, Some(&form)).await;
        assert_eq!(refused.status, 409, "{form:?}");
        assert!(
            refused.body.contains("$990.00"),
            "the amount to pay is shown"
        );
        assert_eq!(env.data_items().await, before, "{form:?} wrote nothing");
    }
    assert_eq!(env.get(&key, &id).await.body["status"], "pending");
}

#[tokio::test]
async fn a_change_made_while_the_card_is_charged_records_no_payment() {
    let env = Arc::new(TestEnv::new().await);
    let key = env.merchant().await.api_key;
    let id = env.created_id(&key, &json!({"amount": "10.00"})).await;
    let path = format!("/pay/{id}");
    let token = env.page(&path, None).await.token();
    let processor = PatchingProcessor {
        env: env.clone(),
        key: key.clone(),
    };
    let form: Vec<(String, String)> = card_form(&token, "1")
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let session_id = checkout_domain::ids::SessionId::parse(&id).expect("an id");
    let outcome =
        checkout_api::service::hosted_checkout::pay(&env.app, &processor, &session_id, &form)
            .await
            .expect("answered");
    let checkout_api::service::hosted_checkout::PageOutcome::Show(model) = outcome else {
        panic!("the page is shown again, got {outcome:?}");
    };
    assert!(model.notice.is_some(), "with the notice of the change");
    assert_eq!(model.session.version, 2);
    let session = env.get(&key, &id).await.body;
    assert_eq!(session["status"], "pending", "no payment recorded");
    assert_eq!(session["amount"], "20.00");
    assert_eq!(session["payment"], Value::Null);
}

#[tokio::test]
async fn a_patch_racing_payments_never_lets_one_pay_an_amount_not_shown() {
    let env = Arc::new(TestEnv::new().await);
    let key = env.merchant().await.api_key;
    let (mut patched_first, mut paid_first) = (0, 0);
    for round in 0..8 {
        let id = env.created_id(&key, &json!({"amount": "10.00"})).await;
        let path = format!("/pay/{id}");
        let token = env.page(&path, None).await.token();
        let spawn_update = || {
            let (env, key, id) = (env.clone(), key.clone(), id.clone());
            tokio::spawn(async move { env.update(&key, &id, &json!({"amount": "20.00"})).await })
        };
        // Started before the payers in half of the rounds, after them in the other half.
        let early = (round % 2 == 0).then(spawn_update);
        let mut payments = Vec::new();
        for _ in 0..10 {
            let (env, path, token) = (env.clone(), path.clone(), token.clone());
            payments.push(tokio::spawn(async move {
                env.page(&path, Some(&card_form(&token, "1")))
                    .await
                    .left_for_the_shop()
            }));
        }
        let update = early.unwrap_or_else(spawn_update);
        let mut paid = 0;
        for payment in payments {
            paid += usize::from(payment.await.expect("ran"));
        }
        let update = update.await.expect("ran");
        let session = env.get(&key, &id).await.body;
        match session["status"].as_str() {
            Some("completed") => {
                paid_first += 1;
                assert_eq!(paid, 1);
                assert_eq!(session["amount"], "10.00", "paid the amount on the page");
                assert_eq!(update.status, 409);
            }
            Some("pending") => {
                patched_first += 1;
                assert_eq!(paid, 0, "no payment for version 1 after the change");
                assert_eq!(session["amount"], "20.00");
                assert_eq!(update.status, 200);
            }
            other => panic!("unexpected status {other:?}"),
        }
    }
    assert_eq!(patched_first + paid_first, 8);
}
