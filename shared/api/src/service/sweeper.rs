//! The expiry sweeper: every pending session past its expiry becomes `expired`, with its event
//! and the release of its order id, through the same conditional transaction as everything else,
//! so running two sweepers at once (or racing a payment or a cancel) is safe.

use std::time::Instant;

use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::App;
use crate::error::ApiError;
use crate::service::transition::end_with_event;
use checkout_domain::ids::SessionId;
use checkout_domain::session::SessionStatus;
use checkout_domain::timestamp::Timestamp;
use checkout_store::{EndOutcome, session_shards};

/// Sessions expired at once.
const CONCURRENCY: usize = 32;
/// Time kept back before the Lambda deadline; the next run picks up where this one stopped.
const DEADLINE_MARGIN: std::time::Duration = std::time::Duration::from_secs(10);

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
    let mut report = SweepReport {
        complete: true,
        ..SweepReport::default()
    };
    for shard in session_shards() {
        let mut start = None;
        loop {
            if deadline.is_some_and(|d| Instant::now() + DEADLINE_MARGIN >= d) {
                report.complete = false;
                tracing::warn!(
                    ?report,
                    "sweep stopped at the deadline; the next run continues"
                );
                return Ok(report);
            }
            let page = app.store.due_sessions(&shard, now, start).await?;
            let outcomes: Vec<Result<bool, ApiError>> = stream::iter(page.ids)
                .map(|id| async move { expire_one(app, &id, now).await })
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            for outcome in outcomes {
                if outcome? {
                    report.expired += 1;
                } else {
                    report.already_ended += 1;
                }
            }
            start = page.next;
            if start.is_none() {
                break;
            }
        }
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
