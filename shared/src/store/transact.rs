//! TransactWriteItems with its cancellation reasons, retried when transactions merely collided.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use rand::Rng;

use super::{Store, storage_error};
use crate::error::ApiError;

/// Attempts before a transaction that keeps colliding gives up with [`ApiError::Contention`].
const MAX_ATTEMPTS: u32 = 10;

/// Why one item of a cancelled transaction failed.
#[derive(Debug)]
pub(super) struct Reason {
    code: String,
    /// The item as it was (`ReturnValuesOnConditionCheckFailure: ALL_OLD`).
    pub item: Option<HashMap<String, AttributeValue>>,
}

impl Reason {
    /// Whether this item's condition was false.
    pub fn condition_failed(&self) -> bool {
        self.code == "ConditionalCheckFailed"
    }
}

/// A transaction that did not commit.
#[derive(Debug)]
pub(super) enum TransactFailure {
    /// A condition was false; one reason per item, in request order.
    ConditionFailed(Vec<Reason>),
    /// Anything else.
    Error(ApiError),
}

impl From<ApiError> for TransactFailure {
    fn from(err: ApiError) -> Self {
        Self::Error(err)
    }
}

impl Store {
    /// Commits `items` atomically. Collisions with concurrent transactions on the same items
    /// (`TransactionConflict`) are retried with jittered exponential backoff, because the
    /// conditions must be judged against committed state, not against an in-flight writer.
    pub(super) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<(), TransactFailure> {
        for attempt in 0..MAX_ATTEMPTS {
            let err = match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await
            {
                Ok(_) => return Ok(()),
                Err(err) => err,
            };
            let collided = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    let reasons: Vec<Reason> = cancelled
                        .cancellation_reasons()
                        .iter()
                        .map(|r| Reason {
                            code: r.code().unwrap_or("None").to_owned(),
                            item: r.item().cloned(),
                        })
                        .collect();
                    if reasons.iter().any(Reason::condition_failed) {
                        return Err(TransactFailure::ConditionFailed(reasons));
                    }
                    reasons.iter().any(|r| r.code == "TransactionConflict")
                }
                Some(other) => other.code() == Some("TransactionConflictException"),
                None => false,
            };
            if !collided {
                return Err(storage_error(err).into());
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
        Err(ApiError::Contention.into())
    }
}

fn backoff(attempt: u32) -> Duration {
    let ceiling_ms = (5u64 << attempt.min(6)).min(250);
    Duration::from_millis(rand::rng().random_range(1..=ceiling_ms))
}
