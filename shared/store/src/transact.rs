//! TransactWriteItems with its cancellation reasons, retried when transactions merely collided.

use super::errors::StoreError;
use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use rand::Rng;

use super::{Store, storage_error};

/// Attempts before a transaction that keeps colliding gives up with [`StoreError::Contention`].
const MAX_ATTEMPTS: u32 = 10;

/// What an item of a transaction stands for. A cancelled transaction is read by role, never by
/// position, so adding an item cannot change which condition a failure is taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// The session whose status changes.
    Session,
    /// The order-id reservation of a session.
    Reservation,
    /// The idempotency record of a keyed request.
    Idempotency,
    /// The outbox event announcing the change.
    Event,
    /// The merchant, checked (or its stage-one webhook URL taken off).
    Merchant,
    /// A refund of a session.
    Refund,
    /// The session an expired one's recovery URL creates.
    Recovery,
    /// The API key a change is made to.
    Key,
    /// The API key that keeps its merchant able to act while another changes (a new key, or a
    /// standing full key checked).
    Keeper,
    /// A webhook endpoint created or deleted.
    Endpoint,
    /// The count of a merchant's endpoints, kept under the limit.
    Counter,
}

/// Items to commit together, each with its role.
#[derive(Debug, Default)]
pub(super) struct Transaction {
    items: Vec<(Role, TransactWriteItem)>,
}

impl Transaction {
    /// Adds `item` in `role`.
    pub fn with(mut self, role: Role, item: TransactWriteItem) -> Self {
        self.items.push((role, item));
        self
    }

    /// Adds `item` in `role` when there is one.
    pub fn with_some(self, role: Role, item: Option<TransactWriteItem>) -> Self {
        match item {
            Some(item) => self.with(role, item),
            None => self,
        }
    }
}

/// The conditions that were false in a cancelled transaction, by role.
#[derive(Debug)]
pub(super) struct Refusal {
    failed: Vec<(Role, HashMap<String, AttributeValue>)>,
}

impl Refusal {
    /// The item in `role` as it was, if its condition was false (empty if it did not exist;
    /// items are written with `ReturnValuesOnConditionCheckFailure: ALL_OLD`).
    pub fn failed(&self, role: Role) -> Option<&HashMap<String, AttributeValue>> {
        self.failed
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, item)| item)
    }
}

/// A transaction that did not commit.
#[derive(Debug)]
pub(super) enum TransactFailure {
    /// Conditions were false.
    ConditionFailed(Refusal),
    /// Anything else.
    Error(StoreError),
}

impl From<StoreError> for TransactFailure {
    fn from(err: StoreError) -> Self {
        Self::Error(err)
    }
}

impl Store {
    /// Commits `items` atomically. Collisions with concurrent transactions on the same items
    /// (`TransactionConflict`) are retried with jittered exponential backoff, because the
    /// conditions must be judged against committed state, not against an in-flight writer.
    pub(super) async fn transact(&self, transaction: Transaction) -> Result<(), TransactFailure> {
        let (roles, items): (Vec<Role>, Vec<TransactWriteItem>) =
            transaction.items.into_iter().unzip();
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
                    // DynamoDB answers one reason per item, in the order they were sent.
                    let reasons = cancelled.cancellation_reasons();
                    let failed: Vec<(Role, HashMap<String, AttributeValue>)> = roles
                        .iter()
                        .zip(reasons)
                        .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                        .map(|(role, r)| (*role, r.item().cloned().unwrap_or_default()))
                        .collect();
                    if !failed.is_empty() {
                        return Err(TransactFailure::ConditionFailed(Refusal { failed }));
                    }
                    reasons
                        .iter()
                        .any(|r| r.code() == Some("TransactionConflict"))
                }
                Some(other) => other.code() == Some("TransactionConflictException"),
                None => false,
            };
            if !collided {
                return Err(storage_error(err).into());
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
        Err(StoreError::Contention.into())
    }
}

fn backoff(attempt: u32) -> Duration {
    let ceiling_ms = (5u64 << attempt.min(6)).min(250);
    Duration::from_millis(rand::rng().random_range(1..=ceiling_ms))
}
