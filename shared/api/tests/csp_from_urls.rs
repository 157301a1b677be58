//! Property test: whatever URL strings a merchant sends, every one accepted as a success or
//! cancel URL yields a payment-page policy whose directives parse back to exactly the expected set.

use std::collections::{BTreeMap, BTreeSet};

use checkout_api::page_policy::content_security_policy;
use checkout_domain::values::{HttpUrl, Origin};
use proptest::prelude::*;

/// URL-ish strings whose hosts and paths are full of the characters a policy treats as syntax.
fn url_text() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![Just("https"), Just("http"), Just("HTTPS"), Just("ftp")];
    let host = r"[a-zA-Z0-9.\-;, '\x22*_$!()%=+&\[\]:@{}/\\ü]{1,24}";
    let port = prop::option::of(0u32..70_000);
    let rest = r"[a-z0-9/;,' \x22?#=&{}]{0,16}";
    (scheme, host, port, rest).prop_map(|(scheme, host, port, rest)| match port {
        Some(port) => format!("{scheme}://{host}:{port}{rest}"),
        None => format!("{scheme}://{host}{rest}"),
    })
}

/// Directive name → its source list, refusing a name given twice.
fn directives(policy: &str) -> Option<BTreeMap<String, Vec<String>>> {
    let mut parsed = BTreeMap::new();
    for directive in policy.split(';') {
        let mut tokens = directive.split_ascii_whitespace().map(str::to_owned);
        let name = tokens.next()?;
        if parsed.insert(name, tokens.collect()).is_some() {
            return None;
        }
    }
    Some(parsed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn accepted_urls_never_change_the_policy_s_directives(
        success in url_text(),
        cancel in url_text(),
    ) {
        let (Ok(success), Ok(cancel)) = (HttpUrl::parse(&success), HttpUrl::parse(&cancel)) else {
            return Ok(());
        };
        let targets: Vec<Origin> = [success.origin(), cancel.origin()].into_iter().flatten().collect();
        prop_assert_eq!(targets.len(), 2, "every accepted URL has an origin");
        let policy = content_security_policy("body{}", None, &targets);
        let parsed = directives(&policy);
        prop_assert!(parsed.is_some(), "a directive repeats in {}", policy);
        let parsed = parsed.unwrap_or_default();
        let names: BTreeSet<&str> = parsed.keys().map(String::as_str).collect();
        prop_assert_eq!(
            names,
            BTreeSet::from(["default-src", "style-src", "img-src", "form-action", "frame-ancestors", "base-uri"])
        );
        let mut expected: BTreeSet<String> = targets.iter().map(|o| o.as_ref().to_owned()).collect();
        expected.insert("'self'".to_owned());
        let form_action: BTreeSet<String> = parsed["form-action"].iter().cloned().collect();
        prop_assert_eq!(form_action, expected);
        prop_assert_eq!(&parsed["frame-ancestors"], &vec!["'none'".to_owned()]);
        prop_assert_eq!(&parsed["base-uri"], &vec!["'none'".to_owned()]);
        prop_assert_eq!(&parsed["default-src"], &vec!["'none'".to_owned()]);
        for origin in &targets {
            prop_assert!(
                origin.as_ref().bytes().all(|b| b.is_ascii_alphanumeric() || b".-:/".contains(&b)),
                "{} is not a plain host-source", origin.as_ref()
            );
        }
    }
}

#[test]
fn the_reported_injection_is_refused() {
    assert!(HttpUrl::parse("https://a.example;frame-ancestors/").is_err());
    assert!(HttpUrl::parse("https://attacker.example/").is_ok());
}
