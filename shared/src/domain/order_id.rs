use serde::{Deserialize, Serialize};

use super::Invalid;

/// A merchant's own order reference: 1–100 printable characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(String);

impl OrderId {
    /// Accepts 1–100 characters, none of them control characters.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let count = text.chars().count();
        if !(1..=100).contains(&count) {
            return Err(Invalid::new(
                "invalid_length",
                format!("must be 1 to 100 characters, got {count}"),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(Invalid::new(
                "invalid_characters",
                "must contain printable characters only",
            ));
        }
        Ok(Self(text.to_owned()))
    }
}

impl AsRef<str> for OrderId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_ids_up_to_100_characters_are_accepted() {
        assert!(OrderId::parse("order_12345").is_ok());
        assert!(OrderId::parse(&"x".repeat(100)).is_ok());
        assert!(OrderId::parse("Bestellung #42 – ü").is_ok());
    }

    #[test]
    fn empty_long_and_control_characters_are_rejected() {
        assert!(OrderId::parse("").is_err());
        assert!(OrderId::parse(&"x".repeat(101)).is_err());
        assert!(OrderId::parse("a\nb").is_err());
    }
}
