//! The hosted checkout page through its handler: what the payer sees, what paying, declining and
//! cancelling do, and what is never kept. The real-browser walk is in tests/browser.rs.

use std::sync::Arc;

use checkout_domain::ids::SessionId;
use integration_tests::{PageResponse, TestEnv};
use serde_json::{Value, json};

async fn session(env: &TestEnv, key: &str, body: Value) -> String {
    let created = env.create(key, &body).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.body["id"].as_str().expect("an id").to_owned()
}

/// Pays from the page of a session never changed since it was created (version 1).
async fn pay(env: &TestEnv, id: &str, token: &str, number: &str, cvc: &str) -> PageResponse {
    pay_expiring(env, id, token, number, "12/34", cvc).await
}

/// Pays as [`pay`] does, with the expiry typed as `expiry`.
async fn pay_expiring(
    env: &TestEnv,
    id: &str,
    token: &str,
    number: &str,
    expiry: &str,
    cvc: &str,
) -> PageResponse {
    let path = format!("/pay/{id}");
    env.page(
        &path,
        Some(&[
            ("method", "card"),
            ("token", token),
            ("version", "1"),
            ("cardNumber", number),
            ("cardExpiry", expiry),
            ("cardCvc", cvc),
            ("cardName", "Jane Payer"),
        ]),
    )
    .await
}

async fn open(env: &TestEnv, id: &str) -> PageResponse {
    env.page(&format!("/pay/{id}"), None).await
}

#[tokio::test]
async fn the_page_shows_what_is_paid_for_under_strict_headers() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = session(
        &env,
        &key,
        json!({"description": "Two teas", "lineItems": [
            {"name": "Green tea", "unitAmount": "617.25", "quantity": 2, "description": "Sencha"}
        ]}),
    )
    .await;
    let page = open(&env, &id).await;
    assert_eq!(page.status, 200);
    for expected in [
        "$1,234.50",
        "Acme Test Shop",
        "Two teas",
        "Green tea",
        "Sencha",
        "Test mode",
        "Expires in 1 d 0 h",
    ] {
        assert!(page.body.contains(expected), "missing {expected}");
    }
    // One top-level heading names whom the payer pays (axe-core: page-has-heading-one).
    assert_eq!(page.body.matches("<h1").count(), 1);
    assert!(
        page.body
            .contains(r#"<span id="summary">Acme Test Shop</span></h1>"#)
    );
    for input in [
        "method",
        "cardNumber",
        "cardExpiry",
        "cardCvc",
        "cardName",
        "token",
    ] {
        assert!(
            page.body.contains(&format!(r#"name="{input}""#)),
            "missing input {input}"
        );
    }
    assert!(page.body.contains(&format!(r#"action="/pay/{id}/cancel""#)));
    assert!(!page.token().is_empty());
    let csp = page.header("content-security-policy").expect("a CSP");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    // The one script is the countdown, allowed by its hash alone.
    assert!(
        !csp.contains("unsafe-inline") && csp.contains("script-src 'sha256-"),
        "{csp}"
    );
    let scripts = page.body.matches("<script>").count();
    assert_eq!(scripts, 1, "the countdown is the page's only script");
    assert!(
        csp.contains("https://shop.example"),
        "form-action allows the redirect targets: {csp}"
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(
        page.header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
    );
    assert_eq!(env.page("/pay/cs_unknown", None).await.status, 404);
}

#[tokio::test]
async fn merchant_and_payer_supplied_text_is_rendered_inert() {
    let env = TestEnv::new().await;
    let merchant = env
        .merchant_with(checkoutctl::merchants::MerchantOptions {
            name: "Evil".into(),
            display_name: Some("<b onmouseover=alert(2)>Evil</b>".into()),
            success_url: Some("https://e.example/ok".into()),
            cancel_url: Some("https://e.example/no".into()),
            ..Default::default()
        })
        .await;
    let id = session(
        &env,
        &merchant.api_key,
        json!({
            "description": "<script>alert(1)</script>",
            "metadata": {"note": "<img src=x onerror=alert(3)>"},
            "lineItems": [{"name": "\"><svg onload=alert(4)>", "unitAmount": "5.00", "quantity": 1}]
        }),
    )
    .await;
    let page = open(&env, &id).await;
    assert!(
        page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            || page.body.contains("&#60;script&#62;")
    );
    for raw in [
        "<script>alert(1)",
        "<b onmouseover",
        "<svg onload",
        "<img src=x",
    ] {
        assert!(!page.body.contains(raw), "{raw} reached the page unescaped");
    }
}

#[tokio::test]
async fn paying_with_the_success_card_completes_and_redirects_with_the_session_id() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = session(
        &env,
        &key,
        json!({"amount": "10.50", "orderId": "paid-order"}),
    )
    .await;
    let token = open(&env, &id).await.token();
    let paid = pay(&env, &id, &token, "4242 4242 4242 4242", "987").await;
    assert_eq!(paid.status, 303);
    let location = paid.header("location").expect("a redirect");
    assert_eq!(
        location,
        format!("https://shop.example/thanks?session={id}&sessionId={id}&status=completed")
    );
    let read = env.get(&key, &id).await;
    assert_eq!(read.body["status"], "completed");
    assert_eq!(
        read.body["payment"],
        json!({"method": "card", "brand": "visa", "last4": "4242"})
    );
    assert!(read.body["completedAt"].is_string());
    let events = env.events(&key, &[("sessionId", &id)]).await;
    assert_eq!(events.body["data"][0]["type"], "checkout.session.completed");
    assert_eq!(
        events.body["data"][0]["data"]["object"]["payment"]["last4"],
        "4242"
    );

    let again = open(&env, &id).await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains("Payment received") && !again.body.contains("cardNumber"));
    let twice = pay(&env, &id, &token, "4242424242424242", "987").await;
    assert_eq!(
        (twice.status, twice.header("location")),
        (303, Some(id.as_str())),
        "a paid session is not paid twice: back to its page"
    );
    assert!(open(&env, &id).await.body.contains("Payment received"));
    let events = env.events(&key, &[("sessionId", &id)]).await;
    assert_eq!(events.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        env.create(&key, &json!({"amount": "1.00", "orderId": "paid-order"}))
            .await
            .status,
        409,
        "a completed session keeps its order id"
    );

    // No card number or security code anywhere in the table; brand and last 4 only.
    let dump = format!("{:?}", env.items().await);
    assert!(!dump.contains("4242424242424242") && !dump.contains("4242 4242"));
    // The security code as a stored value (random ids and hashes may well contain its digits).
    assert!(
        !dump.contains("S(\"987\")") && !dump.contains("cardCvc") && !dump.contains("Jane Payer")
    );
    assert!(dump.contains("4242"));
}

#[tokio::test]
async fn a_decline_keeps_the_form_and_the_third_fails_the_session() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = session(
        &env,
        &key,
        json!({"amount": "10.00", "orderId": "declined-order"}),
    )
    .await;
    let token = open(&env, &id).await.token();

    // Numbers failing the Luhn check never reach the processor and do not count as declines.
    for _ in 0..3 {
        let typo = pay(&env, &id, &token, "4242424242424241", "123").await;
        assert_eq!(typo.status, 422);
        assert!(typo.body.contains("The card number is not valid."));
    }
    let first = pay(&env, &id, &token, "4000000000000002", "123").await;
    assert_eq!(first.status, 422);
    assert!(first.body.contains("Your card was declined.") && first.body.contains("2 more times"));
    assert!(
        first.body.contains(r#"name="cardNumber""#),
        "the form stays"
    );
    let second = pay(&env, &id, &token, "4000000000009995", "123").await;
    assert_eq!(second.status, 422);
    assert!(second.body.contains("insufficient funds") && second.body.contains("1 more time"));
    let third = pay(&env, &id, &token, "4000000000000069", "123").await;
    assert_eq!(third.status, 303);
    assert_eq!(
        third.header("location"),
        Some(format!("https://shop.example/cart?sessionId={id}&status=failed").as_str())
    );
    assert_eq!(env.get(&key, &id).await.body["status"], "failed");
    let events = env.events(&key, &[("sessionId", &id)]).await;
    assert_eq!(events.body["data"][0]["type"], "checkout.session.failed");
    assert_eq!(
        env.create(
            &key,
            &json!({"amount": "10.00", "orderId": "declined-order"})
        )
        .await
        .status,
        201,
        "a failed session releases its order id"
    );
}

#[tokio::test]
async fn forged_posts_are_refused_and_write_nothing() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = session(&env, &key, json!({"amount": "10.00"})).await;
    let before = env.item_count().await;
    let no_token = env
        .page(
            &format!("/pay/{id}"),
            Some(&[("method", "card"), ("cardNumber", "4242424242424242")]),
        )
        .await;
    assert_eq!(no_token.status, 403);
    let wrong = pay(&env, &id, "not-the-token", "4242424242424242", "123").await;
    assert_eq!(wrong.status, 403);
    let cancel = env
        .page(&format!("/pay/{id}/cancel"), Some(&[("token", "forged")]))
        .await;
    assert_eq!(cancel.status, 403);
    assert_eq!(env.item_count().await, before);
    assert_eq!(env.get(&key, &id).await.body["status"], "pending");
}

#[tokio::test]
async fn the_cancel_link_and_crypto_work_and_an_expired_link_is_gone() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = session(&env, &key, json!({"amount": "10.00"})).await;
    let token = open(&env, &id).await.token();
    let cancelled = env
        .page(
            &format!("/pay/{id}/cancel"),
            Some(&[("token", token.as_str())]),
        )
        .await;
    assert_eq!(cancelled.status, 303);
    assert_eq!(
        cancelled.header("location"),
        Some(format!("https://shop.example/cart?sessionId={id}&status=cancelled").as_str())
    );
    assert_eq!(env.get(&key, &id).await.body["status"], "cancelled");

    let crypto = session(
        &env,
        &key,
        json!({"amount": "10.00", "paymentMethods": ["crypto"], "allowedAssets": ["USDC"]}),
    )
    .await;
    let page = open(&env, &crypto).await;
    assert!(
        page.body.contains(r#"name="asset" value="USDC""#)
            && page.body.contains("10.000000 USDC")
            && !page.body.contains(r#"value="BTC""#)
            && !page.body.contains(r#"name="cardNumber""#)
    );
    let token = page.token();
    let refused = env
        .page(
            &format!("/pay/{crypto}"),
            Some(&[
                ("method", "crypto"),
                ("asset", "BTC"),
                ("token", token.as_str()),
                ("version", "1"),
            ]),
        )
        .await;
    assert!(refused.body.contains("not accepted"));
    let paid = env
        .page(
            &format!("/pay/{crypto}"),
            Some(&[
                ("method", "crypto"),
                ("asset", "USDC"),
                ("token", token.as_str()),
                ("version", "1"),
            ]),
        )
        .await;
    // Crypto settles later (SPEC §16): the payer is sent back to the page, which now waits.
    assert_eq!(paid.status, 303);
    assert_eq!(paid.header("location"), Some(crypto.as_str()));
    let processing = env.get(&key, &crypto).await.body;
    assert_eq!(processing["status"], "processing");
    assert_eq!(processing["payment"]["asset"], "USDC");
    assert_eq!(processing["payment"]["assetAmount"], "10.000000");

    let short = session(&env, &key, json!({"amount": "10.00", "expiresIn": "PT1M"})).await;
    env.clock.advance(time::Duration::minutes(2));
    let expired = open(&env, &short).await;
    assert_eq!(expired.status, 410);
    assert!(expired.body.contains("expired") && !expired.body.contains("cardNumber"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_payments_complete_a_session_once() {
    let env = Arc::new(TestEnv::new().await);
    let key = env.merchant().await.api_key;
    let id = session(&env, &key, json!({"amount": "10.00"})).await;
    let token = open(&env, &id).await.token();
    let race = integration_tests::race(20, |_| {
        let (env, id, token) = (Arc::clone(&env), id.clone(), token.clone());
        async move { pay(&env, &id, &token, "4242424242424242", "123").await }
    })
    .await;
    assert!(race.peak_in_flight >= 4, "peak {}", race.peak_in_flight);
    let statuses: Vec<u16> = race.answers.iter().map(|p| p.status).collect();
    assert_eq!(
        race.answers
            .iter()
            .filter(|p| p.left_for_the_shop())
            .count(),
        1,
        "exactly one payment went through: {statuses:?}"
    );
    for page in race.answers.iter().filter(|p| p.status != 303) {
        assert_eq!(page.status, 200, "{statuses:?}");
        assert!(
            page.body.contains("Payment received"),
            "the others see it paid"
        );
    }
    let stored = env
        .app
        .store
        .get_session(&SessionId::from_stored(&id))
        .await
        .expect("a read");
    assert_eq!(
        stored.map(|s| s.status.as_str()),
        Some("completed"),
        "stored as paid"
    );
    let events = env.events(&key, &[("sessionId", &id)]).await;
    assert_eq!(events.body["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paying_while_the_merchant_expires_ends_in_exactly_one_state() {
    let env = Arc::new(TestEnv::new().await);
    let key = env.merchant().await.api_key;
    for _ in 0..10 {
        let id = session(&env, &key, json!({"amount": "10.00"})).await;
        let token = open(&env, &id).await.token();
        let race = integration_tests::race(2, |i| {
            let (env, key, id, token) = (Arc::clone(&env), key.clone(), id.clone(), token.clone());
            async move {
                if i == 0 {
                    let page = pay(&env, &id, &token, "4242424242424242", "123").await;
                    (
                        page.status,
                        page.header("location").unwrap_or_default().to_owned(),
                    )
                } else {
                    let expired = env.expire(&key, &id).await;
                    (expired.status, expired.body.to_string())
                }
            }
        })
        .await;
        let (payment, expiry) = (&race.answers[0], &race.answers[1]);
        let (paid, expired) = (
            payment.0 == 303 && payment.1.starts_with("http"),
            expiry.0 == 200,
        );
        assert!(
            paid ^ expired,
            "exactly one of pay and expire wins: {race:?}"
        );
        if paid {
            assert_eq!(expiry.0, 409, "the expire loses with a conflict");
            assert!(expiry.1.contains("invalid_status") && expiry.1.contains("completed"));
        } else {
            assert_eq!(
                (payment.0, payment.1.as_str()),
                (303, id.as_str()),
                "the form goes back to the page"
            );
            let page = open(&env, &id).await;
            assert_eq!(page.status, 410, "the payer sees the expired page");
            assert!(page.body.contains("expired"));
        }
        let status = env.get(&key, &id).await.body["status"].clone();
        assert_eq!(status, if paid { "completed" } else { "expired" });
        let events = env.events(&key, &[("sessionId", &id)]).await;
        assert_eq!(events.body["data"].as_array().map(Vec::len), Some(1));
    }
}

#[tokio::test]
async fn a_refund_with_one_key_happens_once_and_replays() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = session(&env, &key, json!({"amount": "10.00"})).await;
    assert_eq!(
        env.refund(&key, &id, None).await.status,
        409,
        "a pending session is not refundable"
    );
    let token = open(&env, &id).await.token();
    assert_eq!(
        pay(&env, &id, &token, "4242424242424242", "123")
            .await
            .status,
        303
    );

    let first = env.refund(&key, &id, Some("refund-1")).await;
    assert_eq!(
        (first.status, first.body["status"].as_str()),
        (200, Some("refunded"))
    );
    assert!(first.body["refundedAt"].is_string());
    let second = env.refund(&key, &id, Some("refund-1")).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.body, first.body);
    let unkeyed = env.refund(&key, &id, None).await;
    assert_eq!(
        (unkeyed.status, unkeyed.body["code"].as_str()),
        (409, Some("invalid_status"))
    );

    let other = session(&env, &key, json!({"amount": "10.00"})).await;
    let reused = env.refund(&key, &other, Some("refund-1")).await;
    assert_eq!(
        (reused.status, reused.body["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
    let events = env
        .events(
            &key,
            &[("sessionId", &id), ("type", "checkout.session.refunded")],
        )
        .await;
    assert_eq!(
        events.body["data"].as_array().map(Vec::len),
        Some(1),
        "one refund, one event"
    );
}

#[tokio::test]
async fn ended_sessions_show_how_they_ended_without_a_form() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let refunded = session(&env, &key, json!({"amount": "10.00"})).await;
    let token = open(&env, &refunded).await.token();
    assert_eq!(
        pay(&env, &refunded, &token, "4242424242424242", "123")
            .await
            .status,
        303
    );
    assert_eq!(env.refund(&key, &refunded, None).await.status, 200);
    let cancelled = session(&env, &key, json!({"amount": "10.00"})).await;
    assert_eq!(env.cancel(&key, &cancelled).await.status, 200);
    let failed = session(&env, &key, json!({"amount": "10.00"})).await;
    let token = open(&env, &failed).await.token();
    for _ in 0..3 {
        pay(&env, &failed, &token, "4000000000000002", "123").await;
    }
    for (id, status, text) in [
        (&refunded, 200, "Payment refunded"),
        (&cancelled, 200, "Payment cancelled"),
        (&failed, 200, "Payment failed"),
    ] {
        let page = open(&env, id).await;
        assert_eq!(page.status, status, "{text}");
        assert!(page.body.contains(text), "{text}");
        assert!(
            !page.body.contains(r#"name="cardNumber""#),
            "{text}: no form"
        );
    }
}

#[tokio::test]
async fn a_wrong_security_code_and_a_past_expiry_are_told_to_the_payer() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = session(&env, &key, json!({"amount": "10.00"})).await;
    let token = open(&env, &id).await.token();
    let wrong_cvc = pay(&env, &id, &token, "4000000000000127", "123").await;
    assert_eq!(wrong_cvc.status, 422);
    assert!(wrong_cvc.body.contains("security code is incorrect"));
    assert!(wrong_cvc.body.contains("2 more times"), "a decline counts");

    let past = env
        .page(
            &format!("/pay/{id}"),
            Some(&[
                ("method", "card"),
                ("token", token.as_str()),
                ("version", "1"),
                ("cardNumber", "4242424242424242"),
                ("cardExpiry", "01/20"),
                ("cardCvc", "123"),
                ("cardName", "Jane Payer"),
            ]),
        )
        .await;
    assert_eq!(past.status, 422);
    assert!(
        past.body
            .contains("The expiry date is not valid or has passed.")
    );
    let stored = env
        .app
        .store
        .get_session(&SessionId::from_stored(&id))
        .await
        .expect("a read")
        .expect("the session");
    assert_eq!(
        (stored.status.as_str(), stored.decline_count),
        ("pending", 1),
        "a past expiry never reached the processor"
    );
}

#[tokio::test]
async fn the_shop_is_told_the_real_status_whatever_its_own_url_says() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = session(
        &env,
        &key,
        json!({
            "amount": "10.00",
            "cancelUrl": "https://shop.example/cart?status=completed&sessionId=cs_other&ref=7"
        }),
    )
    .await;
    let token = open(&env, &id).await.token();
    let cancelled = env
        .page(
            &format!("/pay/{id}/cancel"),
            Some(&[("token", token.as_str())]),
        )
        .await;
    let location = cancelled.header("location").expect("a redirect");
    let url = url::Url::parse(location).expect("a URL");
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let named = |name: &str| -> Vec<&str> {
        pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    assert_eq!(named("status"), ["cancelled"], "{location}");
    assert_eq!(named("sessionId"), [id.as_str()], "{location}");
    assert_eq!(named("ref"), ["7"], "the shop's own parameters stay");
}

#[tokio::test]
async fn a_number_of_no_card_network_pays_nothing_and_expiries_are_read_as_typed() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = session(&env, &key, json!({"amount": "10.00"})).await;
    let token = open(&env, &id).await.token();
    let before = env.data_items().await;
    for number in [
        "0000 0000 0000 0000",
        "0000000000000",
        "9999 9999 9999 9995",
    ] {
        let refused = pay(&env, &id, &token, number, "123").await;
        assert_eq!(refused.status, 422, "{number}");
        assert!(refused.body.contains("cardNumber-error"), "{number}");
        assert_eq!(env.data_items().await, before, "{number} wrote nothing");
    }
    // Two declines: a third would end the session.
    for typed in ["1230", "12-30"] {
        let declined = pay_expiring(&env, &id, &token, "4000000000000002", typed, "123").await;
        assert!(
            !declined.body.contains("cardExpiry-error"),
            "{typed} is an expiry"
        );
        assert!(
            declined.body.contains("declined"),
            "{typed}: charged and declined"
        );
    }
    let paid = pay_expiring(&env, &id, &token, "4242424242424242", "12 / 30", "123").await;
    assert_eq!(paid.status, 303);
    assert_eq!(env.get(&key, &id).await.body["status"], "completed");
}
