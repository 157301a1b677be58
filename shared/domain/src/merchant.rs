//! Merchants and their API keys.

use serde::{Deserialize, Serialize};

use crate::ids::{MerchantId, PlatformId};
use crate::money::{Amount, FeeSchedule};
use crate::signing_secret::{RetiringSecret, TooManySecrets, retire, signing, still_signing};
use crate::timestamp::Timestamp;
use crate::values::{HttpUrl, Locale};

/// A merchant account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Merchant {
    /// `mer_…`.
    pub id: MerchantId,
    /// Legal or account name.
    pub name: String,
    /// Name shown to payers on the checkout page.
    pub display_name: String,
    /// Brand colour of the checkout page, `#RRGGBB`.
    pub brand_color: Option<String>,
    /// Deactivated merchants cannot authenticate.
    pub active: bool,
    /// Default `successUrl`.
    pub success_url: Option<HttpUrl>,
    /// Default `cancelUrl`.
    pub cancel_url: Option<HttpUrl>,
    /// Default webhook target.
    pub webhook_url: Option<HttpUrl>,
    /// The hosted page's language unless a session names one (`auto`: the payer's browser).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Locale>,
    /// The merchant's terms of service, linked where the page asks for consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_url: Option<HttpUrl>,
    /// `whsec_…` secret the session's own `webhookUrl` deliveries are signed with.
    pub webhook_secret: String,
    /// Secrets the account's rotations replaced, each still signing until its overlap ends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retiring_webhook_secrets: Vec<RetiringSecret>,
    /// A limit below the currency maximum, in the session currency's major units.
    pub max_amount: Option<Amount>,
    /// What we charge.
    pub fees: FeeSchedule,
    /// Requests per second this merchant may send (default [`DEFAULT_RATE_LIMIT`]).
    #[serde(default)]
    pub rate_limit: Option<u32>,
    /// How many shards each key gathering this merchant's items is spread over (its sessions'
    /// list entries, its events): [`key_shards_for`] its rate limit, never lowered, since items
    /// stay in the shard they were written to. Merchants stored before shards read as one.
    #[serde(default = "one_shard")]
    pub key_shards: u32,
    /// The platform the merchant is under, whose keys may act for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_id: Option<PlatformId>,
    /// Creation instant.
    pub created_at: Timestamp,
    /// Moved on when every dashboard session must end (deactivation, an operator's word): a
    /// session opened under another value is refused, even after the merchant is reactivated.
    #[serde(default)]
    pub dashboard_epoch: u32,
    /// How many of its keys were ever revoked: a session opened with a one-time link, which no
    /// key holds up, ends at the next revocation.
    #[serde(default)]
    pub key_revocations: u32,
}

impl Merchant {
    /// The secrets a delivery to a session's own URL is signed with at `now`: the account's,
    /// and every one a rotation replaced whose overlap lasts.
    pub fn webhook_signing_secrets(&self, now: Timestamp) -> Vec<&str> {
        signing(&self.webhook_secret, &self.retiring_webhook_secrets, now)
    }

    /// When the last replaced account secret still signing at `now` stops, if one is.
    pub fn webhook_rotation_ends_at(&self, now: Timestamp) -> Option<Timestamp> {
        still_signing(&self.retiring_webhook_secrets, now)
            .iter()
            .map(|r| r.expires_at)
            .max()
    }

    /// Replaces the account's webhook secret as an endpoint's is replaced
    /// (`WebhookEndpoint::rotate_secret`): the old one signs for `overlap` beside it.
    pub fn rotate_webhook_secret(
        &mut self,
        overlap: time::Duration,
        now: Timestamp,
    ) -> Result<(), TooManySecrets> {
        let live = still_signing(&self.retiring_webhook_secrets, now);
        self.retiring_webhook_secrets = retire(live, &self.webhook_secret, overlap, now)?;
        self.webhook_secret = new_webhook_secret();
        Ok(())
    }
}

/// A change to a merchant's own settings (SPEC §18): each field the change names, `Some(None)`
/// where it goes back to its default. Only what it names is written, so two changes made one
/// after the other from stale copies of the merchant both stay.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountPatch {
    /// New display name (it has no default to go back to).
    pub display_name: Option<String>,
    /// New brand colour, `#RRGGBB` (checked by [`is_brand_color`] at the edge).
    pub brand_color: Option<Option<String>>,
    /// New default `successUrl`.
    pub success_url: Option<Option<HttpUrl>>,
    /// New default `cancelUrl`.
    pub cancel_url: Option<Option<HttpUrl>>,
    /// New terms URL.
    pub terms_url: Option<Option<HttpUrl>>,
    /// New page language.
    pub locale: Option<Option<Locale>>,
}

impl AccountPatch {
    /// Whether the patch names no field.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `merchant` with the patch applied.
    pub fn apply(&self, merchant: &Merchant) -> Merchant {
        let mut updated = merchant.clone();
        if let Some(name) = &self.display_name {
            updated.display_name.clone_from(name);
        }
        if let Some(color) = &self.brand_color {
            updated.brand_color.clone_from(color);
        }
        for (change, slot) in [
            (&self.success_url, &mut updated.success_url),
            (&self.cancel_url, &mut updated.cancel_url),
            (&self.terms_url, &mut updated.terms_url),
        ] {
            if let Some(url) = change {
                slot.clone_from(url);
            }
        }
        if let Some(locale) = self.locale {
            updated.locale = locale;
        }
        updated
    }
}

/// A platform (SPEC §18): an account whose keys act for the merchants under it, each request
/// naming the merchant it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Platform {
    /// `plt_…`.
    pub id: PlatformId,
    /// Its name.
    pub name: String,
    /// Creation instant.
    pub created_at: Timestamp,
}

fn one_shard() -> u32 {
    1
}

/// Requests per second one key shard of a merchant is sized for: a session's list entry is
/// written in its transaction, two write units for a typical session of under 1 KB, so 100 a
/// second take about 200 of the 500 (half of the 1,000 DynamoDB allows one partition key value)
/// each shard is kept under, with room for larger sessions (docs/scale.md).
pub const REQUESTS_PER_KEY_SHARD: u32 = 100;

/// The most key shards a merchant is given: a list page queries each of them.
pub const MAX_KEY_SHARDS: u32 = 64;

/// The key shards for a merchant allowed `rate_limit` requests per second.
pub fn key_shards_for(rate_limit: u32) -> u32 {
    rate_limit
        .div_ceil(REQUESTS_PER_KEY_SHARD)
        .clamp(1, MAX_KEY_SHARDS)
}

/// Which of `shards` shards the item with id `id` lives in: stable, and even over random ids.
pub fn shard_of(id: &str, shards: u32) -> u32 {
    id.bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % shards.max(1)
}

/// Requests per second one rate-limit window item takes: its updates stay far below DynamoDB's
/// per-key limit even when every request is counted on its own.
pub const REQUESTS_PER_WINDOW_SHARD: u32 = 200;

/// How many items one second's request count of a merchant allowed `limit` a second is spread
/// over, and how many requests each of them admits. Admitted requests stay at or under `limit`
/// plus one per extra shard: `shards × cap < limit + shards`.
pub fn rate_window_shards(limit: u32) -> (u32, u32) {
    let shards = limit.div_ceil(REQUESTS_PER_WINDOW_SHARD).max(1);
    (shards, limit.div_ceil(shards))
}

/// Whether `color` is a brand colour the checkout page can use: `#RRGGBB`.
pub fn is_brand_color(color: &str) -> bool {
    color
        .strip_prefix('#')
        .is_some_and(|hex| hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Requests per second a merchant may send unless set otherwise.
pub const DEFAULT_RATE_LIMIT: u32 = 25;

/// A fresh Standard Webhooks secret: `whsec_` and base64 of 32 random bytes.
pub fn new_webhook_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brand_colours_are_hash_and_six_hex_digits() {
        assert!(is_brand_color("#3b4cCA"));
        for bad in ["3b4cca", "#3b4cc", "#3b4ccaa", "#3b4ccg", "", "#"] {
            assert!(!is_brand_color(bad), "{bad}");
        }
    }

    #[test]
    fn shards_follow_the_rate_limit_and_spread_ids_evenly() {
        assert_eq!(key_shards_for(DEFAULT_RATE_LIMIT), 1);
        assert_eq!(key_shards_for(100), 1);
        assert_eq!(key_shards_for(101), 2);
        assert_eq!(key_shards_for(5_000), 50);
        assert_eq!(key_shards_for(1_000_000), MAX_KEY_SHARDS);
        let mut counts = [0u32; 50];
        for _ in 0..50_000 {
            let id = crate::ids::SessionId::generate();
            counts[shard_of(id.as_str(), 50) as usize] += 1;
        }
        assert!(
            counts.iter().all(|c| (800..1_200).contains(c)),
            "{counts:?}"
        );
        assert_eq!(shard_of("cs_anything", 1), 0);
    }

    #[test]
    fn window_shards_admit_at_most_one_more_per_extra_shard() {
        assert_eq!(rate_window_shards(25), (1, 25));
        assert_eq!(rate_window_shards(200), (1, 200));
        for limit in [1, 201, 999, 5_000, 12_345] {
            let (shards, cap) = rate_window_shards(limit);
            assert!(
                shards * cap >= limit && shards * cap < limit + shards,
                "{limit}"
            );
            assert!(cap <= REQUESTS_PER_WINDOW_SHARD, "{limit}");
        }
    }

    #[test]
    fn webhook_secrets_decode_to_32_bytes() {
        use base64::Engine;
        let secret = new_webhook_secret();
        let encoded = secret.strip_prefix("whsec_").expect("prefixed");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("base64");
        assert_eq!(bytes.len(), 32);
    }
}
