//! The single DynamoDB table and its access patterns. Each submodule is one family of items; every
//! write states its condition at the call.
//!
//! | item               | pk                                   | sk          | indexes                                  |
//! |--------------------|--------------------------------------|-------------|------------------------------------------|
//! | merchant           | `MERCHANT#<merchantId>`              | `MERCHANT`  |                                          |
//! | API key            | `APIKEY#<sha256(key)>`               | `APIKEY`    |                                          |
//! | checkout session   | `SESSION#<sessionId>`                | `SESSION`   | by-merchant, by-order, pending-by-expiry |
//! | order reservation  | `MERCHANT#<merchantId>#ORDER#<orderId>` | `ORDER`  |                                          |
//! | idempotency record | `MERCHANT#<merchantId>#IDEMPOTENCY#<endpoint>#<key>` | `IDEMPOTENCY` |                   |

mod errors;
mod idempotency;
mod keys;
mod listing;
mod merchants;
mod sessions;
mod transact;

use aws_sdk_dynamodb::Client;

pub use errors::storage_error;
pub use idempotency::{IdempotencyClaim, PriorUse, StoredResponse};
pub use listing::{ListQuery, Page, PageKey};
pub use sessions::{CreateOutcome, EndOutcome};

/// The checkout table and a client for it; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
    retention: time::Duration,
}

/// Names of the table's global secondary indexes, as in `template.yaml`.
pub mod index {
    /// Sessions of a merchant, newest first: `gsi1pk = MERCHANT#<id>`, `gsi1sk = <createdAt>#<id>`.
    pub const BY_MERCHANT: &str = "by-merchant";
    /// Sessions of a merchant's order: `gsi2pk = MERCHANT#<id>#ORDER#<orderId>`, `gsi2sk` as above.
    pub const BY_ORDER: &str = "by-order";
    /// Pending sessions by expiry, write-sharded: `gsi3pk = PENDING#<shard>`, `gsi3sk = <expiresAt>`.
    pub const PENDING_BY_EXPIRY: &str = "pending-by-expiry";
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
}
