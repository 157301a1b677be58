//! Which money a deployment moves (SPEC §24): `test` (the test processor, its helpers, `sk_test_`
//! keys) or `live` (`sk_live_` keys, no test helper). One deployment is one stage, so a key of
//! the other stage is refused before it is looked up.

use crate::money::Invalid;

/// A deployment's stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Stage {
    /// Test money: the test processor and its helpers.
    #[default]
    Test,
    /// Real money.
    Live,
}

impl Stage {
    /// Parses `test` or `live`.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        match text {
            "test" => Ok(Self::Test),
            "live" => Ok(Self::Live),
            other => Err(Invalid::new(
                "invalid_stage",
                format!("must be test or live, got {other:?}"),
            )),
        }
    }

    /// `test` or `live`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Live => "live",
        }
    }

    /// The prefix of every secret key of this stage.
    pub fn key_prefix(self) -> &'static str {
        match self {
            Self::Test => "sk_test_",
            Self::Live => "sk_live_",
        }
    }

    /// The stage whose keys look like `key`, if any.
    pub fn of_key(key: &str) -> Option<Self> {
        [Self::Test, Self::Live]
            .into_iter()
            .find(|stage| key.starts_with(stage.key_prefix()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stage_knows_its_own_keys_only() {
        assert_eq!(Stage::of_key("sk_test_abc"), Some(Stage::Test));
        assert_eq!(Stage::of_key("sk_live_abc"), Some(Stage::Live));
        assert_eq!(Stage::of_key("pk_live_abc"), None);
        assert_eq!(Stage::parse("live"), Ok(Stage::Live));
        assert!(Stage::parse("prod").is_err());
    }
}
