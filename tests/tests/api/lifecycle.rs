//! Expire, cancel, and a pending session whose time has passed.

use integration_tests::{TestEnv, valid_body};
use serde_json::json;

#[tokio::test]
async fn cancel_and_expire_end_a_pending_session_once() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let first = env.create(&key, &valid_body()).await;
    let id = first.body["id"].as_str().expect("an id");
    let cancelled = env.cancel(&key, id).await;
    assert_eq!(cancelled.status, 200);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert!(cancelled.body["cancelledAt"].is_string());
    let again = env.cancel(&key, id).await;
    assert_eq!(
        (again.status, again.body["code"].as_str()),
        (409, Some("invalid_status"))
    );
    assert!(
        again.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("cancelled"))
    );
    assert_eq!(
        again.body["currentStatus"], "cancelled",
        "the status is a field a client can read"
    );
    let expire = env.expire(&key, id).await;
    assert_eq!(
        (expire.status, expire.body["currentStatus"].as_str()),
        (409, Some("cancelled"))
    );

    let second = env.create(&key, &valid_body()).await;
    let id = second.body["id"].as_str().expect("an id");
    let expired = env.expire(&key, id).await;
    assert_eq!(
        (expired.status, expired.body["status"].as_str()),
        (200, Some("expired"))
    );
    assert!(expired.body["expiredAt"].is_string());
    assert_eq!(env.get(&key, id).await.body["status"], "expired");
}

#[tokio::test]
async fn a_pending_session_past_its_expiry_reads_as_expired_before_any_sweep() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let created = env
        .create(&key, &json!({"amount": "10.00", "expiresIn": "PT1M"}))
        .await;
    let id = created.body["id"].as_str().expect("an id");
    env.clock.advance(time::Duration::minutes(2));

    let read = env.get(&key, id).await;
    assert_eq!(read.body["status"], "expired");
    assert_eq!(read.body["expiredAt"], created.body["expiresAt"]);
    let listed = env.list(&key, &[("status", "expired")]).await;
    assert_eq!(listed.body["data"][0]["id"], id);
    assert_eq!(
        env.list(&key, &[("status", "pending")]).await.body["data"],
        json!([])
    );

    let cancel = env.cancel(&key, id).await;
    assert_eq!(
        (cancel.status, cancel.body["code"].as_str()),
        (409, Some("invalid_status"))
    );
    assert!(
        cancel.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("expired"))
    );
    let expire = env.expire(&key, id).await;
    assert_eq!(expire.status, 200, "expire writes what reads already show");
}

#[tokio::test]
async fn an_order_id_is_free_again_once_its_session_ends() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let body = json!({"amount": "10.00", "orderId": "order-7", "expiresIn": "PT5M"});
    let first = env.create(&key, &body).await;
    let first_id = first.body["id"].as_str().expect("an id").to_owned();
    let taken = env.create(&key, &body).await;
    assert_eq!(
        (taken.status, taken.body["code"].as_str()),
        (409, Some("order_id_in_use"))
    );
    assert_eq!(taken.body["sessionId"], first_id.as_str());

    assert_eq!(env.cancel(&key, &first_id).await.status, 200);
    let second = env.create(&key, &body).await;
    assert_eq!(second.status, 201);
    let second_id = second.body["id"].as_str().expect("an id").to_owned();

    // Not swept yet: the lapsed holder is expired on the spot and the order id handed over.
    env.clock.advance(time::Duration::minutes(6));
    let third = env.create(&key, &body).await;
    assert_eq!(third.status, 201, "{:?}", third.body);
    assert_eq!(env.get(&key, &second_id).await.body["status"], "expired");

    // Another merchant's order ids are their own.
    let other = env.merchant().await.api_key;
    assert_eq!(env.create(&other, &body).await.status, 201);
}

#[tokio::test]
async fn a_completed_order_keeps_its_order_id() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let body = json!({"amount": "10.00", "orderId": "order-paid"});
    let first = env.create(&key, &body).await;
    let id = first.body["id"].as_str().expect("an id");
    let paid = env.pay_card(id, "4242424242424242").await;
    assert_eq!(paid.status, 303, "paid on the hosted page");
    env.clock.advance(time::Duration::days(2));
    let retry = env.create(&key, &body).await;
    assert_eq!(
        (retry.status, retry.body["code"].as_str()),
        (409, Some("order_id_in_use"))
    );
}

#[tokio::test]
async fn every_change_moves_the_version_on_and_its_event_carries_it() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let created = env.create(&key, &valid_body()).await;
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["updatedAt"], created.body["createdAt"]);
    let id = created.body["id"].as_str().expect("an id").to_owned();

    env.clock.advance(time::Duration::seconds(5));
    assert_eq!(env.pay_card(&id, "4242424242424242").await.status, 303);
    let paid = env.get(&key, &id).await.body;
    assert_eq!(paid["version"], 2);
    assert_eq!(paid["updatedAt"], paid["completedAt"]);

    env.clock.advance(time::Duration::seconds(5));
    let part = serde_json::json!({"amount": "1.00"});
    assert_eq!(env.create_refund(&key, &id, &part, None).await.status, 201);
    let partly = env.get(&key, &id).await.body;
    assert_eq!(partly["version"], 3);
    assert_ne!(partly["updatedAt"], paid["updatedAt"]);

    let events = env.events(&key, &[("sessionId", id.as_str())]).await;
    let completed = events.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|e| e["type"] == "checkout.session.completed")
        .expect("the payment's event");
    assert_eq!(
        completed["data"]["object"]["version"], 2,
        "the event carries the version it announces"
    );
}
