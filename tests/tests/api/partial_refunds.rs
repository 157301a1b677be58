//! Refunds as objects (SPEC §15): in parts, never more in all than was paid, however they race.

use std::sync::Arc;

use integration_tests::TestEnv;
use serde_json::{Value, json};

/// A session of `amount` paid by card, and its id.
async fn paid(env: &TestEnv, key: &str, amount: &str) -> String {
    let id = env.created_id(key, &json!({ "amount": amount })).await;
    assert_eq!(env.pay_card(&id, "4242424242424242").await.status, 303);
    id
}

fn types(events: &Value) -> Vec<String> {
    let mut types: Vec<String> = events["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|e| e["type"].as_str().expect("a type").to_owned())
        .collect();
    types.sort();
    types
}

#[tokio::test]
async fn a_session_is_refunded_in_parts_until_nothing_is_left() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = paid(&env, &key, "10.00").await;
    assert_eq!(env.get(&key, &id).await.body["amountRefunded"], "0.00");

    let first = env
        .create_refund(
            &key,
            &id,
            &json!({"amount": "3.00", "reason": "requested_by_customer", "metadata": {"ticket": "T-1"}}),
            Some("part-1"),
        )
        .await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    assert_eq!(first.body["object"], "refund");
    assert_eq!(first.body["amount"], "3.00");
    assert_eq!(first.body["currency"], "USD");
    assert_eq!(first.body["status"], "succeeded");
    assert_eq!(first.body["sessionId"], id.as_str());
    assert_eq!(first.body["metadata"]["ticket"], "T-1");
    let session = env.get(&key, &id).await.body;
    assert_eq!(
        (
            session["status"].as_str(),
            session["amountRefunded"].as_str()
        ),
        (Some("completed"), Some("3.00")),
        "partly refunded stays completed"
    );

    let replay = env
        .create_refund(&key, &id, &json!({"amount": "3.00", "reason": "requested_by_customer", "metadata": {"ticket": "T-1"}}), Some("part-1"))
        .await;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body, first.body, "a retry refunds nothing more");
    let reused = env
        .create_refund(&key, &id, &json!({"amount": "1.00"}), Some("part-1"))
        .await;
    assert_eq!(reused.status, 422);

    // Refunds list oldest first; made in the same instant, they would tie.
    env.clock.advance(time::Duration::seconds(1));
    let rest = env.create_refund(&key, &id, &json!({}), None).await;
    assert_eq!(rest.status, 201, "{:?}", rest.body);
    assert_eq!(
        rest.body["amount"], "7.00",
        "the default is all that is left"
    );
    let session = env.get(&key, &id).await.body;
    assert_eq!(session["status"], "refunded");
    assert_eq!(session["amountRefunded"], "10.00");
    assert!(session["refundedAt"].is_string());

    let more = env
        .create_refund(&key, &id, &json!({"amount": "0.01"}), None)
        .await;
    assert_eq!(
        (
            more.status,
            more.body["code"].as_str(),
            more.body["currentStatus"].as_str()
        ),
        (409, Some("invalid_status"), Some("refunded"))
    );
    let listed = env.refunds(&key, &id, &[]).await;
    assert_eq!(listed.status, 200);
    let amounts: Vec<&str> = listed.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|r| r["amount"].as_str().expect("an amount"))
        .collect();
    assert_eq!(amounts, ["3.00", "7.00"], "oldest first");
    let events = env
        .events(&key, &[("sessionId", id.as_str()), ("limit", "100")])
        .await;
    assert_eq!(
        types(&events.body),
        [
            "checkout.session.completed",
            "checkout.session.refunded",
            "refund.created",
            "refund.created"
        ]
    );
    let created: Vec<&Value> = events.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|e| e["type"] == "refund.created")
        .collect();
    assert!(
        created
            .iter()
            .all(|e| e["data"]["object"]["object"] == "refund")
    );
}

#[tokio::test]
async fn a_refund_beyond_what_is_left_or_badly_formed_is_a_400_that_writes_nothing() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = paid(&env, &key, "10.00").await;
    assert_eq!(
        env.create_refund(&key, &id, &json!({"amount": "4.00"}), None)
            .await
            .status,
        201
    );
    let before = env.item_count().await;
    let too_much = env
        .create_refund(&key, &id, &json!({"amount": "6.01"}), Some("too-much"))
        .await;
    assert_eq!(
        (too_much.status, too_much.body["errors"][0]["code"].as_str()),
        (400, Some("amount_exceeds_refundable")),
        "{:?}",
        too_much.body
    );
    let bad = env
        .create_refund(
            &key,
            &id,
            &json!({"amount": "1.234", "reason": "because", "colour": "red", "metadata": {"k": [1]}}),
            None,
        )
        .await;
    assert_eq!(bad.status, 400);
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(fields, ["colour", "metadata.k", "reason"], "{:?}", bad.body);
    for body in [
        json!({"amount": "0"}),
        json!({"amount": "-1"}),
        json!({"amount": "1e1"}),
    ] {
        let refused = env.create_refund(&key, &id, &body, None).await;
        assert_eq!(
            (refused.status, refused.error_fields()),
            (400, vec!["amount".to_owned()]),
            "{body}"
        );
    }
    assert_eq!(env.item_count().await, before, "nothing written");
    assert_eq!(env.get(&key, &id).await.body["amountRefunded"], "4.00");

    let other = env.merchant().await.api_key;
    assert_eq!(
        env.create_refund(&other, &id, &json!({}), None)
            .await
            .status,
        404
    );
    assert_eq!(env.refunds(&other, &id, &[]).await.status, 404);
}

#[tokio::test]
async fn the_stage_one_route_refunds_what_is_left_after_parts() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = paid(&env, &key, "10.00").await;
    assert_eq!(
        env.create_refund(&key, &id, &json!({"amount": "2.50"}), None)
            .await
            .status,
        201
    );
    env.clock.advance(time::Duration::seconds(1));
    let refunded = env.refund(&key, &id, Some("all")).await;
    assert_eq!(refunded.status, 200);
    assert_eq!(refunded.body["status"], "refunded");
    assert_eq!(refunded.body["amountRefunded"], "10.00");
    let listed = env.refunds(&key, &id, &[("limit", "1")]).await;
    assert_eq!(listed.body["hasMore"], true);
    let cursor = listed.body["nextCursor"].as_str().expect("a cursor");
    let second = env
        .refunds(&key, &id, &[("limit", "1"), ("cursor", cursor)])
        .await;
    assert_eq!(second.body["data"][0]["amount"], "7.50");
    assert_eq!(second.body["hasMore"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_racing_partial_refunds_never_refund_more_than_was_paid() {
    let env = Arc::new(TestEnv::new().await);
    let key = env.merchant().await.api_key;
    let id = paid(&env, &key, "10.00").await;
    let race = integration_tests::race(30, |_| {
        let (env, key, id) = (Arc::clone(&env), key.clone(), id.clone());
        async move {
            env.create_refund(&key, &id, &json!({"amount": "0.50"}), None)
                .await
        }
    })
    .await;
    assert!(
        race.peak_in_flight >= 6,
        "they overlapped: {}",
        race.peak_in_flight
    );
    let won: Vec<_> = race.answers.iter().filter(|r| r.status == 201).collect();
    assert_eq!(won.len(), 20, "10.00 holds twenty refunds of 0.50");
    for lost in race.answers.iter().filter(|r| r.status != 201) {
        assert!(
            matches!(lost.status, 400 | 409),
            "a loser is a 400 or a 409: {} {:?}",
            lost.status,
            lost.body
        );
    }
    let session = env.get(&key, &id).await.body;
    assert_eq!(session["amountRefunded"], "10.00");
    assert_eq!(session["status"], "refunded");
    let listed = env.refunds(&key, &id, &[("limit", "100")]).await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(20));
    let events = env
        .events(&key, &[("sessionId", id.as_str()), ("limit", "100")])
        .await;
    let refunded = types(&events.body)
        .iter()
        .filter(|t| *t == "checkout.session.refunded")
        .count();
    assert_eq!(refunded, 1, "one event for the session becoming refunded");
}

#[tokio::test]
async fn minus_zero_is_refused_as_zero_is_not_as_a_negative_amount() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = paid(&env, &key, "10.00").await;
    let before = env.data_items().await;
    for amount in ["-0", "-0.00", "0"] {
        let refused = env
            .create_refund(&key, &id, &json!({ "amount": amount }), None)
            .await;
        assert_eq!(refused.status, 400, "{amount}");
        assert_eq!(
            refused.body["errors"][0]["message"], "a refund must be more than zero",
            "{amount}"
        );
    }
    assert_eq!(env.data_items().await, before, "nothing written");
}
