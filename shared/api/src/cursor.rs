//! Opaque, tamper-evident list cursors: the position plus an HMAC over it and the query it
//! belongs to, so a forged cursor or one reused with other filters is refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use checkout_domain::hashing::{constant_time_eq, hmac_sha256};
use checkout_domain::money::Invalid;
use checkout_store::PageKey;

use crate::json_fields::Violations;
use crate::secrets::SigningKey;

/// The position a cursor carries: the last item's sort key, which continues every key shard.
/// (Cursors made before shards also carried the item's table key; it is ignored.)
#[derive(Serialize, Deserialize)]
struct Position {
    at: String,
}

/// Encodes `key` for the query identified by `query` (merchant and filters).
pub fn encode(key: &PageKey, query: &str, secret: &[u8]) -> String {
    let position = Position {
        at: key.sort_key.clone(),
    };
    let payload = serde_json::to_vec(&position).unwrap_or_default();
    let tag = hmac_sha256(secret, &signed_bytes(&payload, query));
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// Decodes a cursor made by [`encode`] for the same `query` with one of `key`'s accepted keys
/// (a cursor handed out before a rotation still pages).
pub fn decode(cursor: &str, query: &str, key: &SigningKey) -> Result<PageKey, Invalid> {
    let invalid = || Invalid::new("invalid_cursor", "the cursor is not one this list returned");
    let (payload, tag) = cursor.split_once('.').ok_or_else(invalid)?;
    let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
    let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
    let signed = signed_bytes(&payload, query);
    if !key
        .accepted()
        .any(|secret| constant_time_eq(&tag, &hmac_sha256(secret, &signed)))
    {
        return Err(invalid());
    }
    let position: Position = serde_json::from_slice(&payload).map_err(|_| invalid())?;
    Ok(PageKey {
        sort_key: position.at,
    })
}

/// The position a list request's `cursor` parameter names, for the query `query`; a cursor that
/// is not one this list returned is recorded as a violation of `cursor`.
pub fn position(
    text: Option<&str>,
    query: &str,
    key: &SigningKey,
    v: &mut Violations,
) -> Option<PageKey> {
    decode(text?, query, key)
        .map_err(|invalid| v.push("cursor", invalid))
        .ok()
}

/// The cursor of the page after one that ended at `next`, if more follow.
pub fn after(next: Option<&PageKey>, query: &str, key: &SigningKey) -> Option<String> {
    next.map(|page| encode(page, query, key.current()))
}

fn signed_bytes(payload: &[u8], query: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(payload.len() + query.len() + 1);
    bytes.extend_from_slice(payload);
    bytes.push(0);
    bytes.extend_from_slice(query.as_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> SigningKey {
        SigningKey::new(&format!("{text:0>32}"))
    }

    fn key() -> PageKey {
        PageKey {
            sort_key: "2026-11-22T04:15:12.123Z#cs_abc".into(),
        }
    }

    #[test]
    fn a_cursor_round_trips_for_its_own_query() {
        let cursor = encode(&key(), "mer_1|status=pending", secret("secret").current());
        assert_eq!(
            decode(&cursor, "mer_1|status=pending", &secret("secret")),
            Ok(key())
        );
    }

    #[test]
    fn a_cursor_for_another_query_or_merchant_is_refused() {
        let cursor = encode(&key(), "mer_1|", secret("secret").current());
        assert!(decode(&cursor, "mer_2|", &secret("secret")).is_err());
        assert!(decode(&cursor, "mer_1|status=pending", &secret("secret")).is_err());
    }

    #[test]
    fn an_edited_cursor_is_refused() {
        let cursor = encode(&key(), "q", secret("secret").current());
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"at":"z"}"#);
        let tag = cursor.split_once('.').map(|(_, t)| t).unwrap_or_default();
        assert!(decode(&format!("{forged_payload}.{tag}"), "q", &secret("secret")).is_err());
        assert!(decode("garbage", "q", &secret("secret")).is_err());
        assert!(decode(&cursor, "q", &secret("other secret")).is_err());
    }

    #[test]
    fn a_cursor_of_the_previous_key_still_pages_after_a_rotation() {
        let cursor = encode(&key(), "q", secret("old").current());
        let rotated = SigningKey::rotated(&format!("{:0>32}", "new"), &format!("{:0>32}", "old"));
        assert_eq!(decode(&cursor, "q", &rotated), Ok(key()));
        assert!(decode(&cursor, "q", &secret("new")).is_err());
    }
}
