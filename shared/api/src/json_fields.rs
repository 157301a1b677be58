//! Reads a JSON request object field by field, collecting every violation with its path instead of
//! stopping at the first, and keeping number literals as written so money is never parsed as f64.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{ApiError, FieldError};
use checkout_domain::money::Invalid;

/// A JSON document walked only to find an object that names a key twice, at any depth: which
/// of the two counts differs from one parser to the next (ours kept the last, the auth layer's
/// refused), so such a body is refused whole.
struct UniqueKeys;

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_i64<E>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_u64<E>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_f64<E>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_str<E>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<UniqueKeys>()?;
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "the key \"{key}\" appears twice in one object"
                )));
            }
        }
        Ok(UniqueKeys)
    }
}

/// The deepest nesting of objects and arrays a request may have; no valid request comes close.
pub const MAX_DEPTH: usize = 16;

/// Whether the brackets of `body` (outside strings) nest at most `max` deep, checked before any
/// parsing so deep input costs nothing.
fn depth_within(body: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &byte in body {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// Violations found so far, in the order found.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldError>);

impl Violations {
    /// Records that `field` broke `rule`.
    pub fn push(&mut self, field: impl Into<String>, rule: Invalid) {
        self.0.push(FieldError {
            field: field.into(),
            code: rule.code,
            message: rule.message,
        });
    }

    /// Records every violation of a report made elsewhere (a nested parse).
    pub fn extend(&mut self, errors: Vec<FieldError>) {
        self.0.extend(errors);
    }

    /// How many violations were recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when nothing was violated.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `value` when nothing was violated, else every violation as one 400.
    pub fn into_result<T>(self, value: T) -> Result<T, ApiError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

/// A JSON object whose fields are taken one at a time; what is left at the end is unknown.
#[derive(Debug)]
pub struct JsonObject {
    path: String,
    fields: BTreeMap<String, Box<RawValue>>,
}

impl JsonObject {
    /// Parses a request body that must be a JSON object nested at most [`MAX_DEPTH`] levels.
    pub fn parse_body(body: &[u8]) -> Result<Self, ApiError> {
        if !depth_within(body, MAX_DEPTH) {
            return Err(ApiError::MalformedJson(format!(
                "objects and arrays are nested more than {MAX_DEPTH} levels deep"
            )));
        }
        serde_json::from_slice::<UniqueKeys>(body)
            .map_err(|e| ApiError::MalformedJson(e.to_string()))?;
        let raw: Box<RawValue> =
            serde_json::from_slice(body).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
        let fields = serde_json::from_str(raw.get())
            .map_err(|_| ApiError::MalformedJson("the top-level value must be an object".into()))?;
        Ok(Self {
            path: String::new(),
            fields,
        })
    }

    /// The path of field `name` of this object, for error reports.
    pub fn path_of(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// Every field not taken yet, by name.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &RawValue)> {
        self.fields
            .iter()
            .map(|(name, raw)| (name.as_str(), &**raw))
    }

    /// Whether field `name` is present and not `null`.
    pub fn has(&self, name: &str) -> bool {
        self.fields.get(name).is_some_and(|raw| raw.get() != "null")
    }

    /// Removes and returns field `name`; `null` counts as absent.
    pub fn take(&mut self, name: &str) -> Option<Box<RawValue>> {
        self.fields.remove(name).filter(|raw| raw.get() != "null")
    }

    /// Field `name` as `T`, recording `invalid_type` (with `expected`) when it has another shape.
    pub fn typed<T: DeserializeOwned>(
        &mut self,
        name: &str,
        expected: &str,
        violations: &mut Violations,
    ) -> Option<T> {
        let raw = self.take(name)?;
        match serde_json::from_str(raw.get()) {
            Ok(value) => Some(value),
            Err(_) => {
                violations.push(
                    self.path_of(name),
                    Invalid::new("invalid_type", format!("must be {expected}")),
                );
                None
            }
        }
    }

    /// Field `name` as a string.
    pub fn string(&mut self, name: &str, violations: &mut Violations) -> Option<String> {
        self.typed(name, "a string", violations)
    }

    /// Field `name` as a decimal: a JSON string or the exact text of a JSON number.
    pub fn decimal_text(&mut self, name: &str, violations: &mut Violations) -> Option<String> {
        let path = self.path_of(name);
        let raw = self.take(name)?;
        decimal_text(&raw, &path, violations)
    }

    /// Field `name` as a nested object.
    pub fn object(&mut self, name: &str, violations: &mut Violations) -> Option<JsonObject> {
        let path = self.path_of(name);
        let fields = self.typed(name, "an object", violations)?;
        Some(Self { path, fields })
    }

    /// Field `name` as an array of raw elements.
    pub fn array(&mut self, name: &str, violations: &mut Violations) -> Option<Vec<Box<RawValue>>> {
        self.typed(name, "an array", violations)
    }

    /// Element `index` of array field `name` as an object.
    pub fn element_object(
        &self,
        name: &str,
        index: usize,
        raw: &RawValue,
        violations: &mut Violations,
    ) -> Option<JsonObject> {
        let path = format!("{}[{index}]", self.path_of(name));
        match serde_json::from_str(raw.get()) {
            Ok(fields) => Some(Self { path, fields }),
            Err(_) => {
                violations.push(path, Invalid::new("invalid_type", "must be an object"));
                None
            }
        }
    }

    /// Reports every field nobody took as unknown. A top-level `merchantId` is not: it names the
    /// merchant a platform's key acts for, which authentication has read.
    pub fn finish(self, violations: &mut Violations) {
        let top_level = self.path.is_empty();
        for name in self.fields.keys() {
            if top_level && name == "merchantId" {
                continue;
            }
            violations.push(
                self.path_of(name),
                Invalid::new("unknown_field", format!("{name:?} is not a known field")),
            );
        }
    }
}

/// The decimal text of a raw JSON value that is a string or a number.
pub fn decimal_text(raw: &RawValue, path: &str, violations: &mut Violations) -> Option<String> {
    let text = raw.get();
    if text.starts_with('"') {
        return serde_json::from_str(text).ok();
    }
    if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return Some(text.to_owned());
    }
    violations.push(
        path,
        Invalid::new(
            "invalid_type",
            "must be a decimal string such as \"10.50\" or a JSON number",
        ),
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_exact_text() {
        let mut object =
            JsonObject::parse_body(br#"{"amount": 10.10000000000000000001}"#).expect("object");
        let mut violations = Violations::default();
        assert_eq!(
            object.decimal_text("amount", &mut violations).as_deref(),
            Some("10.10000000000000000001")
        );
    }

    #[test]
    fn a_key_named_twice_at_any_depth_is_malformed_json() {
        for body in [
            r#"{"amount":"1.00","amount":"2.00"}"#,
            r#"{"customer":{"email":"a@b.example","email":"c@d.example"}}"#,
            r#"{"lineItems":[{"name":"Tea","name":"Coffee"}]}"#,
            r#"{"metadata":{"k":"1","\u006b":"2"}}"#,
        ] {
            assert!(
                matches!(
                    JsonObject::parse_body(body.as_bytes()),
                    Err(ApiError::MalformedJson(_))
                ),
                "{body}"
            );
        }
        for body in [
            r#"{"a":{"k":1},"b":{"k":1}}"#,
            r#"{"a":[{"k":1},{"k":2}],"k":3}"#,
        ] {
            assert!(JsonObject::parse_body(body.as_bytes()).is_ok(), "{body}");
        }
    }

    #[test]
    fn leftover_fields_are_unknown_with_their_nested_path() {
        let mut object = JsonObject::parse_body(br#"{"customer": {"emial": "x"}, "colour": 1}"#)
            .expect("object");
        let mut violations = Violations::default();
        let customer = object.object("customer", &mut violations).expect("object");
        customer.finish(&mut violations);
        object.finish(&mut violations);
        let Err(ApiError::Validation(errors)) = violations.into_result(()) else {
            panic!("expected violations");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["customer.emial", "colour"]);
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing_and_brackets_in_strings_do_not_count() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(40), "]".repeat(40));
        assert!(matches!(
            JsonObject::parse_body(deep.as_bytes()),
            Err(ApiError::MalformedJson(_))
        ));
        let quoted = format!("{{\"a\":\"{}\\\"{}\"}}", "[".repeat(40), "{".repeat(40));
        assert!(JsonObject::parse_body(quoted.as_bytes()).is_ok());
        let customer = br#"{"customer": {"name": "x"}, "lineItems": [{"name": "y"}]}"#;
        assert!(JsonObject::parse_body(customer).is_ok());
    }

    #[test]
    fn non_objects_and_broken_json_are_malformed() {
        assert!(matches!(
            JsonObject::parse_body(b"[1]"),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(matches!(
            JsonObject::parse_body(b"{\"a\":"),
            Err(ApiError::MalformedJson(_))
        ));
    }
}
