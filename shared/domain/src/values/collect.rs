//! `collect` (SPEC §20): what the hosted page asks the payer for besides payment, and what the
//! payer gave, checked as the page reads it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::country::is_country_code;
use super::text::is_single_line;
use crate::money::Invalid;

/// Custom fields a session may ask for.
pub const MAX_CUSTOM_FIELDS: usize = 3;
/// Options a dropdown may offer.
pub const MAX_OPTIONS: usize = 20;
const KEY_MAX: usize = 40;
const LABEL_MAX: usize = 50;
const VALUE_MAX: usize = 255;
const LINE_MAX: usize = 200;
const CITY_MAX: usize = 100;
const POSTAL_CODE_MAX: usize = 20;

/// Whether the page asks for something as a must.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Requirement {
    /// The payer must give it.
    Required,
    /// The payer may leave it empty.
    Optional,
}

/// What a custom field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Any text up to 255 characters.
    Text,
    /// Digits only, up to 255.
    Numeric,
    /// One of the field's options.
    Dropdown,
}

/// One choice of a dropdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropdownOption {
    /// What is stored when chosen.
    pub value: String,
    /// What the payer reads.
    pub label: String,
}

/// A field the merchant asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomField {
    /// Its name in `customFields` and the page input `customFields.<key>`.
    pub key: String,
    /// Shown beside the input.
    pub label: String,
    /// What it takes.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// A dropdown's choices.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<DropdownOption>,
    /// Whether the payer may leave it empty.
    #[serde(default)]
    pub optional: bool,
}

/// What the page collects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Collect {
    /// A phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Requirement>,
    /// A billing address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Requirement>,
    /// Up to three fields of the merchant's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomField>,
    /// `"required"`: a consent box linking the merchant's terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_of_service: Option<TermsRequirement>,
}

/// The only way terms are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TermsRequirement {
    /// The payer must accept them.
    Required,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Street and number.
    pub line1: String,
    /// Anything more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// Town or city.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
}

/// What the payer told the page about themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerDetails {
    /// As entered, spaces and dashes kept out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The billing address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Address>,
}

/// The payer's answer to a custom field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldValue {
    /// The field's key.
    pub key: String,
    /// The answer (a dropdown's option value).
    pub value: String,
}

/// The payer's consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Consent {
    /// `accepted`.
    pub terms_of_service: String,
}

/// Everything the page collected, kept on the session when it is paid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Collected {
    /// Phone and billing address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_details: Option<CustomerDetails>,
    /// Answers to the custom fields, in their order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<FieldValue>,
    /// Consent to the merchant's terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
}

/// A violated rule at a path below `collect`.
pub type Violation = (String, Invalid);

fn text_within(value: &Value, longest: usize) -> Option<String> {
    value
        .as_str()
        .map(str::trim)
        .filter(|text| !text.is_empty() && text.chars().count() <= longest)
        .map(str::to_owned)
}

fn requirement(value: &Value) -> Result<Requirement, Invalid> {
    serde_json::from_value(value.clone()).map_err(|_| {
        Invalid::new(
            "invalid_requirement",
            "must be \"required\" or \"optional\"",
        )
    })
}

impl Collect {
    /// Checks a `collect` object; every violation at once, with its path below `collect`.
    pub fn parse(value: &Value) -> Result<Self, Vec<Violation>> {
        let mut errors = Vec::new();
        let Some(object) = value.as_object() else {
            return Err(vec![(
                String::new(),
                Invalid::new("invalid_type", "must be an object"),
            )]);
        };
        let mut collect = Self::default();
        for (name, value) in object {
            match name.as_str() {
                "phone" => match requirement(value) {
                    Ok(r) => collect.phone = Some(r),
                    Err(e) => errors.push(("phone".to_owned(), e)),
                },
                "billingAddress" => match requirement(value) {
                    Ok(r) => collect.billing_address = Some(r),
                    Err(e) => errors.push(("billingAddress".to_owned(), e)),
                },
                "termsOfService" => match value.as_str() {
                    Some("required") => {
                        collect.terms_of_service = Some(TermsRequirement::Required);
                    }
                    _ => errors.push((
                        "termsOfService".to_owned(),
                        Invalid::new("invalid_requirement", "must be \"required\""),
                    )),
                },
                "customFields" => match value.as_array() {
                    Some(fields) if fields.len() <= MAX_CUSTOM_FIELDS => {
                        for (index, field) in fields.iter().enumerate() {
                            match CustomField::parse(field) {
                                Ok(field)
                                    if collect.custom_fields.iter().any(|f| f.key == field.key) =>
                                {
                                    errors.push((
                                        format!("customFields[{index}].key"),
                                        Invalid::new("duplicate_key", "each key may be used once"),
                                    ))
                                }
                                Ok(field) => collect.custom_fields.push(field),
                                Err(found) => {
                                    errors.extend(found.into_iter().map(|(path, e)| {
                                        (format!("customFields[{index}]{path}"), e)
                                    }))
                                }
                            }
                        }
                    }
                    _ => errors.push((
                        "customFields".to_owned(),
                        Invalid::new(
                            "invalid_custom_fields",
                            format!("must be an array of at most {MAX_CUSTOM_FIELDS} fields"),
                        ),
                    )),
                },
                other => errors.push((
                    other.to_owned(),
                    Invalid::new("unknown_field", format!("{other:?} is not a known field")),
                )),
            }
        }
        if errors.is_empty() {
            Ok(collect)
        } else {
            Err(errors)
        }
    }

    /// Whether it asks for nothing.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Reads the page's inputs (`phone`, `billingAddress.line1`…, `customFields.<key>`,
    /// `termsOfService`) through `input`: what was collected, or each input at fault with the id
    /// of the message that says why (the page's catalogs hold them, `collect-…`).
    pub fn read<'a>(
        &self,
        input: impl Fn(&str) -> &'a str,
    ) -> Result<Collected, BTreeMap<String, &'static str>> {
        let mut errors = BTreeMap::new();
        let details = CustomerDetails {
            phone: self
                .phone
                .and_then(|requirement| read_phone(requirement, input("phone"), &mut errors)),
            billing_address: self.billing_address.and_then(|requirement| {
                let part = |name: &str| input(&format!("billingAddress.{name}")).trim();
                read_address(requirement, part, &mut errors)
            }),
        };
        let custom_fields = self
            .custom_fields
            .iter()
            .filter_map(|field| {
                let name = format!("customFields.{}", field.key);
                field.read(input(&name).trim(), name, &mut errors)
            })
            .collect();
        let consent = match self.terms_of_service {
            Some(TermsRequirement::Required) if input("termsOfService").is_empty() => {
                errors.insert("termsOfService".to_owned(), "collect-terms");
                None
            }
            Some(TermsRequirement::Required) => Some(Consent {
                terms_of_service: "accepted".to_owned(),
            }),
            None => None,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let customer_details = (details != CustomerDetails::default()).then_some(details);
        Ok(Collected {
            customer_details,
            custom_fields,
            consent,
        })
    }
}

/// The phone number typed as `text`, when there is one and it reads as one.
fn read_phone(
    requirement: Requirement,
    text: &str,
    errors: &mut BTreeMap<String, &'static str>,
) -> Option<String> {
    if text.trim().is_empty() {
        if requirement == Requirement::Required {
            errors.insert("phone".to_owned(), "collect-phone-required");
        }
        return None;
    }
    let phone = normalized_phone(text);
    if phone.is_none() {
        errors.insert("phone".to_owned(), "collect-phone-invalid");
    }
    phone
}

/// The billing address whose parts `part` gives, when one is asked for or partly given.
fn read_address<'a>(
    requirement: Requirement,
    part: impl Fn(&str) -> &'a str,
    errors: &mut BTreeMap<String, &'static str>,
) -> Option<Address> {
    let given = ["line1", "line2", "city", "postalCode", "country"]
        .iter()
        .any(|name| !part(name).is_empty());
    if !given && requirement == Requirement::Optional {
        return None;
    }
    let mut check = |name: &str, longest: usize, message: &'static str, required: bool| {
        let value = part(name);
        if (required && value.is_empty()) || value.chars().count() > longest {
            errors.insert(format!("billingAddress.{name}"), message);
        } else if !is_single_line(value) {
            errors.insert(format!("billingAddress.{name}"), CHARACTERS_MESSAGE);
        }
        value.to_owned()
    };
    let line1 = check("line1", LINE_MAX, "collect-line1", true);
    let line2 = check("line2", LINE_MAX, "collect-line2", false);
    let city = check("city", CITY_MAX, "collect-city", true);
    let postal_code = check("postalCode", POSTAL_CODE_MAX, "collect-postal-code", true);
    let country = part("country").to_ascii_uppercase();
    if !is_country_code(&country) {
        errors.insert("billingAddress.country".to_owned(), "collect-country");
    }
    Some(Address {
        line1,
        line2: (!line2.is_empty()).then_some(line2),
        city,
        postal_code,
        country,
    })
}

impl CustomField {
    /// The payer's `value` of this field (sent as `name`), when given and valid.
    fn read(
        &self,
        value: &str,
        name: String,
        errors: &mut BTreeMap<String, &'static str>,
    ) -> Option<FieldValue> {
        if value.is_empty() {
            if !self.optional {
                errors.insert(name, "collect-required");
            }
            return None;
        }
        if self.kind == FieldType::Text && !is_single_line(value) {
            errors.insert(name, CHARACTERS_MESSAGE);
            return None;
        }
        let (fits, message) = match self.kind {
            FieldType::Text => (value.chars().count() <= VALUE_MAX, "collect-text-long"),
            FieldType::Numeric => (
                value.len() <= VALUE_MAX && value.bytes().all(|b| b.is_ascii_digit()),
                "collect-numeric",
            ),
            FieldType::Dropdown => (
                self.options.iter().any(|o| o.value == value),
                "collect-dropdown",
            ),
        };
        if !fits {
            errors.insert(name, message);
            return None;
        }
        Some(FieldValue {
            key: self.key.clone(),
            value: value.to_owned(),
        })
    }
}

/// The message for a payer's input holding a control or other invisible character (ANSI
/// escapes, line breaks, NUL…), which would land in the merchant's logs and exports.
const CHARACTERS_MESSAGE: &str = "collect-characters";

/// `text` as a phone number: an optional `+`, then 7 to 15 digits among spaces, dashes, dots
/// and parentheses, which are dropped.
fn normalized_phone(text: &str) -> Option<String> {
    let text = text.trim();
    let (plus, rest) = match text.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", text),
    };
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
    {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    (7..=15)
        .contains(&digits.len())
        .then(|| format!("{plus}{digits}"))
}

impl CustomField {
    fn parse(value: &Value) -> Result<Self, Vec<Violation>> {
        let mut errors = Vec::new();
        let Some(object) = value.as_object() else {
            return Err(vec![(
                String::new(),
                Invalid::new("invalid_type", "must be an object"),
            )]);
        };
        errors.extend(unknown_fields(object));
        let key = object
            .get("key")
            .and_then(Value::as_str)
            .filter(|key| {
                !key.is_empty()
                    && key.len() <= KEY_MAX
                    && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
            .map(str::to_owned);
        if key.is_none() {
            errors.push((
                ".key".to_owned(),
                Invalid::new(
                    "invalid_key",
                    format!("must be 1 to {KEY_MAX} letters, digits or _"),
                ),
            ));
        }
        let label = object.get("label").and_then(|l| text_within(l, LABEL_MAX));
        if label.is_none() {
            errors.push((
                ".label".to_owned(),
                Invalid::new(
                    "invalid_label",
                    format!("must be 1 to {LABEL_MAX} characters"),
                ),
            ));
        }
        let kind = object
            .get("type")
            .and_then(|kind| serde_json::from_value::<FieldType>(kind.clone()).ok());
        if kind.is_none() {
            errors.push((
                ".type".to_owned(),
                Invalid::new(
                    "invalid_type",
                    "must be \"text\", \"numeric\" or \"dropdown\"",
                ),
            ));
        }
        let optional = match object.get("optional") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(optional)) => *optional,
            Some(_) => {
                errors.push((
                    ".optional".to_owned(),
                    Invalid::new("invalid_type", "must be true or false"),
                ));
                false
            }
        };
        let options = dropdown_options(kind, object.get("options"), &mut errors);
        match (key, label, kind) {
            (Some(key), Some(label), Some(kind)) if errors.is_empty() => Ok(Self {
                key,
                label,
                kind,
                options,
                optional,
            }),
            _ => Err(errors),
        }
    }
}

/// A violation for each name of `object` that a custom field does not have.
fn unknown_fields(object: &serde_json::Map<String, Value>) -> Vec<Violation> {
    object
        .keys()
        .filter(|name| {
            !matches!(
                name.as_str(),
                "key" | "label" | "type" | "options" | "optional"
            )
        })
        .map(|name| {
            let why = format!("{name:?} is not a known field");
            (format!(".{name}"), Invalid::new("unknown_field", why))
        })
        .collect()
}

/// A field's `options`: 1 to [`MAX_OPTIONS`] for a dropdown, none for any other type.
fn dropdown_options(
    kind: Option<FieldType>,
    options: Option<&Value>,
    errors: &mut Vec<Violation>,
) -> Vec<DropdownOption> {
    match (kind, options) {
        (Some(FieldType::Dropdown), Some(Value::Array(options)))
            if (1..=MAX_OPTIONS).contains(&options.len()) =>
        {
            let parsed: Vec<Option<DropdownOption>> = options.iter().map(option).collect();
            let values: Vec<&str> = parsed.iter().flatten().map(|o| o.value.as_str()).collect();
            let distinct = values
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            if parsed.iter().any(Option::is_none) || distinct != values.len() {
                errors.push((
                    ".options".to_owned(),
                    Invalid::new(
                        "invalid_options",
                        "each option must be a string or { value, label }, values distinct, up to 100 characters",
                    ),
                ));
            }
            parsed.into_iter().flatten().collect()
        }
        (Some(FieldType::Dropdown), _) => {
            errors.push((
                ".options".to_owned(),
                Invalid::new(
                    "invalid_options",
                    format!("a dropdown needs 1 to {MAX_OPTIONS} options"),
                ),
            ));
            Vec::new()
        }
        (_, None | Some(Value::Null)) => Vec::new(),
        (_, Some(_)) => {
            errors.push((
                ".options".to_owned(),
                Invalid::new("invalid_options", "only a dropdown has options"),
            ));
            Vec::new()
        }
    }
}

/// A dropdown option: a string (its own label) or `{ value, label }`.
fn option(value: &Value) -> Option<DropdownOption> {
    match value {
        Value::String(_) => {
            let text = text_within(value, 100)?;
            Some(DropdownOption {
                value: text.clone(),
                label: text,
            })
        }
        Value::Object(object) if object.keys().all(|k| k == "value" || k == "label") => {
            Some(DropdownOption {
                value: text_within(object.get("value")?, 100)?,
                label: text_within(object.get("label")?, 100)?,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn collect() -> Collect {
        Collect::parse(&json!({
            "phone": "required",
            "billingAddress": "optional",
            "customFields": [
                {"key": "vat", "label": "VAT number", "type": "text", "optional": true},
                {"key": "seats", "label": "Seats", "type": "numeric"},
                {"key": "size", "label": "Size", "type": "dropdown", "options": ["S", {"value": "m", "label": "Medium"}]}
            ],
            "termsOfService": "required"
        }))
        .expect("valid")
    }

    #[test]
    fn every_bad_part_of_collect_is_reported_with_its_path() {
        let errors = Collect::parse(&json!({
            "phone": "always",
            "termsOfService": "optional",
            "customFields": [
                {"key": "a b", "label": "", "type": "date"},
                {"key": "k", "label": "K", "type": "dropdown"},
                {"key": "k", "label": "K", "type": "text", "options": ["x"]}
            ],
            "shipping": "required"
        }))
        .expect_err("invalid");
        let mut paths: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
        paths.sort_unstable();
        assert_eq!(
            paths,
            [
                "customFields[0].key",
                "customFields[0].label",
                "customFields[0].type",
                "customFields[1].options",
                "customFields[2].options",
                "phone",
                "shipping",
                "termsOfService"
            ]
        );
        let four = json!({"customFields": [
            {"key": "a", "label": "A", "type": "text"}, {"key": "b", "label": "B", "type": "text"},
            {"key": "c", "label": "C", "type": "text"}, {"key": "d", "label": "D", "type": "text"}
        ]});
        assert!(Collect::parse(&four).is_err());
    }

    #[test]
    fn the_page_inputs_are_read_and_each_bad_one_named() {
        let inputs = BTreeMap::from([
            ("phone", "+49 (30) 1234-5678"),
            ("customFields.seats", "12"),
            ("customFields.size", "m"),
            ("termsOfService", "accepted"),
        ]);
        let read = collect()
            .read(|name| inputs.get(name).copied().unwrap_or_default())
            .expect("valid");
        assert_eq!(
            read.customer_details.and_then(|d| d.phone).as_deref(),
            Some("+493012345678")
        );
        assert_eq!(read.custom_fields.len(), 2);
        assert_eq!(
            read.consent.map(|c| c.terms_of_service).as_deref(),
            Some("accepted")
        );

        let bad = BTreeMap::from([
            ("phone", "call me"),
            ("billingAddress.line1", "1 Main St"),
            ("billingAddress.country", "Germany"),
            ("customFields.seats", "twelve"),
            ("customFields.size", "XL"),
        ]);
        let errors = collect()
            .read(|name| bad.get(name).copied().unwrap_or_default())
            .expect_err("invalid");
        let names: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "billingAddress.city",
                "billingAddress.country",
                "billingAddress.postalCode",
                "customFields.seats",
                "customFields.size",
                "phone",
                "termsOfService"
            ]
        );
    }
}
