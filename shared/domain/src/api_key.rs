//! Merchants' API keys: stored as SHA-256 hashes only, each with a scope, and rolled by giving the
//! old key an expiry while the new one takes over.

use serde::{Deserialize, Serialize};

use crate::ids::{ApiKeyId, MerchantId, PlatformId, random_alphanumeric};
use crate::money::Invalid;
use crate::stage::Stage;
use crate::timestamp::Timestamp;

/// What a key may do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyScope {
    /// Everything the API offers the merchant.
    #[default]
    Full,
    /// `GET` only; every other request is a 403 `insufficient_scope`.
    ReadOnly,
}

/// Where a key stands, as the API and the dashboard show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum KeyStatus {
    /// Works, with no end set.
    Active,
    /// Works until its `expiresAt` (a rolled key).
    Expiring,
    /// Past its `expiresAt`.
    Expired,
    /// Revoked: never works again.
    Revoked,
}

impl KeyStatus {
    /// The status's name, as the API spells it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl KeyScope {
    /// Parses `full` or `read_only`.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        match text {
            "full" => Ok(Self::Full),
            "read_only" => Ok(Self::ReadOnly),
            other => Err(Invalid::new(
                "invalid_scope",
                format!("must be \"full\" or \"read_only\", got {other:?}"),
            )),
        }
    }
}

/// A stored API key: only its SHA-256 hash, never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyRecord {
    /// Lower-case hex SHA-256 of the key.
    pub key_hash: String,
    /// The first characters of the key, to recognise it in listings.
    pub key_prefix: String,
    /// The key's last four characters (keys made before they were kept have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last4: Option<String>,
    /// The merchant's name for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What it may do (keys made before scopes are full).
    #[serde(default)]
    pub scope: KeyScope,
    /// The key's merchant; none for a platform's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_id: Option<MerchantId>,
    /// The platform whose key this is, acting for one of its merchants per request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_id: Option<PlatformId>,
    /// Revoked keys never authenticate again.
    pub revoked: bool,
    /// When a rolled key stops working.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// When it last authenticated a request, to the minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<Timestamp>,
    /// Creation instant.
    pub created_at: Timestamp,
}

/// How stale `lastUsedAt` may be before a request writes it again: one write per key per
/// minute at most, whatever the traffic.
pub const LAST_USED_RESOLUTION: time::Duration = time::Duration::minutes(1);

/// The longest a rolled key keeps working.
pub const MAX_ROLL_OVERLAP: time::Duration = time::Duration::days(7);

impl ApiKeyRecord {
    /// The key's public id, `key_` and the first 24 hex digits of its hash: stable, and the
    /// same for keys made before ids existed.
    pub fn id(&self) -> ApiKeyId {
        ApiKeyId::of_hash(&self.key_hash)
    }

    /// Whether the key authenticates at `now`: not revoked and not past a roll's expiry.
    pub fn is_usable_at(&self, now: Timestamp) -> bool {
        !self.revoked && self.expires_at.is_none_or(|at| at > now)
    }

    /// Where the key stands at `now`.
    pub fn status_at(&self, now: Timestamp) -> KeyStatus {
        if self.revoked {
            KeyStatus::Revoked
        } else if !self.is_usable_at(now) {
            KeyStatus::Expired
        } else if self.expires_at.is_some() {
            KeyStatus::Expiring
        } else {
            KeyStatus::Active
        }
    }

    /// Whether the key is full and neither revoked nor set to expire: one of the keys a
    /// merchant must always keep at least one of.
    pub fn is_standing_full_key(&self) -> bool {
        self.scope == KeyScope::Full && !self.revoked && self.expires_at.is_none()
    }

    /// Whether its `lastUsedAt` is due a write at `now`.
    pub fn last_use_is_stale_at(&self, now: Timestamp) -> bool {
        self.last_used_at
            .is_none_or(|at| now.since(at) >= LAST_USED_RESOLUTION)
    }
}

/// A newly created key: the plaintext, shown once, and what is stored.
#[derive(Debug)]
pub struct NewApiKey {
    /// `sk_test_…` or `sk_live_…`, to hand to the merchant and forget.
    pub plaintext: String,
    /// What the table keeps.
    pub record: ApiKeyRecord,
}

/// Lower-case hex SHA-256 of an API key, its lookup key in the table.
pub fn hash_api_key(plaintext: &str) -> String {
    crate::hashing::sha256_hex(plaintext.as_bytes())
}

impl NewApiKey {
    /// A fresh random full key of `stage` for `merchant_id` (190 random bits).
    pub fn generate(stage: Stage, merchant_id: &MerchantId, now: Timestamp) -> Self {
        Self::with(stage, merchant_id, None, KeyScope::Full, now)
    }

    /// A fresh random full key of `stage` for platform `platform_id`.
    pub fn for_platform(stage: Stage, platform_id: &PlatformId, now: Timestamp) -> Self {
        let mut key = Self::random(stage, None, KeyScope::Full, now);
        key.record.platform_id = Some(platform_id.clone());
        key
    }

    /// A fresh random key of `stage` for `merchant_id` named `name` with `scope`.
    pub fn with(
        stage: Stage,
        merchant_id: &MerchantId,
        name: Option<String>,
        scope: KeyScope,
        now: Timestamp,
    ) -> Self {
        let mut key = Self::random(stage, name, scope, now);
        key.record.merchant_id = Some(merchant_id.clone());
        key
    }

    fn random(stage: Stage, name: Option<String>, scope: KeyScope, now: Timestamp) -> Self {
        let prefix = stage.key_prefix();
        let plaintext = format!("{prefix}{}", random_alphanumeric(32));
        let record = ApiKeyRecord {
            key_hash: hash_api_key(&plaintext),
            key_prefix: plaintext.chars().take(prefix.len() + 4).collect(),
            last4: Some(plaintext[plaintext.len() - 4..].to_owned()),
            name,
            scope,
            merchant_id: None,
            platform_id: None,
            revoked: false,
            expires_at: None,
            last_used_at: None,
            created_at: now,
        };
        Self { plaintext, record }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stored_as_hashes_only() {
        let key = NewApiKey::generate(
            Stage::Test,
            &MerchantId::from_stored("mer_1"),
            Timestamp::now(),
        );
        assert!(key.plaintext.starts_with("sk_test_"));
        assert_eq!(key.record.key_hash, hash_api_key(&key.plaintext));
        let stored = serde_json::to_string(&key.record).expect("serializable");
        assert!(!stored.contains(&key.plaintext));
        assert!(
            key.plaintext
                .ends_with(key.record.last4.as_deref().unwrap_or("-"))
        );
        assert_eq!(key.record.id().as_str().len(), 4 + 24);
        let live = NewApiKey::generate(
            Stage::Live,
            &MerchantId::from_stored("mer_1"),
            Timestamp::now(),
        );
        assert!(live.plaintext.starts_with("sk_live_"));
        assert_eq!(live.record.key_prefix, live.plaintext[..12]);
    }

    #[test]
    fn a_rolled_key_works_until_its_expiry_and_stands_no_more() {
        let now = Timestamp::now();
        let mut record =
            NewApiKey::generate(Stage::Test, &MerchantId::from_stored("mer_1"), now).record;
        assert!(record.is_standing_full_key() && record.is_usable_at(now));
        record.expires_at = Some(now.plus(time::Duration::hours(1)));
        assert!(!record.is_standing_full_key());
        assert!(record.is_usable_at(now));
        assert!(!record.is_usable_at(now.plus(time::Duration::hours(1))));
    }

    #[test]
    fn last_use_is_written_at_most_once_a_minute() {
        let now = Timestamp::now();
        let mut record =
            NewApiKey::generate(Stage::Test, &MerchantId::from_stored("mer_1"), now).record;
        assert!(record.last_use_is_stale_at(now));
        record.last_used_at = Some(now);
        assert!(!record.last_use_is_stale_at(now.plus(time::Duration::seconds(59))));
        assert!(record.last_use_is_stale_at(now.plus(time::Duration::seconds(60))));
    }
}
