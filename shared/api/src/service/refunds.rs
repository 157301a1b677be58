//! Refunds (SPEC §15): `POST …/{id}/refunds` refunds part or all of what is left and answers with
//! the refund, `GET …/{id}/refunds` lists them, and the stage-one `POST …/{id}/refund` refunds all
//! that is left and answers with the session. Every refund goes through [`refund`]: one
//! transaction with the session's refunded sum as its condition, judged again on the session as
//! it now is when another refund got there first.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::App;
use crate::cursor;
use crate::error::ApiError;
use crate::http::first_value;
use crate::json_fields::{JsonObject, Violations};
use crate::metrics::{self, Metric};
use crate::service::List;
use crate::service::create_request::{KeyedBody, check_idempotency_key, parse_metadata};
use crate::service::idempotent::{Created, Replay, answer_prior_use};
use crate::service::query_params;
use crate::service::session_lifecycle::get_session;
use crate::service::transition::announce;
use checkout_domain::event::{EventType, WebhookEvent};
use checkout_domain::hashing::sha256_hex;
use checkout_domain::ids::SessionId;
use checkout_domain::merchant::Merchant;
use checkout_domain::money::{Amount, Invalid};
use checkout_domain::refund::{Refund, RefundReason};
use checkout_domain::session::{CheckoutSession, SessionStatus};
use checkout_domain::values::{IdempotencyKey, Metadata};
use checkout_store::{ChangeOutcome, RefundPage, StoredResponse};

/// The idempotency scope of `POST …/refunds`.
pub const CREATE_REFUND_ENDPOINT: &str = "create_refund";

/// The idempotency scope of the stage-one `POST …/refund`.
pub const REFUND_SESSION_ENDPOINT: &str = "refund_session";

/// How often a refund is judged again on a session another refund changed meanwhile: each round
/// one of the racers wins, so this many racers all get an answer that is not a conflict.
const ATTEMPTS: usize = 64;

/// What a refund asks for.
#[derive(Debug, Clone, Default)]
struct RefundAsk {
    /// The amount's text, read in the session's currency; none: all that is left.
    amount: Option<String>,
    reason: Option<RefundReason>,
    metadata: Metadata,
}

/// A refund request read once: what it asks for, or why it cannot be done, and what an earlier
/// use of its idempotency key is looked up by. A refusal is kept rather than returned at once:
/// an earlier use of the same key still answers a retry whose body breaks a rule.
#[derive(Debug)]
pub struct RefundRequest {
    key: Option<IdempotencyKey>,
    fingerprint: String,
    ask: Result<RefundAsk, ApiError>,
}

impl RefundRequest {
    /// The JSON body `{ amount?, reason?, metadata?, idempotencyKey? }` of `POST …/{id}/refunds`
    /// with the `Idempotency-Key` header if sent; an error only for a body that is not a JSON
    /// object.
    pub fn from_json(body: &[u8], header_key: Option<&str>) -> Result<Self, ApiError> {
        let body = KeyedBody::read(body, header_key)?;
        let (key, fingerprint) = (body.idempotency_key.clone(), body.fingerprint.clone());
        Ok(Self {
            key,
            fingerprint,
            ask: parse_ask(body.into_fields(), header_key),
        })
    }

    /// The dashboard's refund form: `amount` (empty for all that is left), `reason` (empty for
    /// none) and `idempotencyKey`, by the API's rules. Its fingerprint is the one the same
    /// request sent as JSON has, so a key means one refund whichever way it came.
    pub fn from_form(fields: &[(String, String)]) -> Self {
        let mut v = Violations::default();
        let given: BTreeMap<&str, &str> = [
            ("amount", first_value(fields, "amount").trim()),
            ("reason", first_value(fields, "reason")),
        ]
        .into_iter()
        .filter(|(_, text)| !text.is_empty())
        .collect();
        let amount = given
            .get("amount")
            .and_then(|text| checked_amount(text.to_string(), &mut v));
        let reason = given
            .get("reason")
            .and_then(|text| checked_reason(text, &mut v));
        let key = match first_value(fields, "idempotencyKey") {
            "" => None,
            text => IdempotencyKey::parse(text)
                .map_err(|e| v.push("idempotencyKey", e))
                .ok(),
        };
        let canonical = serde_json::to_vec(&given).unwrap_or_default();
        Self {
            key,
            fingerprint: sha256_hex(&canonical),
            ask: v.into_result(RefundAsk {
                amount,
                reason,
                metadata: Metadata::default(),
            }),
        }
    }
}

/// `POST /v1/checkout/sessions/{id}/refunds`: a refund of the amount `request` asks for (all
/// that is left when none), answered `201` with the refund; idempotent per SPEC §6.
pub async fn create_refund(
    app: &App,
    merchant: &Merchant,
    id: &SessionId,
    request: RefundRequest,
) -> Result<Created, ApiError> {
    // The request a key stands for is this body for this session.
    let replay = Replay::new(
        CREATE_REFUND_ENDPOINT,
        request.key,
        sha256_hex(format!("{id}|{}", request.fingerprint).as_bytes()),
    );
    let ask = match request.ask {
        Ok(ask) => ask,
        Err(invalid) => return replay.unless_replayed(app, merchant, invalid).await,
    };
    refund(app, merchant, id, &ask, &replay, |_, refund| {
        json_answer(201, refund)
    })
    .await
}

/// The stage-one `POST /v1/checkout/sessions/{id}/refund`: all that is left, answered `200` with
/// the session; a retry with the same `Idempotency-Key` replays the first answer.
pub async fn refund_session(
    app: &App,
    merchant: &Merchant,
    id: &SessionId,
    header_key: Option<&str>,
    base_url: &str,
) -> Result<Created, ApiError> {
    let key = header_key
        .map(|text| {
            IdempotencyKey::parse(text)
                .map_err(|e| ApiError::field("Idempotency-Key", e.code, e.message))
        })
        .transpose()?;
    // The request a refund key stands for is "refund this session".
    let replay = Replay::new(
        REFUND_SESSION_ENDPOINT,
        key,
        sha256_hex(format!("refund|{id}").as_bytes()),
    );
    refund(
        app,
        merchant,
        id,
        &RefundAsk::default(),
        &replay,
        |after, _| json_answer(200, &after.resource(app.now(), base_url)),
    )
    .await
}

/// Refunds session `id` of `merchant` as `ask` says, answering with `answer` (of the session as
/// the refund leaves it, and the refund). A refusal is judged against the idempotency record
/// once more: a same-key request that raced this one may be why.
async fn refund(
    app: &App,
    merchant: &Merchant,
    id: &SessionId,
    ask: &RefundAsk,
    replay: &Replay,
    answer: impl Fn(&CheckoutSession, &Refund) -> Result<StoredResponse, ApiError>,
) -> Result<Created, ApiError> {
    if let Some(earlier) = replay.earlier_answer(app, merchant).await? {
        return Ok(earlier);
    }
    let mut session = get_session(app, merchant, id).await?;
    for _ in 0..ATTEMPTS {
        let now = app.now();
        if session.status != SessionStatus::Completed {
            let refusal = ApiError::InvalidStatus {
                status: session.status_at(now),
                action: "refund",
            };
            return replay.unless_replayed(app, merchant, refusal).await;
        }
        let amount = match amount_to_refund(&session, ask) {
            Ok(amount) => amount,
            Err(refusal) => return replay.unless_replayed(app, merchant, refusal).await,
        };
        let Some(after) = session.refunded_by(amount, now) else {
            return replay
                .unless_replayed(app, merchant, exceeds(&session))
                .await;
        };
        let refund = Refund::new(
            &session.id,
            amount,
            session.currency,
            ask.reason,
            ask.metadata.clone(),
            now,
        );
        let mut events = vec![
            WebhookEvent::new(EventType::RefundCreated, &after, &refund, now)
                .map_err(|e| ApiError::Internal(format!("event serialization: {e}")))?,
        ];
        if after.status == SessionStatus::Refunded {
            events.push(announce(app, &after, now)?);
        }
        let response = answer(&after, &refund)?;
        let claim = replay.claim(merchant, &response);
        match app
            .store
            .create_refund(&session, &after, &refund, &events, claim, now)
            .await?
        {
            ChangeOutcome::Changed(_) => {
                tracing::info!(session_id = %session.id, refund_id = %refund.id, amount = %amount, "refunded");
                app.metrics.put(Metric::count(metrics::REFUNDS, 1));
                return Ok(Created::first(response));
            }
            ChangeOutcome::PriorUse(prior) => return answer_prior_use(prior),
            ChangeOutcome::Refused(current) => session = *current,
            ChangeOutcome::Gone => return Err(ApiError::NotFound),
            ChangeOutcome::MerchantInactive => {
                return Err(ApiError::Internal(
                    "a refund write checked its merchant".into(),
                ));
            }
        }
    }
    replay
        .unless_replayed(app, merchant, ApiError::Contention)
        .await
}

/// The amount `ask` refunds of `session`: the one asked for, in the session's currency, or all
/// that is left.
fn amount_to_refund(session: &CheckoutSession, ask: &RefundAsk) -> Result<Amount, ApiError> {
    let refundable = session.refundable();
    let Some(text) = &ask.amount else {
        return Ok(refundable);
    };
    let amount = Amount::parse(text, session.currency)
        .map_err(|invalid| ApiError::field("amount", invalid.code, invalid.message))?;
    if amount == Amount::zero(session.currency) {
        return Err(ApiError::field(
            "amount",
            "amount_too_small",
            "a refund must be more than zero",
        ));
    }
    if amount > refundable {
        return Err(exceeds(session));
    }
    Ok(amount)
}

fn exceeds(session: &CheckoutSession) -> ApiError {
    ApiError::field(
        "amount",
        "amount_exceeds_refundable",
        format!(
            "at most {} {} can still be refunded",
            session.refundable(),
            session.currency
        ),
    )
}

/// The fields of a refund request, every broken rule reported at once.
fn parse_ask(mut object: JsonObject, header_key: Option<&str>) -> Result<RefundAsk, ApiError> {
    let mut v = Violations::default();
    let amount = object
        .decimal_text("amount", &mut v)
        .and_then(|text| checked_amount(text, &mut v));
    let reason = object
        .string("reason", &mut v)
        .and_then(|text| checked_reason(&text, &mut v));
    let metadata = parse_metadata(&mut object, &mut v);
    check_idempotency_key(&mut object, header_key, &mut v);
    object.finish(&mut v);
    v.into_result(RefundAsk {
        amount,
        reason,
        metadata,
    })
}

/// An amount's text when it reads as an amount in some currency (the session's is known later).
fn checked_amount(text: String, v: &mut Violations) -> Option<String> {
    match Amount::check_syntax(&text) {
        Ok(_) => Some(text),
        Err(invalid) => {
            v.push("amount", invalid);
            None
        }
    }
}

fn checked_reason(text: &str, v: &mut Violations) -> Option<RefundReason> {
    text.parse::<RefundReason>()
        .map_err(|_| {
            v.push(
                "reason",
                Invalid::new(
                    "invalid_reason",
                    "must be requested_by_customer, duplicate or fraudulent",
                ),
            )
        })
        .ok()
}

fn json_answer(status: u16, body: &impl Serialize) -> Result<StoredResponse, ApiError> {
    Ok(StoredResponse {
        status,
        body: serde_json::to_string(body)
            .map_err(|e| ApiError::Internal(format!("response serialization: {e}")))?,
    })
}

/// `page` of a session's refunds as the API lists it, with the cursor of its next page.
pub fn refund_list(page: &RefundPage, next_cursor: Option<String>) -> List<&[Refund]> {
    List::page(&page.refunds, next_cursor)
}

/// `GET /v1/checkout/sessions/{id}/refunds`: one page of the session's refunds, oldest first,
/// and its next cursor.
pub async fn list_refunds(
    app: &App,
    merchant: &Merchant,
    id: &SessionId,
    params: &[(String, String)],
) -> Result<(RefundPage, Option<String>), ApiError> {
    let mut v = Violations::default();
    let mut limit = query_params::DEFAULT_LIMIT;
    let mut cursor_text = None;
    for (name, value) in query_params::distinct(params, &mut v) {
        match name {
            "limit" => limit = query_params::limit(value, &mut v).unwrap_or(limit),
            "cursor" => cursor_text = Some(value.to_owned()),
            other => query_params::unknown(other, &mut v),
        }
    }
    let query_id = format!("refunds|{}|{id}", merchant.id);
    let cursor_key = app.config.secrets.cursors().await?;
    let after = cursor::position(cursor_text.as_deref(), &query_id, cursor_key, &mut v);
    v.into_result(())?;
    get_session(app, merchant, id).await?;
    let page = app.store.list_refunds(id, limit, after.as_ref()).await?;
    let next_cursor = cursor::after(page.next.as_ref(), &query_id, cursor_key);
    Ok((page, next_cursor))
}
