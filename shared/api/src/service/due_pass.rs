//! One pass over the items due by a time, shard by shard and a page at a time, as the sweeper
//! and the settler make it: a bounded number handled at once, stopping near the Lambda deadline
//! so that the next scheduled run continues where this one stopped.

use std::time::Instant;

use futures::stream::{self, StreamExt};

use crate::App;
use crate::error::ApiError;
use crate::metrics::{self, Metric, Unit};
use checkout_domain::timestamp::Timestamp;
use checkout_store::{DuePage, DueStart, StoreError};

/// Items handled at once.
const CONCURRENCY: usize = 32;
/// Time kept back before the Lambda deadline; the next run picks up where this one stopped.
const DEADLINE_MARGIN: std::time::Duration = std::time::Duration::from_secs(10);

/// What a pass did with each item it reached, and whether it reached them all.
pub(crate) struct Pass<T> {
    /// One outcome per item handled.
    pub outcomes: Vec<T>,
    /// Whether every due item was reached before the deadline.
    pub complete: bool,
    /// When the oldest item the pass met fell due.
    pub oldest_due: Option<Timestamp>,
}

/// Reads each shard of `shards` page by page (`page(shard, start)`) and runs `handle` on every
/// id, until done or near `deadline`; the first error ends the pass.
pub(crate) async fn run<Id, T, PageFut, HandleFut>(
    shards: impl IntoIterator<Item = String>,
    deadline: Option<Instant>,
    page: impl Fn(String, DueStart) -> PageFut,
    handle: impl Fn(Id) -> HandleFut,
) -> Result<Pass<T>, ApiError>
where
    PageFut: Future<Output = Result<DuePage<Id>, StoreError>>,
    HandleFut: Future<Output = Result<T, ApiError>>,
{
    let mut outcomes = Vec::new();
    let mut oldest_due = None;
    for shard in shards {
        let mut start = None;
        loop {
            if deadline.is_some_and(|d| Instant::now() + DEADLINE_MARGIN >= d) {
                return Ok(Pass {
                    outcomes,
                    complete: false,
                    oldest_due,
                });
            }
            let due = page(shard.clone(), start).await?;
            oldest_due = earliest(oldest_due, due.oldest);
            let handled: Vec<Result<T, ApiError>> = stream::iter(due.ids)
                .map(&handle)
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            for outcome in handled {
                outcomes.push(outcome?);
            }
            start = due.next;
            if start.is_none() {
                break;
            }
        }
    }
    Ok(Pass {
        outcomes,
        complete: true,
        oldest_due,
    })
}

/// The earlier of two instants that may be missing.
pub(crate) fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Writes what a scheduled pass over `pass` (`expiry`, `settlement`, `delivery`) did at `now`:
/// the items it handled, whether it stopped at its deadline with items left, and how long the
/// oldest item it met had been due.
pub(crate) fn put_pass(
    app: &App,
    pass: &'static str,
    handled: usize,
    complete: bool,
    oldest_due: Option<Timestamp>,
    now: Timestamp,
) {
    let age = oldest_due.map_or(0.0, |due| now.since(due).as_seconds_f64().max(0.0));
    app.metrics
        .put(Metric::count(metrics::DUE_ITEMS_HANDLED, handled).by("Pass", pass));
    app.metrics
        .put(Metric::count(metrics::RUNS_INCOMPLETE, usize::from(!complete)).by("Pass", pass));
    app.metrics
        .put(Metric::time(metrics::OLDEST_DUE_AGE, Unit::Seconds, age).by("Pass", pass));
}
