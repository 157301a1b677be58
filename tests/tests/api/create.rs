//! What a merchant gets back from a successful create.

use checkout_domain::timestamp::Timestamp;
use integration_tests::TestEnv;
use serde_json::json;

#[tokio::test]
async fn a_created_session_carries_normalised_money_fees_and_links() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let response = env
        .create(
            &key,
            &json!({
                "amount": "10.5",
                "currency": "usd",
                "orderId": "order_12345",
                "description": "Order #12345",
                "customer": {"email": "jane@example.com", "name": "Jane Doe", "id": "cus_1"},
                "metadata": {"cartId": "c_981", "items": 3, "gift": true},
                "paymentMethods": ["card", "crypto", "card"],
                "allowedAssets": ["USDC"]
            }),
        )
        .await;
    assert_eq!(response.status, 201, "{:?}", response.body);
    let session = &response.body;
    let id = session["id"].as_str().expect("an id");
    assert!(id.starts_with("cs_") && id.len() >= 27);
    assert_eq!(session["object"], "checkout.session");
    assert_eq!(session["status"], "pending");
    assert_eq!(session["amount"], "10.50");
    assert_eq!(session["currency"], "USD");
    assert_eq!(session["fee"], "0.60");
    assert_eq!(session["netAmount"], "9.90");
    assert_eq!(session["orderId"], "order_12345");
    assert_eq!(
        session["metadata"],
        json!({"cartId": "c_981", "items": 3, "gift": true})
    );
    assert_eq!(session["paymentMethods"], json!(["card", "crypto"]));
    assert_eq!(session["allowedAssets"], json!(["USDC"]));
    assert_eq!(session["customer"]["email"], "jane@example.com");
    assert_eq!(
        session["successUrl"],
        "https://shop.example/thanks?session={CHECKOUT_SESSION_ID}"
    );
    assert_eq!(
        session["checkoutUrl"],
        format!("http://127.0.0.1:9000/pay/{id}")
    );
    assert_eq!(session["payment"], serde_json::Value::Null);
    assert_eq!(session["completedAt"], serde_json::Value::Null);
    let reference = session["reference"].as_str().expect("a reference");
    assert_eq!(reference.len(), 9);
    let created = Timestamp::parse_rfc3339(session["createdAt"].as_str().expect("createdAt"));
    let expires = Timestamp::parse_rfc3339(session["expiresAt"].as_str().expect("expiresAt"));
    let lifetime = expires.zip(created).map(|(e, c)| e.since(c));
    assert_eq!(
        lifetime,
        Some(time::Duration::hours(24)),
        "default expiry is 24 hours"
    );

    let read = env.get(&key, id).await;
    assert_eq!(read.status, 200);
    assert_eq!(
        read.body, response.body,
        "a read returns what create returned"
    );
}

#[tokio::test]
async fn json_numbers_are_parsed_exactly_and_line_items_make_the_amount() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let number = env
        .create(&key, &json!({"amount": 1000, "currency": "JPY"}))
        .await;
    assert_eq!(
        (number.status, number.body["amount"].as_str()),
        (201, Some("1000"))
    );
    assert_eq!(number.body["fee"], "59");

    let decimal = env.create(&key, &json!({"amount": 19.99})).await;
    assert_eq!(decimal.body["amount"], "19.99");

    let items = env
        .create(
            &key,
            &json!({"lineItems": [
                {"name": "Tea", "unitAmount": "5.25", "quantity": 2, "productId": "p_tea"},
                {"name": "Cup", "description": "Blue", "unitAmount": 3, "quantity": 1}
            ]}),
        )
        .await;
    assert_eq!(items.status, 201, "{:?}", items.body);
    assert_eq!(items.body["amount"], "13.50");
    assert_eq!(items.body["lineItems"][0]["unitAmount"], "5.25");
    assert_eq!(items.body["lineItems"][1]["unitAmount"], "3.00");

    let matching = env
        .create(
            &key,
            &json!({"amount": "10.50", "lineItems": [{"name": "Tea", "unitAmount": "5.25", "quantity": 2}]}),
        )
        .await;
    assert_eq!(matching.status, 201);
}

#[tokio::test]
async fn expiry_can_be_a_duration_or_an_instant() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let now = env.app.now();
    let in_30 = env
        .create(&key, &json!({"amount": "10.00", "expiresIn": "PT30M"}))
        .await;
    assert_eq!(
        in_30.body["expiresAt"].as_str(),
        Some(now.plus(time::Duration::minutes(30)).to_string().as_str())
    );
    let at = now.plus(time::Duration::days(7));
    let at_instant = env
        .create(
            &key,
            &json!({"amount": "10.00", "expiresAt": at.to_string()}),
        )
        .await;
    assert_eq!(
        at_instant.body["expiresAt"].as_str(),
        Some(at.to_string().as_str())
    );
}

#[tokio::test]
async fn a_merchants_own_fee_schedule_applies() {
    let env = TestEnv::new().await;
    let merchant = env
        .merchant_with(checkoutctl::merchants::MerchantOptions {
            name: "Custom Fees".into(),
            success_url: Some("https://c.example/ok".into()),
            cancel_url: Some("https://c.example/no".into()),
            fee_percent: Some("1.5".into()),
            fee_fixed: Some(10),
            ..Default::default()
        })
        .await;
    let response = env
        .create(&merchant.api_key, &json!({"amount": "100.00"}))
        .await;
    assert_eq!(response.body["fee"], "1.60");
    assert_eq!(response.body["netAmount"], "98.40");
}

fn keyed(key: &str, header: Option<&str>, raw: &str) -> integration_tests::Call {
    integration_tests::Call::event("create-session")
        .key(Some(key))
        .header("idempotency-key", header)
        .raw_body(raw.as_bytes().to_vec())
}

#[tokio::test]
async fn an_idempotency_key_in_the_body_replays_like_the_header_and_must_agree_with_it() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let first = env
        .create_call(keyed(
            &key,
            None,
            r#"{"amount": "10.00", "description": "Tea", "idempotencyKey": "body-key-1"}"#,
        ))
        .await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    assert_eq!(first.header("idempotent-replayed"), None);

    // The same request with its keys in another order, the key moved to the header.
    let reordered = env
        .create_call(keyed(
            &key,
            Some("body-key-1"),
            r#"{"description":"Tea","amount":"10.00"}"#,
        ))
        .await;
    assert_eq!(reordered.status, 201);
    assert_eq!(reordered.header("idempotent-replayed"), Some("true"));
    assert_eq!(reordered.body, first.body);

    let before = env.item_count().await;
    let disagreeing = env
        .create_call(keyed(
            &key,
            Some("header-key"),
            r#"{"amount": "10.00", "idempotencyKey": "body-key-2"}"#,
        ))
        .await;
    assert_eq!(disagreeing.status, 400);
    assert!(
        disagreeing.body["errors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["code"] == "idempotency_key_mismatch")),
        "{:?}",
        disagreeing.body
    );
    let other_body = env
        .create_call(keyed(
            &key,
            None,
            r#"{"amount": "11.00", "idempotencyKey": "body-key-1"}"#,
        ))
        .await;
    assert_eq!(
        (other_body.status, other_body.body["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
    assert_eq!(env.item_count().await, before, "nothing written");
}

#[tokio::test]
async fn an_empty_public_base_url_names_the_host_the_request_came_to() {
    let mut env = TestEnv::new().await;
    env.app.config.public_base_url = String::new();
    let key = env.merchant().await.api_key;
    let response = env
        .create_call(
            integration_tests::Call::event("create-session")
                .key(Some(&key))
                .header("idempotency-key", None)
                .header("host", Some("pay.shop.example"))
                .json(&json!({"amount": "10.00"})),
        )
        .await;
    assert_eq!(response.status, 201);
    let id = response.body["id"].as_str().expect("an id");
    assert_eq!(
        response.body["checkoutUrl"],
        format!("https://pay.shop.example/pay/{id}")
    );
}
