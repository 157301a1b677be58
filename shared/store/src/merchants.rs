//! Merchants and their API keys (stored as SHA-256 hashes only).

use super::errors::StoreError;
use crate::reads::Freshness;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::errors::condition_held;
use super::{Store, keys, storage_error};
use crate::errors::item_error;
use checkout_domain::ids::MerchantId;
use checkout_domain::merchant::{ApiKeyRecord, Merchant};

#[derive(Debug, Serialize, Deserialize)]
struct MerchantItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    merchant: Merchant,
}

#[derive(Debug, Serialize, Deserialize)]
struct ApiKeyItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    record: ApiKeyRecord,
}

impl Store {
    /// Writes `item` unless an item with its key exists.
    async fn put_new(&self, item: impl serde::Serialize) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(item).map_err(item_error)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    /// Writes a new merchant; fails if the id is taken.
    pub async fn put_merchant(&self, merchant: &Merchant) -> Result<(), StoreError> {
        let (pk, sk) = keys::merchant(&merchant.id);
        let item = MerchantItem {
            pk,
            sk: sk.to_owned(),
            merchant: merchant.clone(),
        };
        self.put_new(item).await
    }

    /// The merchant `id`, if any.
    pub async fn get_merchant(&self, id: &MerchantId) -> Result<Option<Merchant>, StoreError> {
        let item: Option<MerchantItem> = self
            .read(keys::key_map(keys::merchant(id)), Freshness::Eventual)
            .await?;
        Ok(item.map(|i| i.merchant))
    }

    /// Activates or deactivates merchant `id`; `false` if there is no such merchant.
    pub async fn set_merchant_active(
        &self,
        id: &MerchantId,
        active: bool,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::merchant(id))))
            .update_expression("SET active = :active")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":active", AttributeValue::Bool(active))
            .send()
            .await;
        Ok(condition_held(result)?.is_some())
    }

    /// Stores a new API key record; fails if the hash exists.
    pub async fn put_api_key(&self, record: &ApiKeyRecord) -> Result<(), StoreError> {
        let (pk, sk) = keys::api_key(&record.key_hash);
        let item = ApiKeyItem {
            pk,
            sk: sk.to_owned(),
            record: record.clone(),
        };
        self.put_new(item).await
    }

    /// The key whose SHA-256 is `key_hash`, if any.
    pub async fn get_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let item: Option<ApiKeyItem> = self
            .read(keys::key_map(keys::api_key(key_hash)), Freshness::Eventual)
            .await?;
        Ok(item.map(|i| i.record))
    }

    /// Revokes the key whose SHA-256 is `key_hash`; `false` if there is no such key.
    pub async fn revoke_api_key(&self, key_hash: &str) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::api_key(key_hash))))
            .update_expression("SET revoked = :revoked")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":revoked", AttributeValue::Bool(true))
            .send()
            .await;
        Ok(condition_held(result)?.is_some())
    }
}
