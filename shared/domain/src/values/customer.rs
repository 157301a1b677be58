use serde::{Deserialize, Serialize};

use super::{BoundedText, Invalid};

/// The payer as the merchant knows them; every part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// A valid e-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Up to 200 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<BoundedText>,
    /// The merchant's customer id, up to 255 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<BoundedText>,
}

impl Customer {
    /// Validates an e-mail address (RFC 5322 addr-spec, at most 254 characters as RFC 5321 allows).
    pub fn parse_email(text: &str) -> Result<String, Invalid> {
        if text.len() > 254 || !email_address::EmailAddress::is_valid(text) {
            return Err(Invalid::new(
                "invalid_email",
                format!("not a valid e-mail address: {text:?}"),
            ));
        }
        Ok(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_of_254_characters_are_the_longest_accepted() {
        let address = |domain_tail: usize| {
            format!(
                "{}@{}.{}.{}.com",
                "a".repeat(64),
                "b".repeat(63),
                "b".repeat(63),
                "c".repeat(domain_tail)
            )
        };
        let longest = address(57);
        assert_eq!(longest.len(), 254);
        assert_eq!(Customer::parse_email(&longest), Ok(longest.clone()));
        let over = address(58);
        assert_eq!(over.len(), 255);
        assert_eq!(
            Customer::parse_email(&over).map_err(|e| e.code),
            Err("invalid_email")
        );
    }

    #[test]
    fn valid_addresses_pass_and_others_fail() {
        assert!(Customer::parse_email("jane@example.com").is_ok());
        for bad in ["jane", "jane@", "@example.com", "jane example@x.com"] {
            assert!(Customer::parse_email(bad).is_err(), "{bad}");
        }
    }
}
