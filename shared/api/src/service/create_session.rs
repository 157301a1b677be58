//! `POST /v1/checkout/sessions`.

use crate::App;
use crate::error::ApiError;
use crate::metrics::{self, Metric};
use crate::service::create_request::{CreateSessionRequest, KeyedBody};
use crate::service::idempotent::{Created, Replay, answer_prior_use};
use crate::service::transition::end_with_event;
use checkout_domain::ids::{SessionId, new_reference};
use checkout_domain::merchant::{Merchant, shard_of};
use checkout_domain::session::{CheckoutSession, SessionStatus};
use checkout_domain::stage::Stage;
use checkout_domain::timestamp::Timestamp;
use checkout_store::{CreateOutcome, EndOutcome, StoredResponse};

/// The idempotency scope of session creation.
pub const CREATE_SESSION_ENDPOINT: &str = "create_session";

/// Attempts to take an order id whose holder turns out to be stale.
const ORDER_ID_ATTEMPTS: usize = 3;

/// Creates a session for `merchant` from `body`, honouring the idempotency key.
pub async fn create_session(
    app: &App,
    merchant: &Merchant,
    body: &[u8],
    header_key: Option<&str>,
    base_url: &str,
) -> Result<Created, ApiError> {
    // No live card acquirer or chain watcher exists yet: a live session could only be "paid"
    // by the test processor's rules, so a live deployment takes none (docs/operations.md).
    if app.config.stage == Stage::Live {
        return Err(ApiError::LivePaymentsUnavailable);
    }
    let now = app.now();
    let body = KeyedBody::read(body, header_key)?;
    let replay = Replay::new(
        CREATE_SESSION_ENDPOINT,
        body.idempotency_key.clone(),
        body.fingerprint.clone(),
    );
    let request = match CreateSessionRequest::parse(body, header_key, merchant, now) {
        Ok(request) => request,
        // A retry gets the first answer even if validation would now judge it differently (the
        // clock moved past its expiresAt, say), so an invalid request looks for an earlier use of
        // its key. A valid one learns of it from its own transaction: one round trip, not two.
        Err(invalid) => return replay.unless_replayed(app, merchant, invalid).await,
    };
    let session = new_session(&request, merchant, now);
    let response = StoredResponse {
        status: 201,
        body: serde_json::to_string(&session.resource(now, base_url))
            .map_err(|e| ApiError::Internal(format!("response serialization: {e}")))?,
    };
    for _ in 0..ORDER_ID_ATTEMPTS {
        let claim = replay.claim(merchant, &response);
        match app.store.create_session(&session, claim, now).await? {
            CreateOutcome::Created => {
                tracing::info!(session_id = %session.id, merchant_id = %merchant.id, "session created");
                app.metrics.put(Metric::count(metrics::SESSIONS_CREATED, 1));
                return Ok(Created::first(response));
            }
            CreateOutcome::PriorUse(prior) => return answer_prior_use(prior),
            CreateOutcome::OrderIdHeld { session_id } => {
                let order_id = request
                    .order_id
                    .as_ref()
                    .map(AsRef::as_ref)
                    .unwrap_or_default();
                if !release_if_stale(app, merchant, order_id, &session_id, now).await? {
                    // The holder may be this very request's first try, answered to a racing
                    // duplicate: that one gets the replay, not a conflict with itself.
                    let refusal = ApiError::OrderIdInUse { session_id };
                    return replay.unless_replayed(app, merchant, refusal).await;
                }
            }
        }
    }
    replay
        .unless_replayed(app, merchant, ApiError::Contention)
        .await
}

/// A session of `merchant` made from the create request `body` and stored nowhere: what the
/// dashboard shows its checkout page with while the merchant changes its branding.
pub fn unsaved_session(
    merchant: &Merchant,
    body: &[u8],
    now: Timestamp,
) -> Result<CheckoutSession, ApiError> {
    let request = CreateSessionRequest::parse(KeyedBody::read(body, None)?, None, merchant, now)?;
    Ok(new_session(&request, merchant, now))
}

fn new_session(
    request: &CreateSessionRequest,
    merchant: &Merchant,
    now: Timestamp,
) -> CheckoutSession {
    let (fee, _net) = merchant.fees.apply(request.amount, request.currency);
    let id = SessionId::generate();
    CheckoutSession {
        key_shard: shard_of(id.as_str(), merchant.key_shards),
        id,
        merchant_id: merchant.id.clone(),
        status: SessionStatus::Pending,
        amount: request.amount,
        currency: request.currency,
        fee,
        order_id: request.order_id.clone(),
        reference: new_reference(),
        description: request.description.clone(),
        customer: request.customer.clone(),
        line_items: request.line_items.clone(),
        metadata: request.metadata.clone(),
        payment_methods: request.payment_methods.clone(),
        allowed_assets: request.allowed_assets.clone(),
        success_url: request.success_url.clone(),
        cancel_url: request.cancel_url.clone(),
        webhook_url: request.webhook_url.clone(),
        created_at: now,
        version: 1,
        updated_at: None,
        expires_at: request.expires_at,
        processing_at: None,
        completed_at: None,
        cancelled_at: None,
        expired_at: None,
        refunded_at: None,
        amount_refunded: None,
        recovery: request.recovery,
        collect: request.collect.clone(),
        locale: request.locale,
        collected: None,
        recovered_from: None,
        recovered_by: None,
        payment: None,
        failed_at: None,
        failure_code: None,
        awaiting_authentication: None,
        decline_count: 0,
        form_token: checkout_domain::ids::random_alphanumeric(32),
    }
}

/// Frees an order id whose holder no longer holds it in truth: a pending session past its
/// expiry that the sweeper has not reached yet is expired now (so uniqueness never waits for the
/// sweeper), and a reservation whose session is gone or ended is deleted. Returns whether the
/// order id may be tried again.
async fn release_if_stale(
    app: &App,
    merchant: &Merchant,
    order_id: &str,
    holder_id: &SessionId,
    now: Timestamp,
) -> Result<bool, ApiError> {
    let holder = app.store.get_session(holder_id).await?;
    match holder {
        Some(holder) if holder.has_lapsed_at(now) => {
            match end_with_event(app, &holder, SessionStatus::Expired, now).await? {
                EndOutcome::Ended(_) | EndOutcome::Gone => Ok(true),
                EndOutcome::NotPending(current) => Ok(!current.status.holds_order_id()),
            }
        }
        Some(holder) if holder.status.holds_order_id() => Ok(false),
        _ => {
            app.store
                .release_orphan_reservation(&merchant.id, order_id, holder_id)
                .await?;
            Ok(true)
        }
    }
}
