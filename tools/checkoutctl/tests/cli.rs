//! The `checkoutctl` binary as an operator runs it, against DynamoDB Local.

use std::process::{Command, Output};

use serde_json::Value;

fn checkoutctl(table: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_checkoutctl"))
        .args(args)
        .env("DYNAMODB_ENDPOINT", integration_tests::dynamodb_endpoint())
        .env("TABLE_NAME", table)
        .output()
        .expect("checkoutctl runs")
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "checkoutctl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON object on stdout")
}

#[test]
fn an_operator_creates_the_table_a_merchant_and_keys_and_revokes_one() {
    let table = format!("cli-{}", uuid::Uuid::new_v4().simple());
    assert_eq!(
        json(&checkoutctl(&table, &["table", "create"]))["created"],
        true
    );
    assert_eq!(
        json(&checkoutctl(&table, &["table", "create"]))["created"],
        false,
        "idempotent"
    );

    let merchant = json(&checkoutctl(
        &table,
        &[
            "merchant",
            "create",
            "--name",
            "Acme",
            "--webhook-url",
            "http://127.0.0.1:4000/hook",
        ],
    ));
    let fields: Vec<_> = merchant
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    assert_eq!(fields, ["apiKey", "merchantId", "webhookSecret"]);
    assert!(
        merchant["apiKey"]
            .as_str()
            .is_some_and(|k| k.starts_with("sk_test_"))
    );
    assert!(
        merchant["webhookSecret"]
            .as_str()
            .is_some_and(|s| s.starts_with("whsec_"))
    );
    let merchant_id = merchant["merchantId"].as_str().expect("an id");

    let second = json(&checkoutctl(&table, &["key", "create", merchant_id]));
    let second_key = second["apiKey"].as_str().expect("a key");
    assert_ne!(second_key, merchant["apiKey"]);
    assert_eq!(
        json(&checkoutctl(&table, &["key", "revoke", second_key]))["revoked"],
        true
    );
    assert_eq!(
        json(&checkoutctl(
            &table,
            &["merchant", "deactivate", merchant_id]
        ))["active"],
        false
    );
    assert_eq!(
        json(&checkoutctl(&table, &["merchant", "activate", merchant_id]))["active"],
        true
    );
}

#[test]
fn mistakes_fail_with_a_message_and_a_nonzero_exit() {
    let table = format!("cli-{}", uuid::Uuid::new_v4().simple());
    json(&checkoutctl(&table, &["table", "create"]));
    for args in [
        vec!["key", "create", "mer_doesnotexist"],
        vec!["key", "revoke", "sk_test_neverissued"],
        vec!["merchant", "deactivate", "mer_doesnotexist"],
        vec![
            "merchant",
            "create",
            "--name",
            "Acme",
            "--brand-color",
            "red",
        ],
        vec![
            "merchant",
            "create",
            "--name",
            "Acme",
            "--success-url",
            "not a url",
        ],
        vec![
            "merchant",
            "create",
            "--name",
            "Acme",
            "--fee-percent",
            "150",
        ],
    ] {
        let output = checkoutctl(&table, &args);
        assert!(!output.status.success(), "{args:?} should fail");
        assert!(output.stdout.is_empty(), "{args:?} printed a result");
        assert!(
            String::from_utf8_lossy(&output.stderr).starts_with("checkoutctl: "),
            "{args:?} explains itself"
        );
    }
}
