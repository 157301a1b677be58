//! `POST /v1/checkout/sessions/{id}/refund`: completed → refunded in full, idempotent (SPEC §6).

use crate::App;
use crate::domain::IdempotencyKey;
use crate::error::ApiError;
use crate::hashing::sha256_hex;
use crate::ids::SessionId;
use crate::merchant::Merchant;
use crate::service::Created;
use crate::service::create_session::answer_prior_use;
use crate::service::session_lifecycle::get_session;
use crate::service::transition::announce;
use crate::session::SessionStatus;
use crate::store::{ChangeOutcome, IdempotencyClaim, StoredResponse};

/// The idempotency scope of refunds.
pub const REFUND_SESSION_ENDPOINT: &str = "refund_session";

/// Refunds session `id` of `merchant`; a retry with the same `Idempotency-Key` replays the first
/// answer, the same key for another session is a 422.
pub async fn refund_session(
    app: &App,
    merchant: &Merchant,
    id: &SessionId,
    header_key: Option<&str>,
    base_url: &str,
) -> Result<Created, ApiError> {
    let now = app.now();
    let key = header_key
        .map(|text| {
            IdempotencyKey::parse(text)
                .map_err(|e| ApiError::field("Idempotency-Key", e.code, e.message))
        })
        .transpose()?;
    // The request a refund key stands for is "refund this session".
    let fingerprint = sha256_hex(format!("refund|{id}").as_bytes());
    let earlier_use = async || match &key {
        Some(key) => {
            app.store
                .prior_use(
                    &merchant.id,
                    REFUND_SESSION_ENDPOINT,
                    key,
                    &fingerprint,
                    now,
                )
                .await
        }
        None => Ok(None),
    };
    if let Some(prior) = earlier_use().await? {
        return answer_prior_use(prior);
    }
    // A refusal is judged against the idempotency record once more: a same-key request that
    // raced this one may have refunded the session between the first look and the read.
    let refused = async |status| match earlier_use().await? {
        Some(prior) => answer_prior_use(prior),
        None => Err(ApiError::InvalidStatus {
            status,
            action: "refund",
        }),
    };
    let session = get_session(app, merchant, id).await?;
    if session.status != SessionStatus::Completed {
        return refused(session.status_at(now)).await;
    }
    let refunded = session.ended(SessionStatus::Refunded, now);
    let resource = refunded.resource(now, base_url);
    let event = announce(app, &refunded, now)?;
    let response = StoredResponse {
        status: 200,
        body: serde_json::to_string(&resource)
            .map_err(|e| ApiError::Internal(format!("response serialization: {e}")))?,
    };
    let claim = key.as_ref().map(|key| IdempotencyClaim {
        merchant_id: &merchant.id,
        endpoint: REFUND_SESSION_ENDPOINT,
        key,
        fingerprint: &fingerprint,
        response: response.clone(),
    });
    match app
        .store
        .refund_session(&session, &refunded, &event, claim, now)
        .await?
    {
        ChangeOutcome::Changed(_) => {
            tracing::info!(session_id = %session.id, event_id = %event.id, "session refunded");
            Ok(Created {
                response,
                replayed: false,
            })
        }
        ChangeOutcome::PriorUse(prior) => answer_prior_use(prior),
        ChangeOutcome::Refused(current) => refused(current.status_at(now)).await,
        ChangeOutcome::Gone => Err(ApiError::NotFound),
        ChangeOutcome::MerchantInactive => Err(ApiError::Internal(
            "a refund write checked its merchant".into(),
        )),
    }
}
