//! Webhook events: the outbox item written with each status change, its delivery record, and
//! the merchant's view of them.

use super::errors::StoreError;
use crate::reads::Freshness;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::attributes::{n, s};
use super::errors::condition_held;
use super::listing::{IndexWalk, PageKey};
use super::{Store, keys, storage_error};
use crate::errors::item_error;
use checkout_domain::event::{DeliveryStatus, EventType, WebhookEvent};
use checkout_domain::ids::{EventId, MerchantId, SessionId};
use checkout_domain::timestamp::Timestamp;

/// An event with its key and index attributes, as stored.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct EventItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    gsi2pk: String,
    gsi2sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi3pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi3sk: Option<String>,
    ttl: i64,
    #[serde(flatten)]
    event: WebhookEvent,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The endpoint answered 2xx.
    Delivered {
        /// Its status code.
        status: u16,
    },
    /// No 2xx: a non-2xx status, a timeout, a refused target…
    Failed {
        /// The status code, when one was received.
        status: Option<u16>,
        /// What went wrong.
        error: String,
    },
    /// There is nowhere to deliver to.
    Skipped,
}

/// One event list request.
#[derive(Debug, Clone)]
pub struct EventQuery {
    /// Whose events.
    pub merchant_id: MerchantId,
    /// How many key shards the merchant's events are spread over.
    pub key_shards: u32,
    /// Only this session's events.
    pub session_id: Option<SessionId>,
    /// Only events of this type.
    pub kind: Option<EventType>,
    /// Only events in this delivery state.
    pub delivery_status: Option<DeliveryStatus>,
    /// Page size.
    pub limit: usize,
    /// Continue after this item.
    pub after: Option<PageKey>,
}

/// One page of events.
#[derive(Debug)]
pub struct EventPage {
    /// At most `limit` events, newest first.
    pub events: Vec<WebhookEvent>,
    /// Set when more follow.
    pub next: Option<PageKey>,
}

impl Store {
    /// The write that records `event`, to join the transaction of the change it announces.
    pub(super) fn event_write(
        &self,
        event: &WebhookEvent,
    ) -> Result<TransactWriteItem, StoreError> {
        let (pk, sk) = keys::event(&event.id);
        let created = keys::created_sort_key(&event.created_at.to_string(), event.id.as_str());
        let item = EventItem {
            pk,
            sk: sk.to_owned(),
            gsi1pk: keys::merchant_events(&event.merchant_id, event.key_shard),
            gsi1sk: created.clone(),
            gsi2pk: keys::session_events(&event.session_id),
            gsi2sk: created,
            gsi3pk: Some(keys::delivery_shard(&event.id)),
            gsi3sk: event.next_attempt_at.map(|at| at.to_string()),
            ttl: event.created_at.plus(self.retention).unix_seconds(),
            event: event.clone(),
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(item).map_err(item_error)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The event `id`, read strongly consistent.
    pub async fn get_event(&self, id: &EventId) -> Result<Option<WebhookEvent>, StoreError> {
        let item: Option<EventItem> = self
            .read(keys::key_map(keys::event(id)), Freshness::Strong)
            .await?;
        Ok(item.map(|i| i.event))
    }

    /// Claims the next delivery attempt of `event` until `lease_until`: only one dispatcher wins
    /// an attempt, however many see the event due at once. Returns the claimed event (its
    /// `attempts` counting this attempt), or `None` if it is not due or someone else holds it.
    pub async fn claim_delivery(
        &self,
        event: &WebhookEvent,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<WebhookEvent>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::event(&event.id))))
            .update_expression("SET attempts = :next, leaseUntil = :lease")
            .condition_expression(
                "deliveryStatus = :pending AND attempts = :seen AND nextAttemptAt <= :now \
                 AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)",
            )
            .expression_attribute_values(":next", n(event.attempts + 1))
            .expression_attribute_values(":seen", n(event.attempts))
            .expression_attribute_values(":lease", s(lease_until.to_string()))
            .expression_attribute_values(":pending", s(DeliveryStatus::Pending.as_str()))
            .expression_attribute_values(":now", s(now.to_string()))
            .send()
            .await;
        match condition_held(result)? {
            Some(_) => {
                let mut claimed = event.clone();
                claimed.attempts += 1;
                claimed.lease_until = Some(lease_until);
                Ok(Some(claimed))
            }
            None => Ok(None),
        }
    }

    /// Records how the claimed attempt of `event` ended; `next_attempt_at` is when to try again
    /// after a failure (`None`: no attempts left, the event is failed). Conditioned on the claim
    /// still being ours.
    pub async fn finish_delivery(
        &self,
        event: &WebhookEvent,
        outcome: &DeliveryOutcome,
        next_attempt_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut set = vec!["deliveryStatus = :status"];
        let mut remove = vec!["leaseUntil"];
        let mut values = HashMap::from([(":attempts".to_owned(), n(event.attempts))]);
        let status = match outcome {
            DeliveryOutcome::Delivered { status } => {
                set.extend(["deliveredAt = :now", "lastStatusCode = :code"]);
                values.insert(":now".into(), s(now.to_string()));
                values.insert(":code".into(), n(status));
                remove.extend(["lastError", "nextAttemptAt", "gsi3pk", "gsi3sk"]);
                DeliveryStatus::Delivered
            }
            DeliveryOutcome::Skipped => {
                remove.extend(["nextAttemptAt", "gsi3pk", "gsi3sk"]);
                DeliveryStatus::Skipped
            }
            DeliveryOutcome::Failed { status, error } => {
                set.push("lastError = :error");
                values.insert(
                    ":error".into(),
                    s(error.chars().take(500).collect::<String>()),
                );
                match status {
                    Some(code) => {
                        set.push("lastStatusCode = :code");
                        values.insert(":code".into(), n(code));
                    }
                    None => remove.push("lastStatusCode"),
                }
                match next_attempt_at {
                    Some(at) => {
                        set.extend(["nextAttemptAt = :next", "gsi3sk = :next"]);
                        values.insert(":next".into(), s(at.to_string()));
                        DeliveryStatus::Pending
                    }
                    None => {
                        remove.extend(["nextAttemptAt", "gsi3pk", "gsi3sk"]);
                        DeliveryStatus::Failed
                    }
                }
            }
        };
        values.insert(":status".into(), s(status.as_str()));
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::event(&event.id))))
            .update_expression(format!(
                "SET {} REMOVE {}",
                set.join(", "),
                remove.join(", ")
            ))
            .condition_expression("attempts = :attempts")
            .set_expression_attribute_values(Some(values))
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    /// Makes event `id` of `merchant_id` pending and due at `now` again, with a fresh set of
    /// attempts; `false` if there is no such event.
    pub async fn redeliver(&self, id: &EventId, now: Timestamp) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::event(id))))
            .update_expression(
                "SET deliveryStatus = :pending, attempts = :zero, nextAttemptAt = :now, \
                 gsi3pk = :shard, gsi3sk = :now REMOVE leaseUntil",
            )
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":pending", s(DeliveryStatus::Pending.as_str()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":now", s(now.to_string()))
            .expression_attribute_values(":shard", s(keys::delivery_shard(id)))
            .send()
            .await;
        Ok(condition_held(result)?.is_some())
    }

    /// A full page of the merchant's events matching `query`, newest first.
    pub async fn list_events(&self, query: &EventQuery) -> Result<EventPage, StoreError> {
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut filters = Vec::new();
        if let Some(kind) = query.kind {
            names.insert("#type".to_owned(), "type".to_owned());
            values.insert(":type".to_owned(), s(kind.as_str()));
            filters.push("#type = :type");
        }
        if let Some(status) = query.delivery_status {
            values.insert(":delivery".to_owned(), s(status.as_str()));
            filters.push("deliveryStatus = :delivery");
        }
        // A session's events are only listed if the session is the merchant's.
        if query.session_id.is_some() {
            values.insert(":merchant".to_owned(), s(query.merchant_id.clone()));
            filters.push("merchantId = :merchant");
        }
        let walk = IndexWalk {
            by_group: query.session_id.is_some(),
            partitions: match &query.session_id {
                Some(session_id) => vec![keys::session_events(session_id)],
                None => (0..query.key_shards.max(1))
                    .map(|shard| keys::merchant_events(&query.merchant_id, shard))
                    .collect(),
            },
            created_from: None,
            created_to: None,
            filter: (!filters.is_empty()).then(|| filters.join(" AND ")),
            names,
            values,
            limit: query.limit,
            after: query.after.clone(),
        };
        let (items, next) = self.newest_first::<EventItem>(walk).await?;
        Ok(EventPage {
            events: items.into_iter().map(|item| item.event).collect(),
            next,
        })
    }
}
