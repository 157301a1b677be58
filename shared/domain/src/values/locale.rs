use serde::{Deserialize, Serialize};

use super::Invalid;

/// A language the hosted page speaks (SPEC §20), or `auto`: the payer's `Accept-Language`.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
pub enum Locale {
    /// Chosen from the payer's `Accept-Language`.
    #[default]
    #[serde(rename = "auto")]
    #[strum(serialize = "auto")]
    Auto,
    /// English.
    #[serde(rename = "en")]
    #[strum(serialize = "en")]
    En,
    /// German.
    #[serde(rename = "de")]
    #[strum(serialize = "de")]
    De,
    /// French.
    #[serde(rename = "fr")]
    #[strum(serialize = "fr")]
    Fr,
    /// Spanish.
    #[serde(rename = "es")]
    #[strum(serialize = "es")]
    Es,
    /// Italian.
    #[serde(rename = "it")]
    #[strum(serialize = "it")]
    It,
    /// Dutch.
    #[serde(rename = "nl")]
    #[strum(serialize = "nl")]
    Nl,
    /// Brazilian Portuguese.
    #[serde(rename = "pt-BR")]
    #[strum(serialize = "pt-BR")]
    PtBr,
    /// Japanese.
    #[serde(rename = "ja")]
    #[strum(serialize = "ja")]
    Ja,
}

impl Locale {
    /// The tag as the API writes it, e.g. `pt-BR`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses `auto` or one of the supported tags.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        text.parse().map_err(|_| {
            Invalid::new(
                "invalid_locale",
                format!("must be auto, en, de, fr, es, it, nl, pt-BR or ja, got {text:?}"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use strum::VariantArray;

    use super::*;

    #[test]
    fn serde_and_parse_agree_on_every_tag() {
        for locale in Locale::VARIANTS {
            let json = serde_json::to_string(locale).expect("serializable");
            assert_eq!(json, format!("\"{}\"", locale.as_str()));
            assert_eq!(Locale::parse(locale.as_str()).ok(), Some(*locale));
        }
        assert!(Locale::parse("pt-br").is_err() && Locale::parse("EN").is_err());
    }
}
