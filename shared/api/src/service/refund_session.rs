//! `POST /v1/checkout/sessions/{id}/refund`: completed → refunded in full, idempotent (SPEC §6).

use crate::App;
use crate::error::ApiError;
use crate::service::idempotent::{Created, Replay, answer_prior_use};
use crate::service::session_lifecycle::get_session;
use crate::service::transition::announce;
use checkout_domain::hashing::sha256_hex;
use checkout_domain::ids::SessionId;
use checkout_domain::merchant::Merchant;
use checkout_domain::session::SessionStatus;
use checkout_domain::values::IdempotencyKey;
use checkout_store::{ChangeOutcome, StoredResponse};

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
    let replay = Replay::new(
        REFUND_SESSION_ENDPOINT,
        key,
        sha256_hex(format!("refund|{id}").as_bytes()),
    );
    if let Some(answer) = replay.earlier_answer(app, merchant).await? {
        return Ok(answer);
    }
    let refused = async |status| {
        let refusal = ApiError::InvalidStatus {
            status,
            action: "refund",
        };
        replay.unless_replayed(app, merchant, refusal).await
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
    let claim = replay.claim(merchant, &response);
    match app
        .store
        .refund_session(&session, &refunded, &event, claim, now)
        .await?
    {
        ChangeOutcome::Changed(_) => {
            tracing::info!(session_id = %session.id, event_id = %event.id, "session refunded");
            Ok(Created::first(response))
        }
        ChangeOutcome::PriorUse(prior) => answer_prior_use(prior),
        ChangeOutcome::Refused(current) => refused(current.status_at(now)).await,
        ChangeOutcome::Gone => Err(ApiError::NotFound),
        ChangeOutcome::MerchantInactive => Err(ApiError::Internal(
            "a refund write checked its merchant".into(),
        )),
    }
}
