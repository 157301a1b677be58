//! The session rules of `checkout-domain` as DynamoDB expressions, each beside the predicate it
//! enforces, so that a write and a read judge a session alike. They name the status `#status` and
//! take `:pending`, `:expired` and `:now` (RFC 3339, which sorts as time).

/// `CheckoutSession::is_open_at`: pending and before its expiry (payment, decline, cancel, fail).
pub(super) const OPEN: &str = "#status = :pending AND expiresAt > :now";

/// Pending, whatever the time: expiry may end a session that has lapsed.
pub(super) const PENDING: &str = "#status = :pending";

/// `CheckoutSession::status_at(now) == Expired`: written as expired, or lapsed
/// (`has_lapsed_at`).
pub(super) const READS_EXPIRED: &str =
    "#status = :expired OR (#status = :pending AND expiresAt <= :now)";

/// `CheckoutSession::is_open_at` and `CheckoutSession::is_version`: open, and still at the
/// version the payer's page showed (an item written before versions existed is at version 1).
pub(crate) fn open_at_version(version: u32) -> String {
    if version == 1 {
        format!(
            "{} AND (version = :seen OR attribute_not_exists(version))",
            OPEN
        )
    } else {
        format!("{} AND version = :seen", OPEN)
    }
}
