//! What every function builds once per container and borrows in every invocation.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::admission::Admissions;
use crate::auth_cache::AuthCache;
use crate::aws_clients::dynamodb_client;
use crate::config::{Config, ConfigError};
use crate::metrics::Metrics;
use checkout_domain::clock::{Clock, SystemClock};
use checkout_domain::session::{CheckoutSession, SessionResource};
use checkout_domain::timestamp::Timestamp;
use checkout_store::Store;

/// The store, the settings and the clock.
#[derive(Clone)]
pub struct App {
    /// The DynamoDB table.
    pub store: Store,
    /// Deployment settings.
    pub config: Config,
    /// Keys this container checked recently.
    pub auth_cache: AuthCache,
    /// Rate-limit slots this container holds.
    pub admissions: Admissions,
    /// Failures a test injects where a crash could fall.
    pub faults: Faults,
    /// Where the business metrics go (standard output, as EMF).
    pub metrics: Metrics,
    clock: Arc<dyn Clock>,
}

/// Failures a test injects where a crash could fall, to show that nothing is lost when one does;
/// none unless a test asks.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    fan_outs: Arc<AtomicU32>,
}

impl Faults {
    /// Makes the next `count` fan-outs of an event to its deliveries fail before writing.
    pub fn fail_fan_outs(&self, count: u32) {
        self.fan_outs.store(count, Ordering::SeqCst);
    }

    /// Whether this fan-out is to fail.
    pub(crate) fn fan_out_fails(&self) -> bool {
        self.fan_outs
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }
}

impl App {
    /// Builds the app from the environment, with the system clock; a deployment without its
    /// secrets does not start.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let client = dynamodb_client(config.dynamodb_endpoint.as_deref());
        let store = Store::new(client, &config.table_name, config.retention);
        if config.warm_up {
            store.warm_up().await;
        }
        Ok(Self::new(store, config, Arc::new(SystemClock)))
    }

    /// Builds the app from its parts (tests pass a manual clock).
    pub fn new(store: Store, config: Config, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            metrics: Metrics::new(config.stage.as_str()),
            config,
            auth_cache: AuthCache::default(),
            admissions: Admissions::default(),
            faults: Faults::default(),
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
