use serde::{Deserialize, Serialize};
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

use super::Invalid;

/// Whether `c` may stand in one line of text that is shown, exported and logged: no control
/// (NUL, BEL, ESC, CR, LF…), format (bidi overrides and isolates, zero-width characters, the
/// BOM), private-use, unassigned or line/paragraph-separator character, any of which can hide
/// what the text says or forge lines in a log or a CSV export.
pub fn is_printable(c: char) -> bool {
    c.general_category_group() != GeneralCategoryGroup::Other
        && !matches!(
            c.general_category(),
            GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator
        )
}

/// Whether every character of `text` [`is_printable`].
pub fn is_single_line(text: &str) -> bool {
    text.chars().all(is_printable)
}

/// Free text with a maximum length in characters and no control characters other than newlines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BoundedText(String);

impl BoundedText {
    /// Accepts `text` if it has 1 to `max_chars` characters (empty strings are rejected: omit the
    /// field instead).
    pub fn parse(text: &str, max_chars: usize) -> Result<Self, Invalid> {
        let count = text.chars().count();
        if count == 0 {
            return Err(Invalid::new("too_short", "must not be empty"));
        }
        if count > max_chars {
            return Err(Invalid::new(
                "too_long",
                format!("must be at most {max_chars} characters, got {count}"),
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(Invalid::new(
                "invalid_characters",
                "must not contain control characters",
            ));
        }
        Ok(Self(text.to_owned()))
    }
}

impl AsRef<str> for BoundedText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_lines_refuse_every_character_that_can_hide_or_forge_text() {
        assert!(is_single_line("Müller & Söhne GmbH, 3. OG – 東京"));
        for bad in [
            "a\0b",
            "bell\x07",
            "\x1b[31mred",
            "one\r\ntwo",
            "tab\there",
            "\u{202e}gnp.exe",
            "\u{2066}x\u{2069}",
            "zero\u{200b}width",
            "\u{feff}bom",
            "\u{2028}",
            "\u{e000}",
            "\u{85}next",
        ] {
            assert!(!is_single_line(bad), "{bad:?}");
        }
    }

    #[test]
    fn text_reads_back_as_given() {
        assert_eq!(
            BoundedText::parse("Two teas\n", 20).map(|t| t.as_ref().to_owned()),
            Ok("Two teas\n".to_owned())
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(BoundedText::parse(&"é".repeat(500), 500).is_ok());
        assert_eq!(
            BoundedText::parse(&"a".repeat(501), 500).map_err(|e| e.code),
            Err("too_long")
        );
    }

    #[test]
    fn control_characters_and_empty_text_are_rejected() {
        assert!(BoundedText::parse("bell\u{7}", 10).is_err());
        assert!(BoundedText::parse("", 10).is_err());
        assert!(BoundedText::parse("two\nlines", 10).is_ok());
    }
}
