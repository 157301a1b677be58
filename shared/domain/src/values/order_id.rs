use super::Invalid;
use super::text::is_printable;
use serde::{Deserialize, Serialize};

/// A merchant's own order reference: 1–100 printable characters, at least one of them visible.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(String);

impl OrderId {
    /// Accepts 1–100 characters with no control, format (bidi overrides, zero-width characters,
    /// the BOM), private-use, unassigned or line/paragraph-separator characters, and not only
    /// spaces: an order id is matched and shown, so two that look alike must be alike.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let count = text.chars().count();
        if !(1..=100).contains(&count) {
            return Err(Invalid::new(
                "invalid_length",
                format!("must be 1 to 100 characters, got {count}"),
            ));
        }
        if let Some(bad) = text.chars().find(|c| !is_printable(*c)) {
            return Err(Invalid::new(
                "invalid_characters",
                format!(
                    "must contain printable characters only, not U+{:04X}",
                    u32::from(bad)
                ),
            ));
        }
        if text.chars().all(char::is_whitespace) {
            return Err(Invalid::new(
                "invalid_characters",
                "must contain a visible character, not only spaces",
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
        assert!(OrderId::parse("注文 42").is_ok());
    }

    #[test]
    fn an_order_id_reads_back_as_given() {
        assert_eq!(
            OrderId::parse("Bestellung #42").map(|o| o.as_ref().to_owned()),
            Ok("Bestellung #42".to_owned())
        );
    }

    #[test]
    fn empty_long_and_control_characters_are_rejected() {
        assert!(OrderId::parse("").is_err());
        assert!(OrderId::parse(&"x".repeat(101)).is_err());
        assert!(OrderId::parse("a\nb").is_err());
    }

    #[test]
    fn invisible_and_reordering_characters_are_rejected() {
        for bad in [
            "a\u{202E}b",
            "a\u{200B}b",
            "\u{FEFF}order",
            "a\u{00AD}",
            "a\u{2028}b",
            "a\u{E000}",
            "   ",
            "\u{3000}",
        ] {
            assert_eq!(
                OrderId::parse(bad).map_err(|e| e.code),
                Err("invalid_characters"),
                "{bad:?}"
            );
        }
    }
}
