use serde::{Deserialize, Serialize};
use url::Url;

use super::Invalid;

/// An absolute http(s) URL of at most 2,048 characters, kept exactly as the merchant wrote it so
/// that a `{CHECKOUT_SESSION_ID}` placeholder survives until the redirect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HttpUrl(String);

impl HttpUrl {
    /// Placeholder replaced by the session id when redirecting.
    pub const SESSION_ID_PLACEHOLDER: &'static str = "{CHECKOUT_SESSION_ID}";

    /// Accepts absolute `http` or `https` URLs with a host.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if text.len() > 2048 {
            return Err(Invalid::new(
                "too_long",
                format!("URLs are limited to 2048 characters, got {}", text.len()),
            ));
        }
        let probe = text.replace(Self::SESSION_ID_PLACEHOLDER, "cs_placeholder");
        let url = Url::parse(&probe)
            .map_err(|e| Invalid::new("invalid_url", format!("not an absolute URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Invalid::new(
                "invalid_url",
                format!("must use http or https, not {}", url.scheme()),
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Invalid::new("invalid_url", "must have a host"));
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid::new(
                "invalid_url",
                "must not contain whitespace or control characters",
            ));
        }
        Ok(Self(text.to_owned()))
    }
}

impl AsRef<str> for HttpUrl {
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
}
