use super::Invalid;
use crate::ids::SESSION_ID_RANDOM_CHARS;

/// A checkout-session id in the form this API issues: `cs_` and 24 ASCII letters or digits.
/// Anything else cannot name a session, and is refused before it reaches the table (DynamoDB
/// itself refuses keys over 2 KB with an error that is not the caller's to see).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// Accepts exactly the shape `ids::new_session_id` produces.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let well_formed = text.strip_prefix("cs_").is_some_and(|random| {
            random.len() == SESSION_ID_RANDOM_CHARS
                && random.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        if well_formed {
            Ok(Self(text.to_owned()))
        } else {
            Err(Invalid::new(
                "invalid_session_id",
                "must be a checkout-session id: cs_ and 24 letters or digits",
            ))
        }
    }
}

impl AsRef<str> for SessionId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::new_session_id;

    #[test]
    fn issued_ids_parse() {
        let id = new_session_id();
        assert_eq!(SessionId::parse(&id).map(|s| s.as_ref().to_owned()), Ok(id));
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
            &long,
        ] {
            assert!(SessionId::parse(text).is_err(), "{text:?}");
        }
    }
}
