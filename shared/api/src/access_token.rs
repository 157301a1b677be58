//! Short-lived access tokens (`POST /v1/auth/token`): HS256 JWTs naming the merchant and the API
//! key that issued them, so that revoking the key or deactivating the merchant stops them too.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, AuthFailure};
use crate::secrets::SigningKey;
use checkout_domain::ids::{MerchantId, random_alphanumeric};
use checkout_domain::timestamp::Timestamp;

/// How long a token is valid.
pub const TOKEN_LIFETIME: time::Duration = time::Duration::hours(1);

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// The merchant.
    pub sub: MerchantId,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// A unique id.
    pub jti: String,
    /// SHA-256 of the API key that issued the token.
    pub key: String,
}

/// A token as handed to the merchant.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedToken {
    /// The JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// Issues a token for `merchant_id` on behalf of the key whose hash is `key_hash`.
pub fn issue(
    secret: &[u8],
    merchant_id: &MerchantId,
    key_hash: &str,
    now: Timestamp,
) -> Result<IssuedToken, ApiError> {
    let claims = TokenClaims {
        sub: merchant_id.clone(),
        iat: now.unix_seconds(),
        exp: now.plus(TOKEN_LIFETIME).unix_seconds(),
        jti: random_alphanumeric(20),
        key: key_hash.to_owned(),
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|e| ApiError::Internal(format!("token signing: {e}")))?;
    Ok(IssuedToken {
        access_token: token,
        token_type: "Bearer",
        expires_in: TOKEN_LIFETIME.whole_seconds(),
    })
}

/// The claims of a token signed with `secret` (HS256 only, so `alg: none` and other algorithms
/// are refused) that has not expired at `now`.
pub fn verify(key: &SigningKey, token: &str, now: Timestamp) -> Result<TokenClaims, ApiError> {
    let mut validation = Validation::new(Algorithm::HS256);
    // Expiry is judged against the injectable clock below, not the system's.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    // A token signed before the key's rotation stays good for the rest of its hour.
    let data = key
        .accepted()
        .find_map(|secret| {
            jsonwebtoken::decode::<TokenClaims>(
                token,
                &DecodingKey::from_secret(secret),
                &validation,
            )
            .ok()
        })
        .ok_or(ApiError::Unauthenticated(AuthFailure::ExpiredToken))?;
    if data.claims.exp <= now.unix_seconds() {
        return Err(ApiError::Unauthenticated(AuthFailure::ExpiredToken));
    }
    Ok(data.claims)
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn key(secret: &str) -> SigningKey {
        SigningKey::new(&format!("{secret:0>32}"))
    }

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2026-11-22T05:00:00Z").expect("valid")
    }

    #[test]
    fn a_token_verifies_until_it_expires() {
        let issued = issue(
            key("secret").current(),
            &MerchantId::from_stored("mer_1"),
            "abc",
            now(),
        )
        .expect("issued");
        assert_eq!(issued.expires_in, 3600);
        let claims = verify(&key("secret"), &issued.access_token, now()).expect("valid");
        assert_eq!((claims.sub.as_str(), claims.key.as_str()), ("mer_1", "abc"));
        let later = now().plus(time::Duration::seconds(3599));
        assert!(verify(&key("secret"), &issued.access_token, later).is_ok());
        assert!(
            verify(
                &key("secret"),
                &issued.access_token,
                later.plus(time::Duration::seconds(1))
            )
            .is_err()
        );
    }

    #[test]
    fn tampered_foreign_and_unsigned_tokens_are_refused() {
        let token = issue(
            key("secret").current(),
            &MerchantId::from_stored("mer_1"),
            "abc",
            now(),
        )
        .expect("issued")
        .access_token;
        assert!(verify(&key("other secret"), &token, now()).is_err());
        let mut flipped = token.clone().into_bytes();
        let middle = flipped.len() / 2;
        flipped[middle] = if flipped[middle] == b'A' { b'B' } else { b'A' };
        assert!(
            verify(
                &key("secret"),
                &String::from_utf8(flipped).expect("ascii"),
                now()
            )
            .is_err()
        );
        let payload = token.split('.').nth(1).expect("a payload");
        let unsigned = format!(
            "{}.{payload}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#)
        );
        assert!(verify(&key("secret"), &unsigned, now()).is_err());
    }

    #[test]
    fn a_token_of_the_previous_key_verifies_until_the_key_is_gone() {
        let token = issue(
            key("old").current(),
            &MerchantId::from_stored("mer_1"),
            "abc",
            now(),
        )
        .expect("issued")
        .access_token;
        let rotated = SigningKey::rotated(&format!("{:0>32}", "new"), &format!("{:0>32}", "old"));
        assert!(verify(&rotated, &token, now()).is_ok());
        assert!(verify(&key("new"), &token, now()).is_err());
    }
}
