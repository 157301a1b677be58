//! Merchant accounts.

use super::errors::StoreError;
use crate::reads::Freshness;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};

use super::attributes::built;
use serde::{Deserialize, Serialize};

use super::errors::condition_held;
use super::{Store, keys, storage_error};
use crate::errors::item_error;
use checkout_domain::ids::{MerchantId, PlatformId};
use checkout_domain::merchant::{AccountPatch, Merchant, Platform};

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

    /// The platform `id`, if any, read eventually consistent.
    pub async fn get_platform_eventually(
        &self,
        id: &PlatformId,
    ) -> Result<Option<Platform>, StoreError> {
        let item: Option<PlatformItem> = self
            .read(keys::key_map(keys::platform(id)), Freshness::Eventual)
            .await?;
        Ok(item.map(|i| i.platform))
    }

    /// The merchant `id`, if any, read eventually consistent (a change of the last second may
    /// not be seen): never what a conditional write is computed from.
    pub async fn get_merchant_eventually(
        &self,
        id: &MerchantId,
    ) -> Result<Option<Merchant>, StoreError> {
        let item: Option<MerchantItem> = self
            .read(keys::key_map(keys::merchant(id)), Freshness::Eventual)
            .await?;
        Ok(item.map(|i| i.merchant))
    }

    /// The merchant `id` read strongly consistent, so that a change just written is seen.
    pub async fn get_merchant(&self, id: &MerchantId) -> Result<Option<Merchant>, StoreError> {
        let item: Option<MerchantItem> = self
            .read(keys::key_map(keys::merchant(id)), Freshness::Strong)
            .await?;
        Ok(item.map(|i| i.merchant))
    }

    /// Activates or deactivates merchant `id`; `false` if there is no such merchant.
    /// Deactivating also ends every dashboard session for good: reactivating brings none back.
    pub async fn set_merchant_active(
        &self,
        id: &MerchantId,
        active: bool,
    ) -> Result<bool, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::merchant(id))))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":active", AttributeValue::Bool(active));
        update = if active {
            update.update_expression("SET active = :active")
        } else {
            update
                .update_expression("SET active = :active ADD dashboardEpoch :one")
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
        };
        Ok(condition_held(update.send().await)?.is_some())
    }

    /// Ends every dashboard session of merchant `id` (an operator's word): each is refused from
    /// its next request on. `false` if there is no such merchant.
    pub async fn end_dashboard_sessions(&self, id: &MerchantId) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::merchant(id))))
            .update_expression("ADD dashboardEpoch :one")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send()
            .await;
        Ok(condition_held(result)?.is_some())
    }
}

impl Store {
    /// Writes the settings `patch` names to merchant `id`, setting those it gives and removing
    /// those it sets back to their defaults, and nothing else: neither a change made meanwhile
    /// to another setting nor an operator's change is overwritten. The merchant as it is after
    /// the write, or `None` if there is no such merchant.
    pub async fn update_account(
        &self,
        id: &MerchantId,
        patch: &AccountPatch,
    ) -> Result<Option<Merchant>, StoreError> {
        if patch.is_empty() {
            return self.get_merchant(id).await;
        }
        let mut changes = Vec::new();
        if let Some(name) = &patch.display_name {
            changes.push(("displayName", Some(attribute(name)?)));
        }
        if let Some(color) = &patch.brand_color {
            changes.push(("brandColor", color.as_ref().map(attribute).transpose()?));
        }
        for (name, change) in [
            ("successUrl", &patch.success_url),
            ("cancelUrl", &patch.cancel_url),
            ("termsUrl", &patch.terms_url),
        ] {
            if let Some(url) = change {
                changes.push((name, url.as_ref().map(attribute).transpose()?));
            }
        }
        if let Some(locale) = &patch.locale {
            changes.push(("locale", locale.as_ref().map(attribute).transpose()?));
        }
        let mut builder = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::merchant(id))))
            .condition_expression("attribute_exists(pk)")
            .return_values(ReturnValue::AllNew);
        let (mut set, mut remove) = (Vec::new(), Vec::new());
        for (index, (name, value)) in changes.into_iter().enumerate() {
            builder = builder.expression_attribute_names(format!("#a{index}"), name);
            match value {
                Some(value) => {
                    set.push(format!("#a{index} = :a{index}"));
                    builder = builder.expression_attribute_values(format!(":a{index}"), value);
                }
                None => remove.push(format!("#a{index}")),
            }
        }
        let mut expression = String::new();
        if !set.is_empty() {
            expression.push_str(&format!("SET {} ", set.join(", ")));
        }
        if !remove.is_empty() {
            expression.push_str(&format!("REMOVE {}", remove.join(", ")));
        }
        let result = builder
            .update_expression(expression.trim_end())
            .send()
            .await;
        let Some(output) = condition_held(result)? else {
            return Ok(None);
        };
        let item: MerchantItem =
            serde_dynamo::from_item(output.attributes.unwrap_or_default()).map_err(item_error)?;
        Ok(Some(item.merchant))
    }
}

impl Store {
    /// Writes the account webhook secrets of `rotated` (the new secret and those still signing
    /// beside it) over the secret `seen` it was rotated from: `false`, writing nothing, when
    /// another rotation came first or there is no such merchant.
    pub async fn replace_webhook_secret(
        &self,
        rotated: &Merchant,
        seen: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::merchant(&rotated.id))))
            .update_expression("SET webhookSecret = :secret, retiringWebhookSecrets = :retiring")
            .condition_expression("webhookSecret = :seen")
            .expression_attribute_values(
                ":secret",
                AttributeValue::S(rotated.webhook_secret.clone()),
            )
            .expression_attribute_values(":retiring", attribute(&rotated.retiring_webhook_secrets)?)
            .expression_attribute_values(":seen", AttributeValue::S(seen.to_owned()))
            .send()
            .await;
        Ok(condition_held(result)?.is_some())
    }
}

/// `value` as an attribute.
fn attribute(value: &impl Serialize) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value).map_err(item_error)
}
