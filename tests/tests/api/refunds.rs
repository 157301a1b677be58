//! Refunds beyond the happy path: sessions that cannot be refunded, refunds racing without a
//! shared key, and merchants kept apart.

use std::sync::Arc;

use integration_tests::TestEnv;
use serde_json::json;

#[tokio::test]
async fn cancelled_expired_and_failed_sessions_cannot_be_refunded() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let cancelled = env.created_id(&key, &json!({"amount": "8.00"})).await;
    assert_eq!(env.cancel(&key, &cancelled).await.status, 200);
    let expired = env.created_id(&key, &json!({"amount": "8.00"})).await;
    assert_eq!(env.expire(&key, &expired).await.status, 200);
    let failed = env.created_id(&key, &json!({"amount": "8.00"})).await;
    for _ in 0..3 {
        env.pay_card(&failed, "4000000000000002").await;
    }
    let before = env.item_count().await;
    for (id, status) in [
        (&cancelled, "cancelled"),
        (&expired, "expired"),
        (&failed, "failed"),
    ] {
        for idempotency_key in [None, Some("refund-attempt")] {
            let refused = env.refund(&key, id, idempotency_key).await;
            assert_eq!(
                (refused.status, refused.body["code"].as_str()),
                (409, Some("invalid_status")),
                "{status}: {:?}",
                refused.body
            );
            assert!(
                refused.body["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains(status)),
                "the answer names {status}: {:?}",
                refused.body
            );
        }
    }
    assert_eq!(env.item_count().await, before, "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refunds_racing_with_their_own_keys_or_none_refund_once() {
    let env = Arc::new(TestEnv::new().await);
    let key = env.merchant().await.api_key;
    let id = env.created_id(&key, &json!({"amount": "8.00"})).await;
    assert_eq!(env.pay_card(&id, "4242424242424242").await.status, 303);
    let race = integration_tests::race(20, |i| {
        let (env, key, id) = (Arc::clone(&env), key.clone(), id.clone());
        async move {
            let idempotency_key = (i % 2 == 0).then(|| format!("own-key-{i}"));
            env.refund(&key, &id, idempotency_key.as_deref()).await
        }
    })
    .await;
    assert!(race.peak_in_flight >= 4, "peak {}", race.peak_in_flight);
    let statuses: Vec<u16> = race.answers.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        race.answers
            .iter()
            .filter(|r| r.status != 200)
            .all(|r| r.status == 409 && r.body["code"] == "invalid_status"),
        "{statuses:?}"
    );
    let events = env
        .events(
            &key,
            &[("sessionId", &id), ("type", "checkout.session.refunded")],
        )
        .await;
    assert_eq!(events.body["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_merchant_can_neither_refund_nor_see_the_events_of_another() {
    let env = TestEnv::new().await;
    let owner = env.merchant().await.api_key;
    let stranger = env.merchant().await.api_key;
    let id = env.created_id(&owner, &json!({"amount": "8.00"})).await;
    assert_eq!(env.pay_card(&id, "4242424242424242").await.status, 303);

    let refused = env.refund(&stranger, &id, Some("not-mine")).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (404, Some("resource_not_found")),
        "exactly as an unknown id"
    );
    let theirs = env.events(&stranger, &[("sessionId", &id)]).await;
    assert_eq!(theirs.status, 200);
    assert_eq!(theirs.body["data"], json!([]));
    let all_theirs = env.events(&stranger, &[]).await;
    assert_eq!(all_theirs.body["data"], json!([]));

    let own = env.events(&owner, &[("sessionId", &id)]).await;
    assert_eq!(own.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        env.get(&owner, &id).await.body["status"],
        "completed",
        "the stranger's refund changed nothing"
    );
}
