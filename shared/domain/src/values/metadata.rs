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

    /// Largest magnitude of a number value: JavaScript's `Number.MAX_SAFE_INTEGER`, so that every
    /// integer reads back exactly in any client.
    pub const MAX_NUMBER: f64 = 9_007_199_254_740_991.0;
    /// Smallest magnitude of a non-zero number value, well inside DynamoDB's (1e-130) and
    /// boto3's (1e-128) ranges.
    pub const MIN_NUMBER: f64 = 1e-100;

    /// Whether `number` survives DynamoDB, boto3 and JavaScript unchanged: within
    /// [`Self::MAX_NUMBER`] (integers exactly, others as the nearest double, which is how they were
    /// read) and zero or at least [`Self::MIN_NUMBER`].
    fn number_in_range(number: &serde_json::Number) -> bool {
        const MAX_INTEGER: u64 = 9_007_199_254_740_991;
        if let Some(integer) = number.as_i64() {
            return integer.unsigned_abs() <= MAX_INTEGER;
        }
        if let Some(integer) = number.as_u64() {
            return integer <= MAX_INTEGER;
        }
        let magnitude = number.as_f64().map_or(f64::INFINITY, f64::abs);
        magnitude == 0.0 || (Self::MIN_NUMBER..=Self::MAX_NUMBER).contains(&magnitude)
    }

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
                Value::Number(number) if !Self::number_in_range(number) => problems.push((
                    Some(key.clone()),
                    Invalid::new(
                        "number_out_of_range",
                        "numbers must be 0 or of magnitude from 1e-100 to 9007199254740991 \
                         (2^53 - 1); send larger or more precise values as strings",
                    ),
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
    fn numbers_beyond_what_dynamodb_and_javascript_keep_are_rejected() {
        for number in [
            "1e300",
            "-1e200",
            "1e126",
            "1e125",
            "1e-131",
            "1e-300",
            "1e-101",
            "9007199254740992",
            "-9007199254740992",
            "18446744073709551615",
            "9007199254740991.5",
        ] {
            let value: Value = serde_json::from_str(&format!("{{\"n\": {number}}}")).expect("JSON");
            assert_eq!(parse(value), Err(vec!["number_out_of_range"]), "{number}");
        }
        for number in [
            "0",
            "-0.0",
            "9007199254740991",
            "-9007199254740991",
            "1e-100",
            "12.34",
            "1.5e15",
        ] {
            let value: Value = serde_json::from_str(&format!("{{\"n\": {number}}}")).expect("JSON");
            assert!(parse(value).is_ok(), "{number}");
        }
    }

    #[test]
    fn the_limits_themselves_are_allowed() {
        let fifty: serde_json::Map<_, _> = (0..50).map(|i| (format!("k{i}"), json!(i))).collect();
        assert!(parse(Value::Object(fifty)).is_ok(), "50 keys");
        assert!(
            parse(json!({"long": "v".repeat(500)})).is_ok(),
            "500 characters"
        );
        // Eleven strings whose serialization is exactly 5 KB, then one byte more.
        let sized = |extra: usize| {
            let mut map: serde_json::Map<String, Value> = (0..11)
                .map(|i| (format!("k{i:02}"), json!("v".repeat(455))))
                .collect();
            let size = serde_json::to_vec(&map)
                .map(|b| b.len())
                .unwrap_or_default();
            let last = 455 + Metadata::MAX_BYTES + extra - size;
            map.insert("k10".into(), json!("v".repeat(last)));
            Value::Object(map)
        };
        let exact = sized(0);
        assert_eq!(
            serde_json::to_vec(&exact).map(|b| b.len()).ok(),
            Some(5 * 1024)
        );
        assert!(parse(exact).is_ok(), "exactly 5 KB");
        assert_eq!(parse(sized(1)), Err(vec!["too_large"]));
    }

    #[test]
    fn more_than_50_keys_or_5_kb_is_rejected() {
        let many: serde_json::Map<_, _> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        assert_eq!(parse(Value::Object(many)), Err(vec!["too_many_keys"]));
        let big: serde_json::Map<_, _> = (0..12)
            .map(|i| (format!("k{i}"), json!("v".repeat(455))))
            .collect();
        assert_eq!(parse(Value::Object(big)), Err(vec!["too_large"]));
    }
}
