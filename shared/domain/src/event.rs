//! Webhook events: what happened to a session, written in the same transaction as the change
//! (a transactional outbox), then delivered at least once.

use serde::{Deserialize, Serialize};

use crate::ids::{EventId, MerchantId, SessionId};
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
}

/// Where an event's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::Display, strum::VariantArray)]
#[strum(serialize_all = "lowercase")]
pub enum DeliveryStatus {
    /// Not delivered yet; attempts remain.
    Pending,
    /// A 2xx was received.
    Delivered,
    /// Every attempt failed.
    Failed,
    /// Neither the session nor the merchant has a webhook URL.
    Skipped,
}

impl DeliveryStatus {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses a lower-case name.
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

/// When attempt `n + 1` is due after attempt `n` failed (SPEC §11): 5 s, 5 min, 30 min, 2 h, 5 h,
/// 10 h, 24 h. After the eighth attempt the event is failed.
pub const RETRY_DELAYS: [time::Duration; 7] = [
    time::Duration::seconds(5),
    time::Duration::minutes(5),
    time::Duration::minutes(30),
    time::Duration::hours(2),
    time::Duration::hours(5),
    time::Duration::hours(10),
    time::Duration::hours(24),
];

/// Attempts in all: the first and one per retry delay.
pub const MAX_ATTEMPTS: u32 = RETRY_DELAYS.len() as u32 + 1;

/// The delay before the next attempt after `attempts` have failed, or `None` when none remain.
pub fn retry_delay(attempts: u32) -> Option<time::Duration> {
    let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
    RETRY_DELAYS.get(index).copied()
}

/// A webhook event and its delivery record.
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
    /// The session.
    pub session_id: SessionId,
    /// The merchant key shard of its session, where its list entry goes.
    #[serde(default, skip_serializing_if = "crate::session::is_zero")]
    pub key_shard: u32,
    /// When it happened.
    pub created_at: Timestamp,
    /// The exact body every attempt sends: `{id, type, createdAt, data: {object}}`.
    pub payload: String,
    /// The session's own webhook URL, which overrides the merchant's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// Delivery state.
    pub delivery_status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due (pending only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<Timestamp>,
    /// A delivery in progress holds the event until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<Timestamp>,
    /// HTTP status of the last attempt, if one was received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status_code: Option<u16>,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When a 2xx was received.
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

impl WebhookEvent {
    /// A new pending event of `kind` about `session`, carrying `object` (the session's resource
    /// as of the change, or the refund); due at once.
    pub fn new<T: Serialize>(
        kind: EventType,
        session: &CheckoutSession,
        object: &T,
        now: Timestamp,
    ) -> Result<Self, serde_json::Error> {
        let id = EventId::generate();
        let payload = serde_json::to_string(&Envelope {
            id: id.as_str(),
            kind,
            created_at: now,
            data: Data { object },
        })?;
        Ok(Self {
            id,
            kind,
            merchant_id: session.merchant_id.clone(),
            session_id: session.id.clone(),
            key_shard: session.key_shard,
            created_at: now,
            payload,
            webhook_url: session
                .webhook_url
                .as_ref()
                .map(|url| url.as_ref().to_owned()),
            delivery_status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(now),
            lease_until: None,
            last_status_code: None,
            last_error: None,
            delivered_at: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use strum::VariantArray;

    use super::*;

    #[test]
    fn retries_follow_the_contract_schedule_then_stop() {
        let delays: Vec<_> = (1..=MAX_ATTEMPTS).map(retry_delay).collect();
        assert_eq!(delays[0], Some(time::Duration::seconds(5)));
        assert_eq!(delays[1], Some(time::Duration::minutes(5)));
        assert_eq!(delays[6], Some(time::Duration::hours(24)));
        assert_eq!(delays[7], None, "the eighth failure is final");
        assert_eq!(MAX_ATTEMPTS, 8);
    }

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
