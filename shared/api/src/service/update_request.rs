//! The body of `PATCH /v1/checkout/sessions/{id}` (SPEC §17): a JSON merge patch (RFC 7396) of
//! the session's create fields, checked by create's own rules on the merged result, so an update
//! can never make a session that create would refuse.

use std::collections::BTreeMap;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::ApiError;
use crate::json_fields::{JsonObject, Violations};
use crate::service::create_request::{CreateSessionRequest, KeyedBody};
use checkout_domain::merchant::Merchant;
use checkout_domain::money::Invalid;
use checkout_domain::session::{CheckoutSession, UPDATABLE_FIELDS};
use checkout_domain::timestamp::Timestamp;
use checkout_domain::values::ExpiryWindow;

/// Create fields that are fixed once the session exists.
const FIXED: [&str; 7] = [
    "collect",
    "currency",
    "orderId",
    "paymentMethods",
    "allowedAssets",
    "afterExpiration",
    "idempotencyKey",
];

/// Objects whose keys a patch merges (a key set to `null` is removed); every other field is
/// replaced whole.
const MERGED: [&str; 2] = ["customer", "metadata"];

/// A merge patch of a session as the merchant sent it: a JSON object with each key once. Its
/// fields are judged against the session they patch (a fixed field sent back unchanged is no
/// change), so they are checked by [`patched`], not here.
#[derive(Debug)]
pub struct SessionPatch(JsonObject);

impl SessionPatch {
    /// The body of `PATCH /v1/checkout/sessions/{id}`.
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        JsonObject::parse_body(body).map(Self)
    }
}

/// `session` as `patch` changes it for `merchant` at `now`: one version on, amounts and fees
/// recomputed. Every violated field is reported at once, with the paths create uses.
pub fn patched(
    patch: &SessionPatch,
    session: &CheckoutSession,
    merchant: &Merchant,
    now: Timestamp,
) -> Result<CheckoutSession, ApiError> {
    let SessionPatch(patch) = patch;
    let mut v = Violations::default();
    let document = merged_fields(patch, session, &mut v)?;
    let merged = serde_json::to_vec(&document)
        .map_err(|e| ApiError::Internal(format!("merged patch: {e}")))?;
    let request =
        match CreateSessionRequest::parse(KeyedBody::read(&merged, None)?, None, merchant, now) {
            Ok(request) => Some(request),
            Err(ApiError::Validation(errors)) => {
                v.extend(errors);
                None
            }
            Err(other) => return Err(other),
        };
    let expiry_given = patch.has("expiresAt") || patch.has("expiresIn");
    if let Some(request) = &request
        && expiry_given
        && request.expires_at > session.created_at.plus(ExpiryWindow::MAX)
    {
        let field = if patch.has("expiresAt") {
            "expiresAt"
        } else {
            "expiresIn"
        };
        v.push(
            field,
            Invalid::new(
                "expiry_out_of_range",
                "must be at most 31 days after the session was created",
            ),
        );
    }
    let request = v
        .into_result(request)?
        .ok_or_else(|| ApiError::Internal("a patch without violations made no request".into()))?;
    Ok(applied(session, request, merchant, expiry_given, now))
}

/// `session` with the fields of `request` (its expiry only when the patch gave one) and the
/// fees they come to: one version on when anything changed.
fn applied(
    session: &CheckoutSession,
    request: CreateSessionRequest,
    merchant: &Merchant,
    expiry_given: bool,
    now: Timestamp,
) -> CheckoutSession {
    let (fee, _net) = merchant.fees.apply(request.amount, request.currency);
    let mut updated = CheckoutSession {
        amount: request.amount,
        fee,
        line_items: request.line_items,
        description: request.description,
        customer: request.customer,
        metadata: request.metadata,
        locale: request.locale,
        success_url: request.success_url,
        cancel_url: request.cancel_url,
        webhook_url: request.webhook_url,
        expires_at: if expiry_given {
            request.expires_at
        } else {
            session.expires_at
        },
        ..session.clone()
    };
    if updated != *session {
        updated = updated.changed(now);
        // A 3-D Secure step under way was for the old amount: the payer starts again.
        updated.awaiting_authentication = None;
    }
    updated
}

/// The session's create fields with `patch` merged in; a fixed field changed or an unknown one
/// is pushed to `v`.
fn merged_fields(
    patch: &JsonObject,
    session: &CheckoutSession,
    v: &mut Violations,
) -> Result<BTreeMap<String, Box<RawValue>>, ApiError> {
    let mut document = create_fields(session)?;
    for (name, raw) in patch.fields() {
        if FIXED.contains(&name) {
            if !is_current(&document, name, raw) {
                v.push(
                    name,
                    Invalid::new(
                        "immutable_field",
                        format!("{name} cannot be changed after the session is created"),
                    ),
                );
            }
        } else if UPDATABLE_FIELDS.contains(&name) || name == "expiresIn" {
            merge(&mut document, name, raw)?;
        } else {
            v.push(
                name,
                Invalid::new("unknown_field", format!("{name:?} is not a known field")),
            );
        }
    }
    // New line items without an amount set the amount to their total.
    if patch.has("lineItems") && !patch.has("amount") {
        document.remove("amount");
    }
    Ok(document)
}

/// The session's create fields as JSON, in the shapes create reads (the expiry is left out: it
/// is checked only when a patch gives one).
fn create_fields(session: &CheckoutSession) -> Result<BTreeMap<String, Box<RawValue>>, ApiError> {
    let mut fields = serde_json::json!({
        "amount": session.amount,
        "currency": session.currency,
        "orderId": session.order_id,
        "lineItems": session.line_items,
        "description": session.description,
        "customer": session.customer,
        "metadata": session.metadata,
        "successUrl": session.success_url,
        "cancelUrl": session.cancel_url,
        "webhookUrl": session.webhook_url,
        "paymentMethods": session.payment_methods,
        "allowedAssets": session.allowed_assets,
        "collect": session.collect,
        "locale": session.locale,
    });
    if session.line_items.is_empty()
        && let Some(object) = fields.as_object_mut()
    {
        object.remove("lineItems");
    }
    serde_json::from_value::<BTreeMap<String, Value>>(fields)
        .and_then(|map| {
            map.into_iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(name, value)| Ok((name, serde_json::value::to_raw_value(&value)?)))
                .collect()
        })
        .map_err(|e| ApiError::Internal(format!("session as create fields: {e}")))
}

/// Whether `raw` is what the session already has in field `name` (sending a fixed field back
/// unchanged is not a change).
fn is_current(document: &BTreeMap<String, Box<RawValue>>, name: &str, raw: &RawValue) -> bool {
    let given: Option<Value> = serde_json::from_str(raw.get()).ok();
    let current: Option<Value> = document
        .get(name)
        .and_then(|current| serde_json::from_str(current.get()).ok());
    match (given, current) {
        (Some(Value::String(given)), Some(Value::String(current))) if name == "currency" => {
            given.eq_ignore_ascii_case(&current)
        }
        (given, current) => given == current,
    }
}

/// Applies field `name` of a merge patch: `null` removes it, an object merges into a merged
/// field's object, anything else replaces it. Values are kept as their raw text, so an amount is
/// read by create exactly as the merchant wrote it.
fn merge(
    document: &mut BTreeMap<String, Box<RawValue>>,
    name: &str,
    raw: &RawValue,
) -> Result<(), ApiError> {
    if raw.get() == "null" {
        document.remove(name);
        return Ok(());
    }
    let objects = MERGED.contains(&name).then(|| {
        let patch = serde_json::from_str::<serde_json::Map<String, Value>>(raw.get()).ok()?;
        let current = document.get(name).map_or_else(
            || Some(serde_json::Map::new()),
            |current| serde_json::from_str(current.get()).ok(),
        )?;
        Some((current, patch))
    });
    let Some(Some((mut current, patch))) = objects else {
        document.insert(name.to_owned(), raw.to_owned());
        return Ok(());
    };
    for (key, value) in patch {
        if value.is_null() {
            current.remove(&key);
        } else {
            current.insert(key, value);
        }
    }
    let merged = serde_json::value::to_raw_value(&current)
        .map_err(|e| ApiError::Internal(format!("merged object: {e}")))?;
    document.insert(name.to_owned(), merged);
    Ok(())
}
