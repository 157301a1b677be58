//! Key shapes of every item; the only place that knows them.
//!
//! No key is written by every request of one merchant: keys that gather a merchant's items carry
//! a shard (`checkout_domain::merchant::key_shards_for` its rate limit, see docs/scale.md).
//! Shard 0 keeps the shape these keys had before they were sharded, so stored items need no
//! migration.

use aws_sdk_dynamodb::types::AttributeValue;
use checkout_domain::ids::{EventId, MerchantId, PlatformId, SessionId};
use checkout_domain::merchant::shard_of;

pub const PK: &str = "pk";
pub const SK: &str = "sk";

pub fn merchant(merchant_id: &MerchantId) -> (String, &'static str) {
    (format!("MERCHANT#{merchant_id}"), "MERCHANT")
}

pub fn platform(platform_id: &PlatformId) -> (String, &'static str) {
    (format!("PLATFORM#{platform_id}"), "PLATFORM")
}

/// `gsi1pk` of a platform's API keys.
pub fn platform_keys(platform_id: &PlatformId) -> String {
    format!("PLATFORM#{platform_id}#KEYS")
}

pub fn api_key(key_hash: &str) -> (String, &'static str) {
    (format!("APIKEY#{key_hash}"), "APIKEY")
}

pub fn session(session_id: &SessionId) -> (String, &'static str) {
    (format!("SESSION#{session_id}"), "SESSION")
}

pub fn order_reservation(merchant_id: &MerchantId, order_id: &str) -> (String, &'static str) {
    (format!("MERCHANT#{merchant_id}#ORDER#{order_id}"), "ORDER")
}

pub fn idempotency(merchant_id: &MerchantId, endpoint: &str, key: &str) -> (String, &'static str) {
    (
        format!("MERCHANT#{merchant_id}#IDEMPOTENCY#{endpoint}#{key}"),
        "IDEMPOTENCY",
    )
}

/// `gsi1pk` of the sessions in shard `shard` of a merchant.
pub fn merchant_sessions(merchant_id: &MerchantId, shard: u32) -> String {
    match shard {
        0 => format!("MERCHANT#{merchant_id}"),
        n => format!("MERCHANT#{merchant_id}#{n}"),
    }
}

/// `gsi1pk` of a merchant's API keys.
pub fn merchant_keys(merchant_id: &MerchantId) -> String {
    format!("MERCHANT#{merchant_id}#KEYS")
}

/// `gsi1pk` of the events in shard `shard` of a merchant.
pub fn merchant_events(merchant_id: &MerchantId, shard: u32) -> String {
    match shard {
        0 => format!("MERCHANT#{merchant_id}#EVENTS"),
        n => format!("MERCHANT#{merchant_id}#EVENTS#{n}"),
    }
}

/// `gsi2pk` of a session's events.
pub fn session_events(session_id: &SessionId) -> String {
    format!("SESSION#{session_id}#EVENTS")
}

/// `pk` of a session's refunds.
pub fn session_refunds(session_id: &SessionId) -> String {
    format!("SESSION#{session_id}#REFUNDS")
}

/// Key of a refund of a session: in its session's refund partition, by creation.
pub fn session_refund(
    session_id: &SessionId,
    created_at: &str,
    refund_id: &str,
) -> (String, String) {
    (
        session_refunds(session_id),
        created_sort_key(created_at, refund_id),
    )
}

/// `pk` of shard `shard` of a merchant's request count in the one-second window `second` (Unix
/// time).
pub fn rate_window(merchant_id: &MerchantId, second: i64, shard: u32) -> (String, &'static str) {
    match shard {
        0 => (format!("RATE#{merchant_id}#{second}"), "RATE"),
        n => (format!("RATE#{merchant_id}#{second}#{n}"), "RATE"),
    }
}

/// The session id in a session's `pk`.
pub fn session_id_of(pk: &str) -> Option<SessionId> {
    pk.strip_prefix("SESSION#").map(SessionId::from_stored)
}

/// The merchant whose events a `gsi1pk` of [`merchant_events`] gathers.
pub fn merchant_of_events(gsi1pk: &str) -> Option<MerchantId> {
    let rest = gsi1pk.strip_prefix("MERCHANT#")?;
    let (merchant, _) = rest.split_once("#EVENTS")?;
    Some(MerchantId::from_stored(merchant))
}

/// The session whose events a `gsi2pk` of [`session_events`] gathers.
pub fn session_of_events(gsi2pk: &str) -> Option<SessionId> {
    let session = gsi2pk.strip_prefix("SESSION#")?.strip_suffix("#EVENTS")?;
    Some(SessionId::from_stored(session))
}

/// The event id in an event's `pk`.
pub fn event_id_of(pk: &str) -> Option<EventId> {
    pk.strip_prefix("EVENT#").map(EventId::from_stored)
}

/// A key no item has: the target of the init warm-up read.
pub fn warm_up() -> (String, &'static str) {
    ("WARMUP".to_owned(), "WARMUP")
}

pub fn event(event_id: &EventId) -> (String, &'static str) {
    (format!("EVENT#{event_id}"), "EVENT")
}

/// `gsi2pk` of the sessions of one order of a merchant.
pub fn order_sessions(merchant_id: &MerchantId, order_id: &str) -> String {
    format!("MERCHANT#{merchant_id}#ORDER#{order_id}")
}

/// `em` of a session: its customer's e-mail as the `by-email` index keys it (any case finds it).
pub fn email_key(email: &str) -> String {
    email.to_lowercase()
}

/// `gsi1sk`/`gsi2sk`: creation order, ties broken by id.
pub fn created_sort_key(created_at: &str, id: &str) -> String {
    format!("{created_at}#{id}")
}

/// Shards of each kind of due item in the due-by-time index, so that one hot partition does not
/// take every write: 5,000 creates a second across the table write about 160 units a second to
/// each (an entry is one unit, two in a transaction; docs/scale.md). Raising it is safe: readers
/// query every shard up to it.
pub const DUE_SHARDS: u32 = 64;

/// `gsi3pk` of a pending session (its `gsi3sk` is `expiresAt`).
pub fn pending_shard(session_id: &SessionId) -> String {
    format!("PENDING#{}", shard_of(session_id.as_str(), DUE_SHARDS))
}

/// `gsi3pk` of a processing session (its `gsi3sk` is `processingAt`).
pub fn settling_shard(session_id: &SessionId) -> String {
    format!("SETTLING#{}", shard_of(session_id.as_str(), DUE_SHARDS))
}

/// Every `gsi3pk` of processing sessions.
pub fn settling_shards() -> impl Iterator<Item = String> {
    (0..DUE_SHARDS).map(|n| format!("SETTLING#{n}"))
}

/// `gsi3pk` of an event awaiting delivery (its `gsi3sk` is `nextAttemptAt`).
pub fn delivery_shard(event_id: &EventId) -> String {
    format!("DELIVERY#{}", shard_of(event_id.as_str(), DUE_SHARDS))
}

/// Every `gsi3pk` of pending sessions.
pub fn pending_shards() -> impl Iterator<Item = String> {
    (0..DUE_SHARDS).map(|n| format!("PENDING#{n}"))
}

/// Every `gsi3pk` of events awaiting delivery.
pub fn delivery_shards() -> impl Iterator<Item = String> {
    (0..DUE_SHARDS).map(|n| format!("DELIVERY#{n}"))
}

/// The key attributes of an item, for GetItem/UpdateItem/DeleteItem.
pub fn key_map(
    (pk, sk): (String, &'static str),
) -> std::collections::HashMap<String, AttributeValue> {
    std::collections::HashMap::from([
        (PK.to_owned(), AttributeValue::S(pk)),
        (SK.to_owned(), AttributeValue::S(sk.to_owned())),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_keys_give_back_their_merchant_and_session() {
        let merchant = MerchantId::generate();
        let session = SessionId::generate();
        for shard in [0, 7] {
            assert_eq!(
                merchant_of_events(&merchant_events(&merchant, shard)),
                Some(merchant.clone())
            );
        }
        assert_eq!(session_of_events(&session_events(&session)), Some(session));
        assert_eq!(merchant_of_events(&merchant_sessions(&merchant, 0)), None);
    }
}
