//! Webhook events: the outbox item written with each status change, its delivery record, and
//! the merchant's view of them.

use super::errors::StoreError;
use crate::reads::Freshness;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};

use super::attributes::{n, s};
use super::deflate::{deflate, inflate};
use super::errors::condition_held;
use super::listing::{IndexWalk, PageKey};
use super::{Store, keys};
use crate::errors::item_error;
use checkout_domain::delivery::Delivery;
use checkout_domain::delivery::DeliveryStatus;
use checkout_domain::event::{EventType, WebhookEvent};
use checkout_domain::ids::{EventId, MerchantId, SessionId};
use checkout_domain::timestamp::Timestamp;

/// An event as stored: its key and index attributes, the fields no key holds, and its payload
/// deflated. What a key already says (the event's id, its merchant, its session, when it is next
/// due) is read back from the key, so that an event fits in one write unit (docs/scale.md). Events
/// written before hold those fields and a text payload as well; the keys are read all the same.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EventItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    /// The `by-group-keys` partition of its session's events (its sort key is `gsi1sk`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi2pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi3pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi3sk: Option<String>,
    ttl: i64,
    #[serde(rename = "type")]
    kind: EventType,
    created_at: Timestamp,
    #[serde(default, skip_serializing_if = "is_zero")]
    key_shard: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    webhook_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deliveries: Option<Vec<Delivery>>,
    #[serde(default)]
    revision: u32,
    delivery_status: DeliveryStatus,
    attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease_until: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_status_code: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delivered_at: Option<Timestamp>,
    #[serde(default, with = "serde_bytes", skip_serializing_if = "Option::is_none")]
    deflated: Option<Vec<u8>>,
    #[serde(default, skip_serializing)]
    payload: Option<String>,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

impl EventItem {
    /// The stored form of `event`, which is kept `retention` after it happened.
    fn new(event: &WebhookEvent, retention: time::Duration) -> Self {
        let (pk, sk) = keys::event(&event.id);
        let created = keys::created_sort_key(&event.created_at.to_string(), event.id.as_str());
        Self {
            pk,
            sk: sk.to_owned(),
            gsi1pk: keys::merchant_events(&event.merchant_id, event.key_shard),
            gsi1sk: created,
            gsi2pk: event.session_id.as_ref().map(keys::session_events),
            gsi3pk: event
                .next_attempt_at
                .map(|_| keys::delivery_shard(&event.id)),
            gsi3sk: event.next_attempt_at.map(|at| at.to_string()),
            ttl: event.created_at.plus(retention).unix_seconds(),
            kind: event.kind,
            created_at: event.created_at,
            key_shard: event.key_shard,
            webhook_url: event.webhook_url.clone(),
            deliveries: event.deliveries.clone(),
            revision: event.revision,
            delivery_status: event.delivery_status,
            attempts: event.attempts,
            lease_until: event.lease_until,
            last_status_code: event.last_status_code,
            last_error: event.last_error.clone(),
            delivered_at: event.delivered_at,
            deflated: Some(deflate(&event.payload)),
            payload: None,
        }
    }

    /// The event, its payload inflated and what its keys hold read back from them.
    fn into_event(self) -> Result<WebhookEvent, StoreError> {
        let unreadable = |what: &str| StoreError::Internal(format!("event {}: {what}", self.pk));
        let id = keys::event_id_of(&self.pk).ok_or_else(|| unreadable("its key"))?;
        let merchant_id =
            keys::merchant_of_events(&self.gsi1pk).ok_or_else(|| unreadable("its merchant"))?;
        let session_id = match &self.gsi2pk {
            Some(key) => {
                Some(keys::session_of_events(key).ok_or_else(|| unreadable("its session"))?)
            }
            None => None,
        };
        let next_attempt_at = match &self.gsi3sk {
            Some(at) => {
                Some(Timestamp::parse_rfc3339(at).ok_or_else(|| unreadable("its due time"))?)
            }
            None => None,
        };
        let payload = match (self.deflated, self.payload) {
            (Some(deflated), _) => inflate(&deflated, "event payload")?,
            (None, Some(payload)) => payload,
            (None, None) => return Err(unreadable("its payload")),
        };
        Ok(WebhookEvent {
            id,
            kind: self.kind,
            merchant_id,
            session_id,
            key_shard: self.key_shard,
            created_at: self.created_at,
            payload,
            webhook_url: self.webhook_url,
            deliveries: self.deliveries,
            revision: self.revision,
            delivery_status: self.delivery_status,
            attempts: self.attempts,
            next_attempt_at,
            lease_until: self.lease_until,
            last_status_code: self.last_status_code,
            last_error: self.last_error,
            delivered_at: self.delivered_at,
        })
    }
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
        self.new_item_write(EventItem::new(event, self.retention))
    }

    /// The event `id`, read strongly consistent.
    pub async fn get_event(&self, id: &EventId) -> Result<Option<WebhookEvent>, StoreError> {
        let item: Option<EventItem> = self
            .read(keys::key_map(keys::event(id)), Freshness::Strong)
            .await?;
        item.map(EventItem::into_event).transpose()
    }

    /// Writes a new event on its own (an endpoint test), not as part of a change.
    pub async fn put_event(&self, event: &WebhookEvent) -> Result<(), StoreError> {
        self.put_new(EventItem::new(event, self.retention)).await
    }

    /// Writes `event`'s deliveries, lease and summary, which were read at revision
    /// `event.revision - 1`: `false`, and nothing written, if another change came first.
    pub async fn save_deliveries(&self, event: &WebhookEvent) -> Result<bool, StoreError> {
        let seen = event.revision.checked_sub(1).ok_or_else(|| {
            StoreError::Internal(format!("event {}: saved without a new revision", event.id))
        })?;
        let mut set = vec![
            "deliveries = :deliveries".to_owned(),
            "revision = :revision".to_owned(),
            "deliveryStatus = :status".to_owned(),
            "attempts = :attempts".to_owned(),
        ];
        let mut remove = vec!["nextAttemptAt"];
        let deliveries =
            serde_dynamo::to_attribute_value(event.deliveries.as_ref()).map_err(item_error)?;
        let mut values = HashMap::from([
            (":deliveries".to_owned(), deliveries),
            (":revision".to_owned(), n(event.revision)),
            (":seen".to_owned(), n(seen)),
            (":status".to_owned(), s(event.delivery_status.as_str())),
            (":attempts".to_owned(), n(event.attempts)),
        ]);
        // Set when the event has them, removed when it does not.
        let optional = [
            ("leaseUntil", event.lease_until.map(|at| s(at.to_string()))),
            ("lastStatusCode", event.last_status_code.map(n)),
            ("lastError", event.last_error.clone().map(s)),
            (
                "deliveredAt",
                event.delivered_at.map(|at| s(at.to_string())),
            ),
            ("gsi3sk", event.next_attempt_at.map(|at| s(at.to_string()))),
            (
                "gsi3pk",
                event
                    .next_attempt_at
                    .map(|_| s(keys::delivery_shard(&event.id))),
            ),
        ];
        for (name, value) in optional {
            match value {
                Some(value) => {
                    set.push(format!("{name} = :{name}"));
                    values.insert(format!(":{name}"), value);
                }
                None => remove.push(name),
            }
        }
        let condition = if seen == 0 {
            "attribute_exists(pk) AND (attribute_not_exists(revision) OR revision = :seen)"
        } else {
            "revision = :seen"
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::event(&event.id))))
            .update_expression(format!(
                "SET {} REMOVE {}",
                set.join(", "),
                remove.join(", ")
            ))
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        Ok(condition_held(result)?.is_some())
    }

    /// A full page of the merchant's events matching `query`, newest first.
    pub async fn list_events(&self, query: &EventQuery) -> Result<EventPage, StoreError> {
        let by_group = query.session_id.is_some();
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut filters = Vec::new();
        if let Some(kind) = query.kind.filter(|_| !by_group) {
            names.insert("#type".to_owned(), "type".to_owned());
            values.insert(":type".to_owned(), s(kind.as_str()));
            filters.push("#type = :type");
        }
        if let Some(status) = query.delivery_status.filter(|_| !by_group) {
            values.insert(":delivery".to_owned(), s(status.as_str()));
            filters.push("deliveryStatus = :delivery");
        }
        // A session's events, read from the table, are judged here; a session's events are only
        // listed if the session is the merchant's.
        let merchant_events = keys::merchant_events(&query.merchant_id, 0);
        let keep = |item: &EventItem| {
            !by_group
                || (query.kind.is_none_or(|kind| item.kind == kind)
                    && query
                        .delivery_status
                        .is_none_or(|status| item.delivery_status == status)
                    && item.gsi1pk.starts_with(&merchant_events))
        };
        let walk = IndexWalk {
            by_group,
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
        let (items, next) = self.newest_first::<EventItem>(walk, &keep).await?;
        Ok(EventPage {
            events: items
                .into_iter()
                .map(EventItem::into_event)
                .collect::<Result<_, _>>()?,
            next,
        })
    }
}
