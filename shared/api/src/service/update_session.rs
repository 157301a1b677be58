//! `PATCH /v1/checkout/sessions/{id}` (SPEC §17): a merchant changes an open session.

use crate::App;
use crate::error::ApiError;
use crate::service::session_lifecycle::get_session;
use crate::service::update_request::{SessionPatch, patched};
use checkout_domain::ids::SessionId;
use checkout_domain::merchant::Merchant;
use checkout_domain::session::CheckoutSession;
use checkout_store::ChangeOutcome;

/// Times an update is applied again to a session that another update changed meanwhile.
const ATTEMPTS: usize = 3;

/// Applies `patch` to `merchant`'s session `id` while it is pending: 400 with every
/// violated field (nothing written), 409 in any other status, else the session as updated. An
/// empty change writes nothing and answers the session as it is.
pub async fn update_session(
    app: &App,
    merchant: &Merchant,
    id: &SessionId,
    patch: &SessionPatch,
) -> Result<CheckoutSession, ApiError> {
    for _ in 0..ATTEMPTS {
        let session = get_session(app, merchant, id).await?;
        let now = app.now();
        let updated = patched(patch, &session, merchant, now)?;
        let invalid = |session: &CheckoutSession| ApiError::InvalidStatus {
            status: session.status_at(now),
            action: "update",
        };
        if !session.is_open_at(now) {
            return Err(invalid(&session));
        }
        if updated.version == session.version {
            return Ok(session);
        }
        match app.store.update_session(&session, &updated, now).await? {
            ChangeOutcome::Changed(updated) => {
                tracing::info!(session_id = %id, version = updated.version, "session updated");
                return Ok(*updated);
            }
            // Another update came first: apply this one to the session it left.
            ChangeOutcome::Refused(current) if current.is_open_at(now) => {}
            ChangeOutcome::Refused(current) => return Err(invalid(&current)),
            ChangeOutcome::Gone | ChangeOutcome::PriorUse(_) | ChangeOutcome::MerchantInactive => {
                return Err(ApiError::NotFound);
            }
        }
    }
    Err(ApiError::Contention)
}
