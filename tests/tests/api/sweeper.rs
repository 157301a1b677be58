//! The expiry sweeper, and the race of every way a session can end.

use std::collections::HashMap;
use std::sync::Arc;

use checkout_domain::ids::SessionId;
use integration_tests::{ApiResponse, TestEnv};
use serde_json::json;

async fn pending_sessions(
    env: &TestEnv,
    key: &str,
    count: usize,
    body: serde_json::Value,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let mut body = body.clone();
        body["orderId"] = json!(format!("order-{i}"));
        let response = env.create(key, &body).await;
        assert_eq!(response.status, 201, "{:?}", response.body);
        ids.push(response.body["id"].as_str().expect("an id").to_owned());
    }
    ids
}

async fn all_events(env: &TestEnv, key: &str) -> Vec<serde_json::Value> {
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut params = vec![("limit", "100")];
        if let Some(cursor) = &cursor {
            params.push(("cursor", cursor.as_str()));
        }
        let page = env.events(key, &params).await;
        events.extend(page.body["data"].as_array().cloned().unwrap_or_default());
        match page.body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return events,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sweep_expires_every_due_session_with_its_event_and_frees_its_order_id() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let due = pending_sessions(
        &env,
        &key,
        120,
        json!({"amount": "10.00", "expiresIn": "PT1M"}),
    )
    .await;
    let later = env
        .create(&key, &json!({"amount": "10.00", "expiresIn": "PT1H"}))
        .await;
    env.clock.advance(time::Duration::minutes(2));

    let report = env.sweep().await;
    assert_eq!(report["expired"], 120, "{report}");
    assert_eq!(report["complete"], true);
    assert_eq!(
        env.sweep().await["expired"],
        0,
        "a second sweep finds nothing"
    );

    for id in due.iter().take(5) {
        let session = env.get(&key, id).await;
        assert_eq!(session.body["status"], "expired");
    }
    assert_eq!(
        env.get(&key, later.body["id"].as_str().expect("an id"))
            .await
            .body["status"],
        "pending"
    );
    let events = all_events(&env, &key).await;
    assert_eq!(events.len(), 120);
    assert!(
        events
            .iter()
            .all(|e| e["type"] == "checkout.session.expired")
    );
    let reused = env
        .create(&key, &json!({"amount": "10.00", "orderId": "order-7"}))
        .await;
    assert_eq!(reused.status, 201, "the swept session's order id is free");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_sessions_racing_cancel_expire_and_two_sweepers_each_get_exactly_one_event() {
    let env = Arc::new(TestEnv::new().await);
    let key = env.merchant().await.api_key;
    let ids = pending_sessions(
        &env,
        &key,
        200,
        json!({"amount": "10.00", "expiresIn": "PT1M"}),
    )
    .await;
    // The sweepers see every session as due; the API callers still see them as pending.
    let sweeper_app = env.app_at(time::Duration::minutes(2));

    // Bounded so that the one-JVM emulator on two cores keeps up; the race stays real.
    let permits = Arc::new(tokio::sync::Semaphore::new(48));
    let mut tasks = Vec::new();
    for sweeper in 0..2 {
        let app = sweeper_app.clone();
        tasks.push(tokio::spawn(async move {
            let report = checkout_api::service::sweeper::sweep(&app, app.now(), None)
                .await
                .expect("a sweep");
            (format!("sweeper-{sweeper}"), report.expired)
        }));
    }
    for id in &ids {
        for action in ["cancel", "expire"] {
            let (env, key, id) = (Arc::clone(&env), key.clone(), id.clone());
            let permits = Arc::clone(&permits);
            tasks.push(tokio::spawn(async move {
                let _permit = permits.acquire_owned().await.expect("open");
                let response: ApiResponse = if action == "cancel" {
                    env.cancel(&key, &id).await
                } else {
                    env.expire(&key, &id).await
                };
                assert!(matches!(response.status, 200 | 409), "{:?}", response.body);
                (action.to_owned(), usize::from(response.status == 200))
            }));
        }
    }
    let mut wins: HashMap<String, usize> = HashMap::new();
    for task in tasks {
        let (who, won) = task.await.expect("the task finished");
        *wins.entry(who).or_default() += won;
    }
    assert_eq!(
        wins.values().sum::<usize>(),
        200,
        "exactly one winner per session: {wins:?}"
    );

    let events = all_events(&env, &key).await;
    assert_eq!(events.len(), 200, "none lost, none doubled");
    let mut per_session: HashMap<String, Vec<String>> = HashMap::new();
    for event in &events {
        per_session
            .entry(event["sessionId"].as_str().expect("a session").to_owned())
            .or_default()
            .push(event["type"].as_str().expect("a type").to_owned());
    }
    for id in &ids {
        let kinds = per_session.get(id).cloned().unwrap_or_default();
        assert_eq!(kinds.len(), 1, "{id}: {kinds:?}");
        let status = env.get(&key, id).await.body["status"]
            .as_str()
            .expect("a status")
            .to_owned();
        assert_eq!(
            kinds[0],
            format!("checkout.session.{status}"),
            "the event matches the final state"
        );
    }
}

#[tokio::test]
async fn the_sweeper_stops_near_its_deadline_and_the_next_run_continues() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let ids = pending_sessions(
        &env,
        &key,
        3,
        json!({"amount": "5.00", "expiresIn": "PT1M"}),
    )
    .await;
    env.clock.advance(time::Duration::minutes(2));
    let near = integration_tests::context_ending_in(std::time::Duration::from_secs(5));
    let report = env.sweep_in(near).await;
    assert_eq!(
        (report["expired"].as_u64(), report["complete"].as_bool()),
        (Some(0), Some(false)),
        "{report}"
    );
    let stored = env
        .app
        .store
        .get_session(&SessionId::from_stored(&ids[0]))
        .await
        .expect("a read");
    assert_eq!(
        stored.map(|s| s.status.as_str()),
        Some("pending"),
        "nothing written"
    );
    let report = env.sweep().await;
    assert_eq!(
        (report["expired"].as_u64(), report["complete"].as_bool()),
        (Some(3), Some(true)),
        "{report}"
    );
}
