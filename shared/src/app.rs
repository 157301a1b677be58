//! What every function builds once per container and borrows in every invocation.

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::Credentials;

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
    clock: Arc<dyn Clock>,
}

impl App {
    /// Builds the app from the environment, with the system clock.
    pub async fn from_env() -> Self {
        let config = Config::from_env();
        let client = dynamodb_client(config.dynamodb_endpoint.as_deref()).await;
        let store = Store::new(client, &config.table_name, config.retention);
        Self::new(store, config, Arc::new(SystemClock))
    }

    /// Builds the app from its parts (tests pass a manual clock).
    pub fn new(store: Store, config: Config, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            config,
            clock,
        }
    }

    /// The current instant.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The API resource of `session` as seen now.
    pub fn resource<'a>(&self, session: &'a CheckoutSession) -> SessionResource<'a> {
        session.resource(self.now(), &self.config.public_base_url)
    }
}

/// A DynamoDB client: the default AWS chain in Lambda, or DynamoDB Local at `endpoint` with
/// placeholder credentials when none are configured (it accepts any).
pub async fn dynamodb_client(endpoint: Option<&str>) -> aws_sdk_dynamodb::Client {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(8))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(RegionProviderChain::default_provider().or_else("us-east-1"))
        .timeout_config(timeouts);
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader.credentials_provider(Credentials::new("local", "local", None, None, "local"));
        }
    }
    aws_sdk_dynamodb::Client::new(&loader.load().await)
}
