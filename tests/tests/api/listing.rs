//! Listing: newest first, full pages, filters, and cursors that cannot be forged.

use std::collections::HashSet;

use checkoutctl::merchants::MerchantOptions;
use integration_tests::TestEnv;
use serde_json::{Value, json};

async fn create_spaced(env: &TestEnv, key: &str, body: &Value) -> String {
    env.clock.advance(time::Duration::seconds(1));
    let response = env.create(key, body).await;
    assert_eq!(response.status, 201, "{:?}", response.body);
    response.body["id"].as_str().expect("an id").to_owned()
}

async fn all_pages(env: &TestEnv, key: &str, params: &[(&str, &str)]) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query: Vec<(&str, &str)> = params.to_vec();
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor));
        }
        let page = env.list(key, &query).await;
        assert_eq!(page.status, 200, "{:?}", page.body);
        let ids: Vec<String> = page.body["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|s| s["id"].as_str().expect("an id").to_owned())
            .collect();
        pages.push(ids);
        assert_eq!(
            page.body["hasMore"].as_bool(),
            Some(page.body["nextCursor"].is_string())
        );
        match page.body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return pages,
        }
    }
}

#[tokio::test]
async fn pages_are_full_newest_first_and_cover_everything_once() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let mut created = Vec::new();
    for _ in 0..25 {
        created.push(create_spaced(&env, &key, &json!({"amount": "10.00"})).await);
    }
    let pages = all_pages(&env, &key, &[("limit", "10")]).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
    let listed: Vec<String> = pages.concat();
    created.reverse();
    assert_eq!(listed, created, "newest first, each once");

    let default_page = env.list(&key, &[]).await;
    assert_eq!(
        default_page.body["data"].as_array().map(Vec::len),
        Some(10),
        "default limit is 10"
    );
}

#[tokio::test]
async fn a_status_filter_still_fills_every_page() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let mut cancelled = Vec::new();
    for i in 0..30 {
        let id = create_spaced(&env, &key, &json!({"amount": "10.00"})).await;
        if i % 3 == 0 {
            assert_eq!(env.cancel(&key, &id).await.status, 200);
            cancelled.push(id);
        }
    }
    let pages = all_pages(&env, &key, &[("status", "cancelled"), ("limit", "4")]).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2]);
    cancelled.reverse();
    assert_eq!(pages.concat(), cancelled);
    let pending = all_pages(&env, &key, &[("status", "pending"), ("limit", "100")]).await;
    assert_eq!(pending.concat().len(), 20);
}

#[tokio::test]
async fn sessions_stay_findable_by_order_id_and_creation_window() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let body = json!({"amount": "10.00", "orderId": "order-42"});
    let first = create_spaced(&env, &key, &body).await;
    assert_eq!(env.cancel(&key, &first).await.status, 200);
    let from = env
        .app
        .now()
        .plus(time::Duration::milliseconds(500))
        .to_string();
    let second = create_spaced(&env, &key, &body).await;
    let _unrelated = create_spaced(
        &env,
        &key,
        &json!({"amount": "10.00", "orderId": "order-43"}),
    )
    .await;

    let by_order = all_pages(&env, &key, &[("orderId", "order-42")])
        .await
        .concat();
    assert_eq!(by_order, [second.clone(), first.clone()]);
    // An order's sessions are read through keys and judged on the sessions themselves: a status
    // filter and pages of one give the same answer as the merchant's whole list would.
    let one_by_one = all_pages(&env, &key, &[("orderId", "order-42"), ("limit", "1")]).await;
    assert_eq!(one_by_one.concat(), [second.clone(), first.clone()]);
    for (status, expected) in [("cancelled", &first), ("pending", &second)] {
        let filtered = all_pages(&env, &key, &[("orderId", "order-42"), ("status", status)])
            .await
            .concat();
        assert_eq!(&filtered, std::slice::from_ref(expected), "{status}");
    }

    let to = env.app.now().to_string();
    let window = all_pages(
        &env,
        &key,
        &[("createdFrom", from.as_str()), ("createdTo", to.as_str())],
    )
    .await
    .concat();
    assert_eq!(window.len(), 2);
    assert!(window.contains(&second) && !window.contains(&first));
    let until = all_pages(&env, &key, &[("createdTo", from.as_str())])
        .await
        .concat();
    assert_eq!(
        until,
        std::slice::from_ref(&first),
        "an upper bound alone works"
    );
    let combined = all_pages(
        &env,
        &key,
        &[("orderId", "order-42"), ("createdFrom", from.as_str())],
    )
    .await
    .concat();
    assert_eq!(combined, [second]);
}

#[tokio::test]
async fn forged_or_foreign_cursors_and_bad_parameters_are_400() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    for _ in 0..3 {
        create_spaced(&env, &key, &json!({"amount": "10.00"})).await;
    }
    let first = env.list(&key, &[("limit", "1")]).await;
    let cursor = first.body["nextCursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();

    let mut forged = cursor.clone().into_bytes();
    forged[2] ^= 1;
    let forged = String::from_utf8(forged).expect("ascii");
    let other_merchant = env.merchant().await.api_key;
    for (who, params) in [
        (&key, vec![("cursor", forged.as_str())]),
        (&key, vec![("cursor", "not-a-cursor")]),
        (
            &key,
            vec![("cursor", cursor.as_str()), ("status", "pending")],
        ),
        (&other_merchant, vec![("cursor", cursor.as_str())]),
    ] {
        let response = env.list(who, &params).await;
        assert_eq!(response.status, 400, "{params:?}");
        assert_eq!(response.error_fields(), ["cursor"]);
    }
    for (params, field) in [
        (vec![("limit", "0")], "limit"),
        (vec![("limit", "101")], "limit"),
        (vec![("limit", "ten")], "limit"),
        (vec![("status", "paid")], "status"),
        (vec![("createdFrom", "yesterday")], "createdFrom"),
        (vec![("sort", "asc")], "sort"),
        (vec![("limit", "5"), ("limit", "6")], "limit"),
        (
            vec![
                ("createdFrom", "2026-11-23T00:00:00Z"),
                ("createdTo", "2026-11-22T00:00:00Z"),
            ],
            "createdTo",
        ),
    ] {
        let response = env.list(&key, &params).await;
        assert_eq!(
            (response.status, response.error_fields()),
            (400, vec![field.to_owned()])
        );
    }
    let seen: HashSet<_> = all_pages(&env, &key, &[("limit", "1")])
        .await
        .concat()
        .into_iter()
        .collect();
    assert_eq!(seen.len(), 3);
}

/// A merchant whose sessions and events are spread over eight key shards, as a merchant allowed
/// 800 requests/s would have them.
async fn sharded_key(env: &TestEnv) -> String {
    env.merchant_with(MerchantOptions {
        name: "Sharded Shop".into(),
        success_url: Some("https://shop.example/thanks".into()),
        cancel_url: Some("https://shop.example/cart".into()),
        key_shards: Some(8),
        ..MerchantOptions::default()
    })
    .await
    .api_key
}

#[tokio::test]
async fn over_key_shards_pages_are_full_newest_first_and_cover_everything_once() {
    let env = TestEnv::new().await;
    let key = sharded_key(&env).await;
    let mut created = Vec::new();
    for _ in 0..25 {
        created.push(create_spaced(&env, &key, &json!({"amount": "10.00"})).await);
    }
    let stored: HashSet<String> = env
        .items()
        .await
        .iter()
        .filter_map(|item| item.get("gsi1pk")?.as_s().ok().cloned())
        .collect();
    assert!(stored.len() > 3, "the sessions are spread: {stored:?}");
    for limit in ["1", "7", "10", "100"] {
        let pages = all_pages(&env, &key, &[("limit", limit)]).await;
        let size: usize = limit.parse().expect("a number");
        let (last, full) = pages.split_last().expect("a page");
        assert!(full.iter().all(|page| page.len() == size), "limit {limit}");
        assert!(!last.is_empty() && last.len() <= size, "limit {limit}");
        let mut newest_first = created.clone();
        newest_first.reverse();
        assert_eq!(
            pages.concat(),
            newest_first,
            "limit {limit}: newest first, each once"
        );
    }

    let mut cancelled = Vec::new();
    for id in created.iter().step_by(3) {
        env.clock.advance(time::Duration::seconds(1));
        assert_eq!(env.cancel(&key, id).await.status, 200);
        cancelled.push(id.clone());
    }
    let pages = all_pages(&env, &key, &[("status", "cancelled"), ("limit", "4")]).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 1]);
    let mut by_creation = cancelled.clone();
    by_creation.reverse();
    assert_eq!(pages.concat(), by_creation);

    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "4")];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor));
        }
        let page = env.events(&key, &query).await;
        assert_eq!(page.status, 200, "{:?}", page.body);
        for event in page.body["data"].as_array().expect("data") {
            events.push(event["sessionId"].as_str().expect("a session").to_owned());
        }
        match page.body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        events, by_creation,
        "one event per cancellation, newest first"
    );
}

#[tokio::test]
async fn paging_over_key_shards_while_sessions_are_created_repeats_and_skips_nothing() {
    let env = TestEnv::new().await;
    let key = sharded_key(&env).await;
    let mut before = Vec::new();
    for _ in 0..40 {
        before.push(create_spaced(&env, &key, &json!({"amount": "10.00"})).await);
    }
    env.clock.advance(time::Duration::seconds(1));
    let body = json!({"amount": "10.00"});
    let creating = futures::future::join_all((0..30).map(|_| env.create(&key, &body)));
    let paging = all_pages(&env, &key, &[("limit", "7")]);
    let (made, pages) = tokio::join!(creating, paging);
    assert!(made.iter().all(|r| r.status == 201));
    let listed = pages.concat();
    let unique: HashSet<&String> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "no session twice");
    let (last, full) = pages.split_last().expect("a page");
    assert!(full.iter().all(|page| page.len() == 7) && last.len() <= 7);
    let older: Vec<&String> = listed.iter().filter(|id| before.contains(id)).collect();
    before.reverse();
    assert_eq!(
        older,
        before.iter().collect::<Vec<_>>(),
        "every earlier session, in order"
    );
}
