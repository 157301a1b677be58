//! Who is calling: a merchant API key (`Authorization: Bearer sk_test_…`), looked up by its
//! SHA-256 hash and compared in constant time.

use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::App;
use crate::error::{ApiError, AuthFailure};
use crate::hashing::constant_time_eq;
use crate::merchant::{Merchant, TEST_KEY_PREFIX, hash_api_key};

/// The active merchant whose valid, unrevoked key is in `headers`.
pub async fn authenticate(app: &App, headers: &HeaderMap) -> Result<Merchant, ApiError> {
    let fail = |failure| Err(ApiError::Unauthenticated(failure));
    let Some(token) = bearer_token(headers) else {
        return fail(AuthFailure::MissingApiKey);
    };
    if !token.starts_with(TEST_KEY_PREFIX) {
        return fail(AuthFailure::InvalidApiKey);
    }
    let hash = hash_api_key(token);
    let Some(record) = app.store.get_api_key(&hash).await? else {
        return fail(AuthFailure::InvalidApiKey);
    };
    if !constant_time_eq(record.key_hash.as_bytes(), hash.as_bytes()) {
        return fail(AuthFailure::InvalidApiKey);
    }
    if record.revoked {
        return fail(AuthFailure::RevokedApiKey);
    }
    let Some(merchant) = app.store.get_merchant(&record.merchant_id).await? else {
        return fail(AuthFailure::InvalidApiKey);
    };
    if !merchant.active {
        return fail(AuthFailure::MerchantInactive);
    }
    Ok(merchant)
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(value).expect("valid header"),
        );
        headers
    }

    #[test]
    fn bearer_tokens_are_found_whatever_the_scheme_case() {
        assert_eq!(
            bearer_token(&headers("Bearer sk_test_x")),
            Some("sk_test_x")
        );
        assert_eq!(
            bearer_token(&headers("bearer  sk_test_x ")),
            Some("sk_test_x")
        );
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_missing_keys() {
        assert_eq!(bearer_token(&headers("Basic abc")), None);
        assert_eq!(bearer_token(&headers("Bearer ")), None);
        assert_eq!(bearer_token(&headers("sk_test_x")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
