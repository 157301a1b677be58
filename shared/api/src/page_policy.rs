//! The Content-Security-Policy of the hosted pages, assembled from typed parts so that no value a
//! merchant supplied can end a directive or start another.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lambda_http::http::StatusCode;
use lambda_http::http::header::HeaderValue;
use lambda_http::{Body, Response};
use sha2::{Digest, Sha256};

use checkout_domain::values::Origin;

/// The base64 SHA-256 of an inline style or script, as a CSP source names it.
pub fn source_hash(text: &str) -> String {
    STANDARD.encode(Sha256::digest(text.as_bytes()))
}

/// An HTML page with `status`, `body` and the policy `csp`, and the headers every page sends:
/// no sniffing, no referrer, no caching, no framing.
pub fn html_page(status: StatusCode, body: String, csp: &str) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(csp) {
        headers.insert("content-security-policy", value);
    }
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    response
}

/// The policy for a page whose only style is `style` and whose only script, if any, is `script`
/// (both inlined, allowed by their hashes), and whose forms may lead to `'self'` and to
/// `form_targets` (the session's success and cancel origins, where the payer is redirected after
/// posting).
pub fn content_security_policy<'a>(
    style: &str,
    script: Option<&str>,
    form_targets: impl IntoIterator<Item = &'a Origin>,
) -> String {
    let mut targets: Vec<&str> = form_targets.into_iter().map(AsRef::as_ref).collect();
    targets.sort_unstable();
    targets.dedup();
    let mut form_action = String::from("'self'");
    for target in targets {
        form_action.push(' ');
        form_action.push_str(target);
    }
    policy(style, script, &form_action, "'none'")
}

/// The policy of a page shown as a preview inside our own pages (the dashboard's settings): the
/// same inline style and script, framed by `'self'` only, and no form of it posts anywhere.
pub fn preview_security_policy(style: &str, script: Option<&str>) -> String {
    policy(style, script, "'none'", "'self'")
}

fn policy(style: &str, script: Option<&str>, form_action: &str, frame_ancestors: &str) -> String {
    let style_hash = source_hash(style);
    let script_src = script
        .map(|script| format!("script-src 'sha256-{}'; ", source_hash(script)))
        .unwrap_or_default();
    format!(
        "default-src 'none'; {script_src}style-src 'sha256-{style_hash}'; img-src data:; \
         form-action {form_action}; frame-ancestors {frame_ancestors}; base-uri 'none'"
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
