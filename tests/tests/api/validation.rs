//! Bad input gets a clear problem+json error naming each field, and writes nothing.

use integration_tests::{Call, TestEnv, valid_body};
use serde_json::{Value, json};

async fn assert_rejected(env: &TestEnv, key: &str, body: Value, field: &str, code: &str) {
    let before = env.item_count().await;
    let response = env.create(key, &body).await;
    assert_eq!(response.status, 400, "{body} → {:?}", response.body);
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    let errors = response.body["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        errors
            .iter()
            .any(|e| e["field"] == field && e["code"] == code),
        "{body}: expected {field}/{code} in {errors:?}"
    );
    assert_eq!(env.item_count().await, before, "{body} wrote something");
}

#[tokio::test]
async fn every_create_rule_rejects_its_field_and_writes_nothing() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let long = |n: usize| "x".repeat(n);
    let many_items: Vec<Value> = (0..101)
        .map(|_| json!({"name": "Tea", "unitAmount": "1.00", "quantity": 1}))
        .collect();
    let many_keys: serde_json::Map<String, Value> =
        (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({}), "amount", "required"),
        (
            json!({"amount": "0.1", "currency": "JPY"}),
            "amount",
            "too_many_decimals",
        ),
        (json!({"amount": "10.005"}), "amount", "too_many_decimals"),
        (json!({"amount": 10.005}), "amount", "too_many_decimals"),
        (json!({"amount": "1e3"}), "amount", "invalid_amount"),
        (json!({"amount": "-5.00"}), "amount", "amount_too_small"),
        (json!({"amount": "0.49"}), "amount", "amount_too_small"),
        (
            json!({"amount": "0.29", "currency": "GBP"}),
            "amount",
            "amount_too_small",
        ),
        (
            json!({"amount": "49", "currency": "JPY"}),
            "amount",
            "amount_too_small",
        ),
        (
            json!({"amount": "1000000.00"}),
            "amount",
            "amount_too_large",
        ),
        (
            json!({"amount": "100000000", "currency": "JPY"}),
            "amount",
            "amount_too_large",
        ),
        (json!({"amount": true}), "amount", "invalid_type"),
        (
            json!({"amount": "10.00", "currency": "BTC"}),
            "currency",
            "unsupported_currency",
        ),
        (
            json!({"amount": "10.00", "currency": 840}),
            "currency",
            "invalid_type",
        ),
        (json!({"lineItems": []}), "lineItems", "invalid_length"),
        (
            json!({"lineItems": many_items}),
            "lineItems",
            "invalid_length",
        ),
        (
            json!({"lineItems": [{"unitAmount": "1.00", "quantity": 1}]}),
            "lineItems[0].name",
            "required",
        ),
        (
            json!({"lineItems": [{"name": long(201), "unitAmount": "1.00", "quantity": 1}]}),
            "lineItems[0].name",
            "too_long",
        ),
        (
            json!({"lineItems": [{"name": "Tea", "unitAmount": "1.234", "quantity": 1}]}),
            "lineItems[0].unitAmount",
            "too_many_decimals",
        ),
        (
            json!({"lineItems": [{"name": "Tea", "unitAmount": "1.00", "quantity": 0}]}),
            "lineItems[0].quantity",
            "invalid_quantity",
        ),
        (
            json!({"lineItems": [{"name": "Tea", "unitAmount": "1.00", "quantity": 10001}]}),
            "lineItems[0].quantity",
            "invalid_quantity",
        ),
        (
            json!({"lineItems": [{"name": "Tea", "unitAmount": "1.00", "quantity": 1.5}]}),
            "lineItems[0].quantity",
            "invalid_quantity",
        ),
        (
            json!({"lineItems": [{"name": "Tea", "unitAmount": "1.00", "quantity": 1, "sku": "x"}]}),
            "lineItems[0].sku",
            "unknown_field",
        ),
        (
            json!({"lineItems": ["Tea"]}),
            "lineItems[0]",
            "invalid_type",
        ),
        (
            json!({"amount": "11.00", "lineItems": [{"name": "Tea", "unitAmount": "5.25", "quantity": 2}]}),
            "amount",
            "amount_mismatch",
        ),
        (
            json!({"amount": "10.00", "orderId": ""}),
            "orderId",
            "invalid_length",
        ),
        (
            json!({"amount": "10.00", "orderId": long(101)}),
            "orderId",
            "invalid_length",
        ),
        (
            json!({"amount": "10.00", "orderId": "a\u{0007}b"}),
            "orderId",
            "invalid_characters",
        ),
        (
            json!({"amount": "10.00", "description": long(501)}),
            "description",
            "too_long",
        ),
        (
            json!({"amount": "10.00", "customer": {"email": "jane"}}),
            "customer.email",
            "invalid_email",
        ),
        (
            json!({"amount": "10.00", "customer": {"name": long(201)}}),
            "customer.name",
            "too_long",
        ),
        (
            json!({"amount": "10.00", "customer": {"id": long(256)}}),
            "customer.id",
            "too_long",
        ),
        (
            json!({"amount": "10.00", "customer": {"phone": "1"}}),
            "customer.phone",
            "unknown_field",
        ),
        (
            json!({"amount": "10.00", "customer": "jane"}),
            "customer",
            "invalid_type",
        ),
        (
            json!({"amount": "10.00", "successUrl": "/thanks"}),
            "successUrl",
            "invalid_url",
        ),
        (
            json!({"amount": "10.00", "cancelUrl": "ftp://shop.example/"}),
            "cancelUrl",
            "invalid_url",
        ),
        (
            json!({"amount": "10.00", "successUrl": format!("https://shop.example/{}", long(2048))}),
            "successUrl",
            "too_long",
        ),
        (
            json!({"amount": "10.00", "webhookUrl": "javascript:alert(1)"}),
            "webhookUrl",
            "invalid_url",
        ),
        (
            json!({"amount": "10.00", "metadata": many_keys}),
            "metadata",
            "too_many_keys",
        ),
        (
            json!({"amount": "10.00", "metadata": {"a[b]": "x"}}),
            "metadata.a[b]",
            "invalid_key",
        ),
        (
            json!({"amount": "10.00", "metadata": {long(41): "x"}}),
            format!("metadata.{}", long(41)).leak(),
            "invalid_key",
        ),
        (
            json!({"amount": "10.00", "metadata": {"nested": {"a": 1}}}),
            "metadata.nested",
            "invalid_type",
        ),
        (
            json!({"amount": "10.00", "metadata": {"long": long(501)}}),
            "metadata.long",
            "too_long",
        ),
        (
            json!({"amount": "10.00", "metadata": (0..12).map(|i| (format!("k{i}"), json!(long(450)))).collect::<serde_json::Map<_, _>>()}),
            "metadata",
            "too_large",
        ),
        (
            json!({"amount": "10.00", "metadata": ["x"]}),
            "metadata",
            "invalid_type",
        ),
        (
            json!({"amount": "10.00", "expiresIn": "PT30S"}),
            "expiresIn",
            "expiry_too_soon",
        ),
        (
            json!({"amount": "10.00", "expiresIn": "P32D"}),
            "expiresIn",
            "expiry_too_late",
        ),
        (
            json!({"amount": "10.00", "expiresIn": "P1M"}),
            "expiresIn",
            "invalid_duration",
        ),
        (
            json!({"amount": "10.00", "expiresIn": "30 minutes"}),
            "expiresIn",
            "invalid_duration",
        ),
        (
            json!({"amount": "10.00", "expiresAt": "tomorrow"}),
            "expiresAt",
            "invalid_timestamp",
        ),
        (
            json!({"amount": "10.00", "expiresAt": "2000-01-01T00:00:00Z"}),
            "expiresAt",
            "expiry_too_soon",
        ),
        (
            json!({"amount": "10.00", "expiresIn": "PT30M", "expiresAt": "2099-01-01T00:00:00Z"}),
            "expiresAt",
            "conflicting_fields",
        ),
        (
            json!({"amount": "10.00", "paymentMethods": ["paypal"]}),
            "paymentMethods[0]",
            "invalid_payment_method",
        ),
        (
            json!({"amount": "10.00", "paymentMethods": []}),
            "paymentMethods",
            "invalid_length",
        ),
        (
            json!({"amount": "10.00", "paymentMethods": "card"}),
            "paymentMethods",
            "invalid_type",
        ),
        (
            json!({"amount": "10.00", "paymentMethods": ["crypto"], "allowedAssets": ["DOGE"]}),
            "allowedAssets[0]",
            "invalid_asset",
        ),
        (
            json!({"amount": "10.00", "allowedAssets": ["BTC"]}),
            "allowedAssets",
            "crypto_not_allowed",
        ),
        (
            json!({"amount": "10.00", "idempotencyKey": ""}),
            "idempotencyKey",
            "invalid_length",
        ),
        (
            json!({"amount": "10.00", "idempotencyKey": "clé"}),
            "idempotencyKey",
            "invalid_characters",
        ),
        (
            json!({"amount": "10.00", "colour": "blue"}),
            "colour",
            "unknown_field",
        ),
    ];
    for (body, field, code) in cases {
        assert_rejected(&env, &key, body, field, code).await;
    }
}

#[tokio::test]
async fn every_violation_is_reported_at_once() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let response = env
        .create(
            &key,
            &json!({
                "amount": "10.005",
                "orderId": "",
                "customer": {"email": "nope"},
                "expiresIn": "PT1S",
                "surprise": 1
            }),
        )
        .await;
    assert_eq!(response.status, 400);
    let mut fields = response.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "amount",
            "customer.email",
            "expiresIn",
            "orderId",
            "surprise"
        ]
    );
    assert_eq!(response.body["code"], "validation_failed");
    assert!(response.body["requestId"].is_string());
}

#[tokio::test]
async fn urls_are_required_when_the_merchant_has_no_defaults() {
    let env = TestEnv::new().await;
    let merchant = env
        .merchant_with(checkoutctl::merchants::MerchantOptions {
            name: "No Defaults Ltd".into(),
            ..Default::default()
        })
        .await;
    let response = env
        .create(&merchant.api_key, &json!({"amount": "10.00"}))
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(response.error_fields(), ["successUrl", "cancelUrl"]);
    let given = env
        .create(
            &merchant.api_key,
            &json!({"amount": "10.00", "successUrl": "https://a.example/ok", "cancelUrl": "https://a.example/no"}),
        )
        .await;
    assert_eq!(given.status, 201);
}

#[tokio::test]
async fn the_merchants_lower_limit_caps_the_amount() {
    let env = TestEnv::new().await;
    let merchant = env
        .merchant_with(checkoutctl::merchants::MerchantOptions {
            name: "Small Shop".into(),
            success_url: Some("https://s.example/ok".into()),
            cancel_url: Some("https://s.example/no".into()),
            max_amount: Some("100.00".into()),
            ..Default::default()
        })
        .await;
    assert_rejected(
        &env,
        &merchant.api_key,
        json!({"amount": "100.01"}),
        "amount",
        "amount_too_large",
    )
    .await;
    assert_eq!(
        env.create(&merchant.api_key, &json!({"amount": "100.00"}))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn broken_bodies_get_problem_json_and_write_nothing() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let before = env.item_count().await;
    let call = || {
        Call::event("create-session")
            .key(Some(&key))
            .header("idempotency-key", None)
    };

    let malformed = env
        .create_call(call().raw_body(b"{\"amount\": ".to_vec()))
        .await;
    assert_eq!(
        (malformed.status, malformed.body["code"].as_str()),
        (400, Some("malformed_json"))
    );

    let not_utf8 = env.create_call(call().raw_body(vec![0xa5])).await;
    assert_eq!(
        (not_utf8.status, not_utf8.body["code"].as_str()),
        (400, Some("malformed_json"))
    );

    let not_object = env
        .create_call(call().raw_body(b"[\"10.00\"]".to_vec()))
        .await;
    assert_eq!(
        (not_object.status, not_object.body["code"].as_str()),
        (400, Some("malformed_json"))
    );

    let mut huge = br#"{"amount": "10.00", "description": ""#.to_vec();
    huge.extend(std::iter::repeat_n(b'x', 64 * 1024));
    huge.extend(br#""}"#);
    let too_large = env.create_call(call().raw_body(huge)).await;
    assert_eq!(
        (too_large.status, too_large.body["code"].as_str()),
        (413, Some("payload_too_large"))
    );

    let form = env
        .create_call(
            call()
                .header("content-type", Some("application/x-www-form-urlencoded"))
                .raw_body(b"amount=10.00".to_vec()),
        )
        .await;
    assert_eq!(
        (form.status, form.body["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );

    let untyped = env
        .create_call(
            call()
                .header("content-type", None)
                .raw_body(b"{\"amount\":\"10.00\"}".to_vec()),
        )
        .await;
    assert_eq!(untyped.status, 415);

    let binary_key = env
        .create_call(
            call()
                .header("content-type", Some("application/json"))
                .raw_body(b"{\"amount\":\"10.00\"}".to_vec())
                .binary_header("idempotency-key", b"\xd7\xf8\x9b"),
        )
        .await;
    assert_eq!(
        (binary_key.status, binary_key.error_fields()),
        (400, vec!["Idempotency-Key".to_owned()])
    );

    for response in [
        &malformed,
        &not_object,
        &too_large,
        &form,
        &untyped,
        &binary_key,
    ] {
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
        assert!(response.body["type"].is_string() && response.body["title"].is_string());
        assert!(response.body["detail"].is_string() && response.body["requestId"].is_string());
    }
    assert_eq!(env.item_count().await, before);
}

#[tokio::test]
async fn ids_of_a_shape_we_never_issue_are_refused_before_the_table() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    // Real DynamoDB answers keys over 2 KB with a ValidationException, which would be a 500.
    let oversized = format!("cs_{}", "a".repeat(3000));
    for id in [oversized.as_str(), "cs_x", "cs_abcdefghijklmnopqrstuvw!"] {
        assert_eq!(env.get(&key, id).await.status, 404, "{id}");
        assert_eq!(env.expire(&key, id).await.status, 404, "{id}");
        assert_eq!(env.cancel(&key, id).await.status, 404, "{id}");
        assert_eq!(env.refund(&key, id, Some("r-1")).await.status, 404, "{id}");
        assert_eq!(
            env.page(&format!("/pay/{id}"), None).await.status,
            404,
            "{id}"
        );
        let events = env.events(&key, &[("sessionId", id)]).await;
        assert_eq!(
            (events.status, events.error_fields()),
            (400, vec!["sessionId".to_owned()]),
            "{id}"
        );
    }
}

#[tokio::test]
async fn every_event_list_parameter_is_checked() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    for (params, field) in [
        (vec![("limit", "0")], "limit"),
        (vec![("limit", "101")], "limit"),
        (vec![("type", "session.paid")], "type"),
        (vec![("deliveryStatus", "lost")], "deliveryStatus"),
        (vec![("cursor", "not-a-cursor")], "cursor"),
        (vec![("sort", "asc")], "sort"),
    ] {
        let response = env.events(&key, &params).await;
        assert_eq!(
            (response.status, response.error_fields()),
            (400, vec![field.to_owned()]),
            "{params:?}"
        );
    }
    let fine = env
        .events(
            &key,
            &[("type", "checkout.session.completed"), ("limit", "100")],
        )
        .await;
    assert_eq!(fine.status, 200, "{:?}", fine.body);
}

#[tokio::test]
async fn a_body_naming_a_key_twice_is_a_400_at_any_depth_and_writes_nothing() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let before = env.item_count().await;
    for body in [
        r#"{"amount":"1.00","amount":"2.00"}"#,
        r#"{"amount":"1.00","customer":{"email":"a@shop.example","email":"b@shop.example"}}"#,
        r#"{"amount":"1.00","metadata":{"k":"1","\u006b":"2"}}"#,
    ] {
        let call = Call::event("create-session")
            .key(Some(&key))
            .raw_body(body.as_bytes().to_vec());
        let response = env.create_call(call).await;
        assert_eq!(response.status, 400, "{body}: {}", response.body);
        assert!(
            response.body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("appears twice")),
            "{}",
            response.body
        );
    }
    let patched = env
        .call_with(
            "update-account",
            Call::event("update-account")
                .key(Some(&key))
                .raw_body(br##"{"brandColor":"#aa0000","brandColor":null}"##.to_vec()),
        )
        .await;
    assert_eq!(patched.status, 400);
    assert_eq!(env.item_count().await, before, "nothing written");
}

#[tokio::test]
async fn a_header_sent_twice_is_a_400_naming_it_and_writes_nothing() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let before = env.item_count().await;
    for (name, field, first, second) in [
        ("merchant-id", "Merchant-Id", "mer_a", "mer_b"),
        ("idempotency-key", "Idempotency-Key", "k-1", "k-2"),
    ] {
        let call = Call::event("create-session")
            .key(Some(&key))
            .json(&valid_body())
            .header(name, Some(first))
            .also_header(name, second);
        let response = env.create_call(call).await;
        assert_eq!(response.status, 400, "{name}: {}", response.body);
        assert_eq!(response.error_fields(), [field]);
    }
    let call = Call::event("create-session")
        .key(Some(&key))
        .json(&valid_body())
        .also_header("authorization", "Bearer sk_test_other");
    let response = env.create_call(call).await;
    assert_eq!(response.status, 400, "{}", response.body);
    assert_eq!(response.error_fields(), ["Authorization"]);
    assert_eq!(env.item_count().await, before, "nothing written");
}

#[tokio::test]
async fn only_json_in_utf8_is_read_and_merge_patch_only_for_a_patch() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let before = env.item_count().await;
    for media_type in [
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/problem+json",
        "application/json; charset=utf-16",
        "application/json; charset=iso-8859-1",
        "text/json",
    ] {
        let call = Call::event("create-session")
            .key(Some(&key))
            .json(&valid_body())
            .header("content-type", Some(media_type));
        let response = env.create_call(call).await;
        assert_eq!(response.status, 415, "{media_type}: {}", response.body);
    }
    let call = Call::event("create-session")
        .key(Some(&key))
        .json(&valid_body())
        .header("content-type", Some("application/json"))
        .also_header("content-type", "text/plain");
    assert_eq!(env.create_call(call).await.status, 415, "two Content-Types");
    assert_eq!(env.item_count().await, before, "nothing written");

    let id = env.created_id(&key, &valid_body()).await;
    let merge_patch = Call::event("update-session")
        .key(Some(&key))
        .id(&id)
        .json(&json!({"description": "Merged"}))
        .header(
            "content-type",
            Some("application/merge-patch+json; charset=UTF-8"),
        );
    let request = merge_patch.into_request();
    let response = integration_tests::ApiResponse::from_response(
        update_session::handle(&env.app, request).await,
    );
    assert_eq!(response.status, 200, "{}", response.body);
    let json_patch = Call::event("update-session")
        .key(Some(&key))
        .id(&id)
        .json(&json!([{"op": "replace", "path": "/description", "value": "X"}]))
        .header("content-type", Some("application/json-patch+json"));
    let response = integration_tests::ApiResponse::from_response(
        update_session::handle(&env.app, json_patch.into_request()).await,
    );
    assert_eq!(response.status, 415);
}
