//! Merchant accounts.

use super::errors::StoreError;
use crate::reads::Freshness;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

use super::attributes::built;
use serde::{Deserialize, Serialize};

use super::errors::condition_held;
use super::{Store, keys, storage_error};
use crate::errors::item_error;
use checkout_domain::ids::{MerchantId, PlatformId};
use checkout_domain::merchant::{Merchant, Platform};

#[derive(Debug, Serialize, Deserialize)]
struct PlatformItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    platform: Platform,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct MerchantItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    pub(super) merchant: Merchant,
}

impl Store {
    /// Writes `item` unless an item with its key exists.
    pub(super) async fn put_new(&self, item: impl serde::Serialize) -> Result<(), StoreError> {
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

    /// The transaction item that writes `item` unless an item with its key exists.
    pub(super) fn new_item_write(
        &self,
        item: impl serde::Serialize,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = built(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(serde_dynamo::to_item(item).map_err(item_error)?))
                .condition_expression("attribute_not_exists(pk)")
                .build(),
        )?;
        Ok(TransactWriteItem::builder().put(put).build())
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

    /// Writes a new platform; fails if the id is taken.
    pub async fn put_platform(&self, platform: &Platform) -> Result<(), StoreError> {
        let (pk, sk) = keys::platform(&platform.id);
        self.put_new(PlatformItem {
            pk,
            sk: sk.to_owned(),
            platform: platform.clone(),
        })
        .await
    }

    /// The platform `id`, if any.
    pub async fn get_platform(&self, id: &PlatformId) -> Result<Option<Platform>, StoreError> {
        let item: Option<PlatformItem> = self
            .read(keys::key_map(keys::platform(id)), Freshness::Eventual)
            .await?;
        Ok(item.map(|i| i.platform))
    }

    /// The merchant `id`, if any.
    pub async fn get_merchant(&self, id: &MerchantId) -> Result<Option<Merchant>, StoreError> {
        let item: Option<MerchantItem> = self
            .read(keys::key_map(keys::merchant(id)), Freshness::Eventual)
            .await?;
        Ok(item.map(|i| i.merchant))
    }

    /// The merchant `id` read strongly consistent, so that a change just written is seen.
    pub async fn read_merchant(&self, id: &MerchantId) -> Result<Option<Merchant>, StoreError> {
        let item: Option<MerchantItem> = self
            .read(keys::key_map(keys::merchant(id)), Freshness::Strong)
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
}

/// What a merchant may change of its own account (SPEC §18); fees, limits and activation are the
/// operator's.
const ACCOUNT_ATTRIBUTES: [&str; 6] = [
    "displayName",
    "brandColor",
    "successUrl",
    "cancelUrl",
    "locale",
    "termsUrl",
];

impl Store {
    /// Writes the account settings of `updated` (display name, brand colour, default URLs,
    /// locale, terms URL) to its merchant, setting those it has and removing those it has not,
    /// and nothing else: an operator's change to the same merchant is never overwritten.
    pub async fn update_account(&self, updated: &Merchant) -> Result<bool, StoreError> {
        let mut item =
            serde_dynamo::to_item::<_, std::collections::HashMap<String, AttributeValue>>(updated)
                .map_err(item_error)?;
        let mut builder = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::merchant(&updated.id))))
            .condition_expression("attribute_exists(pk)");
        let (mut set, mut remove) = (Vec::new(), Vec::new());
        for (index, name) in ACCOUNT_ATTRIBUTES.into_iter().enumerate() {
            builder = builder.expression_attribute_names(format!("#a{index}"), name);
            match item.remove(name).filter(|value| !value.is_null()) {
                Some(value) => {
                    set.push(format!("#a{index} = :a{index}"));
                    builder = builder.expression_attribute_values(format!(":a{index}"), value);
                }
                None => remove.push(format!("#a{index}")),
            }
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let result = builder.update_expression(expression).send().await;
        Ok(condition_held(result)?.is_some())
    }
}
