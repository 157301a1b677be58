//! The checkout-session table in DynamoDB and its access patterns (the `checkout-store` crate,
//! on `checkout-domain` and the AWS SDK alone). Each submodule is one family of items; every
//! write states its condition at the call.
//!
//! | item               | pk                                   | sk          | indexes                                  |
//! |--------------------|--------------------------------------|-------------|------------------------------------------|
//! | merchant           | `MERCHANT#<merchantId>`              | `MERCHANT`  |                                          |
//! | platform           | `PLATFORM#<platformId>`              | `PLATFORM`  |                                          |
//! | API key            | `APIKEY#<sha256(key)>`               | `APIKEY`    | by-merchant (`MERCHANT#<id>#KEYS`, `PLATFORM#<id>#KEYS`) |
//! | checkout session   | `SESSION#<sessionId>`                | `SESSION`   | by-merchant, by-group-keys, due-by-time       |
//! | refund             | `SESSION#<sessionId>#REFUNDS`        | `<createdAt>#<refundId>` |                          |
//! | webhook event      | `EVENT#<eventId>`                    | `EVENT`     | by-merchant, by-group-keys, due-by-time       |
//! | webhook endpoint   | `MERCHANT#<merchantId>`              | `ENDPOINT#<endpointId>` |                              |
//! | endpoint count     | `MERCHANT#<merchantId>`              | `ENDPOINTS` |                                          |
//! | order reservation  | `MERCHANT#<merchantId>#ORDER#<orderId>` | `ORDER`  |                                          |
//! | idempotency record | `MERCHANT#<merchantId>#IDEMPOTENCY#<endpoint>#<key>` | `IDEMPOTENCY` |                   |
//! | rate-limit window  | `RATE#<merchantId>#<unix second>[#<shard>]` | `RATE` |                                    |

mod api_keys;
mod attributes;
mod conditions;
mod dashboard;
mod deflate;
mod due;
mod endpoints;
mod errors;
mod events;
mod footprint;
mod idempotency;
mod keys;
mod listing;
mod merchants;
mod payments;
mod rate_limits;
mod reads;
mod refunds;
mod sessions;
mod transact;

use aws_sdk_dynamodb::Client;

pub use api_keys::KeyChange;
pub use dashboard::{DashboardAccess, SessionSearch};
pub use due::{DuePage, DueStart, event_shards, session_shards, settlement_shards};
pub use endpoints::EndpointWrite;
pub use errors::{StoreError, storage_error};
pub use events::{EventPage, EventQuery};
pub use footprint::{KeyWrite, item_size, writes_of};
pub use idempotency::{IdempotencyClaim, PriorUse, StoredResponse};
pub use keys::event_id_of;
pub use listing::{ListQuery, Page, PageKey};
pub use rate_limits::RateDecision;
pub use refunds::RefundPage;
pub use sessions::ChangeOutcome;
pub use sessions::{CreateOutcome, EndOutcome, RecoverOutcome};

/// The checkout table and a client for it; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
    retention: time::Duration,
}

/// Names of the table's global secondary indexes, as in `template.yaml`.
pub mod index {
    /// A merchant's sessions (`gsi1pk = MERCHANT#<id>`) and events (`MERCHANT#<id>#EVENTS`),
    /// newest first by `gsi1sk = <createdAt>#<id>`.
    pub const BY_MERCHANT: &str = "by-merchant";
    /// The sessions of a merchant's order (`gsi2pk = MERCHANT#<id>#ORDER#<orderId>`) and the events
    /// of a session (`SESSION#<id>#EVENTS`), by `gsi1sk = <createdAt>#<id>`; keys only, so that
    /// no change of a session or an event after its creation writes to it.
    pub const BY_GROUP: &str = "by-group-keys";
    /// What is due at a time, write-sharded: pending sessions by expiry (`gsi3pk = PENDING#<n>`)
    /// and undelivered events by next attempt (`DELIVERY#<n>`); `gsi3sk` is the instant.
    pub const DUE_BY_TIME: &str = "due-by-time";
    /// A session by its `reference` and `merchantId`, keys only.
    pub const BY_REFERENCE: &str = "by-reference";
    /// A merchant's sessions of one customer e-mail (`em`, lower case) by `merchantId`, keys
    /// only.
    pub const BY_EMAIL: &str = "by-email";
}

impl Store {
    /// A store over `table` through `client`; ended sessions are kept `retention` before TTL
    /// deletes them.
    pub fn new(client: Client, table: impl Into<String>, retention: time::Duration) -> Self {
        Self {
            client,
            table: table.into(),
            retention,
        }
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// One throwaway read, made during init: the connection (and in AWS its TLS handshake, done
    /// while Lambda gives init a full CPU) is then ready for the first request. A failure is only
    /// logged, and the read is given up after a second so that an unreachable table cannot eat
    /// Lambda's ten-second init: the first request will meet the trouble and answer for it.
    pub async fn warm_up(&self) {
        let read = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::warm_up())))
            .send();
        match tokio::time::timeout(std::time::Duration::from_secs(1), read).await {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => tracing::warn!(error = %storage_error(err), "warm-up read failed"),
            Err(_) => tracing::warn!("warm-up read gave up after 1 s"),
        }
    }
}
