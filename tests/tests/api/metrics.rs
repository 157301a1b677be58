//! The business metrics (SPEC §24): each operation writes its CloudWatch EMF line, read back here
//! as CloudWatch would read it, and no line makes a merchant or a session a dimension.

use std::collections::BTreeMap;

use checkout_api::metrics::NAMESPACE;
use integration_tests::TestEnv;
use serde_json::{Value, json};

use crate::webhooks::{Receiver, merchant_with_hook};

/// One metric value as CloudWatch would take it from an EMF line.
#[derive(Debug, PartialEq)]
struct Read {
    name: String,
    unit: String,
    value: f64,
    dimensions: BTreeMap<String, String>,
}

/// Every metric the lines carry, each checked to be well-formed EMF.
fn read(lines: &[String]) -> Vec<Read> {
    let mut read = Vec::new();
    for line in lines {
        let object: Value = serde_json::from_str(line).expect("each line is one JSON object");
        let directive = &object["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE, "{line}");
        assert!(object["_aws"]["Timestamp"].as_u64().is_some(), "{line}");
        let names: Vec<String> = directive["Dimensions"][0]
            .as_array()
            .expect("one dimension set")
            .iter()
            .map(|name| name.as_str().expect("a name").to_owned())
            .collect();
        let dimensions: BTreeMap<String, String> = names
            .iter()
            .map(|name| {
                let value = object[name].as_str().expect("each dimension has its value");
                (name.clone(), value.to_owned())
            })
            .collect();
        for metric in directive["Metrics"].as_array().expect("metrics") {
            let name = metric["Name"].as_str().expect("a name").to_owned();
            read.push(Read {
                value: object[&name].as_f64().expect("the metric's value"),
                unit: metric["Unit"].as_str().expect("a unit").to_owned(),
                name,
                dimensions: dimensions.clone(),
            });
        }
    }
    read
}

fn sum(read: &[Read], name: &str, dimension: Option<(&str, &str)>) -> f64 {
    read.iter()
        .filter(|r| r.name == name)
        .filter(|r| {
            dimension.is_none_or(|(d, v)| r.dimensions.get(d).map(String::as_str) == Some(v))
        })
        .map(|r| r.value)
        .sum()
}

#[tokio::test]
async fn each_operation_writes_its_metric_and_no_id_is_a_dimension() {
    let env = TestEnv::new().await;
    let receiver = Receiver::start(0).await;
    let merchant = merchant_with_hook(&env, Some(&receiver.url)).await;
    let key = &merchant.api_key;
    let body = json!({"amount": "20.00", "currency": "EUR"});

    let paid = env.created_id(key, &body).await;
    assert_eq!(env.pay_card(&paid, "4000000000000002").await.status, 422);
    assert_eq!(env.pay_card(&paid, "4242424242424242").await.status, 303);
    let refunded = env
        .create_refund(key, &paid, &json!({"amount": "5.00"}), None)
        .await;
    assert_eq!(refunded.status, 201);
    let crypto = env
        .created_id(
            key,
            &json!({"amount": "10.00", "paymentMethods": ["crypto"]}),
        )
        .await;
    assert_eq!(env.pay_crypto(&crypto, "ETH").await.status, 303);
    let lapsing = env
        .created_id(key, &json!({"amount": "3.00", "expiresIn": "PT1M"}))
        .await;
    env.clock.advance(time::Duration::minutes(2));
    env.settle_due().await;
    env.sweep().await;
    env.dispatch_scheduled().await;

    let read = read(&env.metric_lines.lines());
    assert_eq!(sum(&read, "SessionsCreated", None), 3.0);
    assert_eq!(
        sum(&read, "PaymentsDeclined", Some(("Method", "card"))),
        1.0
    );
    assert_eq!(
        sum(&read, "PaymentsCompleted", Some(("Method", "card"))),
        1.0
    );
    assert_eq!(
        sum(&read, "PaymentsCompleted", Some(("Method", "crypto"))),
        1.0
    );
    assert_eq!(sum(&read, "Refunds", None), 1.0);
    assert!(sum(&read, "WebhookDeliveries", Some(("Outcome", "delivered"))) >= 1.0);
    assert!(
        read.iter()
            .any(|r| r.name == "WebhookLatency" && r.unit == "Milliseconds")
    );
    for pass in ["expiry", "settlement", "delivery"] {
        let of_pass = Some(("Pass", pass));
        assert!(sum(&read, "DueItemsHandled", of_pass) >= 1.0, "{pass}");
        assert_eq!(sum(&read, "RunsIncomplete", of_pass), 0.0, "{pass}");
        assert!(
            read.iter().any(|r| r.name == "OldestDueAge"
                && r.unit == "Seconds"
                && r.dimensions.get("Pass").map(String::as_str) == Some(pass)),
            "{pass}"
        );
    }
    let expiry_age = sum(&read, "OldestDueAge", Some(("Pass", "expiry")));
    assert!(
        expiry_age >= 60.0,
        "the lapsed session was due a minute before the sweep: {expiry_age}"
    );

    // Dimensions come from closed sets: a stage, a method, an outcome, a pass; never an id.
    let allowed: BTreeMap<&str, Vec<&str>> = BTreeMap::from([
        ("Stage", vec!["test"]),
        ("Method", vec!["card", "crypto"]),
        ("Outcome", vec!["delivered", "retrying", "failed"]),
        ("Pass", vec!["expiry", "settlement", "delivery"]),
    ]);
    let ids = [
        merchant.merchant_id.as_str(),
        paid.as_str(),
        crypto.as_str(),
        lapsing.as_str(),
    ];
    for metric in &read {
        assert_eq!(
            metric.dimensions.get("Stage").map(String::as_str),
            Some("test")
        );
        for (name, value) in &metric.dimensions {
            let known = allowed.get(name.as_str()).expect("a known dimension");
            assert!(known.contains(&value.as_str()), "{name}={value}");
            assert!(!ids.iter().any(|id| value.contains(id)), "{name}={value}");
        }
    }
}
