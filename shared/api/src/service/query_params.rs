//! Query-string rules shared by the list endpoints: each parameter once, and the page size.

use std::collections::HashSet;

use crate::json_fields::Violations;
use checkout_domain::money::Invalid;

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 10;
/// Largest page.
pub const MAX_LIMIT: usize = 100;

/// The parameters given once, in order; each repeated name is reported once per repeat.
pub fn distinct<'a>(params: &'a [(String, String)], v: &mut Violations) -> Vec<(&'a str, &'a str)> {
    let mut seen = HashSet::new();
    let mut distinct = Vec::with_capacity(params.len());
    for (name, value) in params {
        if seen.insert(name.as_str()) {
            distinct.push((name.as_str(), value.as_str()));
        } else {
            v.push(
                name.as_str(),
                Invalid::new("repeated_parameter", "give each parameter once"),
            );
        }
    }
    distinct
}

/// The page size in `value`, 1 to [`MAX_LIMIT`].
pub fn limit(value: &str, v: &mut Violations) -> Option<usize> {
    let limit = value
        .parse::<usize>()
        .ok()
        .filter(|l| (1..=MAX_LIMIT).contains(l));
    if limit.is_none() {
        v.push(
            "limit",
            Invalid::new(
                "invalid_limit",
                format!("must be an integer from 1 to {MAX_LIMIT}"),
            ),
        );
    }
    limit
}

/// Records that `name` is not a parameter of this list.
pub fn unknown(name: &str, v: &mut Violations) {
    v.push(
        name,
        Invalid::new(
            "unknown_parameter",
            format!("{name:?} is not a known parameter"),
        ),
    );
}
