//! Webhook events: what happened to a session, written in the same transaction as the change
//! (a transactional outbox), then delivered at least once.

use serde::{Deserialize, Serialize};

use crate::delivery::{Delivery, DeliveryStatus};
use crate::ids::{EventId, MerchantId, SessionId, WebhookEndpointId};
use crate::session::{CheckoutSession, SessionStatus};
use crate::timestamp::Timestamp;

/// The kinds of event a merchant is told about. Each name is written twice, for serde and for
/// strum, side by side; a test holds them equal.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::Display,
    strum::VariantArray,
)]
pub enum EventType {
    /// The payer paid; the payment settles later.
    #[serde(rename = "checkout.session.processing")]
    #[strum(serialize = "checkout.session.processing")]
    Processing,
    /// The payer paid.
    #[serde(rename = "checkout.session.completed")]
    #[strum(serialize = "checkout.session.completed")]
    Completed,
    /// The session expired unpaid.
    #[serde(rename = "checkout.session.expired")]
    #[strum(serialize = "checkout.session.expired")]
    Expired,
    /// The session was cancelled.
    #[serde(rename = "checkout.session.cancelled")]
    #[strum(serialize = "checkout.session.cancelled")]
    Cancelled,
    /// Payment failed for good.
    #[serde(rename = "checkout.session.failed")]
    #[strum(serialize = "checkout.session.failed")]
    Failed,
    /// The payment was refunded in full.
    #[serde(rename = "checkout.session.refunded")]
    #[strum(serialize = "checkout.session.refunded")]
    Refunded,
    /// A refund was made (its `data.object` is the refund).
    #[serde(rename = "refund.created")]
    #[strum(serialize = "refund.created")]
    RefundCreated,
    /// The merchant asked to test an endpoint (its `data.object` is the endpoint); sent to that
    /// endpoint alone.
    #[serde(rename = "webhook_endpoint.test")]
    #[strum(serialize = "webhook_endpoint.test")]
    EndpointTest,
}

impl EventType {
    /// The event announcing a move to `status`, if that status is announced.
    pub fn for_status(status: SessionStatus) -> Option<Self> {
        match status {
            SessionStatus::Processing => Some(Self::Processing),
            SessionStatus::Completed => Some(Self::Completed),
            SessionStatus::Expired => Some(Self::Expired),
            SessionStatus::Cancelled => Some(Self::Cancelled),
            SessionStatus::Failed => Some(Self::Failed),
            SessionStatus::Refunded => Some(Self::Refunded),
            SessionStatus::Pending => None,
        }
    }

    /// The dotted name, e.g. `checkout.session.expired`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses a dotted name.
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }

    /// Whether an endpoint can ask for events of this type.
    pub fn is_subscribable(self) -> bool {
        self != Self::EndpointTest
    }
}

/// A webhook event and its deliveries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent {
    /// `evt_…`; also the `webhook-id` of every delivery attempt.
    pub id: EventId,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The session's merchant.
    pub merchant_id: MerchantId,
    /// The session (none for an endpoint test).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    /// The merchant key shard of its session, where its list entry goes.
    #[serde(default, skip_serializing_if = "crate::session::is_zero")]
    pub key_shard: u32,
    /// When it happened.
    pub created_at: Timestamp,
    /// The exact body every attempt sends: `{id, type, createdAt, data: {object}}`.
    pub payload: String,
    /// The session's own webhook URL, a target besides the merchant's endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// One per target, once the event has been fanned out to its targets; `None` until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<Vec<Delivery>>,
    /// Bumped by every change to the deliveries; a change is written only over the revision it
    /// was made from.
    #[serde(default)]
    pub revision: u32,
    /// Dispatchers before per-delivery leases (`Delivery::leased_until`) held the whole event
    /// until then; still honoured, so that a deployment never sends what an older dispatcher
    /// is sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<Timestamp>,
    /// The deliveries summed up: pending while any is, failed if any failed, delivered when all
    /// were, skipped when there was no target.
    pub delivery_status: DeliveryStatus,
    /// Attempts made so far, to every target.
    pub attempts: u32,
    /// When the next attempt is due: fan-out, or the earliest pending delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<Timestamp>,
    /// HTTP status of the latest attempt, if one was received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status_code: Option<u16>,
    /// Why the latest attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When the last target took it, once all have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<Timestamp>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a, T: Serialize> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: EventType,
    created_at: Timestamp,
    data: Data<'a, T>,
}

#[derive(Serialize)]
struct Data<'a, T: Serialize> {
    object: &'a T,
}

fn envelope<T: Serialize>(
    id: &EventId,
    kind: EventType,
    object: &T,
    now: Timestamp,
) -> Result<String, serde_json::Error> {
    serde_json::to_string(&Envelope {
        id: id.as_str(),
        kind,
        created_at: now,
        data: Data { object },
    })
}

impl WebhookEvent {
    /// A new event of `kind` for `merchant_id`, carrying `object`, due at once.
    fn pending<T: Serialize>(
        kind: EventType,
        merchant_id: MerchantId,
        object: &T,
        now: Timestamp,
    ) -> Result<Self, serde_json::Error> {
        let id = EventId::generate();
        Ok(Self {
            payload: envelope(&id, kind, object, now)?,
            id,
            kind,
            merchant_id,
            session_id: None,
            key_shard: 0,
            created_at: now,
            webhook_url: None,
            deliveries: None,
            revision: 0,
            lease_until: None,
            delivery_status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(now),
            last_status_code: None,
            last_error: None,
            delivered_at: None,
        })
    }

    /// A new event of `kind` about `session`, carrying `object` (the session's resource as of
    /// the change, or the refund); due at once to be fanned out to its targets.
    pub fn new<T: Serialize>(
        kind: EventType,
        session: &CheckoutSession,
        object: &T,
        now: Timestamp,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            session_id: Some(session.id.clone()),
            key_shard: session.key_shard,
            webhook_url: session
                .webhook_url
                .as_ref()
                .map(|url| url.as_ref().to_owned()),
            ..Self::pending(kind, session.merchant_id.clone(), object, now)?
        })
    }

    /// A `webhook_endpoint.test` event carrying `object` (the endpoint), to endpoint
    /// `endpoint_id` alone, due at once.
    pub fn endpoint_test<T: Serialize>(
        merchant_id: MerchantId,
        endpoint_id: WebhookEndpointId,
        object: &T,
        now: Timestamp,
    ) -> Result<Self, serde_json::Error> {
        let mut event = Self::pending(EventType::EndpointTest, merchant_id, object, now)?;
        let mut delivery = Delivery::to_endpoint(endpoint_id, now);
        delivery.requested = true;
        event.fan_out(vec![delivery]);
        Ok(event)
    }

    /// Gives the event its targets, once.
    pub fn fan_out(&mut self, deliveries: Vec<Delivery>) {
        self.deliveries = Some(deliveries);
        self.summarize();
    }

    /// Whether it waits to be fanned out.
    pub fn awaits_fan_out(&self) -> bool {
        self.deliveries.is_none() && self.delivery_status == DeliveryStatus::Pending
    }

    /// The positions of the deliveries due at `now`, unless another dispatcher holds the event.
    pub fn due_deliveries(&self, now: Timestamp) -> Vec<usize> {
        if self.lease_until.is_some_and(|until| until > now) {
            return Vec::new();
        }
        self.deliveries
            .iter()
            .flatten()
            .enumerate()
            .filter(|(_, delivery)| delivery.is_due(now))
            .map(|(index, _)| index)
            .collect()
    }

    /// Queues a fresh attempt of every delivery, or only of the one to `endpoint_id` (added when
    /// the event never went there). `false` when it has not been fanned out yet: its first
    /// attempts are still to come.
    pub fn requeue(&mut self, endpoint_id: Option<&WebhookEndpointId>, now: Timestamp) -> bool {
        let Some(deliveries) = self.deliveries.as_mut() else {
            return false;
        };
        match endpoint_id {
            None => deliveries.iter_mut().for_each(|d| d.requeue(now)),
            Some(id) => {
                match deliveries
                    .iter_mut()
                    .find(|d| d.endpoint_id.as_ref() == Some(id))
                {
                    Some(delivery) => delivery.requeue(now),
                    None => {
                        let mut delivery = Delivery::to_endpoint(id.clone(), now);
                        delivery.requested = true;
                        deliveries.push(delivery);
                    }
                }
            }
        }
        self.summarize();
        true
    }

    /// Brings the summary fields in line with the deliveries.
    pub fn summarize(&mut self) {
        let Some(deliveries) = &self.deliveries else {
            return;
        };
        let any = |status| deliveries.iter().any(|d| d.status == status);
        self.delivery_status = if deliveries.is_empty() {
            DeliveryStatus::Skipped
        } else if any(DeliveryStatus::Pending) {
            DeliveryStatus::Pending
        } else if any(DeliveryStatus::Failed) {
            DeliveryStatus::Failed
        } else {
            DeliveryStatus::Delivered
        };
        self.attempts = deliveries.iter().map(|d| d.attempt_count).sum();
        self.next_attempt_at = deliveries.iter().filter_map(|d| d.next_attempt_at).min();
        let latest = deliveries
            .iter()
            .flat_map(|d| d.attempts.last())
            .max_by_key(|attempt| attempt.at);
        self.last_status_code = latest.and_then(|a| a.status_code);
        self.last_error = latest.and_then(|a| a.error.clone());
        self.delivered_at = (self.delivery_status == DeliveryStatus::Delivered)
            .then(|| deliveries.iter().filter_map(|d| d.delivered_at).max())
            .flatten();
    }
}

#[cfg(test)]
mod tests {
    use strum::VariantArray;

    use super::*;

    #[test]
    fn every_terminal_status_has_an_event_and_pending_has_none() {
        assert_eq!(EventType::for_status(SessionStatus::Pending), None);
        for status in SessionStatus::VARIANTS
            .iter()
            .copied()
            .filter(|s| *s != SessionStatus::Pending)
        {
            let kind = EventType::for_status(status).expect("announced");
            assert_eq!(kind.as_str(), format!("checkout.session.{status}"));
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn names_are_the_same_in_json_and_in_text() {
        for kind in EventType::VARIANTS {
            let json = serde_json::to_string(kind).ok();
            assert_eq!(json, Some(format!("\"{kind}\"")));
        }
        for status in DeliveryStatus::VARIANTS {
            let json = serde_json::to_string(status).ok();
            assert_eq!(json, Some(format!("\"{}\"", status.as_str())));
            assert_eq!(DeliveryStatus::parse(status.as_str()), Some(*status));
        }
        for status in SessionStatus::VARIANTS {
            let json = serde_json::to_string(status).ok();
            assert_eq!(json, Some(format!("\"{status}\"")));
        }
    }
}
