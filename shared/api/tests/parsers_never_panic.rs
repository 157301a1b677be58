//! Property tests: the parsers that see untrusted input never panic, and accept what they should.

use std::collections::BTreeMap;

use checkout_api::cursor;
use checkout_api::json_fields::JsonObject;
use checkout_api::secrets::SigningKey;
use checkout_domain::money::{Amount, Currency};
use checkout_domain::values::{Expiry, Metadata};
use checkout_store::PageKey;
use proptest::prelude::*;
use serde_json::Value;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        Just(Value::String("v".repeat(501))),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A cursor key for the properties.
const SECRET: &str = "a-cursor-key-of-thirty-two-bytes";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn amount_parsing_never_panics(text in ".{0,64}", jpy in any::<bool>()) {
        let currency = if jpy { Currency::Jpy } else { Currency::Usd };
        let _ = Amount::parse(&text, currency);
    }

    #[test]
    fn plain_decimals_keep_their_value_at_the_currency_scale(units in 0u64..1_000_000_000, cents in 0u32..100) {
        let parsed = Amount::parse(&format!("{units}.{cents:02}"), Currency::Eur).expect("a plain decimal");
        prop_assert_eq!(parsed.to_string(), format!("{units}.{cents:02}"));
        let whole = Amount::parse(&units.to_string(), Currency::Eur).expect("an integer");
        prop_assert_eq!(whole.to_string(), format!("{units}.00"));
    }

    #[test]
    fn duration_parsing_never_panics(text in "P?T?[0-9A-Z.,-]{0,24}|.{0,32}") {
        let _ = Expiry::parse_duration(&text);
        let _ = Expiry::parse_instant(&text);
    }

    #[test]
    fn minute_durations_mean_what_they_say(minutes in 1u32..100_000) {
        let parsed = Expiry::parse_duration(&format!("PT{minutes}M")).expect("valid");
        let seconds = match parsed {
            Expiry::In { seconds, .. } => seconds,
            Expiry::At(_) => -1,
        };
        prop_assert_eq!(seconds, i64::from(minutes) * 60);
    }

    #[test]
    fn metadata_checks_never_panic(entries in prop::collection::btree_map(".{0,48}", json_value(), 0..60)) {
        let entries: BTreeMap<String, Value> = entries;
        let _ = Metadata::parse(entries);
    }

    #[test]
    fn cursor_decoding_never_panics(text in ".{0,200}") {
        let _ = cursor::decode(&text, "mer_1|", &SigningKey::new(SECRET));
    }

    #[test]
    fn cursors_round_trip_for_their_query(at in ".{0,80}") {
        let key = PageKey { sort_key: at };
        let text = cursor::encode(&key, "mer_1|pending", SECRET.as_bytes());
        prop_assert_eq!(cursor::decode(&text, "mer_1|pending", &SigningKey::new(SECRET)), Ok(key));
    }

    #[test]
    fn request_bodies_never_panic_the_field_reader(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = JsonObject::parse_body(&bytes);
    }
}
