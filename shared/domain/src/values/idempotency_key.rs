use serde::{Deserialize, Serialize};

use super::Invalid;

/// A client-chosen idempotency key: 1–255 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Accepts 1–255 characters from `' '` to `'~'`.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if text.is_empty() || text.len() > 255 {
            return Err(Invalid::new(
                "invalid_length",
                format!("must be 1 to 255 characters, got {}", text.chars().count()),
            ));
        }
        if !text.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(Invalid::new(
                "invalid_characters",
                "must contain printable ASCII characters only",
            ));
        }
        Ok(Self(text.to_owned()))
    }
}

impl AsRef<str> for IdempotencyKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reads_back_as_given() {
        assert_eq!(
            IdempotencyKey::parse("order-42/retry").map(|k| k.as_ref().to_owned()),
            Ok("order-42/retry".to_owned())
        );
    }

    #[test]
    fn printable_ascii_up_to_255_is_accepted() {
        assert!(IdempotencyKey::parse("order-42/attempt 1").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
    }

    #[test]
    fn empty_long_and_non_ascii_keys_are_rejected() {
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("clé").is_err());
        assert!(IdempotencyKey::parse("tab\there").is_err());
    }
}
