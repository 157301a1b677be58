//! The merchant dashboard (SPEC §19) through its handler, as a browser without JavaScript uses
//! it: signing in and out, its cookie and anti-forgery tokens, what another merchant's URL
//! shows, read-only keys, search, the overview's figures against the API, and its forms acting
//! through the API's services.

use std::collections::BTreeMap;

use integration_tests::TestEnv;
use integration_tests::dashboard_client::DashboardClient;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const PAID_CARD: &str = "4242424242424242";

#[tokio::test]
async fn signing_in_with_a_key_gives_a_strict_http_only_cookie_that_is_not_the_key() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let mut browser = DashboardClient::new(&env);
    let form = browser.get("/dashboard/").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("name=\"apiKey\""), "the sign-in form");
    assert!(!form.csrf().is_empty(), "the sign-in form carries a token");

    let answer = browser
        .post(
            "/dashboard/login",
            &[("csrfToken", &form.csrf()), ("apiKey", &merchant.api_key)],
        )
        .await;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.location.as_deref(), Some("/dashboard/"));
    let cookie = answer
        .set_cookies
        .iter()
        .find(|c| c.starts_with("dashboard_session="))
        .expect("a session cookie");
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Max-Age=28800",
        "Path=/dashboard",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let secret_part = &merchant.api_key["sk_test_".len()..];
    assert!(
        !cookie.contains(secret_part),
        "the key never leaves in the cookie"
    );

    let overview = browser.get("/dashboard/").await;
    assert_eq!(overview.status, 200);
    assert!(
        overview.body.contains("Acme Test Shop"),
        "{}",
        overview.body
    );
    assert!(overview.body.contains("Sign out"));

    let wrong = DashboardClient::new(&env);
    let mut wrong = wrong;
    let form = wrong.get("/dashboard/").await;
    let refused = wrong
        .post(
            "/dashboard/login",
            &[("csrfToken", &form.csrf()), ("apiKey", "sk_test_madeup")],
        )
        .await;
    assert_eq!(refused.status, 401);
    assert!(!wrong.cookies.contains_key("dashboard_session"));
}

#[tokio::test]
async fn another_merchants_session_by_url_is_a_404() {
    let env = TestEnv::new().await;
    let mine = env.merchant().await;
    let theirs = env.merchant().await;
    let their_id = env
        .created_id(&theirs.api_key, &json!({"amount": "5.00"}))
        .await;
    let my_id = env
        .created_id(&mine.api_key, &json!({"amount": "6.00"}))
        .await;
    let mut browser = DashboardClient::signed_in(&env, &mine.api_key).await;

    assert_eq!(
        browser
            .get(&format!("/dashboard/sessions/{my_id}"))
            .await
            .status,
        200
    );
    let page = browser
        .get(&format!("/dashboard/sessions/{their_id}"))
        .await;
    assert_eq!(page.status, 404);
    assert!(!page.body.contains(&their_id[3..]));
    let csrf = browser.get("/dashboard/sessions").await.csrf();
    let cancel = browser
        .post(
            &format!("/dashboard/sessions/{their_id}/cancel"),
            &[("csrfToken", &csrf)],
        )
        .await;
    assert_eq!(cancel.status, 404);
    let theirs_now = env.get(&theirs.api_key, &their_id).await;
    assert_eq!(theirs_now.body["status"], "pending", "nothing changed");
}

#[tokio::test]
async fn a_form_without_its_token_is_a_403_and_changes_nothing() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let other = env.merchant().await;
    let id = env
        .created_id(&merchant.api_key, &json!({"amount": "5.00"}))
        .await;
    let mut browser = DashboardClient::signed_in(&env, &merchant.api_key).await;
    let mut stranger = DashboardClient::signed_in(&env, &other.api_key).await;
    let their_token = stranger.get("/dashboard/sessions").await.csrf();
    let path = format!("/dashboard/sessions/{id}/cancel");

    for form in [
        vec![],
        vec![("csrfToken", "")],
        vec![("csrfToken", their_token.as_str())],
    ] {
        let answer = browser.post(&path, &form).await;
        assert_eq!(answer.status, 403, "{form:?}");
    }
    let keys = browser.post("/dashboard/keys", &[("scope", "full")]).await;
    assert_eq!(keys.status, 403);
    assert_eq!(
        env.get(&merchant.api_key, &id).await.body["status"],
        "pending"
    );
    let listed = env
        .call_with(
            "list-api-keys",
            integration_tests::Call::event("list-api-keys").key(Some(&merchant.api_key)),
        )
        .await;
    assert_eq!(
        listed.body["data"].as_array().map(Vec::len),
        Some(1),
        "no key was made"
    );

    let token = browser
        .get(&format!("/dashboard/sessions/{id}"))
        .await
        .csrf();
    let cancelled = browser.post(&path, &[("csrfToken", &token)]).await;
    assert_eq!(cancelled.status, 303, "{}", cancelled.body);
    assert_eq!(
        env.get(&merchant.api_key, &id).await.body["status"],
        "cancelled"
    );
}

#[tokio::test]
async fn a_cookie_kept_after_sign_out_opens_nothing() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let id = env
        .created_id(&merchant.api_key, &json!({"amount": "5.00"}))
        .await;
    let mut browser = DashboardClient::signed_in(&env, &merchant.api_key).await;
    let csrf = browser.get("/dashboard/sessions").await.csrf();
    let stolen = browser.cookies.clone();

    let out = browser
        .post("/dashboard/logout", &[("csrfToken", &csrf)])
        .await;
    assert_eq!(out.status, 303);
    assert!(
        out.set_cookies
            .iter()
            .any(|c| c.starts_with("dashboard_session=;") && c.contains("Max-Age=0")),
        "{:?}",
        out.set_cookies
    );

    let mut thief = DashboardClient::new(&env);
    thief.cookies = stolen.clone();
    let page = thief.get("/dashboard/sessions").await;
    assert_eq!(page.status, 303, "sent to sign in");
    assert_eq!(page.location.as_deref(), Some("/dashboard/"));
    let home = thief.get("/dashboard/").await;
    assert!(
        home.body.contains("name=\"apiKey\""),
        "the sign-in form, no data"
    );
    assert!(!home.body.contains(&id));
    let mut replay = DashboardClient::new(&env);
    replay.cookies = stolen;
    let answer = replay
        .post(
            &format!("/dashboard/sessions/{id}/cancel"),
            &[("csrfToken", &csrf)],
        )
        .await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert_eq!(
        env.get(&merchant.api_key, &id).await.body["status"],
        "pending"
    );
}

#[tokio::test]
async fn a_read_only_key_opens_a_dashboard_that_shows_and_changes_nothing() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let created = env
        .call_with(
            "create-api-key",
            integration_tests::Call::event("create-api-key")
                .key(Some(&merchant.api_key))
                .json(&json!({"name": "Support", "scope": "read_only"})),
        )
        .await;
    let read_only = created.body["secret"]
        .as_str()
        .expect("a secret")
        .to_owned();
    let id = env
        .created_id(&merchant.api_key, &json!({"amount": "5.00"}))
        .await;
    let mut browser = DashboardClient::signed_in(&env, &read_only).await;

    let page = browser.get(&format!("/dashboard/sessions/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("read-only key"), "it says so");
    assert!(!page.body.contains("/cancel\""), "no cancel form");
    for path in ["/dashboard/webhooks", "/dashboard/keys"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 200);
        assert!(
            !page
                .body
                .contains("method=\"post\" action=\"/dashboard/keys\"")
        );
    }
    let csrf = page.csrf();
    let cancel = browser
        .post(
            &format!("/dashboard/sessions/{id}/cancel"),
            &[("csrfToken", &csrf)],
        )
        .await;
    assert_eq!(cancel.status, 403);
    assert_eq!(
        env.get(&merchant.api_key, &id).await.body["status"],
        "pending"
    );
    let out = browser
        .post("/dashboard/logout", &[("csrfToken", &csrf)])
        .await;
    assert_eq!(out.status, 303, "a read-only session may still sign out");
}

/// The path of a fresh one-time sign-in link for `merchant_id`, as the operator hands it out.
async fn link_path(env: &TestEnv, merchant_id: &checkout_domain::ids::MerchantId) -> String {
    let url = checkoutctl::merchants::dashboard_link(
        &env.app.store,
        merchant_id,
        "https://checkout.example",
        env.app.now(),
    )
    .await
    .expect("a link");
    url.strip_prefix("https://checkout.example")
        .expect("under the base URL")
        .to_owned()
}

#[tokio::test]
async fn a_one_time_link_signs_in_once_and_revoking_the_key_ends_its_sessions() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let path = link_path(&env, &merchant.merchant_id).await;
    let token = path
        .split_once("token=")
        .map(|(_, t)| t.to_owned())
        .expect("a token");

    let mut browser = DashboardClient::new(&env);
    let confirm = browser.get(&path).await;
    assert_eq!(confirm.status, 200);
    assert_eq!(confirm.input_value("token"), token);
    let form = [("csrfToken", confirm.csrf()), ("token", token.clone())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let opened = browser.post("/dashboard/link", &form).await;
    assert_eq!(opened.status, 303);
    assert_eq!(browser.get("/dashboard/keys").await.status, 200);

    let mut again = DashboardClient::new(&env);
    let confirm = again.get(&path).await;
    let form = [("csrfToken", confirm.csrf()), ("token", token)];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let second = again.post("/dashboard/link", &form).await;
    assert_eq!(second.status, 401, "a link works once");
    assert!(!again.cookies.contains_key("dashboard_session"));

    // A session opened with a key ends when the key is revoked.
    let second_key = env
        .call_with(
            "create-api-key",
            integration_tests::Call::event("create-api-key")
                .key(Some(&merchant.api_key))
                .json(&json!({"name": "Temporary"})),
        )
        .await;
    let plaintext = second_key.body["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let key_id = second_key.body["id"].as_str().expect("id").to_owned();
    let mut with_key = DashboardClient::signed_in(&env, &plaintext).await;
    assert_eq!(with_key.get("/dashboard/keys").await.status, 200);
    let revoked = env
        .call_with(
            "revoke-api-key",
            integration_tests::Call::event("revoke-api-key")
                .key(Some(&merchant.api_key))
                .id(&key_id),
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(
        with_key.get("/dashboard/keys").await.status,
        303,
        "signed out"
    );
}

#[tokio::test]
async fn search_finds_sessions_by_order_id_reference_or_customer_email() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let key = &merchant.api_key;
    let ada = env
        .create(key, &json!({"amount": "5.00", "orderId": "order-7", "customer": {"email": "Ada@Example.com"}}))
        .await;
    let ada_id = ada.body["id"].as_str().expect("id").to_owned();
    let reference = ada.body["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    env.clock.advance(time::Duration::seconds(1));
    let bob_id = env
        .created_id(key, &json!({"amount": "6.00", "orderId": "order-8", "customer": {"email": "bob@example.com"}}))
        .await;
    env.clock.advance(time::Duration::seconds(1));
    let ada_again = env
        .created_id(
            key,
            &json!({"amount": "7.00", "customer": {"email": "ada@example.com"}}),
        )
        .await;
    let stranger = env.merchant().await;
    let theirs = env
        .created_id(&stranger.api_key, &json!({"amount": "8.00", "orderId": "order-7", "customer": {"email": "ada@example.com"}}))
        .await;
    let mut browser = DashboardClient::signed_in(&env, key).await;

    let rows = |body: &str| -> Vec<String> {
        body.split("data-session=\"")
            .skip(1)
            .filter_map(|rest| rest.split_once('"').map(|(id, _)| id.to_owned()))
            .collect()
    };
    let by_order = browser.get("/dashboard/sessions?q=order-7").await;
    assert_eq!(rows(&by_order.body), vec![ada_id.clone()]);
    let by_reference = browser
        .get(&format!(
            "/dashboard/sessions?q={}",
            reference.to_lowercase()
        ))
        .await;
    assert_eq!(rows(&by_reference.body), vec![ada_id.clone()]);
    let by_email = browser.get("/dashboard/sessions?q=ADA%40example.com").await;
    assert_eq!(
        rows(&by_email.body),
        vec![ada_again.clone(), ada_id.clone()]
    );
    let all = rows(&browser.get("/dashboard/sessions").await.body);
    assert_eq!(all.len(), 3);
    assert!(all.contains(&bob_id) && !all.contains(&theirs));
    let bad = browser.get("/dashboard/sessions?from=yesterday").await;
    assert_eq!(bad.status, 400, "a bad filter is refused, not ignored");
}

#[tokio::test]
async fn a_partial_refund_from_the_dashboard_shows_in_the_timeline_with_its_event() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let key = &merchant.api_key;
    let id = env
        .created_id(key, &json!({"amount": "20.00", "currency": "EUR"}))
        .await;
    assert_eq!(env.pay_card(&id, PAID_CARD).await.status, 303);
    let mut browser = DashboardClient::signed_in(&env, key).await;
    let page = browser.get(&format!("/dashboard/sessions/{id}")).await;
    assert!(page.body.contains("up to 20.00"), "{}", page.body);
    let form = |amount: &str| {
        vec![
            ("csrfToken".to_owned(), page.csrf()),
            (
                "idempotencyKey".to_owned(),
                page.input_value("idempotencyKey"),
            ),
            ("amount".to_owned(), amount.to_owned()),
            ("reason".to_owned(), "requested_by_customer".to_owned()),
        ]
    };
    let post = |fields: &Vec<(String, String)>| -> Vec<(String, String)> { fields.clone() };
    let bad = post(&form("lots"));
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let refused = browser
        .post(&format!("/dashboard/sessions/{id}/refunds"), &bad)
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("amount"), "names the field");
    let listed = env.refunds(key, &id, &[]).await;
    assert_eq!(
        listed.body["data"].as_array().map(Vec::len),
        Some(0),
        "nothing written"
    );

    let good = post(&form("7.50"));
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let done = browser
        .post(&format!("/dashboard/sessions/{id}/refunds"), &good)
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    // The same form sent twice is one refund.
    let twice = browser
        .post(&format!("/dashboard/sessions/{id}/refunds"), &good)
        .await;
    assert_eq!(twice.status, 303);
    let listed = env.refunds(key, &id, &[]).await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed.body["data"][0]["amount"], "7.50");
    // The form's key stands for the same request sent through the API: one refund either way.
    let form_key = page.input_value("idempotencyKey");
    let same = json!({"amount": "7.50", "reason": "requested_by_customer"});
    let replayed = env.create_refund(key, &id, &same, Some(&form_key)).await;
    assert_eq!(replayed.status, 201, "{}", replayed.body);
    assert_eq!(replayed.headers["idempotent-replayed"], "true");
    assert_eq!(replayed.body["id"], listed.body["data"][0]["id"]);
    let other = json!({"amount": "1.00"});
    let reused = env.create_refund(key, &id, &other, Some(&form_key)).await;
    assert_eq!(reused.status, 422, "{}", reused.body);

    let shown = browser
        .get(done.location.as_deref().expect("back to the session"))
        .await;
    assert!(shown.body.contains("Refund created."));
    assert!(
        shown.body.contains("of 7.50 EUR"),
        "the refund in the timeline"
    );
    assert!(
        shown.body.contains("Event refund.created"),
        "its event in the timeline"
    );
    assert!(shown.body.contains("up to 12.50"), "what is left");
}

#[tokio::test]
async fn the_endpoint_edit_form_is_read_by_the_api_rules() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let key = &merchant.api_key;
    let mut browser = DashboardClient::signed_in(&env, key).await;
    let csrf = browser.get("/dashboard/webhooks").await.csrf();
    let api = |event: &str| integration_tests::Call::event(event).key(Some(key));
    let added = browser
        .post(
            "/dashboard/webhooks",
            &[
                ("csrfToken", &csrf),
                ("url", "https://hooks.example/in"),
                ("events", "refund.created"),
                ("description", "  Orders  "),
            ],
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    let endpoints = env
        .call_with("list-webhook-endpoints", api("list-webhook-endpoints"))
        .await;
    assert_eq!(endpoints.body["data"][0]["description"], "Orders");
    let endpoint_id = endpoints.body["data"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // Every broken rule at once, nothing written.
    let refused = browser
        .post(
            &format!("/dashboard/webhooks/{endpoint_id}"),
            &[
                ("csrfToken", &csrf),
                ("url", "ftp://hooks.example/in"),
                ("events", "no.such.event"),
            ],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    for field in ["url", "enabledEvents"] {
        assert!(
            refused
                .body
                .contains(&format!("<li><strong>{field}</strong>")),
            "{field} named: {}",
            refused.body
        );
    }
    let unchanged = env
        .call_with(
            "get-webhook-endpoint",
            api("get-webhook-endpoint").id(&endpoint_id),
        )
        .await;
    assert_eq!(unchanged.body["url"], "https://hooks.example/in");
    assert_eq!(unchanged.body["enabledEvents"], json!(["refund.created"]));
    let edited = browser
        .post(
            &format!("/dashboard/webhooks/{endpoint_id}"),
            &[("csrfToken", &csrf), ("url", " https://hooks.example/v2 ")],
        )
        .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    let shown = env
        .call_with(
            "get-webhook-endpoint",
            api("get-webhook-endpoint").id(&endpoint_id),
        )
        .await;
    assert_eq!(shown.body["url"], "https://hooks.example/v2");
    assert_eq!(
        shown.body["enabledEvents"],
        json!(["*"]),
        "no box ticked is every event"
    );
    assert_eq!(
        shown.body["description"], "Orders",
        "the edit form keeps it"
    );
}

fn figures_of(body: &str, currency: &str) -> BTreeMap<String, (u32, u32, Decimal)> {
    let section = body
        .split(&format!("id=\"cur-{currency}\""))
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .unwrap_or_default();
    section
        .split("<tr data-day=\"")
        .skip(1)
        .filter_map(|row| {
            let (day, rest) = row.split_once('"')?;
            let cells: Vec<&str> = rest
                .split("<td class=\"num\">")
                .skip(1)
                .filter_map(|cell| cell.split_once("</td>").map(|(v, _)| v))
                .collect();
            let volume = cells.get(2)?.split(' ').next()?.parse().ok()?;
            Some((
                day.to_owned(),
                (
                    cells.first()?.parse().ok()?,
                    cells.get(1)?.parse().ok()?,
                    volume,
                ),
            ))
        })
        .filter(|(_, (created, _, _))| *created > 0)
        .collect()
}

#[tokio::test]
async fn the_overviews_figures_equal_what_the_api_lists_for_the_same_days() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let key = &merchant.api_key;
    // Three days apart on the test clock: paid, left to expire, refunded, in two currencies.
    let plan: [&[(&str, &str, bool)]; 3] = [
        &[
            ("12.00", "USD", true),
            ("3.00", "USD", false),
            ("9.99", "EUR", true),
        ],
        &[("40.00", "USD", true), ("5.50", "EUR", false)],
        &[
            ("1.25", "USD", true),
            ("2.00", "USD", true),
            ("8.00", "EUR", false),
        ],
    ];
    let mut refunded = None;
    for (index, day) in plan.iter().enumerate() {
        if index > 0 {
            env.clock
                .advance(time::Duration::days(if index == 1 { 1 } else { 3 }));
        }
        for (amount, currency, pay) in *day {
            let id = env
                .created_id(key, &json!({"amount": amount, "currency": currency}))
                .await;
            if *pay {
                assert_eq!(env.pay_card(&id, PAID_CARD).await.status, 303);
                refunded.get_or_insert(id);
            }
        }
    }
    let refunded = refunded.expect("a paid session");
    assert_eq!(
        env.refund(key, &refunded, None).await.status,
        200,
        "refunded counts as paid"
    );
    env.clock.advance(time::Duration::hours(2));

    let mut browser = DashboardClient::signed_in(&env, key).await;
    let overview = browser.get("/dashboard/").await;
    assert_eq!(overview.status, 200);
    for currency in ["USD", "EUR"] {
        let shown = figures_of(&overview.body, currency);
        let mut listed = BTreeMap::new();
        let days: Vec<String> = shown.keys().cloned().collect();
        assert!(!days.is_empty(), "{currency} has days");
        for day in &days {
            let page = env
                .list(
                    key,
                    &[
                        ("limit", "100"),
                        ("createdFrom", &format!("{day}T00:00:00Z")),
                        ("createdTo", &format!("{day}T23:59:59.999Z")),
                    ],
                )
                .await;
            let sessions: Vec<&Value> = page.body["data"]
                .as_array()
                .expect("a list")
                .iter()
                .filter(|s| s["currency"] == currency)
                .collect();
            let paid: Vec<&&Value> = sessions
                .iter()
                .filter(|s| s["status"] == "completed" || s["status"] == "refunded")
                .collect();
            let volume: Decimal = paid
                .iter()
                .map(|s| {
                    s["amount"]
                        .as_str()
                        .and_then(|a| a.parse::<Decimal>().ok())
                        .unwrap_or_default()
                })
                .sum();
            listed.insert(
                day.clone(),
                (sessions.len() as u32, paid.len() as u32, volume),
            );
        }
        assert_eq!(shown, listed, "{currency}");
    }
    let usd = figures_of(&overview.body, "USD");
    assert_eq!(usd.len(), 3, "three days with USD sessions");
    assert_eq!(usd.values().map(|f| f.0).sum::<u32>(), 5);
    assert_eq!(
        usd.values().map(|f| f.2).sum::<Decimal>(),
        "55.25".parse::<Decimal>().expect("d")
    );
    assert!(
        overview.body.contains("<svg class=\"chart\""),
        "drawn as SVG"
    );
}

#[tokio::test]
async fn sessions_stored_before_the_search_indexes_are_found_after_the_backfill() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let created = env
        .create(
            &merchant.api_key,
            &json!({"amount": "5.00", "customer": {"email": "old@example.com"}}),
        )
        .await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    let reference = created.body["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    // As a session written before this release is stored: without its e-mail key.
    env.client
        .update_item()
        .table_name(&env.table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("SESSION#{id}")),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("SESSION".into()),
        )
        .update_expression("REMOVE em")
        .send()
        .await
        .expect("the key is removed");
    let mut browser = DashboardClient::signed_in(&env, &merchant.api_key).await;
    let found = |body: &str| body.contains(&format!("data-session=\"{id}\""));
    let by_reference = format!("/dashboard/sessions?q={reference}");
    let by_email = "/dashboard/sessions?q=Old%40Example.com";
    assert!(
        found(&browser.get(&by_reference).await.body),
        "every session has its reference and merchant: no backfill needed"
    );
    assert!(
        !found(&browser.get(by_email).await.body),
        "not yet by e-mail"
    );

    assert_eq!(
        env.app
            .store
            .backfill_search_keys()
            .await
            .expect("backfilled"),
        1
    );
    assert_eq!(
        env.app.store.backfill_search_keys().await.expect("again"),
        0,
        "once"
    );
    assert!(
        found(&browser.get(by_email).await.body),
        "found after the backfill"
    );
    assert!(found(&browser.get(&by_reference).await.body));
}

#[tokio::test]
async fn keys_endpoints_and_settings_change_through_their_forms_as_through_the_api() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let key = &merchant.api_key;
    let mut browser = DashboardClient::signed_in(&env, key).await;
    let csrf = browser.get("/dashboard/keys").await.csrf();
    let api = |event: &str| integration_tests::Call::event(event).key(Some(key));

    // Keys: the secret is shown once, in the answer to the form.
    let created = browser
        .post(
            "/dashboard/keys",
            &[
                ("csrfToken", &csrf),
                ("name", "Ops"),
                ("scope", "read_only"),
                ("currentKey", key),
            ],
        )
        .await;
    assert_eq!(created.status, 200);
    let secret = created
        .body
        .split("<code>sk_test_")
        .nth(1)
        .and_then(|rest| rest.split_once('<'))
        .map(|(s, _)| format!("sk_test_{s}"))
        .expect("the new secret is shown");
    assert!(
        !browser.get("/dashboard/keys").await.body.contains(&secret),
        "once"
    );
    let listed = env.call_with("list-api-keys", api("list-api-keys")).await;
    let ops = listed.body["data"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["name"] == "Ops"))
        .expect("the key is listed by the API")
        .clone();
    assert_eq!(ops["scope"], "read_only");
    let ops_id = ops["id"].as_str().expect("id");
    let rolled = browser
        .post(
            &format!("/dashboard/keys/{ops_id}/roll"),
            &[
                ("csrfToken", &csrf),
                ("expiresIn", "PT1H"),
                ("currentKey", key),
            ],
        )
        .await;
    assert_eq!(rolled.status, 200, "{}", rolled.body);
    assert!(rolled.body.contains("<code>sk_test_") && !rolled.body.contains(&secret));
    let listed_after = env.call_with("list-api-keys", api("list-api-keys")).await;
    let old = listed_after.body["data"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["id"] == ops["id"]))
        .expect("the old key still works for an hour");
    assert_eq!(old["status"], "expiring");
    let own_id = listed.body["data"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["name"] != "Ops"))
        .and_then(|k| k["id"].as_str())
        .expect("the first key")
        .to_owned();
    let last = browser
        .post(
            &format!("/dashboard/keys/{own_id}/revoke"),
            &[("csrfToken", &csrf)],
        )
        .await;
    assert_eq!(last.status, 400, "the service's refusal is shown");
    assert!(last.body.contains("last full API key"), "{}", last.body);

    // Endpoints.
    let added = browser
        .post(
            "/dashboard/webhooks",
            &[
                ("csrfToken", &csrf),
                ("url", "https://hooks.example/in"),
                ("events", "refund.created"),
                ("events", "checkout.session.completed"),
            ],
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert!(added.body.contains("<code>whsec_"));
    let endpoints = env
        .call_with("list-webhook-endpoints", api("list-webhook-endpoints"))
        .await;
    let endpoint = &endpoints.body["data"][0];
    assert_eq!(
        endpoint["enabledEvents"],
        json!(["refund.created", "checkout.session.completed"])
    );
    let endpoint_id = endpoint["id"].as_str().expect("id").to_owned();
    for (action, status) in [("disable", "disabled"), ("enable", "enabled")] {
        let done = browser
            .post(
                &format!("/dashboard/webhooks/{endpoint_id}/{action}"),
                &[("csrfToken", &csrf)],
            )
            .await;
        assert_eq!(done.status, 303);
        let shown = env
            .call_with(
                "get-webhook-endpoint",
                api("get-webhook-endpoint").id(&endpoint_id),
            )
            .await;
        assert_eq!(shown.body["status"], status);
    }
    let tested = browser
        .post(
            &format!("/dashboard/webhooks/{endpoint_id}/test"),
            &[("csrfToken", &csrf)],
        )
        .await;
    assert_eq!(tested.status, 303);
    let events = env.events(key, &[("type", "webhook_endpoint.test")]).await;
    let test_event = events.body["data"][0]["id"]
        .as_str()
        .expect("a test event")
        .to_owned();
    let redelivered = browser
        .post(
            &format!("/dashboard/events/{test_event}/redeliver"),
            &[("csrfToken", &csrf), ("back", "https://evil.example/")],
        )
        .await;
    assert_eq!(redelivered.status, 303);
    assert_eq!(
        redelivered.location.as_deref(),
        Some("/dashboard/webhooks?done=redelivered"),
        "never sent outside the dashboard"
    );
    let deleted = browser
        .post(
            &format!("/dashboard/webhooks/{endpoint_id}/delete"),
            &[("csrfToken", &csrf)],
        )
        .await;
    assert_eq!(deleted.status, 303);
    let endpoints = env
        .call_with("list-webhook-endpoints", api("list-webhook-endpoints"))
        .await;
    assert_eq!(endpoints.body["data"], json!([]));

    // Settings: saved through the account's rules; a bad value saves nothing.
    let bad = browser
        .post(
            "/dashboard/settings",
            &[
                ("csrfToken", &csrf),
                ("displayName", "Acme"),
                ("brandColor", "red"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("brandColor"));
    let account = env.call_with("get-account", api("get-account")).await;
    assert_eq!(account.body["brandColor"], Value::Null);
    let saved = browser
        .post(
            "/dashboard/settings",
            &[
                ("csrfToken", &csrf),
                ("displayName", "Acme Roasters"),
                ("brandColor", "#123456"),
                ("locale", "de"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let account = env.call_with("get-account", api("get-account")).await;
    assert_eq!(account.body["displayName"], "Acme Roasters");
    assert_eq!(account.body["brandColor"], "#123456");
    assert_eq!(account.body["locale"], "de");

    // The preview: the checkout page with what was typed, framed by the dashboard only.
    let preview = browser
        .get(
            "/dashboard/settings/preview?displayName=Preview%20Shop&brandColor=%23abcdef&locale=fr",
        )
        .await;
    assert_eq!(preview.status, 200);
    assert!(preview.body.contains("Preview Shop") && preview.body.contains("lang=\"fr\""));
    let policy = preview.policy.clone().unwrap_or_default();
    for directive in [
        "form-action 'none'",
        "frame-ancestors 'self'",
        "default-src 'none'",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
    assert_eq!(policy.matches("form-action").count(), 1, "{policy}");
    let account = env.call_with("get-account", api("get-account")).await;
    assert_eq!(
        account.body["displayName"], "Acme Roasters",
        "a preview saves nothing"
    );
}

#[tokio::test]
async fn deactivation_ends_every_dashboard_session_for_good() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let mut browser = DashboardClient::signed_in(&env, &merchant.api_key).await;
    assert_eq!(browser.get("/dashboard/keys").await.status, 200);
    let store = &env.app.store;
    for active in [false, true] {
        assert!(
            store
                .set_merchant_active(&merchant.merchant_id, active)
                .await
                .expect("written")
        );
    }
    assert_eq!(
        browser.get("/dashboard/keys").await.status,
        303,
        "the cookie from before deactivate → activate is refused"
    );
    let mut fresh = DashboardClient::signed_in(&env, &merchant.api_key).await;
    assert_eq!(
        fresh.get("/dashboard/keys").await.status,
        200,
        "signing in again works"
    );

    checkoutctl::merchants::end_dashboard_sessions(store, &merchant.merchant_id)
        .await
        .expect("ended");
    assert_eq!(
        fresh.get("/dashboard/keys").await.status,
        303,
        "the operator ended it"
    );
}

#[tokio::test]
async fn a_link_session_ends_when_a_key_is_revoked() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let path = link_path(&env, &merchant.merchant_id).await;
    let mut browser = DashboardClient::new(&env);
    let confirm = browser.get(&path).await;
    let (csrf, token) = (confirm.csrf(), confirm.input_value("token"));
    let opened = browser
        .post(
            "/dashboard/link",
            &[("csrfToken", &csrf), ("token", &token)],
        )
        .await;
    assert_eq!(opened.status, 303);
    assert_eq!(browser.get("/dashboard/keys").await.status, 200);

    let spare = env
        .call(
            "create-api-key",
            &merchant.api_key,
            None,
            Some(&json!({"name": "Spare"})),
        )
        .await;
    assert_eq!(
        browser.get("/dashboard/keys").await.status,
        200,
        "a new key ends nothing"
    );
    let spare_id = spare.body["id"].as_str().expect("id");
    let revoked = env
        .call("revoke-api-key", &merchant.api_key, Some(spare_id), None)
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(browser.get("/dashboard/keys").await.status, 303);
}

#[tokio::test]
async fn making_or_rolling_a_key_in_the_dashboard_asks_for_a_full_key_again() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let key = &merchant.api_key;
    let other = env.merchant().await;
    let read_only = env
        .call(
            "create-api-key",
            key,
            None,
            Some(&json!({"scope": "read_only"})),
        )
        .await;
    let read_only = read_only.body["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let mut browser = DashboardClient::signed_in(&env, key).await;
    let page = browser.get("/dashboard/keys").await;
    assert!(
        page.body.contains(r#"name="currentKey""#),
        "the form asks for a key"
    );
    let csrf = page.csrf();
    let own_id = env.call("list-api-keys", key, None, None).await.body["data"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let before = env.data_items().await;
    for given in [
        "",
        "sk_test_made_up",
        read_only.as_str(),
        other.api_key.as_str(),
    ] {
        let created = browser
            .post(
                "/dashboard/keys",
                &[
                    ("csrfToken", &csrf),
                    ("scope", "full"),
                    ("currentKey", given),
                ],
            )
            .await;
        assert_eq!(created.status, 400, "{given}");
        assert!(
            created.body.contains("currentKey"),
            "{given}: {}",
            created.body
        );
        assert!(!created.body.contains("copy it now"), "no key shown");
        let rolled = browser
            .post(
                &format!("/dashboard/keys/{own_id}/roll"),
                &[
                    ("csrfToken", &csrf),
                    ("expiresIn", ""),
                    ("currentKey", given),
                ],
            )
            .await;
        assert_eq!(rolled.status, 400, "{given}");
    }
    assert_eq!(env.data_items().await, before, "nothing written");
    let created = browser
        .post(
            "/dashboard/keys",
            &[("csrfToken", &csrf), ("scope", "full"), ("currentKey", key)],
        )
        .await;
    assert_eq!(created.status, 200);
    assert!(created.body.contains("copy it now"));
}
