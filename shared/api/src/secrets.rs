//! The deployment's three signing keys (SPEC §24): access tokens, list cursors and cookies. Each
//! is a key that signs now and the one it replaced, still accepted until what it signed has
//! lapsed, so a rotation needs no downtime (docs/operations.md, "Rotating a signing key").
//!
//! Deployed, each key is a Secrets Manager secret holding `{"current": "…", "previous": "…"}`
//! (`previous` optional), named by `TOKEN_KEY_SECRET`, `CURSOR_KEY_SECRET` and
//! `COOKIE_KEY_SECRET`; it is read with the SDK the first time the container needs it and kept
//! for the container's life, so a function that never lists pays nothing for the cursor key and
//! no cold start waits on Secrets Manager. Locally (`make dev`, the tests) the same three
//! documents come from the file `SECRETS_FILE` names (`{"tokens": {…}, "cursors": {…},
//! "cookies": {…}}`), or the public development values stand in on the local stack.

use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use tokio::sync::OnceCell;

use crate::error::ApiError;
use checkout_domain::hashing::hmac_sha256;

/// The shortest key accepted: 256 bits, as HS256 and HMAC-SHA-256 want.
pub const MIN_KEY_BYTES: usize = 32;

/// One signing key: what signs now, and what signed before the last rotation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SigningKey {
    current: String,
    #[serde(default)]
    previous: Option<String>,
}

impl SigningKey {
    /// A key with no predecessor.
    pub fn new(current: &str) -> Self {
        Self {
            current: current.to_owned(),
            previous: None,
        }
    }

    /// A key whose predecessor `previous` is still accepted.
    pub fn rotated(current: &str, previous: &str) -> Self {
        Self {
            current: current.to_owned(),
            previous: Some(previous.to_owned()),
        }
    }

    /// The key that signs.
    pub fn current(&self) -> &[u8] {
        self.current.as_bytes()
    }

    /// Every key a signature is checked against, the current one first.
    pub fn accepted(&self) -> impl Iterator<Item = &[u8]> {
        std::iter::once(self.current.as_bytes()).chain(self.previous.as_deref().map(str::as_bytes))
    }

    /// The key for one use (`purpose`) of this key, derived so that no two uses can stand in for
    /// each other.
    pub fn for_use(&self, purpose: &[u8]) -> UseKey {
        UseKey {
            accepted: self
                .accepted()
                .map(|key| hmac_sha256(key, purpose))
                .collect(),
        }
    }

    fn checked(self, name: &str) -> Result<Self, String> {
        let short = |key: &str| key.len() < MIN_KEY_BYTES;
        if short(&self.current) || self.previous.as_deref().is_some_and(short) {
            return Err(format!(
                "{name}: every key must be at least {MIN_KEY_BYTES} bytes"
            ));
        }
        Ok(self)
    }
}

/// A signing key derived for one use: the one that signs, and every one a signature is checked
/// against (the current one first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseKey {
    accepted: Vec<[u8; 32]>,
}

impl UseKey {
    /// The key that signs.
    pub fn signing(&self) -> &[u8] {
        self.accepted.first().map_or(&[], |key| key.as_slice())
    }

    /// Every key a signature is checked against.
    pub fn accepted(&self) -> impl Iterator<Item = &[u8]> {
        self.accepted.iter().map(|key| key.as_slice())
    }
}

/// Which of the three keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyName {
    /// Signs access tokens.
    Tokens,
    /// Signs list cursors.
    Cursors,
    /// Signs the dashboard's and the checkout page's cookies and anti-forgery tokens.
    Cookies,
}

impl KeyName {
    /// The variable that names its Secrets Manager secret.
    pub fn variable(self) -> &'static str {
        match self {
            Self::Tokens => "TOKEN_KEY_SECRET",
            Self::Cursors => "CURSOR_KEY_SECRET",
            Self::Cookies => "COOKIE_KEY_SECRET",
        }
    }

    fn development(self) -> SigningKey {
        SigningKey::new(match self {
            Self::Tokens => "local-development-token-signing-key-not-secret",
            Self::Cursors => "local-development-cursor-signing-key-not-secret",
            Self::Cookies => "local-development-cookie-signing-key-not-secret",
        })
    }
}

/// The three keys of a file (`SECRETS_FILE`), as a deployment's three secrets hold them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    tokens: SigningKey,
    cursors: SigningKey,
    cookies: SigningKey,
}

/// Where the keys come from.
#[derive(Clone)]
enum Source {
    /// Already known: a file, the development values, or a test's.
    Known([SigningKey; 3]),
    /// Secrets Manager, each key by its secret's name or ARN; the client is made on the first
    /// read, so a cold start builds none.
    SecretsManager {
        client: Arc<OnceLock<aws_sdk_secretsmanager::Client>>,
        ids: [String; 3],
    },
}

/// The signing keys of a deployment, each read once and kept.
#[derive(Clone)]
pub struct Secrets {
    source: Source,
    read: Arc<[OnceCell<SigningKey>; 3]>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys.
        f.write_str("Secrets")
    }
}

impl Secrets {
    /// The public development keys: the local stack and tests only.
    pub fn development() -> Self {
        Self::known(
            KeyName::Tokens.development(),
            KeyName::Cursors.development(),
            KeyName::Cookies.development(),
        )
    }

    /// Keys given outright.
    pub fn known(tokens: SigningKey, cursors: SigningKey, cookies: SigningKey) -> Self {
        Self {
            source: Source::Known([tokens, cursors, cookies]),
            read: Arc::default(),
        }
    }

    /// The keys of the JSON file `text` (`{"tokens": {"current": …, "previous"?: …}, "cursors":
    /// …, "cookies": …}`).
    pub fn from_file(text: &str) -> Result<Self, String> {
        let file: KeyFile = serde_json::from_str(text).map_err(|e| format!("SECRETS_FILE: {e}"))?;
        Ok(Self::known(
            file.tokens.checked("tokens")?,
            file.cursors.checked("cursors")?,
            file.cookies.checked("cookies")?,
        ))
    }

    /// The keys of the Secrets Manager secrets `ids` (tokens, cursors, cookies), each read when
    /// first needed.
    pub fn secrets_manager(ids: [String; 3]) -> Self {
        Self {
            source: Source::SecretsManager {
                client: Arc::default(),
                ids,
            },
            read: Arc::default(),
        }
    }

    /// The key that signs access tokens.
    pub async fn tokens(&self) -> Result<&SigningKey, ApiError> {
        self.key(KeyName::Tokens).await
    }

    /// The key that signs list cursors.
    pub async fn cursors(&self) -> Result<&SigningKey, ApiError> {
        self.key(KeyName::Cursors).await
    }

    /// The key that signs cookies.
    pub async fn cookies(&self) -> Result<&SigningKey, ApiError> {
        self.key(KeyName::Cookies).await
    }

    async fn key(&self, name: KeyName) -> Result<&SigningKey, ApiError> {
        let slot = name as usize;
        self.read[slot]
            .get_or_try_init(|| async {
                match &self.source {
                    Source::Known(keys) => Ok(keys[slot].clone()),
                    Source::SecretsManager { client, ids } => {
                        let client = client.get_or_init(crate::aws_clients::secrets_client);
                        fetch(client, &ids[slot], name).await
                    }
                }
            })
            .await
    }
}

/// Reads secret `id` and checks it is a key document.
async fn fetch(
    client: &aws_sdk_secretsmanager::Client,
    id: &str,
    name: KeyName,
) -> Result<SigningKey, ApiError> {
    let output = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|e| {
            ApiError::Unavailable(format!(
                "{}: {}",
                name.variable(),
                aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
            ))
        })?;
    let text = output.secret_string().unwrap_or_default();
    serde_json::from_str::<SigningKey>(text)
        .map_err(|e| e.to_string())
        .and_then(|key| key.checked(name.variable()))
        // The cause names the secret, never its value.
        .map_err(|why| {
            ApiError::Internal(format!("{}: not a key document: {why}", name.variable()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_gives_each_key_with_its_predecessor() {
        let current = "c".repeat(32);
        let previous = "p".repeat(40);
        let file = format!(
            r#"{{"tokens": {{"current": "{current}", "previous": "{previous}"}},
                "cursors": {{"current": "{current}"}}, "cookies": {{"current": "{previous}"}}}}"#
        );
        let secrets = Secrets::from_file(&file).expect("a key file");
        let tokens = secrets.tokens().await.expect("tokens");
        assert_eq!(tokens.current(), current.as_bytes());
        let accepted: Vec<&[u8]> = tokens.accepted().collect();
        assert_eq!(accepted, [current.as_bytes(), previous.as_bytes()]);
        assert_eq!(
            secrets.cursors().await.expect("cursors").accepted().count(),
            1
        );
    }

    #[test]
    fn short_keys_and_unknown_names_are_refused() {
        let short = r#"{"tokens": {"current": "short"}, "cursors": {"current": "short"}, "cookies": {"current": "short"}}"#;
        assert!(Secrets::from_file(short).is_err());
        let long = "k".repeat(32);
        let extra = format!(
            r#"{{"tokens": {{"current": "{long}"}}, "cursors": {{"current": "{long}"}}, "cookies": {{"current": "{long}"}}, "jwt": {{"current": "{long}"}}}}"#
        );
        assert!(Secrets::from_file(&extra).is_err());
    }

    #[test]
    fn a_key_for_one_use_differs_by_use_and_accepts_the_previous_key_s() {
        let key = SigningKey::rotated(&"n".repeat(32), &"o".repeat(32));
        let dashboard = key.for_use(b"dashboard session");
        let flash = key.for_use(b"checkout-page flash");
        assert_eq!(dashboard.accepted().count(), 2);
        assert_ne!(dashboard.signing(), flash.signing());
        let previous = SigningKey::new(&"o".repeat(32)).for_use(b"dashboard session");
        assert!(dashboard.accepted().any(|key| key == previous.signing()));
        assert_ne!(dashboard.signing(), previous.signing());
    }
}
