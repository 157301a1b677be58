//! The due-by-time index: pending sessions by expiry, processing sessions by when they were
//! paid, undelivered events by next attempt.

use super::errors::StoreError;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::{Store, index, keys, storage_error};
use checkout_domain::ids::{EventId, SessionId};
use checkout_domain::timestamp::Timestamp;

/// Where a page of due items starts: the key the previous page of the shard ended at.
pub type DueStart = Option<HashMap<String, AttributeValue>>;

/// One page of ids due by some instant in one shard, and where the next page starts.
#[derive(Debug)]
pub struct DuePage<Id> {
    /// Ids of the due items.
    pub ids: Vec<Id>,
    /// When the page's first (its oldest) item fell due.
    pub oldest: Option<Timestamp>,
    /// Pass back to continue the shard; `None` when it is done.
    pub next: Option<HashMap<String, AttributeValue>>,
}

impl Store {
    /// Sessions of `shard` due at or before `now`: pending ones by expiry (a shard from
    /// [`session_shards`]), processing ones by when they were paid ([`settlement_shards`]).
    pub async fn due_sessions(
        &self,
        shard: &str,
        now: Timestamp,
        start: Option<HashMap<String, AttributeValue>>,
    ) -> Result<DuePage<SessionId>, StoreError> {
        self.due(shard, keys::session_id_of, now, start).await
    }

    /// Undelivered events of `shard` (from [`event_shards`]) due at or before `now`.
    pub async fn due_events(
        &self,
        shard: &str,
        now: Timestamp,
        start: Option<HashMap<String, AttributeValue>>,
    ) -> Result<DuePage<EventId>, StoreError> {
        self.due(shard, keys::event_id_of, now, start).await
    }

    async fn due<Id>(
        &self,
        shard: &str,
        id_of: fn(&str) -> Option<Id>,
        now: Timestamp,
        start: Option<HashMap<String, AttributeValue>>,
    ) -> Result<DuePage<Id>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index::DUE_BY_TIME)
            .key_condition_expression("gsi3pk = :shard AND gsi3sk <= :now")
            .expression_attribute_values(":shard", AttributeValue::S(shard.to_owned()))
            .expression_attribute_values(":now", AttributeValue::S(now.to_string()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(storage_error)?;
        let items = output.items.unwrap_or_default();
        // The index is ordered by when each item fell due, oldest first.
        let oldest = items
            .first()
            .and_then(|item| item.get("gsi3sk")?.as_s().ok())
            .and_then(|due| Timestamp::parse_rfc3339(due));
        let ids = items
            .iter()
            .filter_map(|item| id_of(item.get("pk")?.as_s().ok()?))
            .collect();
        Ok(DuePage {
            ids,
            oldest,
            next: output.last_evaluated_key,
        })
    }
}

/// Every shard of pending sessions.
pub fn session_shards() -> impl Iterator<Item = String> {
    keys::pending_shards()
}

/// Every shard of processing sessions.
pub fn settlement_shards() -> impl Iterator<Item = String> {
    keys::settling_shards()
}

/// Every shard of undelivered events.
pub fn event_shards() -> impl Iterator<Item = String> {
    keys::delivery_shards()
}
