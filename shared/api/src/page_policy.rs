//! The Content-Security-Policy of the hosted pages, assembled from typed parts so that no value a
//! merchant supplied can end a directive or start another.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use checkout_domain::values::Origin;

/// The policy for a page whose only style is `style` (inlined, allowed by its hash) and whose
/// forms may lead to `'self'` and to `form_targets` (the session's success and cancel origins,
/// where the payer is redirected after posting).
pub fn content_security_policy<'a>(
    style: &str,
    form_targets: impl IntoIterator<Item = &'a Origin>,
) -> String {
    let style_hash = STANDARD.encode(Sha256::digest(style.as_bytes()));
    let mut targets: Vec<&str> = form_targets.into_iter().map(AsRef::as_ref).collect();
    targets.sort_unstable();
    targets.dedup();
    let mut form_action = String::from("'self'");
    for target in targets {
        form_action.push(' ');
        form_action.push_str(target);
    }
    format!(
        "default-src 'none'; style-src 'sha256-{style_hash}'; img-src data:; \
         form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use checkout_domain::values::HttpUrl;

    #[test]
    fn form_action_lists_each_origin_once_after_self() {
        let origin = |text| HttpUrl::parse(text).ok().and_then(|u| u.origin());
        let targets: Vec<Origin> = [
            origin("https://shop.example/ok"),
            origin("https://shop.example/cancel"),
            origin("http://127.0.0.1:4000/x"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let policy = content_security_policy("p{}", &targets);
        assert!(
            policy.contains(
                "; form-action 'self' http://127.0.0.1:4000 https://shop.example; frame-ancestors 'none';"
            ),
            "{policy}"
        );
    }
}
