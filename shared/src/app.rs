//! What every function builds once per container and borrows in every invocation.

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{Credentials, Region, SharedHttpClient};
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};

use crate::auth_cache::AuthCache;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::session::{CheckoutSession, SessionResource};
use crate::store::Store;
use crate::timestamp::Timestamp;

/// The store, the settings and the clock.
#[derive(Clone)]
pub struct App {
    /// The DynamoDB table.
    pub store: Store,
    /// Deployment settings.
    pub config: Config,
    /// Keys this container checked recently.
    pub auth_cache: AuthCache,
    clock: Arc<dyn Clock>,
}

impl App {
    /// Builds the app from the environment, with the system clock.
    pub async fn from_env() -> Self {
        let config = Config::from_env();
        let client = dynamodb_client(config.dynamodb_endpoint.as_deref()).await;
        let store = Store::new(client, &config.table_name, config.retention);
        if config.warm_up {
            store.warm_up().await;
        }
        Self::new(store, config, Arc::new(SystemClock))
    }

    /// Builds the app from its parts (tests pass a manual clock).
    pub fn new(store: Store, config: Config, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            config,
            auth_cache: AuthCache::default(),
            clock,
        }
    }

    /// The current instant.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The API resource of `session` as seen now, its checkout URL under `base_url`.
    pub fn resource<'a>(
        &self,
        session: &'a CheckoutSession,
        base_url: &str,
    ) -> SessionResource<'a> {
        session.resource(self.now(), base_url)
    }
}

/// A DynamoDB client: the default AWS chain in Lambda, or DynamoDB Local at `endpoint` with
/// placeholder credentials when none are configured (it accepts any).
pub async fn dynamodb_client(endpoint: Option<&str>) -> aws_sdk_dynamodb::Client {
    // DynamoDB answers in milliseconds; DynamoDB Local on a busy laptop can take seconds.
    let (attempt, operation) = match endpoint {
        None => (Duration::from_secs(3), Duration::from_secs(8)),
        Some(_) => (Duration::from_secs(15), Duration::from_secs(40)),
    };
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(attempt)
        .operation_timeout(operation)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts)
        .http_client(amazon_https_client());
    if let Some(endpoint) = endpoint {
        // DynamoDB Local ignores the region; naming one spares the provider chain its IMDS probe.
        let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".to_owned());
        loader = loader.endpoint_url(endpoint).region(Region::new(region));
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader
                .credentials_provider(Credentials::new("local", "local", None, None, "local"));
        }
    }
    aws_sdk_dynamodb::Client::new(&loader.load().await)
}

/// Amazon Trust Services' roots (Amazon Root CA 1–4 and Starfield Services Root CA G2, the set
/// AWS documents for its endpoints), copied from Debian's ca-certificates.
const AMAZON_TRUST_ROOTS: &[u8] = include_bytes!("../certs/amazon-trust-roots.pem");

/// The SDK's own hyper + rustls (aws-lc) client, trusting Amazon's roots only: reading and parsing
/// the platform's whole store (some 150 certificates) was most of a function's init, and only
/// Amazon's CAs can then vouch for a DynamoDB endpoint.
fn amazon_https_client() -> SharedHttpClient {
    let roots = TrustStore::empty().with_pem_certificate(AMAZON_TRUST_ROOTS);
    let context = TlsContext::builder()
        .with_trust_store(roots)
        .build()
        .unwrap_or_default();
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
}
