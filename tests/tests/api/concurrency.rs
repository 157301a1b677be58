//! The guarantees that must hold under any race: idempotency, order-id uniqueness, one terminal
//! state. Each test releases 50 requests from 50 tasks together (a barrier) and checks that many of
//! them were in flight at the same moment.

use std::sync::Arc;

use integration_tests::{ApiResponse, Call, TestEnv};
use serde_json::json;

const RACERS: usize = 50;

async fn race<F, Fut>(env: &Arc<TestEnv>, call: F) -> Vec<ApiResponse>
where
    F: Fn(Arc<TestEnv>, usize) -> Fut,
    Fut: std::future::Future<Output = ApiResponse> + Send + 'static,
{
    let race = integration_tests::race(RACERS, |i| call(Arc::clone(env), i)).await;
    assert!(
        race.peak_in_flight >= RACERS / 5,
        "the requests overlapped: at most {} of {RACERS} were in flight at once",
        race.peak_in_flight
    );
    race.answers
}

async fn session_items(env: &TestEnv) -> usize {
    env.items()
        .await
        .iter()
        .filter(|item| {
            item.get("pk")
                .and_then(|v| v.as_s().ok())
                .is_some_and(|pk| pk.starts_with("SESSION#"))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_creates_with_one_idempotency_key_make_one_session() {
    let env = Arc::new(TestEnv::new().await);
    let key = env.merchant().await.api_key;
    let body = json!({"amount": "25.00", "orderId": "order-idem", "description": "one of fifty"});
    let responses = race(&env, |env, _| {
        let (key, body) = (key.clone(), body.clone());
        async move {
            env.create_call(
                Call::event("create-session")
                    .key(Some(&key))
                    .header("idempotency-key", Some("same-key-for-all"))
                    .json(&body),
            )
            .await
        }
    })
    .await;

    assert!(
        responses.iter().all(|r| r.status == 201),
        "{:?}",
        responses.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let first_id = &responses[0].body["id"];
    assert!(
        responses.iter().all(|r| &r.body["id"] == first_id),
        "every response names one session"
    );
    let replays = responses
        .iter()
        .filter(|r| r.header("idempotent-replayed") == Some("true"))
        .count();
    assert_eq!(replays, RACERS - 1, "all but the first are replays");
    assert_eq!(session_items(&env).await, 1);

    let other_body = env
        .create_call(
            Call::event("create-session")
                .key(Some(&key))
                .header("idempotency-key", Some("same-key-for-all"))
                .json(&json!({"amount": "26.00"})),
        )
        .await;
    assert_eq!(
        (other_body.status, other_body.body["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
    assert_eq!(session_items(&env).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_creates_for_one_order_id_let_exactly_one_win() {
    let env = Arc::new(TestEnv::new().await);
    let key = env.merchant().await.api_key;
    let responses = race(&env, |env, i| {
        let key = key.clone();
        async move {
            env.create_call(
                Call::event("create-session")
                    .key(Some(&key))
                    .header("idempotency-key", Some(&format!("distinct-{i}")))
                    .json(&json!({"amount": "10.00", "orderId": "order-contested"})),
            )
            .await
        }
    })
    .await;
    let winners: Vec<_> = responses.iter().filter(|r| r.status == 201).collect();
    assert_eq!(winners.len(), 1);
    let winner_id = winners[0].body["id"].clone();
    let losers: Vec<_> = responses.iter().filter(|r| r.status == 409).collect();
    assert_eq!(losers.len(), RACERS - 1);
    assert!(
        losers
            .iter()
            .all(|r| r.body["code"] == "order_id_in_use" && r.body["sessionId"] == winner_id)
    );
    assert_eq!(session_items(&env).await, 1);

    let winner = winner_id.as_str().expect("an id");
    assert_eq!(env.cancel(&key, winner).await.status, 200);
    let next = env
        .create(
            &key,
            &json!({"amount": "10.00", "orderId": "order-contested"}),
        )
        .await;
    assert_eq!(
        next.status, 201,
        "the order id is free once its session is cancelled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_expires_and_cancels_end_a_session_exactly_once() {
    let env = Arc::new(TestEnv::new().await);
    let key = env.merchant().await.api_key;
    let created = env
        .create(&key, &json!({"amount": "10.00", "orderId": "order-race"}))
        .await;
    let id = created.body["id"].as_str().expect("an id").to_owned();
    let responses = race(&env, |env, i| {
        let (key, id) = (key.clone(), id.clone());
        async move {
            if i % 2 == 0 {
                env.expire(&key, &id).await
            } else {
                env.cancel(&key, &id).await
            }
        }
    })
    .await;
    let winners: Vec<_> = responses.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        responses.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let final_status = winners[0].body["status"].clone();
    assert!(
        responses
            .iter()
            .filter(|r| r.status != 200)
            .all(|r| r.status == 409 && r.body["code"] == "invalid_status")
    );
    assert_eq!(env.get(&key, &id).await.body["status"], final_status);
    let events = env.events(&key, &[("sessionId", &id)]).await;
    assert_eq!(
        events.body["data"].as_array().map(Vec::len),
        Some(1),
        "one change, one event"
    );
    assert_eq!(
        events.body["data"][0]["type"],
        format!(
            "checkout.session.{}",
            final_status.as_str().unwrap_or_default()
        )
    );
    assert_eq!(
        env.create(&key, &json!({"amount": "10.00", "orderId": "order-race"}))
            .await
            .status,
        201,
        "the order id was released with the status change"
    );
}
