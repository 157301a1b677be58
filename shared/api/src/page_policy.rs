//! The Content-Security-Policy of the hosted pages, assembled from typed parts so that no value a
//! merchant supplied can end a directive or start another.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use checkout_domain::values::Origin;

/// The policy for a page whose only style is `style` and whose only script, if any, is `script`
/// (both inlined, allowed by their hashes), and whose forms may lead to `'self'` and to
/// `form_targets` (the session's success and cancel origins, where the payer is redirected after
/// posting).
pub fn content_security_policy<'a>(
    style: &str,
    script: Option<&str>,
    form_targets: impl IntoIterator<Item = &'a Origin>,
) -> String {
    let hash = |text: &str| STANDARD.encode(Sha256::digest(text.as_bytes()));
    let style_hash = hash(style);
    let script_src = script
        .map(|script| format!("script-src 'sha256-{}'; ", hash(script)))
        .unwrap_or_default();
    let mut targets: Vec<&str> = form_targets.into_iter().map(AsRef::as_ref).collect();
    targets.sort_unstable();
    targets.dedup();
    let mut form_action = String::from("'self'");
    for target in targets {
        form_action.push(' ');
        form_action.push_str(target);
    }
    format!(
        "default-src 'none'; {script_src}style-src 'sha256-{style_hash}'; img-src data:; \
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
        let policy = content_security_policy("p{}", None, &targets);
        assert!(!policy.contains("script-src"), "no script, none allowed");
        let scripted = content_security_policy("p{}", Some("go()"), &targets);
        assert!(
            scripted.starts_with("default-src 'none'; script-src 'sha256-"),
            "{scripted}"
        );
        assert!(
            policy.contains(
                "; form-action 'self' http://127.0.0.1:4000 https://shop.example; frame-ancestors 'none';"
            ),
            "{policy}"
        );
    }
}
