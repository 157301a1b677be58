use serde::{Deserialize, Serialize};

use strum::VariantArray;

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

    /// The language of the page: this locale, or for `auto` the first of the payer's languages
    /// (their browser's `Accept-Language`, by quality) the page speaks, `de-AT` as `de` and `pt`
    /// as `pt-BR`; English when it speaks none of them.
    pub fn resolve(self, accept_language: Option<&str>) -> Self {
        if self != Self::Auto {
            return self;
        }
        let mut wanted: Vec<(f32, usize, &str)> = accept_language
            .unwrap_or_default()
            .split(',')
            .enumerate()
            .filter_map(|(order, range)| {
                let mut parts = range.split(';');
                let tag = parts.next()?.trim();
                let quality = match parts.find_map(|p| p.trim().strip_prefix("q=")) {
                    Some(q) => q.trim().parse::<f32>().ok()?,
                    None => 1.0,
                };
                (!tag.is_empty() && quality > 0.0).then_some((quality, order, tag))
            })
            .collect();
        wanted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        wanted
            .iter()
            .find_map(|(_, _, tag)| Self::spoken(tag))
            .unwrap_or(Self::En)
    }

    /// The language the page speaks for a browser's language tag, if any.
    fn spoken(tag: &str) -> Option<Self> {
        let tag = tag.to_ascii_lowercase().replace('_', "-");
        let language = tag.split('-').next()?;
        let spoken = || Self::VARIANTS.iter().copied().filter(|l| *l != Self::Auto);
        spoken()
            .find(|l| l.as_str().eq_ignore_ascii_case(&tag))
            .or_else(|| spoken().find(|l| l.as_str().split('-').next() == Some(language)))
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
    use super::*;

    #[test]
    fn auto_takes_the_first_spoken_language_by_quality() {
        let resolve = |header| Locale::Auto.resolve(Some(header));
        assert_eq!(resolve("de-AT,de;q=0.9,en;q=0.8"), Locale::De);
        assert_eq!(resolve("sv-SE, ja;q=0.4, fr;q=0.6"), Locale::Fr);
        assert_eq!(resolve("pt-PT"), Locale::PtBr);
        assert_eq!(resolve("PT-br"), Locale::PtBr);
        assert_eq!(resolve("nl;q=0, it;q=0.1"), Locale::It);
        assert_eq!(resolve("zh-CN, *"), Locale::En);
        assert_eq!(Locale::Auto.resolve(None), Locale::En);
        assert_eq!(
            Locale::Ja.resolve(Some("de")),
            Locale::Ja,
            "a chosen locale wins"
        );
    }

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
