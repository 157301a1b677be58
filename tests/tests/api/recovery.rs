//! Recovery URLs (SPEC §17): an expired session comes back once, however often or concurrently
//! its URL is opened, with its order id when that is free.

use std::sync::Arc;

use integration_tests::TestEnv;
use serde_json::{Value, json};

fn recoverable(order_id: &str) -> Value {
    json!({
        "currency": "EUR",
        "orderId": order_id,
        "lineItems": [{"name": "Tea", "unitAmount": "4.50", "quantity": 2}],
        "customer": {"email": "jane@example.com"},
        "metadata": {"cart": "c-1"},
        "expiresIn": "PT20M",
        "afterExpiration": {"recovery": {"enabled": true}}
    })
}

/// The id in a `…/pay/{id}` redirect.
fn redirected_to(page: &integration_tests::PageResponse) -> String {
    let location = page.header("location").expect("a Location");
    location.rsplit('/').next().expect("an id").to_owned()
}

#[tokio::test]
async fn an_expired_session_comes_back_once_with_its_items_and_order_id() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = env.created_id(&key, &recoverable("o-recover")).await;
    assert_eq!(env.get(&key, &id).await.body["recoveryUrl"], Value::Null);
    let expired = env.expire(&key, &id).await;
    assert_eq!(expired.status, 200);
    let url = expired.body["recoveryUrl"]
        .as_str()
        .expect("a recovery URL");
    assert!(url.ends_with(&format!("/pay/{id}/recover")), "{url}");
    let events = env.events(&key, &[("sessionId", id.as_str())]).await;
    assert_eq!(
        events.body["data"][0]["data"]["object"]["recoveryUrl"], url,
        "the expired event carries it"
    );
    let page = env.page(&format!("/pay/{id}"), None).await;
    assert!(
        page.body.contains(&format!("/pay/{id}/recover")),
        "the expired page offers it"
    );

    env.clock.advance(time::Duration::minutes(3));
    let opened = env.page(&format!("/pay/{id}/recover"), None).await;
    assert_eq!(opened.status, 303);
    let new_id = redirected_to(&opened);
    assert_ne!(new_id, id);
    let new = env.get(&key, &new_id).await.body;
    assert_eq!(new["status"], "pending");
    assert_eq!(new["recoveredFrom"], id.as_str());
    assert_eq!(new["orderId"], "o-recover", "the free order id moved to it");
    assert_eq!(new["amount"], "9.00");
    assert_eq!(new["currency"], "EUR");
    assert_eq!(new["lineItems"][0]["name"], "Tea");
    assert_eq!(new["metadata"]["cart"], "c-1");
    assert_eq!(new["customer"]["email"], "jane@example.com");
    assert_eq!(new["version"], 1);
    let lifetime = |s: &Value| {
        let at = |f: &str| {
            checkout_domain::timestamp::Timestamp::parse_rfc3339(s[f].as_str().expect("a time"))
                .expect("RFC 3339")
        };
        at("expiresAt").since(at("createdAt"))
    };
    assert_eq!(
        lifetime(&new),
        time::Duration::minutes(20),
        "a fresh expiry as long"
    );

    let again = env.page(&format!("/pay/{id}/recover"), None).await;
    assert_eq!((again.status, redirected_to(&again)), (303, new_id.clone()));
    let second = env
        .create(&key, &json!({"amount": "1.00", "orderId": "o-recover"}))
        .await;
    assert_eq!(
        (second.status, second.body["sessionId"].as_str()),
        (409, Some(new_id.as_str())),
        "the recovered session holds the order id"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_openings_make_one_session() {
    let env = Arc::new(TestEnv::new().await);
    let key = env.merchant().await.api_key;
    let id = env.created_id(&key, &recoverable("o-race")).await;
    // Past its expiry but not yet written expired: the first opening writes that too.
    env.clock.advance(time::Duration::minutes(21));
    let race = integration_tests::race(50, |_| {
        let (env, id) = (Arc::clone(&env), id.clone());
        async move { env.page(&format!("/pay/{id}/recover"), None).await }
    })
    .await;
    assert!(
        race.peak_in_flight >= 10,
        "they overlapped: {}",
        race.peak_in_flight
    );
    let targets: std::collections::HashSet<String> = race
        .answers
        .iter()
        .map(|page| {
            assert_eq!(page.status, 303, "{}", page.body);
            redirected_to(page)
        })
        .collect();
    assert_eq!(targets.len(), 1, "every opening goes to one session");
    let recovered = env
        .items()
        .await
        .iter()
        .filter(|item| item.contains_key("recoveredFrom"))
        .count();
    assert_eq!(recovered, 1, "one session was made");
    assert_eq!(env.get(&key, &id).await.body["status"], "expired");
}

#[tokio::test]
async fn recovery_needs_to_be_asked_for_and_lasts_thirty_days() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let plain = env.created_id(&key, &json!({"amount": "5.00"})).await;
    assert_eq!(env.expire(&key, &plain).await.status, 200);
    assert_eq!(
        env.page(&format!("/pay/{plain}/recover"), None)
            .await
            .status,
        404
    );

    let open = env.created_id(&key, &recoverable("o-open")).await;
    let page = env.page(&format!("/pay/{open}/recover"), None).await;
    assert_eq!(page.status, 200, "a session still open shows its own page");

    let old = env.created_id(&key, &recoverable("o-old")).await;
    assert_eq!(env.expire(&key, &old).await.status, 200);
    env.clock.advance(time::Duration::days(31));
    assert_eq!(
        env.page(&format!("/pay/{old}/recover"), None).await.status,
        410
    );

    let taken = env.created_id(&key, &recoverable("o-taken")).await;
    assert_eq!(env.expire(&key, &taken).await.status, 200);
    let holder = env
        .create(&key, &json!({"amount": "1.00", "orderId": "o-taken"}))
        .await;
    assert_eq!(holder.status, 201);
    let opened = env.page(&format!("/pay/{taken}/recover"), None).await;
    let new = env.get(&key, &redirected_to(&opened)).await.body;
    assert_eq!(
        new["orderId"],
        Value::Null,
        "a held order id stays with its holder"
    );

    for (body, field) in [
        (
            json!({"amount": "1.00", "afterExpiration": {"recovery": {"enabled": "yes"}}}),
            "afterExpiration.recovery.enabled",
        ),
        (
            json!({"amount": "1.00", "afterExpiration": {"recover": true}}),
            "afterExpiration.recover",
        ),
        (
            json!({"amount": "1.00", "afterExpiration": 1}),
            "afterExpiration",
        ),
    ] {
        let refused = env.create(&key, &body).await;
        assert_eq!(
            (refused.status, refused.error_fields()),
            (400, vec![field.to_owned()]),
            "{body}"
        );
    }
}
