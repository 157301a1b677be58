//! Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by
//! the bytes the `whsec_` secret encodes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use checkout_domain::hashing::{constant_time_eq, hmac_sha256};

/// Why a signature could not be made or did not match.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The secret is not `whsec_` + base64.
    #[error("the webhook secret is not whsec_ followed by base64")]
    MalformedSecret,
    /// No `v1` signature in the header matches.
    #[error("no signature matches")]
    Mismatch,
}

fn key(secret: &str) -> Result<Vec<u8>, SignatureError> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    STANDARD
        .decode(encoded)
        .map_err(|_| SignatureError::MalformedSecret)
}

/// The `webhook-signature` header value for a message.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, SignatureError> {
    let tag = hmac_sha256(&key(secret)?, format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", STANDARD.encode(tag)))
}

/// The `webhook-signature` header of a message signed with each of `secrets`, space-separated
/// as Standard Webhooks allows while a secret is being rotated.
pub fn sign_all(
    secrets: &[&str],
    id: &str,
    timestamp: i64,
    body: &str,
) -> Result<String, SignatureError> {
    let signatures = secrets
        .iter()
        .map(|secret| sign(secret, id, timestamp, body))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(signatures.join(" "))
}

/// Checks a `webhook-signature` header (space-separated `v1,<sig>` entries) in constant time.
pub fn verify(
    secret: &str,
    id: &str,
    timestamp: i64,
    body: &str,
    header: &str,
) -> Result<(), SignatureError> {
    let expected = sign(secret, id, timestamp, body)?;
    header
        .split(' ')
        .any(|candidate| constant_time_eq(candidate.as_bytes(), expected.as_bytes()))
        .then_some(())
        .ok_or(SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks specification.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1614265330;
    const BODY: &str = r#"{"test": 2432232314}"#;

    #[test]
    fn signs_the_specification_example() {
        assert_eq!(
            sign(SECRET, ID, TIMESTAMP, BODY),
            Ok("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".to_owned())
        );
    }

    #[test]
    fn verifies_any_matching_entry_and_refuses_a_changed_body() {
        let header = format!(
            "v1,bm90IHRoaXMgb25l {}",
            sign(SECRET, ID, TIMESTAMP, BODY).expect("signed")
        );
        assert_eq!(verify(SECRET, ID, TIMESTAMP, BODY, &header), Ok(()));
        assert_eq!(
            verify(SECRET, ID, TIMESTAMP, r#"{"test": 2432232315}"#, &header),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            sign("whsec_***", ID, TIMESTAMP, BODY),
            Err(SignatureError::MalformedSecret)
        );
    }
}
