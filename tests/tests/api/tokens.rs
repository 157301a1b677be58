//! Access tokens and per-merchant rate limits.

use std::sync::Arc;

use integration_tests::{TestEnv, valid_body};

#[tokio::test]
async fn a_token_works_like_its_key_until_it_expires() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let issued = env.token(&key).await;
    assert_eq!(issued.status, 200, "{:?}", issued.body);
    assert_eq!(
        (
            issued.body["tokenType"].as_str(),
            issued.body["expiresIn"].as_i64()
        ),
        (Some("Bearer"), Some(3600))
    );
    let token = issued.body["accessToken"]
        .as_str()
        .expect("a token")
        .to_owned();

    let created = env.create(&token, &valid_body()).await;
    assert_eq!(created.status, 201);
    let id = created.body["id"].as_str().expect("an id");
    assert_eq!(
        env.get(&key, id).await.status,
        200,
        "the key sees what the token made"
    );

    assert_eq!(
        env.token(&token).await.body["code"],
        "invalid_api_key",
        "a token cannot mint tokens"
    );

    let mut flipped = token.clone().into_bytes();
    let last = flipped.len() - 3;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let tampered = env
        .get(&String::from_utf8(flipped).expect("ascii"), id)
        .await;
    assert_eq!(
        (tampered.status, tampered.body["code"].as_str()),
        (401, Some("expired_token"))
    );

    // The same claims unsigned, with `alg: none`.
    let payload = token.split('.').nth(1).expect("a payload");
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    let refused = env.get(&unsigned, id).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (401, Some("expired_token"))
    );

    env.clock.advance(time::Duration::minutes(61));
    let expired = env.get(&token, id).await;
    assert_eq!(
        (expired.status, expired.body["code"].as_str()),
        (401, Some("expired_token"))
    );
}

#[tokio::test]
async fn revoking_the_key_or_deactivating_the_merchant_stops_its_tokens() {
    let env = TestEnv::new().await;
    let merchant = env.merchant().await;
    let token = env.token(&merchant.api_key).await.body["accessToken"]
        .as_str()
        .expect("a token")
        .to_owned();
    checkoutctl::merchants::set_active(&env.app.store, &merchant.merchant_id, false)
        .await
        .expect("deactivated");
    assert_eq!(
        env.create(&token, &valid_body()).await.body["code"],
        "merchant_inactive"
    );
    checkoutctl::merchants::set_active(&env.app.store, &merchant.merchant_id, true)
        .await
        .expect("reactivated");
    assert_eq!(env.create(&token, &valid_body()).await.status, 201);
    checkoutctl::merchants::revoke_key(&env.app.store, &merchant.api_key)
        .await
        .expect("revoked");
    assert_eq!(
        env.create(&token, &valid_body()).await.body["code"],
        "revoked_api_key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_requests_in_one_second_admit_exactly_the_limit() {
    let mut env = TestEnv::new().await;
    env.app.config.rate_limits = true;
    let env = Arc::new(env);
    let key = env.merchant().await.api_key;
    let burst = || {
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let (env, key) = (Arc::clone(&env), key.clone());
                tokio::spawn(async move { env.list(&key, &[("limit", "1")]).await })
            })
            .collect();
        async move {
            let mut responses = Vec::new();
            for task in tasks {
                responses.push(task.await.expect("finished"));
            }
            responses
        }
    };
    let responses = burst().await;
    let admitted = responses.iter().filter(|r| r.status == 200).count();
    assert_eq!(admitted, 25, "exactly the limit in one window");
    let limited: Vec<_> = responses.iter().filter(|r| r.status == 429).collect();
    assert_eq!(limited.len(), 75);
    for response in limited {
        assert_eq!(response.body["code"], "rate_limited");
        assert_eq!(response.header("retry-after"), Some("1"));
        assert_eq!(response.header("ratelimit-limit"), Some("25"));
        assert_eq!(response.header("ratelimit-remaining"), Some("0"));
        assert_eq!(response.header("ratelimit-reset"), Some("1"));
    }

    env.clock.advance(time::Duration::seconds(1));
    let next_second = burst().await;
    assert_eq!(
        next_second.iter().filter(|r| r.status == 200).count(),
        25,
        "a new window, a new 25"
    );
}

#[tokio::test]
async fn a_merchants_own_limit_applies() {
    let mut env = TestEnv::new().await;
    env.app.config.rate_limits = true;
    let merchant = env
        .merchant_with(checkoutctl::merchants::MerchantOptions {
            name: "Slow Shop".into(),
            rate_limit: Some(3),
            ..Default::default()
        })
        .await;
    let statuses: Vec<u16> = {
        let mut statuses = Vec::new();
        for _ in 0..5 {
            statuses.push(env.list(&merchant.api_key, &[]).await.status);
        }
        statuses
    };
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
}

/// Sends `count` list requests of `key` at once, each on a task of its own, and returns the
/// statuses.
async fn burst(env: &Arc<TestEnv>, key: &str, count: usize) -> Vec<u16> {
    let tasks: Vec<_> = (0..count)
        .map(|_| {
            let (env, key) = (Arc::clone(env), key.to_owned());
            tokio::spawn(async move { env.list(&key, &[("limit", "1")]).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("finished"));
    }
    statuses
}

/// The `requests` counts of the merchant's rate-limit window items of the current second.
async fn window_counts(env: &TestEnv) -> Vec<u64> {
    let second = env.app.now().unix_seconds();
    let mut counts: Vec<u64> = env
        .items()
        .await
        .iter()
        .filter(|item| {
            item.get("pk")
                .and_then(|v| v.as_s().ok())
                .is_some_and(|pk| pk.starts_with("RATE#") && pk.contains(&format!("#{second}")))
        })
        .filter_map(|item| item.get("requests")?.as_n().ok()?.parse().ok())
        .collect();
    counts.sort_unstable();
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_limit_spread_over_window_items_still_admits_exactly_the_limit() {
    let mut env = TestEnv::new().await;
    env.app.config.rate_limits = true;
    let env = Arc::new(env);
    let merchant = env
        .merchant_with(checkoutctl::merchants::MerchantOptions {
            name: "Busy Shop".into(),
            rate_limit: Some(300),
            ..Default::default()
        })
        .await;
    let statuses = burst(&env, &merchant.api_key, 600).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 300);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 300);
    assert_eq!(
        window_counts(&env).await,
        [150, 150],
        "two window items, each written by half the requests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_busy_container_leases_slots_and_never_admits_more_than_the_limit() {
    let mut env = TestEnv::new().await;
    env.app.config.rate_limits = true;
    let env = Arc::new(env);
    let merchant = env
        .merchant_with(checkoutctl::merchants::MerchantOptions {
            name: "Steady Shop".into(),
            rate_limit: Some(40),
            ..Default::default()
        })
        .await;
    for _ in 0..32 {
        assert_eq!(env.list(&merchant.api_key, &[]).await.status, 200);
    }
    assert_eq!(
        window_counts(&env).await,
        [32],
        "one write per request while quiet"
    );

    // The next second this container leases a quarter of the last one's 32 at a time.
    env.clock.advance(time::Duration::seconds(1));
    let statuses = burst(&env, &merchant.api_key, 100).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        40,
        "spare leased slots go to requests the window refused meanwhile"
    );
    assert_eq!(window_counts(&env).await, [40], "never past the limit");

    env.clock.advance(time::Duration::seconds(1));
    let mut sequential = Vec::new();
    for _ in 0..12 {
        let response = env.list(&merchant.api_key, &[]).await;
        assert_eq!(response.status, 200);
        sequential.push(response.header("ratelimit-remaining").map(str::to_owned));
    }
    let counted = window_counts(&env).await;
    assert_eq!(counted.len(), 1);
    assert!(
        counted[0] > 12,
        "slots were taken ahead in leases: {counted:?}"
    );
    assert_eq!(
        sequential.last().cloned().flatten().as_deref(),
        Some((40 - 12).to_string().as_str()),
        "what is left is what the window holds beyond the leases used"
    );
}
