//! What the table holds: hashes not keys, TTLs on everything that ends, nothing half-written.

use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::{Call, TestEnv, valid_body};

fn text(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

fn number(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
}

#[tokio::test]
async fn keys_are_stored_as_hashes_and_every_session_item_has_a_ttl() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let response = env
        .create_call(
            Call::event("create-session")
                .key(Some(&merchant.api_key))
                .header("idempotency-key", Some("ttl-check"))
                .json(&serde_json::json!({"amount": "10.00", "orderId": "o-ttl", "expiresIn": "PT1H"})),
        )
        .await;
    assert_eq!(response.status, 201);
    let now = env.app.now().unix_seconds();
    let items = env.items().await;
    let dump = format!("{items:?}");
    assert!(
        !dump.contains(&merchant.api_key),
        "the API key is never stored"
    );

    let find = |prefix: &str| {
        items
            .iter()
            .find(|i| text(i, "pk").starts_with(prefix))
            .unwrap_or_else(|| panic!("an item under {prefix}"))
    };
    let day = 86_400;
    let session = find("SESSION#");
    assert_eq!(
        number(session, "ttl"),
        Some(now + 3_600 + 90 * day),
        "expiry + 90 days"
    );
    let idempotency = items
        .iter()
        .find(|i| text(i, "pk").contains("#IDEMPOTENCY#"))
        .expect("an idempotency record");
    assert_eq!(number(idempotency, "ttl"), Some(now + day), "24 hours");
    let reservation = items
        .iter()
        .find(|i| text(i, "pk").contains("#ORDER#"))
        .expect("an order reservation");
    assert_eq!(
        number(reservation, "ttl"),
        number(session, "ttl"),
        "the reservation lives as long as its session"
    );
}

#[tokio::test]
async fn ending_a_session_restamps_its_ttl_and_leaves_the_pending_index() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let created = env.create(&key, &valid_body()).await;
    let id = created.body["id"].as_str().expect("an id");
    env.clock.advance(time::Duration::hours(1));
    assert_eq!(env.cancel(&key, id).await.status, 200);
    let items = env.items().await;
    let session = items
        .iter()
        .find(|i| text(i, "pk") == format!("SESSION#{id}"))
        .expect("the session item");
    assert_eq!(
        number(session, "ttl"),
        Some(env.app.now().unix_seconds() + 90 * 86_400)
    );
    assert!(
        !session.contains_key("gsi3pk"),
        "no longer in the due-by-time index"
    );
}

#[tokio::test]
async fn an_unreachable_dynamodb_is_a_503_that_leaks_nothing() {
    use std::sync::Arc;

    use checkout_api::App;
    use checkout_api::aws_clients::dynamodb_client;
    use checkout_api::config::Config;
    use checkout_domain::clock::SystemClock;
    use checkout_store::Store;
    use integration_tests::ApiResponse;

    // Port 1 on loopback: nothing listens there, so every connection is refused at once.
    let endpoint = "http://127.0.0.1:1";
    let config = Config::local("unreachable", endpoint);
    let store = Store::new(
        dynamodb_client(Some(endpoint)),
        "unreachable",
        config.retention,
    );
    let app = App::new(store, config, Arc::new(SystemClock));
    let request = Call::event("create-session")
        .key(Some("sk_test_anykeywilldo"))
        .json(&valid_body())
        .into_request();
    let response = ApiResponse::from_response(create_session::handle(&app, request).await);
    assert_eq!(response.status, 503);
    assert_eq!(response.header("retry-after"), Some("1"));
    assert_eq!(response.body["code"], "service_unavailable");
    let body = response.body.to_string();
    assert!(
        !body.contains("127.0.0.1") && !body.contains("dispatch"),
        "{body}"
    );
}

#[tokio::test]
async fn no_secret_or_card_data_reaches_the_logs() {
    use integration_tests::captured_logs;

    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let token = env.token(&merchant.api_key).await.body["accessToken"]
        .as_str()
        .expect("a token")
        .to_owned();
    let created = env
        .create(&token, &serde_json::json!({"amount": "10.00"}))
        .await;
    let id = created.body["id"].as_str().expect("an id").to_owned();
    let page = env.page(&format!("/pay/{id}"), None).await;
    let form_token = page.token();
    // A decline and a payment, both logged by the page.
    for number in ["4000000000000002", "4242424242424242"] {
        env.page(
            &format!("/pay/{id}"),
            Some(&[
                ("method", "card"),
                ("token", form_token.as_str()),
                ("version", "1"),
                ("cardNumber", number),
                ("cardExpiry", "12/34"),
                ("cardCvc", "123"),
            ]),
        )
        .await;
    }
    assert_eq!(
        env.get(&merchant.api_key, &id).await.body["status"],
        "completed"
    );
    env.dispatch_scheduled().await;
    // A refused key is logged as refused, without the key.
    env.create("sk_test_wrongwrongwrongwrongwrongwrong", &valid_body())
        .await;

    let logs = captured_logs();
    assert!(logs.contains(&id), "the flow was logged");
    for secret in [
        merchant.api_key.as_str(),
        merchant.webhook_secret.as_str(),
        merchant.webhook_secret.trim_start_matches("whsec_"),
        token.as_str(),
        form_token.as_str(),
        "4242424242424242",
        "4000000000000002",
        "cardCvc",
        "sk_test_wrongwrongwrongwrongwrongwrong",
    ] {
        assert!(!logs.contains(secret), "a log line holds {secret}");
    }
}

/// Puts `item` back as written before the store deflated large texts and stopped storing what
/// keys hold.
async fn put_as_before(env: &TestEnv, item: std::collections::HashMap<String, AttributeValue>) {
    env.app
        .store
        .client()
        .put_item()
        .table_name(env.app.store.table())
        .set_item(Some(item))
        .send()
        .await
        .expect("put");
}

#[tokio::test]
async fn records_and_events_written_before_their_texts_were_deflated_still_read() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let call = || {
        Call::event("create-session")
            .key(Some(&merchant.api_key))
            .header("idempotency-key", Some("written-before"))
            .json(&valid_body())
    };
    let first = env.create_call(call()).await;
    assert_eq!(first.status, 201);
    let id = first.body["id"].as_str().expect("an id").to_owned();
    let items = env.items().await;
    let record = items
        .iter()
        .find(|i| text(i, "pk").contains("#IDEMPOTENCY#"))
        .expect("a record");
    assert!(
        record.contains_key("answer") && !record.contains_key("response"),
        "new records hold the answer deflated"
    );
    let mut before = record.clone();
    before.remove("answer");
    before.remove("status");
    before.insert(
        "response".into(),
        AttributeValue::M(
            [
                ("status".to_owned(), AttributeValue::N("201".into())),
                ("body".to_owned(), AttributeValue::S(first.body.to_string())),
            ]
            .into(),
        ),
    );
    put_as_before(&env, before).await;
    let replay = env.create_call(call()).await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body, first.body);

    assert_eq!(env.cancel(&merchant.api_key, &id).await.status, 200);
    let event = env
        .items()
        .await
        .into_iter()
        .find(|i| text(i, "pk").starts_with("EVENT#"))
        .expect("an event");
    let listed = env.events(&merchant.api_key, &[]).await;
    let data = listed.body["data"][0].clone();
    assert_eq!(data["data"]["object"]["id"], id.as_str());
    let mut before = event.clone();
    let payload = format!(
        r#"{{"id":"{}","type":"checkout.session.cancelled","createdAt":"{}","data":{}}}"#,
        data["id"].as_str().expect("an id"),
        data["createdAt"].as_str().expect("a time"),
        data["data"]
    );
    before.remove("deflated");
    for (name, value) in [
        ("payload", payload.as_str()),
        ("id", data["id"].as_str().expect("an id")),
        ("merchantId", merchant.merchant_id.as_str()),
        ("sessionId", id.as_str()),
    ] {
        before.insert(name.to_owned(), AttributeValue::S(value.to_owned()));
    }
    put_as_before(&env, before).await;
    let relisted = env.events(&merchant.api_key, &[]).await;
    assert_eq!(relisted.status, 200);
    assert_eq!(relisted.body["data"][0], data, "the event reads as it did");
    assert_eq!(
        env.dispatch_stream(data["id"].as_str().expect("an id"))
            .await["batchItemFailures"],
        serde_json::json!([]),
        "and is delivered"
    );
}
