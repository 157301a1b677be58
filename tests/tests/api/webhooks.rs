//! Signed webhooks that cannot be lost: the outbox event of every change, its delivery from the
//! stream, retries on the contract's schedule (driven by the clock, not by sleeping), and the
//! guard against internal targets. Signatures are checked with the independent `standardwebhooks`
//! crate.

use std::sync::{Arc, Mutex};

use checkout_api::webhook::{TargetGuard, WebhookSender};
use checkout_domain::delivery::{JITTER, MAX_ATTEMPTS, RETRY_DELAYS};
use checkout_domain::ids::EventId;
use checkout_domain::timestamp::Timestamp;
use checkoutctl::listener::{Delivery, serve};
use checkoutctl::merchants::{CreatedMerchant, MerchantOptions};
use integration_tests::TestEnv;
use serde_json::{Value, json};

/// A merchant's webhook endpoint that fails its first `fail_first` requests with a 503.
pub(crate) struct Receiver {
    pub(crate) url: String,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
}

impl Receiver {
    pub(crate) async fn start(fail_first: usize) -> Self {
        Self::answering(move |count| if count <= fail_first { 503 } else { 200 }).await
    }

    /// A receiver answering its `n`th request (from 1) with `status(n)`.
    pub(crate) async fn answering(status: impl Fn(usize) -> u16 + Send + Sync + 'static) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let url = format!(
            "http://{}/hooks/checkout",
            listener.local_addr().expect("an address")
        );
        let deliveries = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&deliveries);
        tokio::spawn(serve(listener, move |delivery| {
            let mut seen = seen.lock().expect("not poisoned");
            seen.push(delivery);
            status(seen.len())
        }));
        Self { url, deliveries }
    }

    pub(crate) fn received(&self) -> Vec<Delivery> {
        self.deliveries.lock().expect("not poisoned").clone()
    }
}

pub(crate) async fn merchant_with_hook(env: &TestEnv, url: Option<&str>) -> CreatedMerchant {
    env.merchant_with(MerchantOptions {
        name: "Hooked Shop".into(),
        success_url: Some("https://h.example/ok".into()),
        cancel_url: Some("https://h.example/no".into()),
        webhook_url: url.map(str::to_owned),
        ..MerchantOptions::default()
    })
    .await
}

/// Creates and cancels a session; returns the session id and its event.
pub(crate) async fn cancelled_session(env: &TestEnv, key: &str) -> (String, Value) {
    let created = env.create(key, &json!({"amount": "12.00"})).await;
    let id = created.body["id"].as_str().expect("an id").to_owned();
    assert_eq!(env.cancel(key, &id).await.status, 200);
    let events = env.events(key, &[("sessionId", &id)]).await;
    assert_eq!(events.status, 200, "{:?}", events.body);
    let list = events.body["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 1, "one event per change");
    (id, list[0].clone())
}

pub(crate) async fn event_of(env: &TestEnv, key: &str, session_id: &str) -> Value {
    env.events(key, &[("sessionId", session_id)]).await.body["data"][0].clone()
}

/// Moves the clock to the event's next attempt, which jitter places within a tenth of the
/// schedule's delay.
pub(crate) async fn advance_to_next_attempt(env: &TestEnv, key: &str, session_id: &str) {
    let event = event_of(env, key, session_id).await;
    let next = event["nextAttemptAt"]
        .as_str()
        .and_then(Timestamp::parse_rfc3339)
        .expect("a next attempt");
    env.clock.advance(next.since(env.app.now()));
}

/// Whether `at` is `delay` after now, give or take the jitter.
fn due_after(at: &Value, env: &TestEnv, delay: time::Duration) -> bool {
    let Some(at) = at.as_str().and_then(Timestamp::parse_rfc3339) else {
        return false;
    };
    let wait = at.since(env.app.now()).as_seconds_f64();
    let expected = delay.as_seconds_f64();
    (expected * (1.0 - JITTER)..=expected * (1.0 + JITTER)).contains(&wait)
}

pub(crate) fn verify_independently(secret: &str, delivery: &Delivery) {
    let verifier = standardwebhooks::Webhook::new(secret).expect("a whsec_ secret");
    verifier
        .verify(&delivery.body, &delivery.headers)
        .expect("the signature verifies with the standardwebhooks crate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_for_three_attempts_gets_the_event_on_the_fourth_with_the_same_id() {
    let env = TestEnv::new().await;
    let receiver = Receiver::start(3).await;
    let merchant = merchant_with_hook(&env, Some(&receiver.url)).await;
    let (session_id, event) = cancelled_session(&env, &merchant.api_key).await;
    let event_id = event["id"].as_str().expect("an event id").to_owned();
    assert_eq!(event["type"], "checkout.session.cancelled");
    assert_eq!(event["deliveryStatus"], "pending");
    assert_eq!(event["data"]["object"]["status"], "cancelled");

    // First attempt, from the stream: 503.
    let batch = env.dispatch_stream(&event_id).await;
    assert_eq!(batch["batchItemFailures"], json!([]));
    let after_first = event_of(&env, &merchant.api_key, &session_id).await;
    assert_eq!(
        (
            after_first["attempts"].as_u64(),
            after_first["lastStatusCode"].as_u64()
        ),
        (Some(1), Some(503))
    );
    assert!(
        due_after(&after_first["nextAttemptAt"], &env, RETRY_DELAYS[0]),
        "{after_first}"
    );

    // Nothing is due before its time.
    assert_eq!(env.dispatch_scheduled().await["attempted"], 0);

    // Retries at +5 s and +5 min fail; the one at +30 min lands.
    for (delay, expected) in RETRY_DELAYS[..3]
        .iter()
        .zip(["pending", "pending", "delivered"])
    {
        let pending = event_of(&env, &merchant.api_key, &session_id).await;
        assert!(
            due_after(&pending["nextAttemptAt"], &env, *delay),
            "{pending}"
        );
        advance_to_next_attempt(&env, &merchant.api_key, &session_id).await;
        let report = env.dispatch_scheduled().await;
        assert_eq!(report["attempted"], 1, "{report}");
        assert_eq!(
            event_of(&env, &merchant.api_key, &session_id).await["deliveryStatus"],
            expected
        );
    }
    let delivered = event_of(&env, &merchant.api_key, &session_id).await;
    assert_eq!(delivered["attempts"], 4);
    assert_eq!(delivered["lastStatusCode"], 200);
    assert!(delivered["deliveredAt"].is_string());

    let received = receiver.received();
    assert_eq!(received.len(), 4);
    for delivery in &received {
        assert_eq!(
            delivery.headers["webhook-id"],
            event_id.as_str(),
            "stable across retries"
        );
        verify_independently(&merchant.webhook_secret, delivery);
        let body: Value = serde_json::from_slice(&delivery.body).expect("JSON");
        assert_eq!(body["id"], event_id.as_str());
        assert_eq!(body["type"], "checkout.session.cancelled");
        assert_eq!(body["data"]["object"]["id"], session_id.as_str());
        assert!(body["createdAt"].is_string());
    }
    assert_eq!(
        received[0].body, received[3].body,
        "every attempt sends the same body"
    );

    env.clock.advance(time::Duration::days(2));
    assert_eq!(
        env.dispatch_scheduled().await["attempted"],
        0,
        "a delivered event is never sent again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_last_retry_an_event_is_failed_listable_and_can_be_redelivered() {
    let env = TestEnv::new().await;
    let receiver = Receiver::start(MAX_ATTEMPTS as usize).await;
    let merchant = merchant_with_hook(&env, Some(&receiver.url)).await;
    let (session_id, event) = cancelled_session(&env, &merchant.api_key).await;
    let event_id = event["id"].as_str().expect("an event id").to_owned();
    let created = env.app.now();
    env.dispatch_stream(&event_id).await;
    for _ in RETRY_DELAYS {
        advance_to_next_attempt(&env, &merchant.api_key, &session_id).await;
        assert_eq!(env.dispatch_scheduled().await["attempted"], 1);
    }
    assert!(
        env.app.now().since(created) >= time::Duration::days(3),
        "retries span at least three days"
    );
    let failed = event_of(&env, &merchant.api_key, &session_id).await;
    assert_eq!(
        (
            failed["deliveryStatus"].as_str(),
            failed["attempts"].as_u64()
        ),
        (Some("failed"), Some(u64::from(MAX_ATTEMPTS)))
    );
    assert_eq!(failed["nextAttemptAt"], Value::Null);
    let listed = env
        .events(&merchant.api_key, &[("deliveryStatus", "failed")])
        .await;
    assert_eq!(listed.body["data"][0]["id"], event_id.as_str());
    env.clock.advance(time::Duration::days(3));
    assert_eq!(
        env.dispatch_scheduled().await["attempted"],
        0,
        "no attempts after the last"
    );

    checkoutctl::merchants::redeliver_event(&env.app.store, &EventId::from_stored(&event_id))
        .await
        .expect("redelivered");
    // Redelivery is due from the wall-clock now, which the test clock has passed.
    let report = env.dispatch_scheduled().await;
    assert_eq!(report["delivered"], 1, "{report}");
    let received = receiver.received();
    assert_eq!(received.len(), MAX_ATTEMPTS as usize + 1);
    assert!(
        received
            .iter()
            .all(|d| d.headers["webhook-id"] == event_id.as_str())
    );
}

#[tokio::test]
async fn an_event_with_nowhere_to_go_is_skipped_not_retried() {
    let env = TestEnv::new().await;
    let merchant = merchant_with_hook(&env, None).await;
    let (session_id, event) = cancelled_session(&env, &merchant.api_key).await;
    env.dispatch_stream(event["id"].as_str().expect("an id"))
        .await;
    assert_eq!(
        event_of(&env, &merchant.api_key, &session_id).await["deliveryStatus"],
        "skipped"
    );
    env.clock.advance(time::Duration::hours(1));
    assert_eq!(env.dispatch_scheduled().await["attempted"], 0);
}

#[tokio::test]
async fn the_schedule_delivers_what_the_stream_never_did() {
    let env = TestEnv::new().await;
    let receiver = Receiver::start(0).await;
    let merchant = merchant_with_hook(&env, Some(&receiver.url)).await;
    let (session_id, _) = cancelled_session(&env, &merchant.api_key).await;
    assert_eq!(env.dispatch_scheduled().await["delivered"], 1);
    assert_eq!(
        event_of(&env, &merchant.api_key, &session_id).await["deliveryStatus"],
        "delivered"
    );
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn internal_targets_are_refused_when_the_guard_is_on() {
    let guard = TargetGuard::new(false);
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::1]/",
        "http://localhost:4000/hook",
        "http://127.0.0.1:4000/hook",
        "ftp://hooks.example/",
        "http://[::a9fe:a9fe]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[fec0::1]/",
        "http://[64:ff9b:1::a00:1]/",
        "http://[2002:a9fe:a9fe::1]/",
        "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",
    ] {
        let refused = guard.check(url).await;
        assert!(refused.is_err(), "{url} was allowed");
    }
    // The refusal says the host is not public, never which internal address it resolves to.
    let refused = guard
        .check("http://localhost:4000/hook")
        .await
        .expect_err("refused");
    for internal in ["127.0.0.1", "::1"] {
        assert!(!refused.contains(internal), "{refused}");
    }

    // End to end: a loopback receiver gets nothing, and the event records why.
    let env = TestEnv::new().await;
    let receiver = Receiver::start(0).await;
    let merchant = merchant_with_hook(&env, Some(&receiver.url)).await;
    let (session_id, event) = cancelled_session(&env, &merchant.api_key).await;
    let mut guarded = env.app.clone();
    guarded.config.allow_private_webhook_targets = false;
    let sender = WebhookSender::new(false).expect("an HTTP client");
    checkout_api::service::dispatch::deliver_event(
        &guarded,
        &sender,
        &EventId::from_stored(event["id"].as_str().expect("an id")),
        env.app.now(),
    )
    .await
    .expect("the attempt is recorded");
    let recorded = event_of(&env, &merchant.api_key, &session_id).await;
    assert!(
        recorded["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("not a public address")),
        "{recorded}"
    );
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn a_redirect_is_a_failed_attempt_and_is_not_followed() {
    let env = TestEnv::new().await;
    let receiver = Receiver::answering(|_| 307).await;
    let merchant = merchant_with_hook(&env, Some(&receiver.url)).await;
    let (session_id, event) = cancelled_session(&env, &merchant.api_key).await;
    env.dispatch_stream(event["id"].as_str().expect("an id"))
        .await;
    let recorded = event_of(&env, &merchant.api_key, &session_id).await;
    assert_eq!(recorded["deliveryStatus"], "pending");
    assert_eq!(recorded["lastStatusCode"], 307);
    assert_eq!(
        receiver.received().len(),
        1,
        "one request, no redirect followed"
    );
}

/// A receiver that tells the test when a request arrived, then holds its answer until released.
pub(crate) async fn held_receiver() -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<()>,
    Arc<tokio::sync::Notify>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("http://{}/slow", listener.local_addr().expect("an address"));
    let (arrived, arrivals) = tokio::sync::mpsc::unbounded_channel();
    let release = Arc::new(tokio::sync::Notify::new());
    let held = Arc::clone(&release);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (arrived, held) = (arrived.clone(), Arc::clone(&held));
            tokio::spawn(async move {
                let mut buffer = [0u8; 16 * 1024];
                let _ = stream.read(&mut buffer).await;
                let _ = arrived.send(());
                held.notified().await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (url, arrivals, release)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_receiver_does_not_hold_up_another_merchants_delivery() {
    let env = Arc::new(TestEnv::new().await);
    let (slow_url, mut slow_arrivals, release) = held_receiver().await;
    let slow = merchant_with_hook(&env, Some(&slow_url)).await;
    let (fast_tx, mut fast_arrivals) = tokio::sync::mpsc::unbounded_channel();
    let fast_receiver = Receiver::answering(move |_| {
        let _ = fast_tx.send(());
        200
    })
    .await;
    let fast = merchant_with_hook(&env, Some(&fast_receiver.url)).await;
    cancelled_session(&env, &slow.api_key).await;

    let run = tokio::spawn({
        let env = Arc::clone(&env);
        async move { env.dispatch_scheduled().await }
    });
    let patience = std::time::Duration::from_secs(8);
    tokio::time::timeout(patience, slow_arrivals.recv())
        .await
        .expect("the slow receiver is reached");

    // While that delivery hangs, another merchant's session changes.
    cancelled_session(&env, &fast.api_key).await;
    let reached = tokio::time::timeout(patience, fast_arrivals.recv()).await;
    release.notify_one();
    assert!(
        reached.is_ok(),
        "the fast receiver got its event while the slow one was still answering"
    );
    let report = run.await.expect("the run ended");
    assert_eq!(
        (report["attempted"].as_u64(), report["delivered"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(fast_receiver.received().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_change_is_delivered_signed_with_the_session_as_it_became() {
    let env = TestEnv::new().await;
    let receiver = Receiver::start(0).await;
    let merchant = merchant_with_hook(&env, Some(&receiver.url)).await;
    let key = &merchant.api_key;

    let paid = env.created_id(key, &json!({"amount": "15.00"})).await;
    assert_eq!(env.pay_card(&paid, "4242424242424242").await.status, 303);
    let expired = env.created_id(key, &json!({"amount": "15.00"})).await;
    assert_eq!(env.expire(key, &expired).await.status, 200);
    let failed = env.created_id(key, &json!({"amount": "15.00"})).await;
    for _ in 0..3 {
        env.pay_card(&failed, "4000000000000002").await;
    }
    let refunded = env.created_id(key, &json!({"amount": "15.00"})).await;
    assert_eq!(
        env.pay_card(&refunded, "4242424242424242").await.status,
        303
    );
    assert_eq!(env.refund(key, &refunded, None).await.status, 200);
    let refund = env.refunds(key, &refunded, &[]).await.body["data"][0]["id"]
        .as_str()
        .expect("the refund")
        .to_owned();

    let report = env.dispatch_scheduled().await;
    assert_eq!(report["delivered"], 6, "{report}");
    let mut seen: Vec<(String, String, String)> = receiver
        .received()
        .iter()
        .map(|delivery| {
            verify_independently(&merchant.webhook_secret, delivery);
            let body: Value = serde_json::from_slice(&delivery.body).expect("JSON");
            let object = &body["data"]["object"];
            (
                object["id"].as_str().unwrap_or_default().to_owned(),
                body["type"].as_str().unwrap_or_default().to_owned(),
                object["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let mut expected = vec![
        (paid.clone(), "checkout.session.completed", "completed"),
        (expired.clone(), "checkout.session.expired", "expired"),
        (failed.clone(), "checkout.session.failed", "failed"),
        (refunded.clone(), "checkout.session.completed", "completed"),
        (refunded.clone(), "checkout.session.refunded", "refunded"),
        (refund, "refund.created", "succeeded"),
    ]
    .into_iter()
    .map(|(id, kind, status)| (id, kind.to_owned(), status.to_owned()))
    .collect::<Vec<_>>();
    expected.sort();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn a_sessions_webhook_url_is_a_target_beside_the_merchants_endpoint() {
    let env = TestEnv::new().await;
    let merchants_own = Receiver::start(0).await;
    let override_target = Receiver::start(0).await;
    let merchant = merchant_with_hook(&env, Some(&merchants_own.url)).await;
    let response = env
        .create(
            &merchant.api_key,
            &json!({"amount": "12.00", "webhookUrl": override_target.url}),
        )
        .await;
    let id = response.body["id"].as_str().expect("an id");
    assert_eq!(env.cancel(&merchant.api_key, id).await.status, 200);
    assert_eq!(env.dispatch_scheduled().await["delivered"], 2);
    assert_eq!(override_target.received().len(), 1);
    assert_eq!(merchants_own.received().len(), 1);
    // The session's URL is signed with the account's secret; the endpoint the stage-one URL
    // became keeps that secret too, so its receiver goes on verifying.
    verify_independently(&merchant.webhook_secret, &override_target.received()[0]);
    verify_independently(&merchant.webhook_secret, &merchants_own.received()[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_answers_fails_the_attempt_after_ten_seconds() {
    let env = TestEnv::new().await;
    let (url, mut arrivals, _never_released) = held_receiver().await;
    let merchant = merchant_with_hook(&env, Some(&url)).await;
    let (session_id, event) = cancelled_session(&env, &merchant.api_key).await;
    let started = std::time::Instant::now();
    env.dispatch_stream(event["id"].as_str().expect("an id"))
        .await;
    let waited = started.elapsed();
    assert!(arrivals.try_recv().is_ok(), "the receiver was reached");
    assert!(
        waited >= std::time::Duration::from_secs(10) && waited < std::time::Duration::from_secs(20),
        "the attempt was given up after the 10 s timeout, not before and not much later: {waited:?}"
    );
    let after = event_of(&env, &merchant.api_key, &session_id).await;
    assert_eq!(
        (after["deliveryStatus"].as_str(), after["attempts"].as_u64()),
        (Some("pending"), Some(1))
    );
    assert_eq!(after["lastStatusCode"], Value::Null, "no answer came");
    assert!(
        due_after(&after["nextAttemptAt"], &env, RETRY_DELAYS[0]),
        "{after}"
    );
}

#[tokio::test]
async fn a_stream_batch_reports_only_the_records_it_could_not_handle() {
    let env = TestEnv::new().await;
    let receiver = Receiver::start(0).await;
    let merchant = merchant_with_hook(&env, Some(&receiver.url)).await;
    let (_, event) = cancelled_session(&env, &merchant.api_key).await;
    let good = event["id"].as_str().expect("an id").to_owned();
    // An event item the dispatcher cannot read (written behind the API's back).
    let broken = "evt_unreadable";
    env.client
        .put_item()
        .table_name(&env.table)
        .item(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("EVENT#{broken}")),
        )
        .item(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("EVENT".into()),
        )
        .item(
            "type",
            aws_sdk_dynamodb::types::AttributeValue::N("7".into()),
        )
        .send()
        .await
        .expect("written");
    let record = |id: &str, sequence: &str| {
        let mut record = integration_tests::sample_json("dynamodb-stream")["Records"][0].clone();
        record["dynamodb"]["Keys"]["pk"]["S"] = json!(format!("EVENT#{id}"));
        record["dynamodb"]["SequenceNumber"] = json!(sequence);
        record
    };
    let mut modify = record("evt_ignored", "3");
    modify["eventName"] = json!("MODIFY");
    let batch = json!({"Records": [record(&good, "1"), record(broken, "2"), modify]});
    let answer = env.dispatch(batch).await;
    assert_eq!(
        answer["batchItemFailures"],
        json!([{"itemIdentifier": "2"}]),
        "only the unreadable record is handed back to be retried"
    );
    assert_eq!(
        receiver.received().len(),
        1,
        "the good record was delivered"
    );
}

#[tokio::test]
async fn the_dispatcher_stops_near_its_deadline_and_the_next_run_continues() {
    let env = TestEnv::new().await;
    let receiver = Receiver::start(0).await;
    let merchant = merchant_with_hook(&env, Some(&receiver.url)).await;
    cancelled_session(&env, &merchant.api_key).await;
    let near = integration_tests::context_ending_in(std::time::Duration::from_secs(5));
    let report = env
        .dispatch_in(integration_tests::sample_json("schedule"), near)
        .await;
    assert_eq!(
        (report["attempted"].as_u64(), report["complete"].as_bool()),
        (Some(0), Some(false)),
        "{report}"
    );
    assert!(receiver.received().is_empty());
    let roomy = integration_tests::context_ending_in(std::time::Duration::from_secs(600));
    let report = env
        .dispatch_in(integration_tests::sample_json("schedule"), roomy)
        .await;
    assert_eq!(
        (report["delivered"].as_u64(), report["complete"].as_bool()),
        (Some(1), Some(true)),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_from_the_stream_makes_at_most_five_dynamodb_calls_even_behind_a_slow_receiver()
{
    let env = Arc::new(TestEnv::new().await);
    let (url, mut arrivals, release) = held_receiver().await;
    // A stage-one merchant: its first event also moves its webhook URL to an endpoint.
    let merchant = merchant_with_hook(&env, Some(&url)).await;
    let patience = std::time::Duration::from_secs(8);

    for (round, most) in [("first event, URL moved", 5), ("next event", 4)] {
        let (session_id, event) = cancelled_session(&env, &merchant.api_key).await;
        let event_id = event["id"].as_str().expect("an event id").to_owned();
        let (app, log) = env.counted_container();
        let run = tokio::spawn({
            let env = Arc::clone(&env);
            async move {
                let trigger = TestEnv::stream_trigger(&event_id);
                env.dispatch_by(&app, trigger, Default::default()).await
            }
        });
        tokio::time::timeout(patience, arrivals.recv())
            .await
            .expect("the receiver is reached");
        // The receiver takes 1.5 s to answer: longer than a run waits before it would look for
        // other due events (a query of each of the 64 due shards).
        tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
        release.notify_one();
        let batch = run.await.expect("the run ended");
        assert_eq!(batch["batchItemFailures"], json!([]), "{round}");

        let calls = log.calls();
        let operations: Vec<&str> = calls
            .iter()
            .filter_map(|call| call.split(' ').next())
            .collect();
        assert!(calls.len() <= most, "{round}: {operations:?}");
        assert!(
            !calls.iter().any(|call| call.contains("due-by-time")),
            "{round}: a stream run looks for nothing else: {operations:?}"
        );
        let shown = event_of(&env, &merchant.api_key, &session_id).await;
        assert_eq!(shown["deliveryStatus"], "delivered", "{round}");
    }
}
