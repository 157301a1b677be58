//! Ending a pending session with its webhook event: the one path every status change of the
//! merchant API, the sweeper and order-id recovery goes through, so none goes unannounced.

use crate::App;
use crate::error::ApiError;
use checkout_domain::event::{EventType, WebhookEvent};
use checkout_domain::session::{CheckoutSession, SessionStatus};
use checkout_domain::timestamp::Timestamp;
use checkout_store::EndOutcome;

/// Moves `session` to the terminal `to` at `now`, writing the event in the same transaction.
pub async fn end_with_event(
    app: &App,
    session: &CheckoutSession,
    to: SessionStatus,
    now: Timestamp,
) -> Result<EndOutcome, ApiError> {
    write_end(app, session, &session.ended(to, now), now).await
}

/// Fails `session` at `now` for good with `failure_code` (e.g. the last decline's), writing the
/// event in the same transaction.
pub async fn fail_with_event(
    app: &App,
    session: &CheckoutSession,
    failure_code: &str,
    now: Timestamp,
) -> Result<EndOutcome, ApiError> {
    let mut failed = session.ended(SessionStatus::Failed, now);
    failed.failure_code = Some(failure_code.to_owned());
    write_end(app, session, &failed, now).await
}

async fn write_end(
    app: &App,
    session: &CheckoutSession,
    ended: &CheckoutSession,
    now: Timestamp,
) -> Result<EndOutcome, ApiError> {
    let to = ended.status;
    let event = announce(app, ended, now)?;
    let outcome = app.store.end_session(session, ended, &event, now).await?;
    if let EndOutcome::Ended(_) = &outcome {
        tracing::info!(session_id = %session.id, status = %to, event_id = %event.id, "session ended");
    }
    Ok(outcome)
}

/// The event announcing `changed`, the session as its change leaves it, rendered as of `now`.
pub fn announce(
    app: &App,
    changed: &CheckoutSession,
    now: Timestamp,
) -> Result<WebhookEvent, ApiError> {
    let kind = EventType::for_status(changed.status)
        .ok_or_else(|| ApiError::Internal(format!("{} is not announced", changed.status)))?;
    WebhookEvent::new(
        kind,
        changed,
        &changed.resource(now, &app.config.public_base_url),
        now,
    )
    .map_err(|e| ApiError::Internal(format!("event serialization: {e}")))
}
