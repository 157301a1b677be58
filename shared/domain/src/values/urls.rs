use serde::{Deserialize, Serialize};
use url::{Host, Url};

use super::Invalid;

/// An absolute http(s) URL of at most 2,048 characters whose host is a DNS name or an IPv4
/// literal, kept exactly as the merchant wrote it so that a `{CHECKOUT_SESSION_ID}` placeholder
/// survives until the redirect.
///
/// The host rule is stricter than the URL standard, which lets `;`, `,`, quotes and more into a
/// host: the origin of a success or cancel URL goes into the payment page's Content-Security-Policy,
/// whose host grammar is letters, digits, `-` and `.` only (and has no IPv6 form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HttpUrl(String);

/// The origin of an [`HttpUrl`] (`https://shop.example:8443`), in a form that is a valid CSP
/// host-source whatever the URL was.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin(String);

/// Longest DNS name, in ASCII (after IDNA).
const MAX_HOST_LEN: usize = 253;
/// Longest DNS label.
const MAX_LABEL_LEN: usize = 63;

impl HttpUrl {
    /// Placeholder replaced by the session id when redirecting.
    pub const SESSION_ID_PLACEHOLDER: &'static str = "{CHECKOUT_SESSION_ID}";

    /// Accepts absolute `http` or `https` URLs whose host is a DNS name or an IPv4 literal.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if text.len() > 2048 {
            return Err(Invalid::new(
                "too_long",
                format!("URLs are limited to 2048 characters, got {}", text.len()),
            ));
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid::new(
                "invalid_url",
                "must not contain whitespace or control characters",
            ));
        }
        let url = Self::probe(text)
            .map_err(|e| Invalid::new("invalid_url", format!("not an absolute URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Invalid::new(
                "invalid_url",
                format!("must use http or https, not {}", url.scheme()),
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            // Every URL we keep is shown back (a webhook URL to read-only keys too), and a
            // redirect would hand them to the payer's browser.
            return Err(Invalid::new(
                "invalid_url",
                "must not carry a user name or password; authenticate webhooks by their signature",
            ));
        }
        match url.host() {
            Some(Host::Domain(name)) => check_dns_name(name)?,
            Some(Host::Ipv4(_)) => {}
            Some(Host::Ipv6(_)) => {
                return Err(Invalid::new(
                    "invalid_url",
                    "IPv6 literal hosts are not accepted (a Content-Security-Policy cannot name \
                     them); use a host name",
                ));
            }
            None => return Err(Invalid::new("invalid_url", "must have a host")),
        }
        Ok(Self(text.to_owned()))
    }

    /// The URL as the URL standard reads it, with the placeholder standing in for an id.
    fn probe(text: &str) -> Result<Url, url::ParseError> {
        Url::parse(&text.replace(Self::SESSION_ID_PLACEHOLDER, "cs_placeholder"))
    }

    /// Its origin: scheme, host (IDNA-encoded, lower case) and a non-default port.
    pub fn origin(&self) -> Option<Origin> {
        let url = Self::probe(&self.0).ok()?;
        let serialized = url.origin().ascii_serialization();
        // Parsing checked the host; this keeps the promise even for a value read from storage
        // that was written before that check existed.
        let safe = serialized
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'/'));
        (safe && serialized != "null").then_some(Origin(serialized))
    }
}

/// A DNS name: dot-separated labels of 1–63 letters, digits and inner hyphens, at most 253
/// characters in all; one trailing dot allowed.
fn check_dns_name(name: &str) -> Result<(), Invalid> {
    let invalid = |why: &str| Invalid::new("invalid_url", format!("the host {why}"));
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if trimmed.is_empty() || trimmed.len() > MAX_HOST_LEN {
        return Err(invalid("must be a DNS name of 1 to 253 characters"));
    }
    for label in trimmed.split('.') {
        if label.is_empty() || label.len() > MAX_LABEL_LEN {
            return Err(invalid(
                "has an empty label or one longer than 63 characters",
            ));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(invalid(
                "may contain only letters, digits, '-' and '.' (no ';', ',', quotes or spaces)",
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(invalid("has a label that starts or ends with '-'"));
        }
    }
    Ok(())
}

impl AsRef<str> for HttpUrl {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Origin {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_http_and_https_urls_with_the_placeholder_are_accepted() {
        let url = HttpUrl::parse("https://shop.example/thanks?session={CHECKOUT_SESSION_ID}")
            .expect("valid");
        assert!(url.as_ref().contains("{CHECKOUT_SESSION_ID}"));
        assert!(HttpUrl::parse("http://127.0.0.1:4000/hook").is_ok());
        assert!(HttpUrl::parse("https://xn--bcher-kva.example/").is_ok());
        assert!(HttpUrl::parse("https://bücher.example/;a,b'c?x=;").is_ok());
    }

    #[test]
    fn urls_carrying_credentials_are_rejected() {
        for bad in [
            "https://user:pass@hooks.example/in",
            "https://user@hooks.example/in",
            "https://:secret@hooks.example/in",
            "http://a%40b:c@127.0.0.1:4000/hook",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad} should be rejected");
        }
        assert!(HttpUrl::parse("https://hooks.example/in?user=a@b").is_ok());
    }

    #[test]
    fn relative_other_schemes_and_long_urls_are_rejected() {
        for bad in [
            "/thanks",
            "javascript:alert(1)",
            "ftp://shop.example/",
            "https://",
            "https://shop.example/a b",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad} should be rejected");
        }
        let long = format!("https://shop.example/{}", "a".repeat(2048));
        assert_eq!(HttpUrl::parse(&long).map_err(|e| e.code), Err("too_long"));
    }

    #[test]
    fn hosts_that_a_csp_source_cannot_hold_are_rejected() {
        for bad in [
            "https://a.example;frame-ancestors/",
            "https://a.example,b.example/",
            "https://a'b.example/",
            "https://a\"b.example/",
            "https://a*b.example/",
            "https://a_b.example/",
            "https://a$b.example/",
            "https://a!b.example/",
            "https://a(b).example/",
            "https://a%3Bb.example/",
            "https://a%20b.example/",
            "https://-a.example/",
            "https://a..example/",
            "https://[::1]/",
            "https://{CHECKOUT_SESSION_ID}.example/",
        ] {
            assert_eq!(
                HttpUrl::parse(bad).map_err(|e| e.code),
                Err("invalid_url"),
                "{bad} should be rejected"
            );
        }
        let label = "a".repeat(64);
        assert!(HttpUrl::parse(&format!("https://{label}.example/")).is_err());
    }

    #[test]
    fn the_longest_url_host_and_label_are_accepted() {
        let path = "a".repeat(2048 - "https://shop.example/".len());
        let longest = format!("https://shop.example/{path}");
        assert_eq!(longest.len(), 2048);
        assert!(HttpUrl::parse(&longest).is_ok(), "2048 characters");
        let label = |c: &str, n| c.repeat(n);
        let host = format!(
            "{}.{}.{}.{}",
            label("a", 63),
            label("b", 63),
            label("c", 63),
            label("d", 61)
        );
        assert_eq!(host.len(), 253);
        assert!(
            HttpUrl::parse(&format!("https://{host}/")).is_ok(),
            "a 253-character host"
        );
        let over = format!("{host}d");
        assert!(
            HttpUrl::parse(&format!("https://{over}/")).is_err(),
            "254 characters"
        );
        assert!(
            HttpUrl::parse(&format!("https://{}.example/", label("a", 63))).is_ok(),
            "a 63-character label"
        );
    }

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        let origin = |text: &str| {
            HttpUrl::parse(text)
                .expect("valid")
                .origin()
                .map(|o| o.as_ref().to_owned())
        };
        assert_eq!(
            origin("https://Shop.Example:8443/a;b?c={CHECKOUT_SESSION_ID}").as_deref(),
            Some("https://shop.example:8443")
        );
        assert_eq!(
            origin("http://bücher.example:80/").as_deref(),
            Some("http://xn--bcher-kva.example")
        );
    }

    #[test]
    fn a_stored_url_with_a_forbidden_host_yields_no_origin() {
        let stored: HttpUrl =
            serde_json::from_str("\"https://a.example;frame-ancestors/\"").expect("a string");
        assert_eq!(stored.origin(), None);
    }
}
