//! Reading one item by its key, the same way for every kind of item.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;

use crate::errors::{item_error, storage_error};
use crate::{Store, StoreError};

/// How fresh a read must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Sees every write acknowledged before it (twice the read cost).
    Strong,
    /// May miss a write of the last second; for items that rarely change.
    Eventual,
}

impl Store {
    /// The item at `key` as `T`, or `None` if there is none.
    pub(crate) async fn read<T: DeserializeOwned>(
        &self,
        key: std::collections::HashMap<String, AttributeValue>,
        freshness: Freshness,
    ) -> Result<Option<T>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(freshness == Freshness::Strong)
            .send()
            .await
            .map_err(storage_error)?;
        output
            .item
            .map(serde_dynamo::from_item)
            .transpose()
            .map_err(item_error)
    }
}
