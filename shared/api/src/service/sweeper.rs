//! The expiry sweeper: every pending session past its expiry becomes `expired`, with its event
//! and the release of its order id, through the same conditional transaction as everything else,
//! so running two sweepers at once (or racing a payment or a cancel) is safe.

use std::time::Instant;

use serde::Serialize;

use crate::App;
use crate::error::ApiError;
use crate::service::due_pass;
use crate::service::transition::end_with_event;
use checkout_domain::ids::SessionId;
use checkout_domain::session::SessionStatus;
use checkout_domain::timestamp::Timestamp;
use checkout_store::{EndOutcome, session_shards};

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    /// Sessions this sweep expired.
    pub expired: usize,
    /// Due sessions another writer ended first.
    pub already_ended: usize,
    /// Whether every due session was reached before the deadline.
    pub complete: bool,
}

/// Expires every session due at `now`, shard by shard, until done or near `deadline`.
pub async fn sweep(
    app: &App,
    now: Timestamp,
    deadline: Option<Instant>,
) -> Result<SweepReport, ApiError> {
    let pass = due_pass::run(
        session_shards(),
        deadline,
        |shard, start| async move { app.store.due_sessions(&shard, now, start).await },
        |id| async move { expire_one(app, &id, now).await },
    )
    .await?;
    due_pass::put_pass(
        app,
        "expiry",
        pass.outcomes.len(),
        pass.complete,
        pass.oldest_due,
        now,
    );
    let expired = pass.outcomes.iter().filter(|expired| **expired).count();
    let report = SweepReport {
        expired,
        already_ended: pass.outcomes.len() - expired,
        complete: pass.complete,
    };
    if !report.complete {
        tracing::warn!(
            ?report,
            "sweep stopped at the deadline; the next run continues"
        );
        return Ok(report);
    }
    tracing::info!(?report, "sweep");
    Ok(report)
}

/// Expires session `id` if it is still pending and due; whether this call did it.
async fn expire_one(app: &App, id: &SessionId, now: Timestamp) -> Result<bool, ApiError> {
    let Some(session) = app.store.get_session(id).await? else {
        return Ok(false);
    };
    if !session.has_lapsed_at(now) {
        return Ok(false);
    }
    Ok(matches!(
        end_with_event(app, &session, SessionStatus::Expired, now).await?,
        EndOutcome::Ended(_)
    ))
}
