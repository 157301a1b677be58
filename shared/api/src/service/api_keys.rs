//! `/v1/api_keys` (SPEC §18): a merchant lists, creates, rolls and revokes its own keys, and can
//! never be left without a full key that works.

use serde::Serialize;

use crate::App;
use crate::error::ApiError;
use crate::json_fields::{JsonObject, Violations};
use checkout_domain::api_key::{ApiKeyRecord, KeyScope, MAX_ROLL_OVERLAP, NewApiKey};
use checkout_domain::ids::ApiKeyId;
use checkout_domain::merchant::Merchant;
use checkout_domain::money::Invalid;
use checkout_domain::timestamp::Timestamp;
use checkout_domain::values::{Expiry, is_single_line};
use checkout_store::KeyChange;

/// Keys a merchant may hold at once (revoked and expired ones aside).
pub const MAX_KEYS: usize = 50;
/// Longest key name.
const NAME_MAX: usize = 100;
/// Times a revocation or roll is tried again when another change to the same keys came first.
const ATTEMPTS: usize = 5;

/// The `api_key` object: never the secret, which only its creation answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyResource {
    id: ApiKeyId,
    object: &'static str,
    name: Option<String>,
    scope: KeyScope,
    status: &'static str,
    prefix: String,
    last4: Option<String>,
    created_at: Timestamp,
    last_used_at: Option<Timestamp>,
    expires_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl ApiKeyResource {
    /// `record` as the API shows it at `now`.
    pub fn of(record: &ApiKeyRecord, now: Timestamp) -> Self {
        let status = if record.revoked {
            "revoked"
        } else if !record.is_usable_at(now) {
            "expired"
        } else if record.expires_at.is_some() {
            "expiring"
        } else {
            "active"
        };
        Self {
            id: record.id(),
            object: "api_key",
            name: record.name.clone(),
            scope: record.scope,
            status,
            prefix: record.key_prefix.clone(),
            last4: record.last4.clone(),
            created_at: record.created_at,
            last_used_at: record.last_used_at,
            expires_at: record.expires_at,
            secret: None,
        }
    }

    /// A new key as its creation answers it: with its secret, this once.
    pub fn created(key: &NewApiKey, now: Timestamp) -> Self {
        Self {
            secret: Some(key.plaintext.clone()),
            ..Self::of(&key.record, now)
        }
    }
}

/// The merchant's keys that still work, oldest first.
pub async fn list_keys(app: &App, merchant: &Merchant) -> Result<Vec<ApiKeyRecord>, ApiError> {
    let now = app.now();
    Ok(app
        .store
        .list_api_keys(&merchant.id)
        .await?
        .into_iter()
        .filter(|key| key.is_usable_at(now))
        .collect())
}

/// `POST /v1/api_keys` `{ name?, scope? }`: a new key (full unless `read_only`).
pub async fn create_key(
    app: &App,
    merchant: &Merchant,
    body: &[u8],
) -> Result<NewApiKey, ApiError> {
    let mut object = JsonObject::parse_body(body)?;
    let mut v = Violations::default();
    let name = object.string("name", &mut v).and_then(|name| {
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > NAME_MAX || !is_single_line(&name) {
            v.push(
                "name",
                Invalid::new(
                    "invalid_name",
                    format!(
                        "must be 1 to {NAME_MAX} characters, with no control or invisible character"
                    ),
                ),
            );
            None
        } else {
            Some(name)
        }
    });
    let scope = object
        .string("scope", &mut v)
        .map(|text| KeyScope::parse(&text).map_err(|e| v.push("scope", e)).ok())
        .unwrap_or(Some(KeyScope::Full));
    object.finish(&mut v);
    let scope = v.into_result(scope)?.unwrap_or_default();
    if list_keys(app, merchant).await?.len() >= MAX_KEYS {
        return Err(ApiError::LimitReached {
            what: "API keys",
            limit: MAX_KEYS,
        });
    }
    let key = NewApiKey::with(&merchant.id, name, scope, app.now());
    app.store.put_api_key(&key.record).await?;
    tracing::info!(merchant_id = %merchant.id, key_id = %key.record.id(), "API key created");
    Ok(key)
}

/// The merchant's working key `id`, read strongly from the table; 404 for any other.
async fn working_key(
    app: &App,
    merchant: &Merchant,
    id: &ApiKeyId,
) -> Result<ApiKeyRecord, ApiError> {
    let listed = list_keys(app, merchant)
        .await?
        .into_iter()
        .find(|key| key.id() == *id)
        .ok_or(ApiError::NotFound)?;
    match app.store.get_api_key(&listed.key_hash).await? {
        Some(key)
            if key.merchant_id.as_ref() == Some(&merchant.id) && key.is_usable_at(app.now()) =>
        {
            Ok(key)
        }
        _ => Err(ApiError::NotFound),
    }
}

/// `POST /v1/api_keys/{id}/roll` `{ expiresIn? }`: a new key with the same name and scope; the
/// old one keeps working for `expiresIn` (up to 7 days; none by default).
pub async fn roll_key(
    app: &App,
    merchant: &Merchant,
    id: &ApiKeyId,
    body: &[u8],
) -> Result<NewApiKey, ApiError> {
    let overlap = parse_overlap(body, time::Duration::ZERO)?;
    for _ in 0..ATTEMPTS {
        let old = working_key(app, merchant, id).await?;
        let now = app.now();
        let until = now.plus(overlap);
        let until = old.expires_at.map_or(until, |at| at.min(until));
        let new = NewApiKey::with(&merchant.id, old.name.clone(), old.scope, now);
        match app.store.roll_api_key(&old, &new.record, until).await? {
            KeyChange::Done => {
                app.auth_cache.forget_merchant(&merchant.id);
                tracing::info!(merchant_id = %merchant.id, key_id = %old.id(), new_key_id = %new.record.id(), "API key rolled");
                return Ok(new);
            }
            KeyChange::KeyChanged | KeyChange::KeeperChanged => {}
        }
    }
    Err(ApiError::Contention)
}

/// `DELETE /v1/api_keys/{id}`: revokes the key at once, unless it is the merchant's last full
/// key that does not expire (409).
pub async fn revoke_key(
    app: &App,
    merchant: &Merchant,
    id: &ApiKeyId,
) -> Result<ApiKeyRecord, ApiError> {
    for _ in 0..ATTEMPTS {
        let target = working_key(app, merchant, id).await?;
        let keeper = if target.is_standing_full_key() {
            let keeper = list_keys(app, merchant)
                .await?
                .into_iter()
                .find(|key| key.is_standing_full_key() && key.key_hash != target.key_hash)
                .ok_or(ApiError::LastFullKey)?;
            Some(keeper)
        } else {
            None
        };
        match app
            .store
            .revoke_key_keeping(&target, keeper.as_ref())
            .await?
        {
            KeyChange::Done => {
                app.auth_cache.forget_merchant(&merchant.id);
                tracing::info!(merchant_id = %merchant.id, key_id = %target.id(), "API key revoked");
                return Ok(ApiKeyRecord {
                    revoked: true,
                    ..target
                });
            }
            KeyChange::KeyChanged | KeyChange::KeeperChanged => {}
        }
    }
    Err(ApiError::Contention)
}

/// The overlap a roll or a secret rotation asks for: `expiresIn`, an ISO 8601 duration up to 7
/// days (`default` when absent).
pub(crate) fn parse_overlap(
    body: &[u8],
    default: time::Duration,
) -> Result<time::Duration, ApiError> {
    let mut object = JsonObject::parse_body(body)?;
    let mut v = Violations::default();
    let overlap = match object.string("expiresIn", &mut v) {
        None => Some(default),
        Some(text) => match Expiry::parse_duration(&text) {
            Ok(Expiry::In { seconds, .. })
                if time::Duration::seconds(seconds) <= MAX_ROLL_OVERLAP =>
            {
                Some(time::Duration::seconds(seconds))
            }
            Ok(_) => {
                v.push(
                    "expiresIn",
                    Invalid::new("invalid_duration", "must be at most P7D"),
                );
                None
            }
            Err(e) => {
                v.push("expiresIn", e);
                None
            }
        },
    };
    object.finish(&mut v);
    Ok(v.into_result(overlap)?.unwrap_or(default))
}
