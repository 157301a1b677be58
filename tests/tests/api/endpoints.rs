//! Webhook endpoints and deliveries (SPEC §18): endpoints a merchant runs itself, each event a
//! delivery per target with its own attempts, secret rotation with both signatures, endpoint
//! health, redelivery, the stage-one URL migrating, and fan-out surviving a crash.

use std::sync::Arc;

use checkoutctl::merchants::{MerchantOptions, create_platform};
use integration_tests::{ApiResponse, Call, TestEnv};
use serde_json::{Value, json};

use crate::webhooks::{
    Receiver, advance_to_next_attempt, cancelled_session, event_of, held_receiver,
    merchant_with_hook, verify_independently,
};

async fn create_endpoint(env: &TestEnv, key: &str, url: &str, events: &[&str]) -> Value {
    let created = env
        .call(
            "create-webhook-endpoint",
            key,
            None,
            Some(&json!({"url": url, "enabledEvents": events})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.body
}

async fn endpoint(env: &TestEnv, key: &str, id: &str) -> ApiResponse {
    env.call("get-webhook-endpoint", key, Some(id), None).await
}

async fn event(env: &TestEnv, key: &str, id: &str) -> ApiResponse {
    env.call("get-event", key, Some(id), None).await
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

#[tokio::test]
async fn endpoints_are_created_listed_changed_and_deleted_and_bad_input_writes_nothing() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let before = env.data_items().await;
    let bad = env
        .call(
            "create-webhook-endpoint",
            &key,
            None,
            Some(&json!({
                "url": "ftp://hooks.example/in",
                "enabledEvents": ["checkout.session.paid"],
                "description": 5,
                "secret": "whsec_mine"
            })),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(fields, ["description", "enabledEvents", "secret", "url"]);
    let empty = env
        .call("create-webhook-endpoint", &key, None, Some(&json!({})))
        .await;
    assert_eq!(empty.status, 400);
    let mut fields = empty.error_fields();
    fields.sort();
    assert_eq!(fields, ["enabledEvents", "url"]);
    assert_eq!(env.data_items().await, before, "nothing written");

    let created = create_endpoint(
        &env,
        &key,
        "https://hooks.example/in",
        &["checkout.session.completed", "refund.created"],
    )
    .await;
    let id = id_of(&created);
    assert!(id.starts_with("we_"));
    assert!(
        created["secret"]
            .as_str()
            .is_some_and(|s| s.starts_with("whsec_"))
    );
    assert_eq!(created["status"], "enabled");
    assert_eq!(
        created["enabledEvents"],
        json!(["checkout.session.completed", "refund.created"])
    );

    let listed = env.call("list-webhook-endpoints", &key, None, None).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(1));
    assert!(listed.body["data"][0].get("secret").is_none(), "shown once");
    let one = endpoint(&env, &key, &id).await;
    assert_eq!(
        (one.status, one.body["url"].as_str()),
        (200, Some("https://hooks.example/in"))
    );
    assert!(one.body.get("secret").is_none());

    let patched = env
        .call(
            "update-webhook-endpoint",
            &key,
            Some(&id),
            Some(&json!({"enabledEvents": ["*"], "description": "Orders", "status": "disabled"})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(
        (
            &patched.body["enabledEvents"],
            patched.body["status"].as_str()
        ),
        (&json!(["*"]), Some("disabled"))
    );
    let refused = env
        .call(
            "update-webhook-endpoint",
            &key,
            Some(&id),
            Some(&json!({"status": "paused", "url": "not a url", "enabledEvents": [], "x": 1})),
        )
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.error_fields().len(), 4);
    let nulls = env
        .call(
            "update-webhook-endpoint",
            &key,
            Some(&id),
            Some(&json!({"status": null, "url": null, "enabledEvents": null})),
        )
        .await;
    assert_eq!(
        (nulls.status, nulls.error_fields().len()),
        (400, 3),
        "{}",
        nulls.body
    );
    assert_eq!(
        endpoint(&env, &key, &id).await.body,
        patched.body,
        "unchanged"
    );

    let deleted = env
        .call("delete-webhook-endpoint", &key, Some(&id), None)
        .await;
    assert_eq!(
        (deleted.status, &deleted.body["deleted"]),
        (200, &json!(true))
    );
    assert_eq!(endpoint(&env, &key, &id).await.status, 404);
    assert_eq!(
        env.call("delete-webhook-endpoint", &key, Some(&id), None)
            .await
            .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn at_most_sixteen_endpoints_however_many_creations_race() {
    let env = Arc::new(TestEnv::new().await);
    let key = env.merchant().await.api_key;
    let tasks: Vec<_> = (0..24)
        .map(|n| {
            let (env, key) = (Arc::clone(&env), key.clone());
            tokio::spawn(async move {
                env.call(
                    "create-webhook-endpoint",
                    &key,
                    None,
                    Some(&json!({"url": format!("https://hooks.example/{n}"), "enabledEvents": ["*"]})),
                )
                .await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        let response = task.await.expect("the task ran");
        if response.status == 409 {
            assert_eq!(response.body["code"], "limit_reached");
        }
        statuses.push(response.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        16,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 8);
    let listed = env.call("list-webhook-endpoints", &key, None, None).await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(16));

    // Deleting one makes room for one.
    let first = id_of(&listed.body["data"][0]);
    env.call("delete-webhook-endpoint", &key, Some(&first), None)
        .await;
    create_endpoint(&env, &key, "https://hooks.example/again", &["*"]).await;
}

#[tokio::test]
async fn two_endpoints_with_different_filters_each_get_exactly_their_events() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let paid_hook = Receiver::start(0).await;
    let ended_hook = Receiver::start(0).await;
    let paid = create_endpoint(&env, &key, &paid_hook.url, &["checkout.session.completed"]).await;
    let ended = create_endpoint(
        &env,
        &key,
        &ended_hook.url,
        &["checkout.session.cancelled", "checkout.session.expired"],
    )
    .await;

    let to_pay = env.created_id(&key, &json!({"amount": "9.00"})).await;
    assert_eq!(env.pay_card(&to_pay, "4242424242424242").await.status, 303);
    cancelled_session(&env, &key).await;
    let to_expire = env.created_id(&key, &json!({"amount": "9.00"})).await;
    assert_eq!(env.expire(&key, &to_expire).await.status, 200);
    let report = env.dispatch_scheduled().await;
    assert_eq!(report["delivered"], 3, "{report}");

    let types = |receiver: &Receiver| {
        let mut types: Vec<String> = receiver
            .received()
            .iter()
            .map(|d| {
                let body: Value = serde_json::from_slice(&d.body).expect("JSON");
                body["type"].as_str().unwrap_or_default().to_owned()
            })
            .collect();
        types.sort();
        types
    };
    assert_eq!(types(&paid_hook), ["checkout.session.completed"]);
    assert_eq!(
        types(&ended_hook),
        ["checkout.session.cancelled", "checkout.session.expired"]
    );
    for (receiver, endpoint) in [(&paid_hook, &paid), (&ended_hook, &ended)] {
        for delivery in receiver.received() {
            verify_independently(endpoint["secret"].as_str().expect("a secret"), &delivery);
        }
    }
}

#[tokio::test]
async fn during_a_rotation_each_delivery_verifies_with_the_old_secret_and_the_new_one() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let receiver = Receiver::start(0).await;
    let created = create_endpoint(&env, &key, &receiver.url, &["*"]).await;
    let id = id_of(&created);
    let old = created["secret"].as_str().expect("a secret").to_owned();

    let rotated = env
        .call(
            "rotate-webhook-secret",
            &key,
            Some(&id),
            Some(&json!({"expiresIn": "PT2H"})),
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new = rotated.body["secret"]
        .as_str()
        .expect("a new secret")
        .to_owned();
    assert_ne!(new, old);
    assert!(rotated.body["previousSecretExpiresAt"].is_string());
    let too_long = env
        .call(
            "rotate-webhook-secret",
            &key,
            Some(&id),
            Some(&json!({"expiresIn": "P8D"})),
        )
        .await;
    assert_eq!(too_long.status, 400);

    cancelled_session(&env, &key).await;
    env.dispatch_scheduled().await;
    let during = receiver.received();
    assert_eq!(during.len(), 1);
    assert_eq!(
        during[0].headers["webhook-signature"]
            .to_str()
            .map(|h| h.split(' ').count())
            .ok(),
        Some(2),
        "two signatures, space-separated"
    );
    verify_independently(&old, &during[0]);
    verify_independently(&new, &during[0]);

    env.clock.advance(time::Duration::hours(2));
    cancelled_session(&env, &key).await;
    env.dispatch_scheduled().await;
    let after = receiver.received();
    assert_eq!(after.len(), 2);
    verify_independently(&new, &after[1]);
    let verifier = standardwebhooks::Webhook::new(&old).expect("a secret");
    assert!(
        verifier.verify(&after[1].body, &after[1].headers).is_err(),
        "the old secret no longer signs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_for_a_stretch_gets_the_event_once_and_every_attempt_is_recorded() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let receiver = Receiver::start(4).await;
    let hook = create_endpoint(&env, &key, &receiver.url, &["*"]).await;
    let (session_id, listed) = cancelled_session(&env, &key).await;
    let event_id = id_of(&listed);
    env.dispatch_stream(&event_id).await;
    for _ in 0..4 {
        advance_to_next_attempt(&env, &key, &session_id).await;
        env.dispatch_scheduled().await;
    }
    let shown = event(&env, &key, &event_id).await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.body["deliveryStatus"], "delivered");
    let delivery = &shown.body["deliveries"][0];
    assert_eq!(delivery["endpointId"], hook["id"]);
    assert_eq!(delivery["status"], "delivered");
    assert_eq!(delivery["nextAttemptAt"], Value::Null);
    let codes: Vec<u64> = delivery["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| {
            assert!(a["at"].is_string() && a["durationMs"].is_u64(), "{a}");
            a["statusCode"].as_u64().unwrap_or_default()
        })
        .collect();
    assert_eq!(codes, [503, 503, 503, 503, 200]);
    assert!(
        delivery["attempts"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("503"))
    );
    assert_eq!(delivery["attempts"][4]["error"], Value::Null);

    let received = receiver.received();
    assert_eq!(received.len(), 5);
    assert!(
        received
            .iter()
            .all(|d| d.headers["webhook-id"] == event_id.as_str())
    );
    env.clock.advance(time::Duration::days(4));
    env.dispatch_scheduled().await;
    assert_eq!(receiver.received().len(), 5, "delivered once, never again");
}

/// A receiver answering every request with `status` and the header `extra`.
async fn answering_with_header(status: &'static str, extra: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("http://{}/busy", listener.local_addr().expect("an address"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0u8; 16 * 1024];
            let _ = stream.read(&mut buffer).await;
            let answer = format!(
                "HTTP/1.1 {status}\r\n{extra}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    url
}

#[tokio::test]
async fn retry_after_is_honoured_up_to_an_hour() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let polite = answering_with_header("503 Service Unavailable", "retry-after: 120").await;
    let greedy = answering_with_header("429 Too Many Requests", "retry-after: 86400").await;
    create_endpoint(&env, &key, &polite, &["*"]).await;
    create_endpoint(&env, &key, &greedy, &["*"]).await;
    let (_, listed) = cancelled_session(&env, &key).await;
    env.dispatch_stream(&id_of(&listed)).await;
    let shown = event(&env, &key, &id_of(&listed)).await.body;
    let mut waits: Vec<i64> = shown["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| {
            let next = d["nextAttemptAt"]
                .as_str()
                .and_then(checkout_domain::timestamp::Timestamp::parse_rfc3339)
                .expect("due again");
            next.since(env.app.now()).whole_seconds()
        })
        .collect();
    waits.sort_unstable();
    assert_eq!(waits, [120, 3600], "{shown}");
}

#[tokio::test]
async fn gone_disables_the_endpoint_at_once_and_its_reason_is_shown() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let receiver = Receiver::answering(|_| 410).await;
    let id = id_of(&create_endpoint(&env, &key, &receiver.url, &["*"]).await);
    let (_, listed) = cancelled_session(&env, &key).await;
    env.dispatch_stream(&id_of(&listed)).await;
    let disabled = endpoint(&env, &key, &id).await.body;
    assert_eq!(disabled["status"], "disabled");
    assert!(
        disabled["disabledReason"]
            .as_str()
            .is_some_and(|r| r.contains("410"))
    );
    assert_eq!(
        event(&env, &key, &id_of(&listed)).await.body["deliveryStatus"],
        "failed",
        "no retries to a gone endpoint"
    );
    cancelled_session(&env, &key).await;
    env.clock.advance(time::Duration::days(1));
    env.dispatch_scheduled().await;
    assert_eq!(
        receiver.received().len(),
        1,
        "a disabled endpoint gets nothing"
    );

    // Re-enabled by the merchant, it can be sent the event again.
    let enabled = env
        .call(
            "update-webhook-endpoint",
            &key,
            Some(&id),
            Some(&json!({"status": "enabled"})),
        )
        .await;
    assert_eq!(
        (enabled.status, &enabled.body["disabledReason"]),
        (200, &Value::Null)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_failing_everything_for_three_days_is_disabled() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let receiver = Receiver::answering(|_| 500).await;
    let id = id_of(&create_endpoint(&env, &key, &receiver.url, &["*"]).await);
    let (session_id, listed) = cancelled_session(&env, &key).await;
    env.dispatch_stream(&id_of(&listed)).await;
    let started = env.app.now();
    while env.app.now().since(started) < time::Duration::days(3) {
        assert_eq!(endpoint(&env, &key, &id).await.body["status"], "enabled");
        advance_to_next_attempt(&env, &key, &session_id).await;
        env.dispatch_scheduled().await;
    }
    let disabled = endpoint(&env, &key, &id).await.body;
    assert_eq!(disabled["status"], "disabled", "{disabled}");
    assert!(
        disabled["disabledReason"]
            .as_str()
            .is_some_and(|r| r.contains("every delivery failed")),
        "{disabled}"
    );
}

#[tokio::test]
async fn a_crash_between_the_event_and_its_deliveries_loses_no_target() {
    let env = TestEnv::new().await;
    let own = Receiver::start(0).await;
    let second = Receiver::start(0).await;
    let session_hook = Receiver::start(0).await;
    let merchant = merchant_with_hook(&env, Some(&own.url)).await;
    create_endpoint(
        &env,
        &merchant.api_key,
        &second.url,
        &["checkout.session.cancelled"],
    )
    .await;
    let id = env
        .created_id(
            &merchant.api_key,
            &json!({"amount": "5.00", "webhookUrl": session_hook.url}),
        )
        .await;
    assert_eq!(env.cancel(&merchant.api_key, &id).await.status, 200);
    let event_id = id_of(&event_of(&env, &merchant.api_key, &id).await);

    env.app.faults.fail_fan_outs(1);
    let batch = env.dispatch_stream(&event_id).await;
    assert_eq!(
        batch["batchItemFailures"].as_array().map(Vec::len),
        Some(1),
        "the stream record is handed back: {batch}"
    );
    assert!(own.received().is_empty() && second.received().is_empty());

    let report = env.dispatch_scheduled().await;
    assert_eq!(report["delivered"], 3, "{report}");
    for receiver in [&own, &second, &session_hook] {
        let received = receiver.received();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].headers["webhook-id"], event_id.as_str());
    }
    assert_eq!(env.dispatch_scheduled().await["attempted"], 0, "once each");
}

#[tokio::test]
async fn a_merchant_redelivers_an_event_to_one_endpoint_and_tests_an_endpoint() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let first = Receiver::start(0).await;
    let second = Receiver::start(0).await;
    create_endpoint(&env, &key, &first.url, &["*"]).await;
    let second_id = id_of(&create_endpoint(&env, &key, &second.url, &["*"]).await);
    let (_, listed) = cancelled_session(&env, &key).await;
    let event_id = id_of(&listed);
    assert_eq!(env.dispatch_scheduled().await["delivered"], 2);

    let queued = env
        .call(
            "redeliver-event",
            &key,
            Some(&event_id),
            Some(&json!({"endpointId": second_id})),
        )
        .await;
    assert_eq!(queued.status, 202, "{}", queued.body);
    assert_eq!(queued.body["deliveryStatus"], "pending");
    assert_eq!(env.dispatch_scheduled().await["delivered"], 1);
    assert_eq!((first.received().len(), second.received().len()), (1, 2));
    let unknown = env
        .call(
            "redeliver-event",
            &key,
            Some(&event_id),
            Some(&json!({"endpointId": "we_000000000000000000000000"})),
        )
        .await;
    assert_eq!(unknown.status, 404);

    let ping = env
        .call("test-webhook-endpoint", &key, Some(&second_id), None)
        .await;
    assert_eq!(ping.status, 202, "{}", ping.body);
    assert_eq!(ping.body["type"], "webhook_endpoint.test");
    env.dispatch_stream(&id_of(&ping.body)).await;
    let received = second.received();
    let body: Value = serde_json::from_slice(&received[2].body).expect("JSON");
    assert_eq!(body["type"], "webhook_endpoint.test");
    assert_eq!(body["data"]["object"]["id"], second_id.as_str());
    assert_eq!(
        first.received().len(),
        1,
        "the test goes to that endpoint alone"
    );
}

#[tokio::test]
async fn the_stage_one_webhook_url_becomes_the_first_endpoint_keeping_its_secret() {
    let env = TestEnv::new().await;
    let merchant = merchant_with_hook(&env, Some("https://legacy.example/hooks")).await;
    let listed = env
        .call("list-webhook-endpoints", &merchant.api_key, None, None)
        .await;
    assert_eq!(listed.status, 200);
    let endpoints = listed.body["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(endpoints.len(), 1, "{}", listed.body);
    assert_eq!(endpoints[0]["url"], "https://legacy.example/hooks");
    assert_eq!(endpoints[0]["enabledEvents"], json!(["*"]));
    let stored = env
        .app
        .store
        .get_merchant(&merchant.merchant_id)
        .await
        .expect("read")
        .expect("the merchant");
    assert_eq!(stored.webhook_url, None, "the URL moved to the endpoint");
    let again = env
        .call("list-webhook-endpoints", &merchant.api_key, None, None)
        .await;
    assert_eq!(again.body["data"], listed.body["data"], "migrated once");
}

#[tokio::test]
async fn other_merchants_and_platforms_get_404_and_read_only_keys_403_writing_nothing() {
    let env = TestEnv::new().await;
    let owner = env.merchant().await.api_key;
    let stranger = env.merchant().await.api_key;
    let hook = create_endpoint(&env, &owner, "https://hooks.example/in", &["*"]).await;
    let endpoint_id = id_of(&hook);
    let (_, listed) = cancelled_session(&env, &owner).await;
    let event_id = id_of(&listed);
    let body = json!({});
    let routes: [(&str, &str, Option<&Value>); 7] = [
        ("get-webhook-endpoint", &endpoint_id, None),
        ("update-webhook-endpoint", &endpoint_id, Some(&body)),
        ("delete-webhook-endpoint", &endpoint_id, None),
        ("rotate-webhook-secret", &endpoint_id, None),
        ("test-webhook-endpoint", &endpoint_id, None),
        ("get-event", &event_id, None),
        ("redeliver-event", &event_id, None),
    ];
    let before = env.data_items().await;
    for (route, id, body) in routes {
        let response = env.call(route, &stranger, Some(id), body).await;
        assert_eq!(response.status, 404, "{route}: {}", response.body);
    }
    let theirs = env
        .call("list-webhook-endpoints", &stranger, None, None)
        .await;
    assert_eq!(theirs.body["data"], json!([]));
    assert_eq!(env.data_items().await, before, "nothing written");

    let read_only = env
        .call(
            "create-api-key",
            &owner,
            None,
            Some(&json!({"name": "Reports", "scope": "read_only"})),
        )
        .await
        .body["secret"]
        .as_str()
        .expect("a key")
        .to_owned();
    let before_read_only = env.data_items().await;
    assert_eq!(endpoint(&env, &read_only, &endpoint_id).await.status, 200);
    assert_eq!(event(&env, &read_only, &event_id).await.status, 200);
    for (route, id, body) in routes
        .iter()
        .filter(|(route, ..)| !route.starts_with("get-"))
    {
        let response = env.call(route, &read_only, Some(id), *body).await;
        assert_eq!(response.status, 403, "{route}: {}", response.body);
        assert_eq!(response.body["code"], "insufficient_scope");
    }
    let create = env
        .call(
            "create-webhook-endpoint",
            &read_only,
            None,
            Some(&json!({"url": "https://hooks.example/x", "enabledEvents": ["*"]})),
        )
        .await;
    assert_eq!(create.status, 403);
    assert_eq!(env.data_items().await, before_read_only, "nothing written");

    // A platform's key acts on its merchants' endpoints only.
    let platform = create_platform(&env.app.store, "Marketplace", env.app.config.stage)
        .await
        .expect("a platform");
    let other = create_platform(&env.app.store, "Other", env.app.config.stage)
        .await
        .expect("a platform");
    let under = |platform_id: &str| MerchantOptions {
        name: "Under".into(),
        platform: Some(platform_id.to_owned()),
        ..MerchantOptions::default()
    };
    let mine = env
        .merchant_with(under(platform.platform_id.as_str()))
        .await;
    let foreign = env.merchant_with(under(other.platform_id.as_str())).await;
    let foreign_hook =
        create_endpoint(&env, &foreign.api_key, "https://hooks.example/f", &["*"]).await;
    let as_platform = |event: &str, merchant: &str| {
        Call::event(event)
            .key(Some(&platform.api_key))
            .header("merchant-id", Some(merchant))
    };
    let made = env
        .call_with(
            "create-webhook-endpoint",
            as_platform("create-webhook-endpoint", mine.merchant_id.as_str())
                .json(&json!({"url": "https://hooks.example/p", "enabledEvents": ["*"]})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let across = env
        .call_with(
            "get-webhook-endpoint",
            as_platform("get-webhook-endpoint", foreign.merchant_id.as_str())
                .id(&id_of(&foreign_hook)),
        )
        .await;
    assert_eq!(across.status, 404);
    let unnamed = env
        .call_with(
            "list-webhook-endpoints",
            Call::event("list-webhook-endpoints").key(Some(&platform.api_key)),
        )
        .await;
    assert_eq!(
        (unnamed.status, &unnamed.body["code"]),
        (400, &json!("merchant_required"))
    );
}

#[tokio::test]
async fn an_endpoint_on_an_internal_address_is_refused_when_saved() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let mut guarded = env.app.clone();
    guarded.config.allow_private_webhook_targets = false;
    let save = |url: &str| {
        let request = Call::event("create-webhook-endpoint")
            .key(Some(&key))
            .json(&json!({"url": url, "enabledEvents": ["*"]}))
            .into_request();
        let guarded = guarded.clone();
        async move { ApiResponse::from_response(webhook_endpoints::handle(&guarded, request).await) }
    };
    let before = env.data_items().await;
    let loopback = save("http://127.0.0.1:4000/hook").await;
    assert_eq!(loopback.body["errors"][0]["code"], "forbidden_target");
    for internal in [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://localhost:4000/hook",
    ] {
        let refused = save(internal).await;
        assert_eq!(refused.status, 400, "{internal}: {}", refused.body);
        assert_eq!(refused.error_fields(), ["url"], "{internal}");
        let said = refused.body.to_string();
        for address in ["127.0.0.1", "::1"] {
            assert!(
                !said.contains(address) || internal.contains(address),
                "{internal}: the answer names {address}: {said}"
            );
        }
    }
    assert_eq!(env.data_items().await, before, "nothing written");
    // A name that does not resolve yet is taken; every call checks it again.
    assert_eq!(save("https://hooks.invalid/checkout").await.status, 201);
}

#[tokio::test]
async fn a_url_carrying_credentials_is_refused_wherever_a_url_is_kept() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let before = env.data_items().await;
    let with_credentials = "https://user:pass@hooks.example/in";
    let endpoint = env
        .call(
            "create-webhook-endpoint",
            &key,
            None,
            Some(&json!({"url": with_credentials, "enabledEvents": ["*"]})),
        )
        .await;
    assert_eq!(endpoint.status, 400, "{}", endpoint.body);
    assert_eq!(endpoint.error_fields(), ["url"]);
    for field in ["successUrl", "cancelUrl", "webhookUrl"] {
        let created = env
            .create(&key, &json!({"amount": "1.00", field: with_credentials}))
            .await;
        assert_eq!(created.status, 400, "{field}");
        assert_eq!(created.error_fields(), [field]);
    }
    let account = env
        .call(
            "update-account",
            &key,
            None,
            Some(&json!({"termsUrl": "https://a:b@shop.example/terms"})),
        )
        .await;
    assert_eq!(account.error_fields(), ["termsUrl"]);
    assert_eq!(env.data_items().await, before, "nothing written");
}

#[tokio::test]
async fn a_required_field_sent_as_null_is_one_error() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let created = env
        .call(
            "create-webhook-endpoint",
            &key,
            None,
            Some(&json!({"url": "https://hooks.example/in", "enabledEvents": null})),
        )
        .await;
    assert_eq!(created.status, 400);
    let errors = created.body["errors"].as_array().expect("errors").clone();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["field"], "enabledEvents");
    assert_eq!(errors[0]["code"], "required");
}

#[tokio::test]
async fn a_double_rotation_keeps_every_secret_signing_until_its_own_overlap_ends() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let receiver = Receiver::start(0).await;
    let created = create_endpoint(&env, &key, &receiver.url, &["*"]).await;
    let id = id_of(&created);
    let first = created["secret"].as_str().expect("a secret").to_owned();
    let rotate = || env.call("rotate-webhook-secret", &key, Some(&id), None);
    let second = rotate().await.body["secret"]
        .as_str()
        .expect("a secret")
        .to_owned();
    let third = rotate().await.body["secret"]
        .as_str()
        .expect("a secret")
        .to_owned();

    cancelled_session(&env, &key).await;
    env.dispatch_scheduled().await;
    let during = receiver.received();
    assert_eq!(during.len(), 1);
    for secret in [&first, &second, &third] {
        verify_independently(secret, &during[0]);
    }

    // Two more fit; a sixth secret signing at once is refused and changes nothing.
    for _ in 0..2 {
        assert_eq!(rotate().await.status, 200);
    }
    let before = env.data_items().await;
    let refused = rotate().await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(env.data_items().await, before);

    env.clock.advance(time::Duration::hours(24));
    assert_eq!(
        rotate().await.status,
        200,
        "once the overlaps end, rotating works again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_target_holds_back_neither_the_record_nor_the_retry_of_the_events_others() {
    let env = Arc::new(TestEnv::new().await);
    let key = env.merchant().await.api_key;
    let (slow_url, mut slow_arrivals, release) = held_receiver().await;
    let (failing_tx, mut failing_arrivals) = tokio::sync::mpsc::unbounded_channel();
    let failing = Receiver::answering(move |_| {
        let _ = failing_tx.send(());
        500
    })
    .await;
    create_endpoint(&env, &key, &slow_url, &["*"]).await;
    let failing_id = id_of(&create_endpoint(&env, &key, &failing.url, &["*"]).await);
    let (_, listed) = cancelled_session(&env, &key).await;
    let event_id = id_of(&listed);

    let first_run = tokio::spawn({
        let env = Arc::clone(&env);
        async move { env.dispatch_scheduled().await }
    });
    let patience = std::time::Duration::from_secs(8);
    for arrivals in [&mut slow_arrivals, &mut failing_arrivals] {
        tokio::time::timeout(patience, arrivals.recv())
            .await
            .expect("both targets are reached");
    }
    // The failure is written while the slow target still answers.
    let recorded = async {
        loop {
            let shown = event(&env, &key, &event_id).await.body;
            let attempts = shown["deliveries"]
                .as_array()
                .and_then(|all| all.iter().find(|d| d["endpointId"] == failing_id.as_str()))
                .and_then(|d| d["attemptCount"].as_u64());
            if attempts == Some(1) {
                return;
            }
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(patience, recorded)
        .await
        .expect("the failed attempt is recorded before the slow one ends");
    // Its retry is due after the first delay of the schedule; another dispatcher sends it.
    env.clock.advance(time::Duration::seconds(6));
    let second = env.dispatch_scheduled().await;
    assert_eq!(second["attempted"], 1, "{second}");
    assert_eq!(
        failing.received().len(),
        2,
        "retried while the slow one still runs"
    );

    release.notify_one();
    let first = first_run.await.expect("the first run ended");
    assert_eq!(first["attempted"], 2, "{first}");
}

#[tokio::test]
async fn the_account_secret_rotates_and_every_replaced_one_signs_until_its_overlap_ends() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let key = &merchant.api_key;
    let receiver = Receiver::start(0).await;
    let rotate = || env.call("rotate-account-webhook-secret", key, None, None);
    let rotated = rotate().await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    assert_eq!(rotated.body["object"], "account_webhook_secret");
    assert!(rotated.body["previousSecretExpiresAt"].is_string());
    let second = rotated.body["secret"]
        .as_str()
        .expect("a secret")
        .to_owned();
    let third = rotate().await.body["secret"]
        .as_str()
        .expect("a secret")
        .to_owned();
    assert!(second != merchant.webhook_secret && third != second);

    let deliver = async |env: &TestEnv| {
        let id = env
            .created_id(key, &json!({"amount": "5.00", "webhookUrl": receiver.url}))
            .await;
        assert_eq!(env.cancel(key, &id).await.status, 200);
        env.dispatch_scheduled().await;
    };
    deliver(&env).await;
    let during = receiver.received();
    assert_eq!(during.len(), 1);
    for secret in [&merchant.webhook_secret, &second, &third] {
        verify_independently(secret, &during[0]);
    }

    env.clock.advance(time::Duration::hours(24));
    deliver(&env).await;
    let after = receiver.received();
    verify_independently(&third, &after[1]);
    let first = standardwebhooks::Webhook::new(&merchant.webhook_secret).expect("a secret");
    assert!(
        first.verify(&after[1].body, &after[1].headers).is_err(),
        "the replaced secrets stopped with their overlap"
    );

    let bad = env
        .call(
            "rotate-account-webhook-secret",
            key,
            None,
            Some(&json!({"expiresIn": "P8D"})),
        )
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn a_route_no_operation_serves_is_a_404_that_runs_nothing() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let receiver = Receiver::start(0).await;
    let endpoint = id_of(&create_endpoint(&env, &key, &receiver.url, &["*"]).await);
    let key_id = env.call("list-api-keys", &key, None, None).await.body["data"][0]["id"]
        .as_str()
        .expect("a key id")
        .to_owned();
    let before = env.data_items().await;
    for (event, id, path) in [
        (
            "test-webhook-endpoint",
            endpoint.as_str(),
            format!("/v1/webhook_endpoints/{endpoint}/resend"),
        ),
        (
            "roll-api-key",
            key_id.as_str(),
            format!("/v1/api_keys/{key_id}/clone"),
        ),
    ] {
        let mut request = Call::event(event).key(Some(&key)).id(id).into_request();
        *request.uri_mut() = path.parse().expect("a path");
        let answer = match event {
            "roll-api-key" => api_keys::handle(&env.app, request).await,
            _ => webhook_endpoints::handle(&env.app, request).await,
        };
        assert_eq!(answer.status(), 404, "{path}");
    }
    assert_eq!(env.data_items().await, before, "nothing written");
}
