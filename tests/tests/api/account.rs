//! Merchants run their own account (SPEC §18): its settings, and API keys with scopes, rolls
//! and revocations that never leave the merchant without a full key that works.

use std::sync::Arc;

use checkout_api::service::api_keys;
use checkout_domain::api_key::hash_api_key;
use integration_tests::{ApiResponse, TestEnv};
use serde_json::{Value, json};

/// The working keys of the merchant as listed with `key`.
async fn listed(env: &TestEnv, key: &str) -> Vec<Value> {
    let list = env.call("list-api-keys", key, None, None).await;
    assert_eq!(list.status, 200, "{}", list.body);
    list.body["data"].as_array().expect("a list").clone()
}

async fn create_key(env: &TestEnv, key: &str, body: Value) -> ApiResponse {
    env.call("create-api-key", key, None, Some(&body)).await
}

#[tokio::test]
async fn the_account_shows_and_changes_its_own_settings_only() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let account = env.call("get-account", &key, None, None).await;
    assert_eq!(account.status, 200);
    assert_eq!(account.body["object"], "account");
    assert_eq!(account.body["displayName"], "Acme Test Shop");
    assert_eq!(account.body["locale"], "auto");
    assert!(account.body.get("webhookSecret").is_none(), "no secret");

    let before = env.data_items().await;
    let bad = env
        .call(
            "update-account",
            &key,
            None,
            Some(&json!({
                "displayName": "",
                "brandColor": "red",
                "locale": "xx",
                "termsUrl": "ftp://terms",
                "fees": {"percent": "0"},
                "active": false,
                "colour": "red"
            })),
        )
        .await;
    assert_eq!(bad.status, 400);
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "active",
            "brandColor",
            "colour",
            "displayName",
            "fees",
            "locale",
            "termsUrl"
        ]
    );
    assert_eq!(env.data_items().await, before, "nothing written");

    let updated = env
        .call(
            "update-account",
            &key,
            None,
            Some(&json!({
                "displayName": "Acme Coffee",
                "brandColor": "#6b3e26",
                "locale": "de",
                "termsUrl": "https://shop.example/terms",
                "cancelUrl": null
            })),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["displayName"], "Acme Coffee");
    assert_eq!(updated.body["locale"], "de");
    assert_eq!(updated.body["cancelUrl"], Value::Null);
    assert_eq!(
        env.call("get-account", &key, None, None).await.body,
        updated.body
    );
    let id = env
        .created_id(
            &key,
            &json!({"amount": "5.00", "cancelUrl": "https://shop.example/c"}),
        )
        .await;
    let page = env.page(&format!("/pay/{id}"), None).await;
    assert!(page.body.contains("Acme Coffee") && page.body.contains("#6b3e26"));
    let without_default = env.create(&key, &json!({"amount": "5.00"})).await;
    assert_eq!(
        without_default.error_fields(),
        ["cancelUrl"],
        "the default cancel URL is gone"
    );
}

#[tokio::test]
async fn a_read_only_key_reads_and_every_write_is_a_403_that_writes_nothing() {
    let env = TestEnv::new().await;
    let full = env.merchant().await.api_key;
    let created = create_key(
        &env,
        &full,
        json!({"name": "Reporting", "scope": "read_only"}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["scope"], "read_only");
    assert_eq!(created.body["name"], "Reporting");
    let read_only = created.body["secret"]
        .as_str()
        .expect("the secret")
        .to_owned();
    assert!(read_only.starts_with("sk_test_"));
    assert_eq!(created.body["last4"], &read_only[read_only.len() - 4..]);
    let id = env.created_id(&full, &json!({"amount": "5.00"})).await;

    assert_eq!(env.get(&read_only, &id).await.status, 200);
    assert_eq!(env.list(&read_only, &[]).await.status, 200);
    assert_eq!(env.events(&read_only, &[]).await.status, 200);
    assert_eq!(
        env.call("get-account", &read_only, None, None).await.status,
        200
    );
    let keys = listed(&env, &read_only).await;
    assert_eq!(keys.len(), 2);
    assert!(
        keys.iter().all(|k| k.get("secret").is_none()),
        "never a secret"
    );

    let before = env.data_items().await;
    let key_id = keys[0]["id"].as_str().expect("an id").to_owned();
    let writes = [
        env.create(&read_only, &json!({"amount": "5.00"})).await,
        env.update(&read_only, &id, &json!({"amount": "6.00"}))
            .await,
        env.cancel(&read_only, &id).await,
        env.expire(&read_only, &id).await,
        env.refund(&read_only, &id, None).await,
        env.create_refund(&read_only, &id, &json!({}), None).await,
        env.settle(&read_only, &id, &json!({})).await,
        env.token(&read_only).await,
        env.call(
            "update-account",
            &read_only,
            None,
            Some(&json!({"displayName": "X"})),
        )
        .await,
        create_key(&env, &read_only, json!({})).await,
        env.call("roll-api-key", &read_only, Some(&key_id), Some(&json!({})))
            .await,
        env.call("revoke-api-key", &read_only, Some(&key_id), None)
            .await,
    ];
    for (n, refused) in writes.iter().enumerate() {
        assert_eq!(refused.status, 403, "write {n}: {}", refused.body);
        assert_eq!(refused.body["code"], "insufficient_scope", "write {n}");
    }
    assert_eq!(env.data_items().await, before, "nothing written");
}

#[tokio::test]
async fn a_rolled_key_works_until_its_overlap_ends() {
    let env = TestEnv::new().await;
    let old = env.merchant().await.api_key;
    let old_id = listed(&env, &old).await[0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let rolled = env
        .call(
            "roll-api-key",
            &old,
            Some(&old_id),
            Some(&json!({"expiresIn": "PT1H"})),
        )
        .await;
    assert_eq!(rolled.status, 201, "{}", rolled.body);
    let new = rolled.body["secret"].as_str().expect("a secret").to_owned();
    assert_eq!(rolled.body["scope"], "full");
    let keys = listed(&env, &new).await;
    let old_listed = keys
        .iter()
        .find(|k| k["id"] == old_id.as_str())
        .expect("listed");
    assert_eq!(old_listed["status"], "expiring");
    assert!(old_listed["expiresAt"].is_string());

    env.clock.advance(time::Duration::minutes(59));
    assert_eq!(
        env.list(&old, &[]).await.status,
        200,
        "still in its overlap"
    );
    env.clock.advance(time::Duration::minutes(1));
    let expired = env.list(&old, &[]).await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.body["code"], "expired_api_key");
    assert_eq!(env.list(&new, &[]).await.status, 200);
    assert_eq!(
        listed(&env, &new).await.len(),
        1,
        "the expired key is not listed"
    );

    let keys = listed(&env, &new).await;
    let new_id = keys[0]["id"].as_str().expect("id");
    let too_long = env
        .call(
            "roll-api-key",
            &new,
            Some(new_id),
            Some(&json!({"expiresIn": "P8D"})),
        )
        .await;
    assert_eq!(too_long.status, 400);
    assert_eq!(too_long.error_fields(), ["expiresIn"]);
}

#[tokio::test]
async fn the_last_full_key_cannot_be_revoked_and_a_revoked_key_stops_at_once() {
    let env = TestEnv::new().await;
    let first = env.merchant().await.api_key;
    let other = env.merchant().await.api_key;
    let first_id = listed(&env, &first).await[0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let last = env
        .call("revoke-api-key", &first, Some(&first_id), None)
        .await;
    assert_eq!(last.status, 409);
    assert_eq!(last.body["code"], "last_full_key");
    let reader = create_key(&env, &first, json!({"scope": "read_only"})).await;
    assert_eq!(
        env.call("revoke-api-key", &first, Some(&first_id), None)
            .await
            .status,
        409,
        "a read-only key keeps nobody able to act"
    );
    for id in ["key_000000000000000000000000", "nonsense", &first_id] {
        let foreign = env.call("revoke-api-key", &other, Some(id), None).await;
        assert_eq!(foreign.status, 404, "{id}");
    }

    let second = create_key(&env, &first, json!({"name": "Deploy"})).await;
    let second_secret = second.body["secret"].as_str().expect("a secret").to_owned();
    let revoked = env
        .call("revoke-api-key", &second_secret, Some(&first_id), None)
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(revoked.body["status"], "revoked");
    let refused = env.list(&first, &[]).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.body["code"], "revoked_api_key");
    let reader_id = reader.body["id"].as_str().expect("an id").to_owned();
    assert_eq!(
        env.call("revoke-api-key", &second_secret, Some(&reader_id), None)
            .await
            .status,
        200,
        "a read-only key can always go"
    );
    assert_eq!(listed(&env, &second_secret).await.len(), 1);
}

#[tokio::test]
async fn last_use_is_recorded_at_most_once_a_minute() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let hash = hash_api_key(&key);
    let stored_use = || async {
        env.app
            .store
            .get_api_key(&hash)
            .await
            .expect("read")
            .and_then(|k| k.last_used_at)
    };
    env.list(&key, &[]).await;
    let first = stored_use().await.expect("recorded");
    assert_eq!(first.to_string(), env.app.now().to_string());
    env.clock.advance(time::Duration::seconds(30));
    env.list(&key, &[]).await;
    assert_eq!(
        stored_use().await,
        Some(first),
        "not again within the minute"
    );
    env.clock.advance(time::Duration::seconds(30));
    env.list(&key, &[]).await;
    let again = stored_use().await.expect("recorded");
    assert_eq!(again.to_string(), env.app.now().to_string());
    assert_eq!(
        listed(&env, &key).await[0]["lastUsedAt"],
        json!(again.to_string())
    );
}

/// A merchant with three full keys: its record, and the keys' secrets.
async fn three_keys(env: &TestEnv) -> (checkout_domain::merchant::Merchant, Vec<String>) {
    let created = env.merchant().await;
    let merchant = env
        .app
        .store
        .get_merchant_eventually(&created.merchant_id)
        .await
        .expect("read")
        .expect("a merchant");
    let mut secrets = vec![created.api_key.clone()];
    for _ in 0..2 {
        let made = create_key(env, &created.api_key, json!({})).await;
        secrets.push(made.body["secret"].as_str().expect("a secret").to_owned());
    }
    (merchant, secrets)
}

/// The secrets among `secrets` that still create sessions.
async fn working(env: &TestEnv, secrets: &[String]) -> usize {
    let mut working = 0;
    for secret in secrets {
        if env.create(secret, &json!({"amount": "1.00"})).await.status == 201 {
            working += 1;
        }
    }
    working
}

#[tokio::test]
async fn fifty_racing_revocations_of_three_keys_revoke_exactly_two() {
    let env = Arc::new(TestEnv::new().await);
    let (merchant, secrets) = three_keys(&env).await;
    let ids: Vec<checkout_domain::ids::ApiKeyId> = api_keys::list_keys(&env.app, &merchant)
        .await
        .expect("listed")
        .iter()
        .map(|k| k.id())
        .collect();
    let mut tasks = Vec::new();
    for n in 0..50 {
        let (env, merchant, id) = (env.clone(), merchant.clone(), ids[n % 3].clone());
        tasks.push(tokio::spawn(async move {
            api_keys::revoke_key(&env.app, &merchant, &id).await.is_ok()
        }));
    }
    let mut revoked = 0;
    for task in tasks {
        revoked += usize::from(task.await.expect("the task ran"));
    }
    assert_eq!(revoked, 2, "every other revocation was a 409 or a 404");
    assert_eq!(working(&env, &secrets).await, 1, "one key still works");
}

#[tokio::test]
async fn fifty_racing_rolls_and_revocations_always_leave_a_working_full_key() {
    let env = Arc::new(TestEnv::new().await);
    let (merchant, mut secrets) = three_keys(&env).await;
    let mut tasks = Vec::new();
    for n in 0..50 {
        let (env, merchant) = (env.clone(), merchant.clone());
        tasks.push(tokio::spawn(async move {
            // Whichever keys work as this task sees them: rolls add keys as others go.
            let keys = api_keys::list_keys(&env.app, &merchant).await.ok()?;
            let id = keys.get(n % keys.len().max(1))?.id();
            if n % 2 == 0 {
                api_keys::roll_key(&env.app, &merchant, &id, time::Duration::ZERO)
                    .await
                    .ok()
                    .map(|key| key.plaintext)
            } else {
                let _ = api_keys::revoke_key(&env.app, &merchant, &id).await;
                None
            }
        }));
    }
    for task in tasks {
        if let Some(secret) = task.await.expect("the task ran") {
            secrets.push(secret);
        }
    }
    assert!(working(&env, &secrets).await >= 1, "a full key still works");
    let standing = api_keys::list_keys(&env.app, &merchant)
        .await
        .expect("listed")
        .into_iter()
        .filter(|k| k.is_standing_full_key())
        .count();
    assert!(standing >= 1, "and one that does not expire");
}

/// `PATCH /v1/account` with `body` through the container `app`.
async fn patch_account(app: &checkout_api::App, key: &str, body: Value) -> ApiResponse {
    let request = integration_tests::Call::event("update-account")
        .key(Some(key))
        .json(&body)
        .into_request();
    ApiResponse::from_response(::account::handle(app, request).await)
}

#[tokio::test]
async fn two_changes_through_warm_containers_both_stay_for_every_setting() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let containers: Vec<_> = (0..4).map(|_| env.container()).collect();
    let warm = futures::future::join_all((0..16).map(|i| {
        let request = integration_tests::Call::event("get-account")
            .key(Some(&key))
            .into_request();
        ::account::handle(&containers[i % containers.len()], request)
    }))
    .await;
    assert!(warm.iter().all(|r| r.status() == 200));

    let changes = [
        ("brandColor", json!("#aa0000")),
        ("successUrl", json!("https://shop.example/done")),
        ("cancelUrl", json!("https://shop.example/back")),
        ("termsUrl", json!("https://shop.example/terms")),
        ("locale", json!("ja")),
    ];
    for (round, (field, value)) in changes.iter().enumerate() {
        let first = &containers[round % containers.len()];
        let second = &containers[(round + 1) % containers.len()];
        let changed = patch_account(first, &key, json!({ *field: value })).await;
        assert_eq!(changed.status, 200, "{}", changed.body);
        let name = format!("Shop {round}");
        let renamed = patch_account(second, &key, json!({ "displayName": name })).await;
        assert_eq!(renamed.status, 200, "{}", renamed.body);
        assert_eq!(renamed.body[field], *value, "{field} kept in the answer");
        let now = env.call("get-account", &key, None, None).await;
        assert_eq!(now.body[field], *value, "{field} kept in the table");
        assert_eq!(now.body["displayName"], name.as_str());
    }
    let cleared = patch_account(&containers[0], &key, json!({ "brandColor": null })).await;
    assert_eq!(cleared.body["brandColor"], Value::Null);
    assert_eq!(
        cleared.body["locale"], "ja",
        "what the patch does not name stays"
    );
}
