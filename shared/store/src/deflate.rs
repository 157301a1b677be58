//! Large texts stored deflated (an event's payload, an idempotent answer): an item's size is what
//! each write of it costs, in the table and in every index that projects it (docs/scale.md).

use super::errors::StoreError;

/// The most a stored text may inflate to: far above anything this API stores.
const INFLATED_LIMIT: usize = 1 << 20;

/// `text`, deflated.
pub fn deflate(text: &str) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 6)
}

/// The text `bytes` were deflated from.
pub fn inflate(bytes: &[u8], what: &str) -> Result<String, StoreError> {
    let unreadable = |why: &str| StoreError::Internal(format!("{what}: {why}"));
    let text = miniz_oxide::inflate::decompress_to_vec_with_limit(bytes, INFLATED_LIMIT)
        .map_err(|_| unreadable("does not inflate"))?;
    String::from_utf8(text).map_err(|_| unreadable("not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_come_back_as_they_went_in_and_smaller() {
        let text =
            r#"{"object":"checkout.session","status":"pending","currency":"USD"}"#.repeat(10);
        let stored = deflate(&text);
        assert!(stored.len() < text.len() / 4);
        assert_eq!(inflate(&stored, "test").ok(), Some(text));
        assert!(inflate(b"not deflated", "test").is_err());
    }
}
