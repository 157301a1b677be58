//! One pass over the items due by a time, shard by shard and a page at a time, as the sweeper
//! and the settler make it: a bounded number handled at once, stopping near the Lambda deadline
//! so that the next scheduled run continues where this one stopped.

use std::time::Instant;

use futures::stream::{self, StreamExt};

use crate::error::ApiError;
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
    for shard in shards {
        let mut start = None;
        loop {
            if deadline.is_some_and(|d| Instant::now() + DEADLINE_MARGIN >= d) {
                return Ok(Pass {
                    outcomes,
                    complete: false,
                });
            }
            let due = page(shard.clone(), start).await?;
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
    })
}
