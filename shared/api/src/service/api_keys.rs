//! `/v1/api_keys` (SPEC §18): a merchant lists, creates, rolls and revokes its own keys, and can
//! never be left without a full key that works.

use serde::Serialize;

use crate::App;
use crate::error::ApiError;
use crate::json_fields::{JsonObject, Violations};
use checkout_domain::api_key::{ApiKeyRecord, KeyScope, KeyStatus, MAX_ROLL_OVERLAP, NewApiKey};
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
    status: KeyStatus,
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
        Self {
            id: record.id(),
            object: "api_key",
            name: record.name.clone(),
            scope: record.scope,
            status: record.status_at(now),
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

/// What a new key is asked to be: its name, if any, and its scope (full unless `read_only`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKeyRequest {
    name: Option<String>,
    scope: KeyScope,
}

impl NewKeyRequest {
    /// The JSON body `{ name?, scope? }` of `POST /v1/api_keys`, every violation at once.
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        let mut object = JsonObject::parse_body(body)?;
        let mut v = Violations::default();
        let name = object.string("name", &mut v);
        let scope = object.string("scope", &mut v);
        object.finish(&mut v);
        Self::checked(name.as_deref(), scope.as_deref(), v)
    }

    /// The dashboard's form: `name` (empty for none) and `scope`, by the same rules.
    pub fn from_form(fields: &[(String, String)]) -> Result<Self, ApiError> {
        let name = crate::http::first_value(fields, "name").trim();
        let scope = crate::http::first_value(fields, "scope");
        Self::checked(
            (!name.is_empty()).then_some(name),
            (!scope.is_empty()).then_some(scope),
            Violations::default(),
        )
    }

    fn checked(
        name: Option<&str>,
        scope: Option<&str>,
        mut v: Violations,
    ) -> Result<Self, ApiError> {
        let name = name.map(str::trim).and_then(|name| {
            if name.is_empty() || name.chars().count() > NAME_MAX || !is_single_line(name) {
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
                Some(name.to_owned())
            }
        });
        let scope = match scope.map(KeyScope::parse).transpose() {
            Ok(scope) => scope.unwrap_or(KeyScope::Full),
            Err(e) => {
                v.push("scope", e);
                KeyScope::Full
            }
        };
        v.into_result(Self { name, scope })
    }
}

/// `POST /v1/api_keys`: a new key as `request` asks.
pub async fn create_key(
    app: &App,
    merchant: &Merchant,
    request: NewKeyRequest,
) -> Result<NewApiKey, ApiError> {
    let NewKeyRequest { name, scope } = request;
    if list_keys(app, merchant).await?.len() >= MAX_KEYS {
        return Err(ApiError::LimitReached {
            what: "API keys",
            limit: MAX_KEYS,
        });
    }
    let key = NewApiKey::with(app.config.stage, &merchant.id, name, scope, app.now());
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

/// `POST /v1/api_keys/{id}/roll`: a new key with the same name and scope; the old one keeps
/// working for `overlap` (from `expiresIn`, up to 7 days; none by default).
pub async fn roll_key(
    app: &App,
    merchant: &Merchant,
    id: &ApiKeyId,
    overlap: time::Duration,
) -> Result<NewApiKey, ApiError> {
    for _ in 0..ATTEMPTS {
        let old = working_key(app, merchant, id).await?;
        let now = app.now();
        let until = now.plus(overlap);
        let until = old.expires_at.map_or(until, |at| at.min(until));
        let new = NewApiKey::with(
            app.config.stage,
            &merchant.id,
            old.name.clone(),
            old.scope,
            now,
        );
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

/// The overlap a roll or a secret rotation asks for in its JSON body: `expiresIn`, an ISO 8601
/// duration up to 7 days (`default` when absent).
pub fn parse_overlap(body: &[u8], default: time::Duration) -> Result<time::Duration, ApiError> {
    let mut object = JsonObject::parse_body(body)?;
    let mut v = Violations::default();
    let text = object.string("expiresIn", &mut v);
    object.finish(&mut v);
    v.into_result(())?;
    overlap(text.as_deref(), default)
}

/// The overlap `text` names (an ISO 8601 duration up to 7 days), `default` when none: what a
/// JSON body's `expiresIn` and the dashboard's choice are both read with.
pub fn overlap(text: Option<&str>, default: time::Duration) -> Result<time::Duration, ApiError> {
    let Some(text) = text else {
        return Ok(default);
    };
    match Expiry::parse_duration(text) {
        Ok(Expiry::In { seconds, .. }) if time::Duration::seconds(seconds) <= MAX_ROLL_OVERLAP => {
            Ok(time::Duration::seconds(seconds))
        }
        Ok(_) => Err(ApiError::field(
            "expiresIn",
            "invalid_duration",
            "must be at most P7D",
        )),
        Err(e) => Err(ApiError::field("expiresIn", e.code, e.message)),
    }
}
