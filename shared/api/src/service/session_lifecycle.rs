//! Reading one session, and the merchant's own ways to end one: expire and cancel.

use crate::App;
use crate::error::ApiError;
use crate::service::transition::end_with_event;
use checkout_domain::ids::SessionId;
use checkout_domain::merchant::Merchant;
use checkout_domain::session::{CheckoutSession, SessionStatus};
use checkout_store::EndOutcome;

/// The session `id` if it belongs to `merchant`; another merchant's id is as unknown as a
/// made-up one.
pub async fn get_session(
    app: &App,
    merchant: &Merchant,
    id: &SessionId,
) -> Result<CheckoutSession, ApiError> {
    match app.store.get_session(id).await? {
        Some(session) if session.merchant_id == merchant.id => Ok(session),
        _ => Err(ApiError::NotFound),
    }
}

/// How a merchant ends a pending session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `POST …/expire`: also allowed on a pending session already past its expiry, which it writes
    /// as expired (the sweeper's job, done early).
    Expire,
    /// `POST …/cancel`: only while the session can still be paid.
    Cancel,
}

impl Ending {
    fn status(self) -> SessionStatus {
        match self {
            Self::Expire => SessionStatus::Expired,
            Self::Cancel => SessionStatus::Cancelled,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Self::Expire => "expire",
            Self::Cancel => "cancel",
        }
    }
}

/// Ends session `id` of `merchant` with one conditional transaction; any status other than
/// pending answers 409 naming the status as a reader sees it.
pub async fn end_session(
    app: &App,
    merchant: &Merchant,
    id: &SessionId,
    ending: Ending,
) -> Result<CheckoutSession, ApiError> {
    let session = get_session(app, merchant, id).await?;
    let now = app.now();
    let invalid = |session: &CheckoutSession| ApiError::InvalidStatus {
        status: session.status_at(now),
        action: ending.verb(),
    };
    let still_possible = match ending {
        Ending::Expire => session.status == SessionStatus::Pending,
        Ending::Cancel => session.is_open_at(now),
    };
    if !still_possible {
        return Err(invalid(&session));
    }
    match end_with_event(app, &session, ending.status(), now).await? {
        EndOutcome::Ended(ended) => Ok(*ended),
        EndOutcome::NotPending(current) => Err(invalid(&current)),
        EndOutcome::Gone => Err(ApiError::NotFound),
    }
}
