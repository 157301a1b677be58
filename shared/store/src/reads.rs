//! Reading items by their keys, the same way for every kind of item.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use serde::de::DeserializeOwned;

use crate::attributes::built;
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

    /// The items at `wanted` that exist, read strongly consistent, a hundred keys a call (the
    /// most `BatchGetItem` takes); keys DynamoDB leaves unprocessed are asked for again.
    pub(crate) async fn batch_read(
        &self,
        wanted: Vec<HashMap<String, AttributeValue>>,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
        let mut found = Vec::new();
        for chunk in wanted.chunks(100) {
            let mut left = chunk.to_vec();
            while !left.is_empty() {
                let request = built(
                    KeysAndAttributes::builder()
                        .set_keys(Some(std::mem::take(&mut left)))
                        .consistent_read(true)
                        .build(),
                )?;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(storage_error)?;
                found.extend(
                    output
                        .responses
                        .and_then(|mut tables| tables.remove(&self.table))
                        .unwrap_or_default(),
                );
                left = output
                    .unprocessed_keys
                    .and_then(|mut tables| tables.remove(&self.table))
                    .map(|keys| keys.keys)
                    .unwrap_or_default();
            }
        }
        Ok(found)
    }
}
