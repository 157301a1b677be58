//! Deployment settings, read once per container from the environment.

use crate::secrets::{KeyName, Secrets};
use checkout_domain::stage::Stage;

/// What a deployment is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// `TABLE_NAME`: the one DynamoDB table (default `checkout-sessions`).
    pub table_name: String,
    /// `DYNAMODB_ENDPOINT`: set only for DynamoDB Local.
    pub dynamodb_endpoint: Option<String>,
    /// `PUBLIC_BASE_URL`: where the hosted pages live (default `http://127.0.0.1:9000`; set but
    /// empty means the host each request arrived at).
    pub public_base_url: String,
    /// `RETENTION_DAYS`: how long ended sessions are kept before TTL deletes them (default 90).
    pub retention: time::Duration,
    /// The signing keys of tokens, cursors and cookies (`TOKEN_KEY_SECRET`, `CURSOR_KEY_SECRET`,
    /// `COOKIE_KEY_SECRET` in Secrets Manager, or `SECRETS_FILE`; see [`crate::secrets`]).
    pub secrets: Secrets,
    /// `RATE_LIMITS=off` turns the per-merchant request limits off (one write per request saved).
    pub rate_limits: bool,
    /// `AUTH_CACHE_SECONDS`: how long a container trusts a key it checked (default 5; `0` reads
    /// the key and merchant on every request). Revocations take effect within this time.
    pub auth_cache: time::Duration,
    /// `WARM_UP=off` skips the throwaway DynamoDB call made during init (on by default: it moves
    /// the connection and TLS set-up out of the first request, see docs/performance.md).
    pub warm_up: bool,
    /// `ALLOW_PRIVATE_WEBHOOK_TARGETS=true`: let webhooks go to private and loopback addresses
    /// (local development only; off by default).
    pub allow_private_webhook_targets: bool,
    /// How long a test-mode crypto payment stays `processing` (`TEST_SETTLEMENT_DELAY`, seconds).
    pub settlement_delay: time::Duration,
    /// `STAGE`: `test` (the default) or `live`; the keys and helpers a deployment accepts.
    pub stage: Stage,
}

/// Table name when `TABLE_NAME` is unset.
pub const DEFAULT_TABLE_NAME: &str = "checkout-sessions";
/// Public base URL when `PUBLIC_BASE_URL` is unset.
pub const DEFAULT_PUBLIC_BASE_URL: &str = "http://127.0.0.1:9000";
/// Seconds a container trusts a checked key when `AUTH_CACHE_SECONDS` is unset.
pub const DEFAULT_AUTH_CACHE_SECONDS: i64 = 5;
/// How long a test-mode crypto payment stays `processing` unless `TEST_SETTLEMENT_DELAY` says.
pub const DEFAULT_SETTLEMENT_DELAY: time::Duration = time::Duration::seconds(30);

/// Why a container refuses to start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A signing key a deployment must be given is not named; the local development keys are
    /// public.
    #[error(
        "{0} is unset: a deployment must name its own signing keys (only the local stack, with DYNAMODB_ENDPOINT set, falls back to the development keys)"
    )]
    MissingSecret(&'static str),
    /// `SECRETS_FILE` cannot be read as the three keys.
    #[error("{0}")]
    SecretsFile(String),
    /// `STAGE` is neither `test` nor `live`.
    #[error("STAGE: {0}")]
    InvalidStage(String),
}

impl Config {
    /// Reads the environment, falling back to the local stack's values only on the local stack.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment in a function; a fixed set of values
    /// in tests and local servers), with the defaults of a deployment for whatever it lacks. The
    /// secrets have no default outside the local stack (`DYNAMODB_ENDPOINT` set): anyone can
    /// read the development values, so a deployment without its own refuses to start.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let secrets = secrets_from(&var)?;
        let stage = stage_from(&var)?;
        Ok(Self {
            table_name: var("TABLE_NAME").unwrap_or_else(|| DEFAULT_TABLE_NAME.to_owned()),
            dynamodb_endpoint: var("DYNAMODB_ENDPOINT"),
            public_base_url: lookup("PUBLIC_BASE_URL")
                .unwrap_or_else(|| DEFAULT_PUBLIC_BASE_URL.to_owned()),
            secrets,
            retention: retention_from(&var),
            rate_limits: !var("RATE_LIMITS").is_some_and(|v| v.eq_ignore_ascii_case("off")),
            auth_cache: time::Duration::seconds(
                var("AUTH_CACHE_SECONDS")
                    .and_then(|seconds| seconds.parse::<u16>().ok())
                    .map_or(DEFAULT_AUTH_CACHE_SECONDS, i64::from),
            ),
            warm_up: !var("WARM_UP").is_some_and(|v| v.eq_ignore_ascii_case("off")),
            allow_private_webhook_targets: var("ALLOW_PRIVATE_WEBHOOK_TARGETS")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            settlement_delay: var("TEST_SETTLEMENT_DELAY")
                .and_then(|seconds| seconds.trim_end_matches('s').parse::<u32>().ok())
                .map_or(DEFAULT_SETTLEMENT_DELAY, |s| {
                    time::Duration::seconds(s.into())
                }),
            stage,
        })
    }

    /// `STAGE` from the environment alone, for tools that need no secret.
    pub fn stage_from_env() -> Result<Stage, ConfigError> {
        stage_from(&|name: &str| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// The SSRF guard of this deployment's webhook targets.
    pub fn target_guard(&self) -> crate::webhook::TargetGuard {
        crate::webhook::TargetGuard::new(self.allow_private_webhook_targets)
    }

    /// `RETENTION_DAYS` from the environment alone, for tools that need no secret.
    pub fn retention_from_env() -> time::Duration {
        retention_from(&|name: &str| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Settings for `table_name` on the DynamoDB Local at `endpoint`, as tests and tools use
    /// (rate limits off).
    pub fn local(table_name: &str, endpoint: &str) -> Self {
        Self {
            table_name: table_name.to_owned(),
            dynamodb_endpoint: Some(endpoint.to_owned()),
            public_base_url: DEFAULT_PUBLIC_BASE_URL.to_owned(),
            secrets: Secrets::development(),
            retention: time::Duration::days(90),
            // Tests run many requests in one frozen clock second; the rate-limit test turns it on.
            rate_limits: false,
            // Tests revoke keys and expect the next request refused; the cache test turns it on.
            auth_cache: time::Duration::ZERO,
            warm_up: false,
            allow_private_webhook_targets: true,
            settlement_delay: DEFAULT_SETTLEMENT_DELAY,
            stage: Stage::Test,
        }
    }
}

/// The signing keys: from `SECRETS_FILE` when set, else from the three Secrets Manager secrets
/// the environment names, else (on the local stack only) the development keys.
fn secrets_from(var: &impl Fn(&str) -> Option<String>) -> Result<Secrets, ConfigError> {
    if let Some(path) = var("SECRETS_FILE") {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ConfigError::SecretsFile(format!("SECRETS_FILE {path}: {e}")))?;
        return Secrets::from_file(&text).map_err(ConfigError::SecretsFile);
    }
    let names = [KeyName::Tokens, KeyName::Cursors, KeyName::Cookies];
    let ids: Vec<Option<String>> = names.iter().map(|name| var(name.variable())).collect();
    match (ids.as_slice(), var("DYNAMODB_ENDPOINT")) {
        ([Some(tokens), Some(cursors), Some(cookies)], _) => Ok(Secrets::secrets_manager([
            tokens.clone(),
            cursors.clone(),
            cookies.clone(),
        ])),
        ([None, None, None], Some(_)) => Ok(Secrets::development()),
        _ => {
            let missing = names
                .iter()
                .zip(&ids)
                .find(|(_, id)| id.is_none())
                .map_or("TOKEN_KEY_SECRET", |(name, _)| name.variable());
            Err(ConfigError::MissingSecret(missing))
        }
    }
}

/// `STAGE` as `var` gives it; `test` when unset.
fn stage_from(var: &impl Fn(&str) -> Option<String>) -> Result<Stage, ConfigError> {
    var("STAGE").map_or(Ok(Stage::Test), |text| {
        Stage::parse(&text).map_err(|invalid| ConfigError::InvalidStage(invalid.message))
    })
}

/// How long ended sessions are kept: `RETENTION_DAYS` when it is a positive number, else 90.
fn retention_from(var: &impl Fn(&str) -> Option<String>) -> time::Duration {
    let days = var("RETENTION_DAYS")
        .and_then(|days| days.parse::<i64>().ok())
        .filter(|days| *days > 0)
        .unwrap_or(90);
    time::Duration::days(days)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Config {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_vars(|name| vars.get(name).cloned()).expect("settings a container starts with")
    }

    /// A deployment's settings: its own secrets, and the rest from `pairs`.
    fn deployed(pairs: &[(&str, &str)]) -> Config {
        let mut all = vec![
            ("TOKEN_KEY_SECRET", "arn:tokens"),
            ("CURSOR_KEY_SECRET", "arn:cursors"),
            ("COOKIE_KEY_SECRET", "arn:cookies"),
        ];
        all.extend_from_slice(pairs);
        from(&all)
    }

    #[test]
    fn a_deployment_without_settings_gets_the_safe_defaults() {
        let config = deployed(&[]);
        assert_eq!(config.table_name, DEFAULT_TABLE_NAME);
        assert_eq!(config.dynamodb_endpoint, None);
        assert_eq!(config.public_base_url, DEFAULT_PUBLIC_BASE_URL);
        assert!(config.rate_limits, "rate limits are on unless turned off");
        assert_eq!(config.auth_cache, time::Duration::seconds(5));
        assert!(config.warm_up);
        assert!(!config.allow_private_webhook_targets);
        assert_eq!(config.retention, time::Duration::days(90));
    }

    #[test]
    fn settings_override_the_defaults_and_bad_numbers_are_ignored() {
        let config = from(&[
            ("TABLE_NAME", "t"),
            ("DYNAMODB_ENDPOINT", "http://127.0.0.1:1"),
            ("RATE_LIMITS", "OFF"),
            ("AUTH_CACHE_SECONDS", "0"),
            ("WARM_UP", "off"),
            ("ALLOW_PRIVATE_WEBHOOK_TARGETS", "true"),
            ("RETENTION_DAYS", "-3"),
        ]);
        assert_eq!(config.table_name, "t");
        assert_eq!(
            config.dynamodb_endpoint.as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert!(!config.rate_limits);
        assert_eq!(config.auth_cache, time::Duration::ZERO);
        assert!(!config.warm_up);
        assert!(config.allow_private_webhook_targets);
        assert_eq!(
            config.retention,
            time::Duration::days(90),
            "a negative retention is ignored"
        );
        assert_eq!(
            deployed(&[("AUTH_CACHE_SECONDS", "many")]).auth_cache,
            time::Duration::seconds(5)
        );
    }

    #[test]
    fn a_public_base_url_set_but_empty_means_the_request_s_host() {
        assert_eq!(deployed(&[("PUBLIC_BASE_URL", "")]).public_base_url, "");
        assert_eq!(
            deployed(&[("PUBLIC_BASE_URL", "https://pay.example")]).public_base_url,
            "https://pay.example"
        );
    }

    #[test]
    fn a_deployment_without_its_own_secrets_refuses_to_start() {
        let lookup = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        for (pairs, missing) in [
            (&[][..], "TOKEN_KEY_SECRET"),
            (&[("TOKEN_KEY_SECRET", "t")][..], "CURSOR_KEY_SECRET"),
            (
                &[("TOKEN_KEY_SECRET", "t"), ("CURSOR_KEY_SECRET", "c")][..],
                "COOKIE_KEY_SECRET",
            ),
            (
                &[
                    ("TOKEN_KEY_SECRET", "t"),
                    ("CURSOR_KEY_SECRET", ""),
                    ("COOKIE_KEY_SECRET", "k"),
                ][..],
                "CURSOR_KEY_SECRET",
            ),
            // The local stack with one key named is a deployment half set up, not a local one.
            (
                &[
                    ("DYNAMODB_ENDPOINT", "http://127.0.0.1:8000"),
                    ("TOKEN_KEY_SECRET", "t"),
                ][..],
                "CURSOR_KEY_SECRET",
            ),
        ] {
            match Config::from_vars(lookup(pairs)) {
                Err(ConfigError::MissingSecret(name)) => assert_eq!(name, missing, "{pairs:?}"),
                other => panic!("{pairs:?}: {other:?}"),
            }
        }
        let local = from(&[("DYNAMODB_ENDPOINT", "http://127.0.0.1:8000")]);
        assert_eq!(local.stage, Stage::Test, "test unless told");
    }

    #[test]
    fn the_stage_is_test_or_live_and_nothing_else() {
        let local = [("DYNAMODB_ENDPOINT", "http://127.0.0.1:8000")];
        let with = |stage: &'static str| {
            let pairs: Vec<(&str, &str)> = local.into_iter().chain([("STAGE", stage)]).collect();
            Config::from_vars(|name| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            })
        };
        assert!(matches!(with("live"), Ok(config) if config.stage == Stage::Live));
        assert!(matches!(with("test"), Ok(config) if config.stage == Stage::Test));
        assert!(matches!(with("prod"), Err(ConfigError::InvalidStage(_))));
    }
}
