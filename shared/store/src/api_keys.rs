//! Merchants' API keys, stored as SHA-256 hashes only, listed per merchant through the
//! by-merchant index (`gsi1pk = MERCHANT#<id>#KEYS`).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use super::attributes::{built, s};
use super::errors::{StoreError, condition_held};
use super::transact::{Role, TransactFailure, Transaction};
use super::{Store, index, keys, storage_error};
use crate::errors::item_error;
use crate::reads::Freshness;
use checkout_domain::api_key::ApiKeyRecord;
use checkout_domain::ids::MerchantId;
use checkout_domain::timestamp::Timestamp;

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ApiKeyItem {
    pk: String,
    sk: String,
    /// Absent on keys made before keys were listed, until their next use writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    #[serde(flatten)]
    pub(super) record: ApiKeyRecord,
}

impl ApiKeyItem {
    fn new(record: &ApiKeyRecord) -> Self {
        let (pk, sk) = keys::api_key(&record.key_hash);
        let (gsi1pk, gsi1sk) = listing(record);
        Self {
            pk,
            sk: sk.to_owned(),
            gsi1pk: Some(gsi1pk),
            gsi1sk: Some(gsi1sk),
            record: record.clone(),
        }
    }
}

/// Where a key is listed: its merchant's (or platform's) key partition, by creation.
fn listing(record: &ApiKeyRecord) -> (String, String) {
    let partition = match (&record.merchant_id, &record.platform_id) {
        (Some(merchant_id), _) => keys::merchant_keys(merchant_id),
        (None, Some(platform_id)) => keys::platform_keys(platform_id),
        (None, None) => "KEYS#UNOWNED".to_owned(),
    };
    (
        partition,
        keys::created_sort_key(&record.created_at.to_string(), record.id().as_str()),
    )
}

/// The result of a change to a merchant's keys that must leave it a standing full key.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyChange {
    /// Written.
    Done,
    /// The key was revoked (or rolled) by someone else first.
    KeyChanged,
    /// The key meant to keep the merchant able to act stopped standing meanwhile.
    KeeperChanged,
}

/// A standing full key, checked in a transaction: not revoked, no expiry, full scope.
const STANDING_FULL: &str = "revoked = :no AND attribute_not_exists(expiresAt) \
     AND (attribute_not_exists(#scope) OR #scope = :full)";

impl Store {
    /// Stores a new API key record, listed under its merchant; fails if the hash exists.
    pub async fn put_api_key(&self, record: &ApiKeyRecord) -> Result<(), StoreError> {
        self.put_new(ApiKeyItem::new(record)).await
    }

    /// The key whose SHA-256 is `key_hash`, if any, read eventually consistent (a change of the
    /// last second may not be seen): for authentication, whose answers are cached anyway.
    pub async fn get_api_key_eventually(
        &self,
        key_hash: &str,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        let item: Option<ApiKeyItem> = self
            .read(keys::key_map(keys::api_key(key_hash)), Freshness::Eventual)
            .await?;
        Ok(item.map(|i| i.record))
    }

    /// The key whose SHA-256 is `key_hash`, read strongly consistent: what a change to it is
    /// conditioned on.
    pub async fn get_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let item: Option<ApiKeyItem> = self
            .read(keys::key_map(keys::api_key(key_hash)), Freshness::Strong)
            .await?;
        Ok(item.map(|i| i.record))
    }

    /// Every listed key of `merchant_id`, oldest first.
    pub async fn list_api_keys(
        &self,
        merchant_id: &MerchantId,
    ) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let mut records = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index::BY_MERCHANT)
                .key_condition_expression("gsi1pk = :keys")
                .expression_attribute_values(":keys", s(keys::merchant_keys(merchant_id)))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(storage_error)?;
            for item in output.items.unwrap_or_default() {
                let item: ApiKeyItem = serde_dynamo::from_item(item).map_err(item_error)?;
                records.push(item.record);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(records);
            }
        }
    }

    /// Revokes the key whose SHA-256 is `key_hash` whoever holds it (the operator's power),
    /// counting the revocation on its merchant in the same transaction; `false` if there is no
    /// such key.
    pub async fn revoke_api_key(&self, key_hash: &str) -> Result<bool, StoreError> {
        let Some(record) = self.get_api_key(key_hash).await? else {
            return Ok(false);
        };
        let transaction = Transaction::default()
            .with(Role::Key, self.revocation(&record, "attribute_exists(pk)")?)
            .with_some(Role::Merchant, self.revocation_counted(&record)?);
        match self.key_change(transaction).await? {
            KeyChange::Done => Ok(true),
            KeyChange::KeyChanged | KeyChange::KeeperChanged => Ok(false),
        }
    }

    /// The write that revokes `record` under `condition` (which may compare with `:no`, false).
    fn revocation(
        &self,
        record: &ApiKeyRecord,
        condition: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::api_key(&record.key_hash))))
            .update_expression("SET revoked = :yes")
            .condition_expression(condition)
            .expression_attribute_values(":yes", AttributeValue::Bool(true));
        if condition.contains(":no") {
            update = update.expression_attribute_values(":no", AttributeValue::Bool(false));
        }
        Ok(TransactWriteItem::builder()
            .update(built(update.build())?)
            .build())
    }

    /// The write that counts a revocation of `record` on its merchant, which ends the
    /// dashboard sessions a one-time link opened (`DashboardSession::stands_for`).
    fn revocation_counted(
        &self,
        record: &ApiKeyRecord,
    ) -> Result<Option<TransactWriteItem>, StoreError> {
        let Some(merchant_id) = &record.merchant_id else {
            return Ok(None);
        };
        let update = built(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(keys::key_map(keys::merchant(merchant_id))))
                .update_expression("ADD keyRevocations :one")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .build(),
        )?;
        Ok(Some(TransactWriteItem::builder().update(update).build()))
    }

    /// Records that `record` was used at `now`, unless a use in the last `resolution` was
    /// recorded already (so at most one write per key per `resolution`, whatever the traffic);
    /// also lists a key made before keys were listed. Whether it was written.
    pub async fn touch_api_key(
        &self,
        record: &ApiKeyRecord,
        now: Timestamp,
        resolution: time::Duration,
    ) -> Result<bool, StoreError> {
        let (gsi1pk, gsi1sk) = listing(record);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::api_key(&record.key_hash))))
            .update_expression("SET lastUsedAt = :now, gsi1pk = :pk, gsi1sk = :sk")
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt <= :stale)",
            )
            .expression_attribute_values(":now", s(now.to_string()))
            .expression_attribute_values(":stale", s(now.plus(-resolution).to_string()))
            .expression_attribute_values(":pk", s(gsi1pk))
            .expression_attribute_values(":sk", s(gsi1sk))
            .send()
            .await;
        Ok(condition_held(result)?.is_some())
    }

    /// Revokes `target` (still as it was read), checking in the same transaction that `keeper`
    /// is a standing full key when `target` is one: however many revocations and rolls race, a
    /// merchant keeps a full key that works (DynamoDB serialises the transactions).
    pub async fn revoke_key_keeping(
        &self,
        target: &ApiKeyRecord,
        keeper: Option<&ApiKeyRecord>,
    ) -> Result<KeyChange, StoreError> {
        let transaction = Transaction::default()
            .with(Role::Key, self.revocation(target, "revoked = :no")?)
            .with_some(
                Role::Keeper,
                keeper.map(|k| self.standing_check(k)).transpose()?,
            )
            .with_some(Role::Merchant, self.revocation_counted(target)?);
        self.key_change(transaction).await
    }

    /// Rolls `old` (still as it was read): `new` is stored and `old` stops working at
    /// `old_expires_at`, in one transaction.
    pub async fn roll_api_key(
        &self,
        old: &ApiKeyRecord,
        new: &ApiKeyRecord,
        old_expires_at: Timestamp,
    ) -> Result<KeyChange, StoreError> {
        let put = self.new_item_write(ApiKeyItem::new(new))?;
        let builder = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::api_key(&old.key_hash))))
            .update_expression("SET expiresAt = :at")
            .expression_attribute_values(":at", s(old_expires_at.to_string()))
            .expression_attribute_values(":no", AttributeValue::Bool(false));
        // The expiry only ever comes closer, and a key already rolled is rolled from where it is.
        let builder = match old.expires_at {
            Some(seen) => builder
                .condition_expression("revoked = :no AND expiresAt = :seen")
                .expression_attribute_values(":seen", s(seen.to_string())),
            None => {
                builder.condition_expression("revoked = :no AND attribute_not_exists(expiresAt)")
            }
        };
        let expire = built(builder.build())?;
        let transaction = Transaction::default().with(Role::Keeper, put).with(
            Role::Key,
            TransactWriteItem::builder().update(expire).build(),
        );
        self.key_change(transaction).await
    }

    fn standing_check(&self, keeper: &ApiKeyRecord) -> Result<TransactWriteItem, StoreError> {
        let check = built(
            ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(keys::key_map(keys::api_key(&keeper.key_hash))))
                .condition_expression(STANDING_FULL)
                .expression_attribute_names("#scope", "scope")
                .expression_attribute_values(":no", AttributeValue::Bool(false))
                .expression_attribute_values(":full", s("full"))
                .build(),
        )?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    async fn key_change(&self, transaction: Transaction) -> Result<KeyChange, StoreError> {
        match self.transact(transaction).await {
            Ok(()) => Ok(KeyChange::Done),
            Err(TransactFailure::Error(err)) => Err(err),
            Err(TransactFailure::ConditionFailed(refusal)) => {
                if refusal.failed(Role::Key).is_some() {
                    Ok(KeyChange::KeyChanged)
                } else if refusal.failed(Role::Keeper).is_some() {
                    Ok(KeyChange::KeeperChanged)
                } else {
                    Err(StoreError::Internal(format!(
                        "unexpected cancellation of a key change: {refusal:?}"
                    )))
                }
            }
        }
    }
}
