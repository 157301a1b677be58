//! `GET /v1/account` and `PATCH /v1/account` (SPEC §18): the merchant's own settings. Fees,
//! limits and activation are the operator's (`checkoutctl`).

use serde::Serialize;
use serde_json::Value;

use crate::App;
use crate::error::ApiError;
use crate::json_fields::{JsonObject, Violations};
use checkout_domain::merchant::{AccountPatch, Merchant, is_brand_color};
use checkout_domain::money::Invalid;
use checkout_domain::signing_secret::{MAX_RETIRING_SECRETS, TooManySecrets};
use checkout_domain::timestamp::Timestamp;
use checkout_domain::values::{HttpUrl, Locale, is_single_line};

/// Longest display name.
const DISPLAY_NAME_MAX: usize = 100;

/// Fields only the operator sets.
const OPERATOR_FIELDS: [&str; 8] = [
    "id",
    "name",
    "active",
    "fees",
    "rateLimit",
    "maxAmount",
    "keyShards",
    "createdAt",
];

/// The `account` object.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountResource<'a> {
    id: &'a str,
    object: &'static str,
    name: &'a str,
    display_name: &'a str,
    brand_color: Option<&'a str>,
    success_url: Option<&'a HttpUrl>,
    cancel_url: Option<&'a HttpUrl>,
    locale: Locale,
    terms_url: Option<&'a HttpUrl>,
    active: bool,
    rate_limit: u32,
    created_at: Timestamp,
}

/// `merchant` as the API shows it.
pub fn account(merchant: &Merchant) -> AccountResource<'_> {
    AccountResource {
        id: merchant.id.as_str(),
        object: "account",
        name: &merchant.name,
        display_name: &merchant.display_name,
        brand_color: merchant.brand_color.as_deref(),
        success_url: merchant.success_url.as_ref(),
        cancel_url: merchant.cancel_url.as_ref(),
        locale: merchant.locale.unwrap_or_default(),
        terms_url: merchant.terms_url.as_ref(),
        active: merchant.active,
        rate_limit: merchant
            .rate_limit
            .unwrap_or(checkout_domain::merchant::DEFAULT_RATE_LIMIT),
        created_at: merchant.created_at,
    }
}

/// The account of `merchant` as the table holds it now: authentication may have used a copy
/// remembered for `AUTH_CACHE_SECONDS`, and a merchant reading its settings after changing them
/// must see the change.
pub async fn current(app: &App, merchant: &Merchant) -> Result<Merchant, ApiError> {
    app.store
        .get_merchant(&merchant.id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Writes the settings `patch` names to `merchant`'s account and nothing else; the account as
/// stored after the write.
pub async fn update_account(
    app: &App,
    merchant: &Merchant,
    patch: AccountPatch,
) -> Result<Merchant, ApiError> {
    let updated = app
        .store
        .update_account(&merchant.id, &patch)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !patch.is_empty() {
        app.auth_cache.forget_merchant(&merchant.id);
    }
    Ok(updated)
}

/// The settings the merchant may change, in the order they are checked.
const SETTINGS: [&str; 6] = [
    "displayName",
    "brandColor",
    "successUrl",
    "cancelUrl",
    "termsUrl",
    "locale",
];

/// The change the JSON merge patch `body` of `PATCH /v1/account` asks for (`null` sets a
/// setting back to its default), every violated field at once.
pub fn patch_from_json(body: &[u8]) -> Result<AccountPatch, ApiError> {
    let mut object = JsonObject::parse_body(body)?;
    let mut v = Violations::default();
    let given: Vec<(&str, Option<String>)> = SETTINGS
        .into_iter()
        .filter_map(|name| nullable(&mut object, name, &mut v).map(|value| (name, value)))
        .collect();
    for name in OPERATOR_FIELDS {
        if object.take(name).is_some() {
            v.push(
                name,
                Invalid::new("immutable_field", format!("{name} is set by the operator")),
            );
        }
    }
    object.finish(&mut v);
    let patch = checked(given, &mut v);
    v.into_result(patch)
}

/// The change the dashboard's settings form `fields` asks for: a field left empty sets its
/// setting back to its default (the display name, which has none, must be given). Checked by
/// the rules a JSON patch is.
pub fn patch_from_form(fields: &[(String, String)]) -> Result<AccountPatch, ApiError> {
    let mut v = Violations::default();
    let given = SETTINGS
        .into_iter()
        .filter(|name| fields.iter().any(|(field, _)| field == name))
        .map(|name| {
            let text = crate::http::first_value(fields, name).trim();
            let cleared = text.is_empty() && name != "displayName";
            (name, (!cleared).then(|| text.to_owned()))
        })
        .collect();
    let patch = checked(given, &mut v);
    v.into_result(patch)
}

/// The settings `given` (by name; `None` sets one back to its default) as a patch, each
/// violation pushed to `v`.
fn checked(given: Vec<(&str, Option<String>)>, v: &mut Violations) -> AccountPatch {
    let mut patch = AccountPatch::default();
    for (name, value) in given {
        match (name, value) {
            ("displayName", Some(text))
                if !text.trim().is_empty()
                    && text.chars().count() <= DISPLAY_NAME_MAX
                    && is_single_line(&text) =>
            {
                patch.display_name = Some(text.trim().to_owned());
            }
            ("displayName", _) => v.push(
                name,
                Invalid::new(
                    "invalid_display_name",
                    format!(
                        "must be a string of 1 to {DISPLAY_NAME_MAX} characters, with no control or invisible character"
                    ),
                ),
            ),
            ("brandColor", Some(color)) if !is_brand_color(&color) => v.push(
                name,
                Invalid::new("invalid_color", "must be #RRGGBB"),
            ),
            ("brandColor", color) => patch.brand_color = Some(color),
            ("locale", text) => match text.map(|t| Locale::parse(&t)).transpose() {
                Ok(locale) => patch.locale = Some(locale),
                Err(e) => v.push(name, e),
            },
            (_, text) => match text.map(|t| HttpUrl::parse(&t)).transpose() {
                Ok(url) => match name {
                    "successUrl" => patch.success_url = Some(url),
                    "cancelUrl" => patch.cancel_url = Some(url),
                    _ => patch.terms_url = Some(url),
                },
                Err(e) => v.push(name, e),
            },
        }
    }
    patch
}

/// Field `name` when present: `Some(None)` for `null`, `Some(Some(text))` for a string; a value
/// of another type is a violation.
pub(crate) fn nullable(
    object: &mut JsonObject,
    name: &str,
    v: &mut Violations,
) -> Option<Option<String>> {
    if !object.fields().any(|(field, _)| field == name) {
        return None;
    }
    let Some(raw) = object.take(name) else {
        return Some(None);
    };
    match serde_json::from_str::<Value>(raw.get()) {
        Ok(Value::String(text)) => Some(Some(text)),
        _ => {
            v.push(
                name,
                Invalid::new("invalid_type", "must be a string or null"),
            );
            None
        }
    }
}

/// The account's webhook secret as its rotation answers it, the one time it is shown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookSecretResource<'a> {
    object: &'static str,
    secret: &'a str,
    previous_secret_expires_at: Option<Timestamp>,
}

impl<'a> WebhookSecretResource<'a> {
    /// The secret of `merchant` as rotated at `now`.
    pub fn of(merchant: &'a Merchant, now: Timestamp) -> Self {
        Self {
            object: "account_webhook_secret",
            secret: &merchant.webhook_secret,
            previous_secret_expires_at: merchant.webhook_rotation_ends_at(now),
        }
    }
}

/// How many times a rotation is tried again over another that came first.
const ROTATION_ATTEMPTS: usize = 5;

/// `POST /v1/account/rotate_webhook_secret` `{ expiresIn? }`: a new secret for the deliveries to
/// sessions' own `webhookUrl`s; every secret replaced keeps signing beside it for its overlap
/// (`expiresIn`, a day by default, at most P7D), as an endpoint's rotation does.
pub async fn rotate_webhook_secret(
    app: &App,
    merchant: &Merchant,
    overlap: time::Duration,
) -> Result<Merchant, ApiError> {
    for _ in 0..ROTATION_ATTEMPTS {
        let mut current = current(app, merchant).await?;
        let seen = current.webhook_secret.clone();
        let now = app.now();
        current
            .rotate_webhook_secret(overlap, now)
            .map_err(|TooManySecrets| ApiError::LimitReached {
                what: "secrets signing beside the current one",
                limit: MAX_RETIRING_SECRETS,
            })?;
        if app.store.replace_webhook_secret(&current, &seen).await? {
            app.auth_cache.forget_merchant(&merchant.id);
            tracing::info!(merchant_id = %merchant.id, "account webhook secret rotated");
            return Ok(current);
        }
    }
    Err(ApiError::Contention)
}
