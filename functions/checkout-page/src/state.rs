//! What the checkout page shows for a session's status: the form, the 3-D Secure step, a payment
//! being confirmed, or an end, with the headline and sentence that say so.

use checkout_api::service::hosted_checkout::PageModel;
use checkout_domain::session::SessionStatus;
use lambda_http::http::StatusCode;

/// The part of the page the payer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display)]
#[strum(serialize_all = "lowercase")]
pub enum PageState {
    /// The payment form.
    Pay,
    /// The card's 3-D Secure step.
    Challenge,
    /// A payment sent, waiting for its confirmations.
    Processing,
    /// Paid (or paid and refunded).
    Done,
    /// Over without a payment: expired, cancelled or failed.
    Ended,
}

/// The state of a page with its message ids and its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    /// What the page shows.
    pub state: PageState,
    /// The headline's message id, if the state has one.
    pub headline: Option<&'static str>,
    /// The sentence's message id, if the state has one.
    pub detail: Option<&'static str>,
    /// A gone session answers 410; the rest 200 (a refused form changes it, see
    /// [`Shown::status_of`]).
    pub status: StatusCode,
}

impl Shown {
    /// What `model`'s page shows.
    pub fn of(model: &PageModel) -> Self {
        let challenged = model.session.awaiting_authentication.is_some();
        let (state, messages, status) = match model.status {
            SessionStatus::Pending if challenged => (
                PageState::Challenge,
                Some(("challenge-headline", "challenge-detail")),
                StatusCode::OK,
            ),
            SessionStatus::Pending => (PageState::Pay, None, StatusCode::OK),
            SessionStatus::Processing => (
                PageState::Processing,
                Some(("processing-headline", "processing-detail")),
                StatusCode::OK,
            ),
            SessionStatus::Completed => (
                PageState::Done,
                Some(("paid-headline", "paid-detail")),
                StatusCode::OK,
            ),
            SessionStatus::Refunded => (
                PageState::Done,
                Some(("refunded-headline", "refunded-detail")),
                StatusCode::OK,
            ),
            SessionStatus::Expired => (
                PageState::Ended,
                Some(("expired-headline", "expired-detail")),
                StatusCode::GONE,
            ),
            SessionStatus::Cancelled => (
                PageState::Ended,
                Some(("cancelled-headline", "cancelled-detail")),
                StatusCode::OK,
            ),
            SessionStatus::Failed => (
                PageState::Ended,
                Some(("failed-headline", "failed-detail")),
                StatusCode::OK,
            ),
        };
        // A session that can be started again says so instead.
        let recoverable = model.session.recovery_url(model.now, "").is_some();
        Self {
            state,
            headline: messages.map(|(headline, _)| headline),
            detail: messages.map(|(_, detail)| {
                if recoverable {
                    "recoverable-detail"
                } else {
                    detail
                }
            }),
            status,
        }
    }

    /// The page's HTTP status: 422 when the form was refused, 409 when it paid nothing because
    /// the session changed, else the state's.
    pub fn status_of(&self, model: &PageModel) -> StatusCode {
        if model.error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else if model.notice.is_some() {
            StatusCode::CONFLICT
        } else {
            self.status
        }
    }
}
