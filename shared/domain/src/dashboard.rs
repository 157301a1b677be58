//! Signing in to the merchant dashboard (SPEC §19): the session a signed-in merchant holds, the
//! cookie that names it, the anti-forgery tokens of its forms, and the one-time sign-in link an
//! operator hands out. The cookie carries a random token, never an API key; the table keeps only
//! the token's SHA-256, so a read of the table does not yield a cookie.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::api_key::KeyScope;
use crate::hashing::{constant_time_eq, hmac_sha256, sha256_hex};
use crate::ids::MerchantId;
use crate::merchant::Merchant;
use crate::timestamp::Timestamp;

/// How long a dashboard session lasts from sign-in.
pub const SESSION_LIFETIME: time::Duration = time::Duration::hours(8);

/// How long a one-time sign-in link can be opened.
pub const LINK_LIFETIME: time::Duration = time::Duration::minutes(15);

/// A signed-in merchant's dashboard session, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardSession {
    /// SHA-256 of the cookie's token.
    pub token_hash: String,
    /// Whose dashboard it is.
    pub merchant_id: MerchantId,
    /// What it may do: the scope of the key it was opened with (a link gives full).
    pub scope: KeyScope,
    /// The key it was opened with: revoking that key ends the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_hash: Option<String>,
    /// Sign-in instant.
    pub created_at: Timestamp,
    /// When it ends, whatever happens before.
    pub expires_at: Timestamp,
    /// The merchant's dashboard epoch at sign-in ([`DashboardSession::stands_for`]).
    #[serde(default)]
    pub epoch: u32,
    /// For a session a one-time link opened: the merchant's key revocations at sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_revocations: Option<u32>,
}

impl DashboardSession {
    /// A session for `cookie` of `merchant`, opened now with `scope`.
    pub fn open(
        cookie: &SessionCookie,
        merchant: &Merchant,
        scope: KeyScope,
        now: Timestamp,
    ) -> Self {
        Self {
            token_hash: cookie.token_hash(),
            merchant_id: cookie.merchant_id.clone(),
            scope,
            key_hash: cookie.key_hash.clone(),
            created_at: now,
            expires_at: now.plus(SESSION_LIFETIME),
            epoch: merchant.dashboard_epoch,
            key_revocations: cookie
                .key_hash
                .is_none()
                .then_some(merchant.key_revocations),
        }
    }

    /// Whether the session still stands for `merchant` as it is now: opened under its current
    /// dashboard epoch and, when a one-time link opened it, with no key revoked since.
    pub fn stands_for(&self, merchant: &Merchant) -> bool {
        self.epoch == merchant.dashboard_epoch
            && self
                .key_revocations
                .is_none_or(|seen| seen == merchant.key_revocations)
    }

    /// Whether the session still stands at `now` for the cookie that names it.
    pub fn admits(&self, cookie: &SessionCookie, now: Timestamp) -> bool {
        now < self.expires_at
            && self.merchant_id == cookie.merchant_id
            && self.key_hash == cookie.key_hash
            && constant_time_eq(self.token_hash.as_bytes(), cookie.token_hash().as_bytes())
    }
}

/// What the dashboard's cookie names: a merchant, a random token and the key signed in with,
/// signed by the deployment so that a forged cookie is refused before any read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCookie {
    /// Whose session it is.
    pub merchant_id: MerchantId,
    token: String,
    /// SHA-256 of the API key it was opened with; none for a one-time link.
    pub key_hash: Option<String>,
}

impl SessionCookie {
    /// A fresh cookie for `merchant_id`, signed in with the key whose hash is `key_hash`.
    pub fn generate(merchant_id: MerchantId, key_hash: Option<String>) -> Self {
        Self {
            merchant_id,
            token: random_token(),
            key_hash,
        }
    }

    /// SHA-256 of the token: the stored session's key.
    pub fn token_hash(&self) -> String {
        sha256_hex(self.token.as_bytes())
    }

    /// The cookie value: its parts and their HMAC under `secret`.
    pub fn encode(&self, secret: &[u8]) -> String {
        let body = self.body();
        let tag = URL_SAFE_NO_PAD.encode(hmac_sha256(secret, body.as_bytes()));
        format!("{body}.{tag}")
    }

    /// The cookie a value names, if this deployment signed it.
    pub fn decode(value: &str, secret: &[u8]) -> Option<Self> {
        let (body, tag) = value.rsplit_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        if !constant_time_eq(&tag, &hmac_sha256(secret, body.as_bytes())) {
            return None;
        }
        let mut parts = body.split('.');
        let (merchant, token, key) = (parts.next()?, parts.next()?, parts.next()?);
        Some(Self {
            merchant_id: MerchantId::parse(merchant).ok()?,
            token: token.to_owned(),
            key_hash: (key != "-").then(|| key.to_owned()),
        })
    }

    /// The anti-forgery token of this session's forms.
    pub fn csrf_token(&self, secret: &[u8]) -> String {
        form_token(secret, "session", &self.token)
    }

    /// Whether `given` is this session's anti-forgery token.
    pub fn csrf_matches(&self, secret: &[u8], given: &str) -> bool {
        constant_time_eq(given.as_bytes(), self.csrf_token(secret).as_bytes())
    }

    fn body(&self) -> String {
        format!(
            "{}.{}.{}",
            self.merchant_id,
            self.token,
            self.key_hash.as_deref().unwrap_or("-")
        )
    }
}

/// The anti-forgery token of the sign-in forms, bound to the random value of a short-lived
/// cookie set with the form (double submit: a page of another site can set neither).
pub fn sign_in_token(secret: &[u8], nonce: &str) -> String {
    form_token(secret, "sign-in", nonce)
}

/// Whether `given` is the sign-in token for `nonce`.
pub fn sign_in_token_matches(secret: &[u8], nonce: &str, given: &str) -> bool {
    !nonce.is_empty() && constant_time_eq(given.as_bytes(), sign_in_token(secret, nonce).as_bytes())
}

/// A random value for the sign-in cookie.
pub fn new_nonce() -> String {
    random_token()
}

fn form_token(secret: &[u8], purpose: &str, value: &str) -> String {
    URL_SAFE_NO_PAD.encode(hmac_sha256(secret, format!("{purpose}|{value}").as_bytes()))
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A one-time sign-in link to a merchant's dashboard, as stored (by its token's hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInLink {
    /// SHA-256 of the link's token.
    pub token_hash: String,
    /// Whose dashboard it opens.
    pub merchant_id: MerchantId,
    /// Creation instant.
    pub created_at: Timestamp,
    /// After this it opens nothing.
    pub expires_at: Timestamp,
}

impl SignInLink {
    /// A new link for `merchant_id` and its token (shown once, never stored).
    pub fn generate(merchant_id: MerchantId, now: Timestamp) -> (Self, String) {
        let token = format!("dl_{}", random_token());
        let link = Self {
            token_hash: sha256_hex(token.as_bytes()),
            merchant_id,
            created_at: now,
            expires_at: now.plus(LINK_LIFETIME),
        };
        (link, token)
    }

    /// SHA-256 of a link token as given.
    pub fn hash_of(token: &str) -> String {
        sha256_hex(token.as_bytes())
    }

    /// Whether the link still opens a session at `now`.
    pub fn is_open_at(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test secret";

    fn cookie(key: Option<&str>) -> SessionCookie {
        SessionCookie::generate(MerchantId::generate(), key.map(str::to_owned))
    }

    fn merchant(id: &MerchantId) -> Merchant {
        Merchant {
            id: id.clone(),
            name: "Shop".into(),
            display_name: "Shop".into(),
            brand_color: None,
            active: true,
            success_url: None,
            cancel_url: None,
            webhook_url: None,
            locale: None,
            terms_url: None,
            webhook_secret: String::new(),
            retiring_webhook_secrets: Vec::new(),
            max_amount: None,
            fees: crate::money::FeeSchedule::default(),
            rate_limit: None,
            key_shards: 1,
            platform_id: None,
            created_at: Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").expect("instant"),
            dashboard_epoch: 0,
            key_revocations: 0,
        }
    }

    #[test]
    fn sessions_end_with_a_new_epoch_and_link_sessions_with_a_revocation() {
        let now = Timestamp::parse_rfc3339("2026-12-01T00:00:00Z").expect("instant");
        let (with_key, with_link) = (cookie(Some("ab12")), cookie(None));
        let mut shop = merchant(&with_key.merchant_id);
        let by_key = DashboardSession::open(&with_key, &shop, KeyScope::Full, now);
        let by_link = DashboardSession::open(&with_link, &shop, KeyScope::Full, now);
        assert!(by_key.stands_for(&shop) && by_link.stands_for(&shop));
        shop.key_revocations += 1;
        assert!(by_key.stands_for(&shop), "its own key holds it up");
        assert!(!by_link.stands_for(&shop));
        let after = DashboardSession::open(&with_link, &shop, KeyScope::Full, now);
        assert!(after.stands_for(&shop));
        shop.dashboard_epoch += 1;
        assert!(!by_key.stands_for(&shop) && !after.stands_for(&shop));
    }

    #[test]
    fn a_cookie_reads_back_only_under_its_secret_and_unaltered() {
        for original in [cookie(Some("ab12")), cookie(None)] {
            let value = original.encode(SECRET);
            assert_eq!(SessionCookie::decode(&value, SECRET), Some(original));
            assert_eq!(SessionCookie::decode(&value, b"other secret"), None);
            let mut altered = value.clone();
            altered.insert(2, 'x');
            assert_eq!(SessionCookie::decode(&altered, SECRET), None);
            assert_eq!(SessionCookie::decode("", SECRET), None);
        }
    }

    #[test]
    fn a_session_admits_its_own_cookie_until_it_expires() {
        let now = Timestamp::parse_rfc3339("2026-12-01T00:00:00Z").expect("instant");
        let mine = cookie(Some("ab12"));
        let session =
            DashboardSession::open(&mine, &merchant(&mine.merchant_id), KeyScope::Full, now);
        assert!(session.admits(&mine, now.plus(time::Duration::hours(7))));
        assert!(!session.admits(&mine, now.plus(SESSION_LIFETIME)));
        assert!(!session.admits(&cookie(Some("ab12")), now));
        let other_key = SessionCookie {
            key_hash: Some("cd34".into()),
            ..mine.clone()
        };
        assert!(!session.admits(&other_key, now));
    }

    #[test]
    fn anti_forgery_tokens_are_bound_to_their_session_or_nonce() {
        let (mine, theirs) = (cookie(None), cookie(None));
        let token = mine.csrf_token(SECRET);
        assert!(mine.csrf_matches(SECRET, &token));
        assert!(!theirs.csrf_matches(SECRET, &token));
        assert!(!mine.csrf_matches(SECRET, ""));
        let nonce = new_nonce();
        assert!(sign_in_token_matches(
            SECRET,
            &nonce,
            &sign_in_token(SECRET, &nonce)
        ));
        assert!(!sign_in_token_matches(SECRET, &nonce, &token));
        assert!(!sign_in_token_matches(
            SECRET,
            "",
            &sign_in_token(SECRET, "")
        ));
    }

    #[test]
    fn a_link_token_is_stored_only_as_its_hash_and_ends() {
        let now = Timestamp::parse_rfc3339("2026-12-01T00:00:00Z").expect("instant");
        let (link, token) = SignInLink::generate(MerchantId::generate(), now);
        assert!(token.starts_with("dl_"));
        assert_eq!(SignInLink::hash_of(&token), link.token_hash);
        assert!(!link.token_hash.contains(&token));
        assert!(link.is_open_at(now.plus(time::Duration::minutes(14))));
        assert!(!link.is_open_at(now.plus(LINK_LIFETIME)));
    }
}
