//! Collecting more (SPEC §20 `collect`): a phone, a billing address, custom fields and consent
//! to the merchant's terms, checked on create and on the page, kept on the paid session and sent
//! in its webhook.

use integration_tests::TestEnv;
use serde_json::{Value, json};

fn collect() -> Value {
    json!({
        "phone": "required",
        "billingAddress": "optional",
        "customFields": [
            {"key": "vat", "label": "VAT number", "type": "text", "optional": true},
            {"key": "seats", "label": "Seats", "type": "numeric"},
            {"key": "size", "label": "Size", "type": "dropdown",
             "options": ["S", {"value": "m", "label": "Medium"}]}
        ],
        "termsOfService": "required"
    })
}

/// A merchant with terms to link, and its key.
async fn merchant_with_terms(env: &TestEnv) -> String {
    let key = env.merchant().await.api_key;
    let set = env
        .call(
            "update-account",
            &key,
            None,
            Some(&json!({"termsUrl": "https://shop.example/terms"})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    key
}

#[tokio::test]
async fn a_bad_collect_is_refused_with_every_path_and_writes_nothing() {
    let env = TestEnv::new().await;
    let without_terms = env.merchant().await.api_key;
    let before = env.data_items().await;
    let bad = env
        .create(
            &without_terms,
            &json!({"amount": "10.00", "collect": {
                "phone": "sometimes",
                "customFields": [{"key": "a b", "label": "A", "type": "dropdown"}],
                "shipping": "required"
            }}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "collect.customFields[0].key",
            "collect.customFields[0].options",
            "collect.phone",
            "collect.shipping"
        ]
    );
    let no_terms = env
        .create(
            &without_terms,
            &json!({"amount": "10.00", "collect": {"termsOfService": "required"}}),
        )
        .await;
    assert_eq!(no_terms.status, 400);
    assert_eq!(no_terms.error_fields(), ["collect.termsOfService"]);
    assert_eq!(env.data_items().await, before, "nothing written");

    let key = merchant_with_terms(&env).await;
    let created = env
        .create(&key, &json!({"amount": "10.00", "collect": collect()}))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["collect"]["phone"], "required");
    assert_eq!(
        created.body["collect"]["customFields"][2]["options"][1]["label"],
        "Medium"
    );
    assert_eq!(created.body["customerDetails"], Value::Null);
    assert_eq!(created.body["customFields"], json!([]));
}

#[tokio::test]
async fn the_page_asks_refuses_bad_answers_keeping_them_and_the_paid_session_keeps_good_ones() {
    let env = TestEnv::new().await;
    let key = merchant_with_terms(&env).await;
    let id = env
        .created_id(&key, &json!({"amount": "10.00", "collect": collect()}))
        .await;
    let path = format!("/pay/{id}");
    let page = env.page(&path, None).await;
    for name in [
        "name=\"phone\"",
        "name=\"billingAddress.line1\"",
        "name=\"billingAddress.country\"",
        "name=\"customFields.vat\"",
        "name=\"customFields.seats\"",
        "name=\"customFields.size\"",
        "name=\"termsOfService\"",
        "href=\"https://shop.example/terms\"",
    ] {
        assert!(page.body.contains(name), "the page has {name}");
    }
    let token = page.token();
    let before = env.get(&key, &id).await.body;

    let card = [
        ("method", "card"),
        ("token", token.as_str()),
        ("version", "1"),
        ("cardNumber", "4242424242424242"),
        ("cardExpiry", "12/34"),
        ("cardCvc", "123"),
        ("cardName", "Jane Payer"),
    ];
    let mut bad = card.to_vec();
    bad.extend([
        ("phone", "call me maybe"),
        ("billingAddress.line1", "1 Main St"),
        ("customFields.seats", "twelve"),
        ("customFields.size", "XL"),
    ]);
    let refused = env.page(&path, Some(&bad)).await;
    assert_eq!(refused.status, 422);
    for id_part in [
        "phone",
        "billingAddress-city",
        "customFields-seats",
        "customFields-size",
        "termsOfService",
    ] {
        let marked = format!("id=\"card-{id_part}\"",);
        let at = refused
            .body
            .find(&marked)
            .unwrap_or_else(|| panic!("{marked}"));
        let tag_end = refused.body[at..].find('>').map_or(0, |end| at + end);
        let tag = &refused.body[at..tag_end];
        assert!(
            tag.contains("aria-invalid=\"true\"")
                && tag.contains(&format!("aria-describedby=\"card-{id_part}-error\"")),
            "{tag}"
        );
        assert!(
            refused
                .body
                .contains(&format!("id=\"card-{id_part}-error\""))
        );
    }
    assert!(refused.body.contains("value=\"call me maybe\""), "kept");
    assert!(
        refused.body.contains("value=\"Jane Payer\""),
        "the name kept"
    );
    assert!(
        !refused.body.contains("4242424242424242"),
        "no card data echoed"
    );
    assert_eq!(env.get(&key, &id).await.body, before, "nothing written");

    let mut good = card.to_vec();
    good.extend([
        ("phone", "+49 30 1234 5678"),
        ("customFields.seats", "12"),
        ("customFields.size", "m"),
        ("termsOfService", "accepted"),
    ]);
    let paid = env.page(&path, Some(&good)).await;
    assert_eq!(paid.status, 303, "{}", paid.body);
    let session = env.get(&key, &id).await.body;
    assert_eq!(session["status"], "completed");
    assert_eq!(
        session["customerDetails"],
        json!({"phone": "+493012345678"})
    );
    assert_eq!(
        session["customFields"],
        json!([{"key": "seats", "value": "12"}, {"key": "size", "value": "m"}])
    );
    assert_eq!(session["consent"], json!({"termsOfService": "accepted"}));
    let event = &env.events(&key, &[("sessionId", &id)]).await.body["data"][0];
    assert_eq!(
        event["data"]["object"]["customFields"],
        session["customFields"]
    );
    assert_eq!(event["data"]["object"]["consent"], session["consent"]);
}

/// Text that carries a terminal escape, a forged log or CSV line, NUL, BEL, a bidi override or
/// a zero-width character: it would reach the merchant's logs and exports as it is.
const HIDDEN: [&str; 7] = [
    "\u{1b}[31mPAID\u{1b}[0m",
    "1 Main St\r\nX-Forged: yes",
    "1 Main St\nsecond line",
    "nul\0byte",
    "bell\u{7}",
    "Widget \u{202e}roF 00.1$",
    "zero\u{200b}width",
];

#[tokio::test]
async fn payer_text_with_control_or_invisible_characters_is_refused_and_writes_nothing() {
    let env = TestEnv::new().await;
    let key = merchant_with_terms(&env).await;
    let id = env
        .created_id(&key, &json!({"amount": "10.00", "collect": collect()}))
        .await;
    let path = format!("/pay/{id}");
    let page = env.page(&path, None).await;
    let (token, version) = (page.token(), page.version());
    let before = env.data_items().await;
    let good = [
        ("method", "card"),
        ("token", token.as_str()),
        ("version", version.as_str()),
        ("cardNumber", "4242424242424242"),
        ("cardExpiry", "12/34"),
        ("cardCvc", "123"),
        ("cardName", "Jane Payer"),
        ("phone", "+49 30 1234 5678"),
        ("billingAddress.line1", "1 Main St"),
        ("billingAddress.line2", "Floor 2"),
        ("billingAddress.city", "Berlin"),
        ("billingAddress.postalCode", "10115"),
        ("billingAddress.country", "DE"),
        ("customFields.vat", "DE123"),
        ("customFields.seats", "12"),
        ("customFields.size", "m"),
        ("termsOfService", "accepted"),
    ];
    for field in [
        "billingAddress.line1",
        "billingAddress.line2",
        "billingAddress.city",
        "billingAddress.postalCode",
        "customFields.vat",
    ] {
        for hidden in HIDDEN {
            let form: Vec<(&str, &str)> = good
                .iter()
                .map(|&(name, value)| (name, if name == field { hidden } else { value }))
                .collect();
            let refused = env.page(&path, Some(&form)).await;
            assert_eq!(refused.status, 422, "{field} = {hidden:?}");
            let marker = format!("id=\"card-{}-error\"", field.replace('.', "-"));
            assert!(
                refused.body.contains(&marker),
                "{field} = {hidden:?} is marked"
            );
            assert_eq!(env.data_items().await, before, "{field} = {hidden:?}");
        }
    }
    assert_eq!(
        env.page(&path, Some(&good)).await.status,
        303,
        "the clean form pays"
    );
}

#[tokio::test]
async fn merchant_names_with_control_or_invisible_characters_are_a_400_and_write_nothing() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let before = env.data_items().await;
    for hidden in HIDDEN {
        let account = env
            .call(
                "update-account",
                &key,
                None,
                Some(&json!({"displayName": hidden})),
            )
            .await;
        assert_eq!(account.status, 400, "{hidden:?}");
        assert_eq!(account.error_fields(), ["displayName"]);
        let named = env
            .call("create-api-key", &key, None, Some(&json!({"name": hidden})))
            .await;
        assert_eq!(named.status, 400, "{hidden:?}");
        assert_eq!(named.error_fields(), ["name"]);
        let endpoint = env
            .call(
                "create-webhook-endpoint",
                &key,
                None,
                Some(&json!({
                    "url": "https://hooks.example/in",
                    "enabledEvents": ["*"],
                    "description": hidden
                })),
            )
            .await;
        assert_eq!(endpoint.status, 400, "{hidden:?}");
        assert_eq!(endpoint.error_fields(), ["description"]);
    }
    assert_eq!(env.data_items().await, before, "nothing written");
}

#[tokio::test]
async fn a_billing_country_that_is_no_country_is_refused() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = env
        .created_id(
            &key,
            &json!({"amount": "10.00", "collect": {"billingAddress": "required"}}),
        )
        .await;
    let path = format!("/pay/{id}");
    let page = env.page(&path, None).await;
    let (token, version) = (page.token(), page.version());
    let before = env.data_items().await;
    for country in ["ZZ", "XX", "UK", "EU", "D", "DEU"] {
        let form = [
            ("method", "card"),
            ("token", token.as_str()),
            ("version", version.as_str()),
            ("cardNumber", "4242424242424242"),
            ("cardExpiry", "12/34"),
            ("cardCvc", "123"),
            ("billingAddress.line1", "1 Main St"),
            ("billingAddress.city", "Berlin"),
            ("billingAddress.postalCode", "10115"),
            ("billingAddress.country", country),
        ];
        let refused = env.page(&path, Some(&form)).await;
        assert_eq!(refused.status, 422, "{country}");
        assert!(
            refused.body.contains("card-billingAddress-country-error"),
            "{country}"
        );
        assert_eq!(env.data_items().await, before, "{country}");
    }
}
