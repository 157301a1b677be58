//! Identifiers and secrets: random, prefixed, unguessable, and typed so that one kind of id cannot
//! be passed where another belongs.

use std::fmt;

use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};

use crate::money::Invalid;

/// `len` random characters from `[A-Za-z0-9]` (5.95 bits each) from the OS-seeded CSPRNG.
pub fn random_alphanumeric(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Whether `text` is `prefix` followed by exactly `random` ASCII letters or digits.
fn has_shape(text: &str, prefix: &str, random: usize) -> bool {
    text.strip_prefix(prefix)
        .is_some_and(|rest| rest.len() == random && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// One kind of prefixed id. Stored ids deserialize as they were written (the table is trusted);
/// ids from a request go through `parse`, which accepts exactly the shape `generate` makes, so
/// nothing else reaches a key (DynamoDB refuses keys over 2 KB with an error not the caller's).
macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $random:expr, $code:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The prefix every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;
            /// How many random letters or digits follow the prefix.
            pub const RANDOM_CHARS: usize = $random;

            /// A new random id.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, random_alphanumeric($random)))
            }

            /// Accepts exactly the shape [`Self::generate`] produces.
            pub fn parse(text: &str) -> Result<Self, Invalid> {
                if has_shape(text, $prefix, $random) {
                    Ok(Self(text.to_owned()))
                } else {
                    Err(Invalid::new($code, $what))
                }
            }

            /// An id read back from the table or named by an operator, taken as it is.
            pub fn from_stored(text: impl Into<String>) -> Self {
                Self(text.into())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

prefixed_id!(
    /// A checkout session: `cs_` and 24 letters or digits (142 random bits).
    SessionId,
    "cs_",
    24,
    "invalid_session_id",
    "must be a checkout-session id: cs_ and 24 letters or digits"
);

prefixed_id!(
    /// A merchant account: `mer_` and 20 letters or digits.
    MerchantId,
    "mer_",
    20,
    "invalid_merchant_id",
    "must be a merchant id: mer_ and 20 letters or digits"
);

prefixed_id!(
    /// A platform, whose keys act for the merchants under it: `plt_` and 20 letters or digits.
    PlatformId,
    "plt_",
    20,
    "invalid_platform_id",
    "must be a platform id: plt_ and 20 letters or digits"
);

prefixed_id!(
    /// A webhook event, also the `webhook-id` of each of its deliveries: `evt_` and 24.
    EventId,
    "evt_",
    24,
    "invalid_event_id",
    "must be an event id: evt_ and 24 letters or digits"
);

prefixed_id!(
    /// A refund: `re_` and 24 letters or digits.
    RefundId,
    "re_",
    24,
    "invalid_refund_id",
    "must be a refund id: re_ and 24 letters or digits"
);

prefixed_id!(
    /// A merchant's webhook endpoint: `we_` and 24 letters or digits.
    WebhookEndpointId,
    "we_",
    24,
    "invalid_webhook_endpoint_id",
    "must be a webhook endpoint id: we_ and 24 letters or digits"
);

/// An API key as the API names it: `key_` and the first 24 hex digits of the key's SHA-256,
/// so it is stable and the same for keys made before ids existed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApiKeyId(String);

impl ApiKeyId {
    /// The prefix every key id starts with.
    pub const PREFIX: &'static str = "key_";
    /// How many hex digits of the hash follow the prefix.
    const DIGITS: usize = 24;

    /// The id of the key whose lower-case hex SHA-256 is `key_hash`.
    pub fn of_hash(key_hash: &str) -> Self {
        Self(format!(
            "{}{}",
            Self::PREFIX,
            key_hash.get(..Self::DIGITS).unwrap_or(key_hash)
        ))
    }

    /// Accepts exactly the shape [`ApiKeyId::of_hash`] makes.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let digits = text.strip_prefix(Self::PREFIX).unwrap_or_default();
        if digits.len() == Self::DIGITS
            && digits
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(text.to_owned()))
        } else {
            Err(Invalid::new(
                "invalid_api_key_id",
                "must be an API key id: key_ and 24 lower-case hex digits",
            ))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApiKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Letters and digits a payer cannot confuse when reading them aloud (no 0/O, 1/I/L, U).
const REFERENCE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A short payer-facing code such as `K7QM-2XWD`; not unique and never used as a key.
pub fn new_reference() -> String {
    let mut rng = rand::rng();
    let mut code = String::with_capacity(9);
    for position in 0..8 {
        if position == 4 {
            code.push('-');
        }
        let index = rng.random_range(0..REFERENCE_ALPHABET.len());
        code.push(char::from(REFERENCE_ALPHABET[index]));
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_carry_more_than_122_random_bits() {
        let id = SessionId::generate();
        let random = id.as_str().strip_prefix("cs_").expect("prefixed");
        assert!(random.len() as f64 * 62f64.log2() >= 122.0);
        assert_ne!(id, SessionId::generate());
    }

    #[test]
    fn issued_ids_parse() {
        let session = SessionId::generate();
        assert_eq!(SessionId::parse(session.as_str()), Ok(session));
        let merchant = MerchantId::generate();
        assert_eq!(MerchantId::parse(merchant.as_str()), Ok(merchant));
        let event = EventId::generate();
        assert_eq!(EventId::parse(event.as_str()), Ok(event));
    }

    #[test]
    fn key_ids_are_the_hash_prefix_and_parse_back() {
        let hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let id = ApiKeyId::of_hash(hash);
        assert_eq!(id.as_str(), "key_0123456789abcdef01234567");
        assert_eq!(ApiKeyId::parse(id.as_str()), Ok(id));
        for bad in [
            "key_0123456789ABCDEF01234567",
            "key_0123456789abcdef0123456",
            "key_0123456789abcdef012345678",
            "we_0123456789abcdef01234567",
            "key_0123456789abcdef0123456g",
        ] {
            assert!(ApiKeyId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn other_shapes_are_refused() {
        let long = format!("cs_{}", "a".repeat(3000));
        for text in [
            "",
            "cs_",
            "cs_x",
            "CS_abcdefghijklmnopqrstuvwx",
            "cs_abcdefghijklmnopqrstuvw!",
            "cs_abcdefghijklmnopqrstuvwxy",
            "cs_abcdefghijklmnopqrstuvwé",
            "mer_abcdefghijklmnopqrst",
            &long,
        ] {
            assert!(SessionId::parse(text).is_err(), "{text:?}");
        }
        let session = SessionId::generate();
        assert!(MerchantId::parse(session.as_str()).is_err());
        assert!(EventId::parse(session.as_str()).is_err());
    }

    #[test]
    fn ids_are_stored_as_plain_strings() {
        let id = MerchantId::from_stored("mer_1");
        assert_eq!(
            serde_json::to_string(&id).ok().as_deref(),
            Some("\"mer_1\"")
        );
        assert_eq!(
            serde_json::from_str::<MerchantId>("\"mer_1\"").ok(),
            Some(id)
        );
    }

    #[test]
    fn references_are_two_groups_of_four_readable_characters() {
        let reference = new_reference();
        assert_eq!(reference.len(), 9);
        assert_eq!(&reference[4..5], "-");
        assert!(
            reference
                .bytes()
                .filter(|b| *b != b'-')
                .all(|b| REFERENCE_ALPHABET.contains(&b))
        );
    }
}
