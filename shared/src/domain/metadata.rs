use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Invalid;

/// Merchant key–value data carried on the session: ≤ 50 keys of 1–40 characters without `[` `]`,
/// values strings (≤ 500 characters), numbers or booleans, ≤ 5 KB serialized.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Metadata(BTreeMap<String, Value>);

impl Metadata {
    /// Most keys.
    pub const MAX_KEYS: usize = 50;
    /// Largest serialized size in bytes.
    pub const MAX_BYTES: usize = 5 * 1024;

    /// Checks every entry; returns the violations as `(key, problem)` pairs (the key is `None`
    /// for a rule about the whole object).
    pub fn parse(entries: BTreeMap<String, Value>) -> Result<Self, Vec<(Option<String>, Invalid)>> {
        let mut problems = Vec::new();
        if entries.len() > Self::MAX_KEYS {
            problems.push((
                None,
                Invalid::new(
                    "too_many_keys",
                    format!("at most {} keys, got {}", Self::MAX_KEYS, entries.len()),
                ),
            ));
        }
        for (key, value) in &entries {
            let chars = key.chars().count();
            if !(1..=40).contains(&chars) || key.contains(['[', ']']) {
                problems.push((
                    Some(key.clone()),
                    Invalid::new(
                        "invalid_key",
                        "keys are 1 to 40 characters without '[' or ']'",
                    ),
                ));
                continue;
            }
            match value {
                Value::String(text) if text.chars().count() > 500 => problems.push((
                    Some(key.clone()),
                    Invalid::new("too_long", "string values are at most 500 characters"),
                )),
                Value::String(_) | Value::Number(_) | Value::Bool(_) => {}
                _ => problems.push((
                    Some(key.clone()),
                    Invalid::new(
                        "invalid_type",
                        "values must be strings, numbers or booleans",
                    ),
                )),
            }
        }
        let size = serde_json::to_vec(&entries).map_or(usize::MAX, |bytes| bytes.len());
        if size > Self::MAX_BYTES {
            problems.push((
                None,
                Invalid::new(
                    "too_large",
                    format!(
                        "metadata is {size} bytes serialized; the limit is {}",
                        Self::MAX_BYTES
                    ),
                ),
            ));
        }
        if problems.is_empty() {
            Ok(Self(entries))
        } else {
            Err(problems)
        }
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(value: Value) -> Result<Metadata, Vec<&'static str>> {
        let map = serde_json::from_value(value).expect("an object");
        Metadata::parse(map).map_err(|problems| problems.into_iter().map(|(_, p)| p.code).collect())
    }

    #[test]
    fn strings_numbers_and_booleans_are_accepted() {
        assert!(parse(json!({"order": "42", "count": 3, "gift": true, "ratio": 0.5})).is_ok());
    }

    #[test]
    fn nested_values_bad_keys_and_long_values_are_each_reported() {
        let problems = parse(json!({
            "nested": {"a": 1},
            "list": [1],
            "nothing": null,
            "items[0]": "x",
            "": "empty key",
            "long": "v".repeat(501),
        }))
        .expect_err("all invalid");
        assert_eq!(problems.len(), 6);
    }

    #[test]
    fn more_than_50_keys_or_5_kb_is_rejected() {
        let many: serde_json::Map<_, _> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        assert_eq!(parse(Value::Object(many)), Err(vec!["too_many_keys"]));
        let big: serde_json::Map<_, _> = (0..12)
            .map(|i| (format!("k{i}"), json!("v".repeat(450))))
            .collect();
        assert_eq!(parse(Value::Object(big)), Err(vec!["too_large"]));
    }
}
