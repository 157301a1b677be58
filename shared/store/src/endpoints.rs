//! Merchants' webhook endpoints, kept in the merchant's own partition (`sk = ENDPOINT#<id>`) so
//! that one strongly consistent query reads them all, beside a count item (`sk = ENDPOINTS`)
//! that every creation and deletion changes in the same transaction: the limit of 16 holds
//! however many requests race.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use super::attributes::{built, n, s};
use super::errors::{StoreError, condition_held};
use super::merchants::MerchantItem;
use super::transact::{Role, TransactFailure, Transaction};
use super::{Store, keys, storage_error};
use crate::errors::item_error;
use checkout_domain::ids::{MerchantId, WebhookEndpointId};
use checkout_domain::merchant::Merchant;
use checkout_domain::values::HttpUrl;
use checkout_domain::webhook_endpoint::{MAX_ENDPOINTS, WebhookEndpoint};

#[derive(Debug, Serialize, Deserialize)]
struct EndpointItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    endpoint: WebhookEndpoint,
}

fn endpoint_key(
    merchant_id: &MerchantId,
    id: &WebhookEndpointId,
) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (keys::PK.to_owned(), s(keys::merchant(merchant_id).0)),
        (keys::SK.to_owned(), s(format!("{ENDPOINT_PREFIX}{id}"))),
    ])
}

const ENDPOINT_PREFIX: &str = "ENDPOINT#";
const COUNT_SK: &str = "ENDPOINTS";

/// How a counted write of an endpoint went.
#[derive(Debug, PartialEq, Eq)]
pub enum EndpointWrite {
    /// Written.
    Done,
    /// The merchant has [`MAX_ENDPOINTS`] already.
    LimitReached,
    /// What the write was conditioned on changed first (an endpoint gone, a URL migrated).
    Changed,
}

impl Store {
    fn endpoint_put(&self, endpoint: &WebhookEndpoint) -> Result<TransactWriteItem, StoreError> {
        let item = EndpointItem {
            pk: keys::merchant(&endpoint.merchant_id).0,
            sk: format!("{ENDPOINT_PREFIX}{}", endpoint.id),
            endpoint: endpoint.clone(),
        };
        self.new_item_write(item)
    }

    /// The count item's change by `by`; an increase only below the limit.
    fn endpoint_count(
        &self,
        merchant_id: &MerchantId,
        by: i32,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::merchant(merchant_id).0))
            .key(keys::SK, s(COUNT_SK))
            .update_expression("ADD endpoints :by")
            .expression_attribute_values(":by", n(by));
        if by > 0 {
            update = update
                .condition_expression("attribute_not_exists(endpoints) OR endpoints < :max")
                .expression_attribute_values(":max", n(MAX_ENDPOINTS));
        }
        Ok(TransactWriteItem::builder()
            .update(built(update.build())?)
            .build())
    }

    fn counted(&self, result: Result<(), TransactFailure>) -> Result<EndpointWrite, StoreError> {
        match result {
            Ok(()) => Ok(EndpointWrite::Done),
            Err(TransactFailure::ConditionFailed(refusal)) => {
                if refusal.failed(Role::Counter).is_some() {
                    Ok(EndpointWrite::LimitReached)
                } else {
                    Ok(EndpointWrite::Changed)
                }
            }
            Err(TransactFailure::Error(err)) => Err(err),
        }
    }

    /// Stores a new endpoint, unless its merchant has [`MAX_ENDPOINTS`] already.
    pub async fn create_endpoint(
        &self,
        endpoint: &WebhookEndpoint,
    ) -> Result<EndpointWrite, StoreError> {
        let transaction = Transaction::default()
            .with(Role::Endpoint, self.endpoint_put(endpoint)?)
            .with(
                Role::Counter,
                self.endpoint_count(&endpoint.merchant_id, 1)?,
            );
        self.counted(self.transact(transaction).await)
    }

    /// Makes `endpoint` of the merchant's stage-one webhook URL `url` and takes the URL off the
    /// merchant, in one transaction: `Changed` if the URL was migrated (or changed) meanwhile.
    pub async fn migrate_webhook_url(
        &self,
        endpoint: &WebhookEndpoint,
        url: &HttpUrl,
    ) -> Result<EndpointWrite, StoreError> {
        let merchant = built(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(keys::key_map(keys::merchant(&endpoint.merchant_id))))
                .update_expression("REMOVE webhookUrl")
                .condition_expression("webhookUrl = :url")
                .expression_attribute_values(":url", s(url.as_ref()))
                .build(),
        )?;
        let transaction = Transaction::default()
            .with(
                Role::Merchant,
                TransactWriteItem::builder().update(merchant).build(),
            )
            .with(Role::Endpoint, self.endpoint_put(endpoint)?)
            .with(
                Role::Counter,
                self.endpoint_count(&endpoint.merchant_id, 1)?,
            );
        self.counted(self.transact(transaction).await)
    }

    /// Every endpoint of `merchant_id`, oldest first, read strongly consistent in one query.
    pub async fn list_endpoints(
        &self,
        merchant_id: &MerchantId,
    ) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(keys::merchant(merchant_id).0))
            .expression_attribute_values(":prefix", s(ENDPOINT_PREFIX))
            .consistent_read(true)
            .send()
            .await
            .map_err(storage_error)?;
        let mut endpoints = output
            .items()
            .iter()
            .map(|item| {
                serde_dynamo::from_item::<_, EndpointItem>(item.clone())
                    .map(|item| item.endpoint)
                    .map_err(item_error)
            })
            .collect::<Result<Vec<_>, _>>()?;
        endpoints.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(endpoints)
    }

    /// The merchant `merchant_id` and every endpoint of it (oldest first), read strongly
    /// consistent in one query of its partition: what a webhook delivery needs to know of its
    /// merchant in one round trip.
    pub async fn merchant_with_endpoints(
        &self,
        merchant_id: &MerchantId,
    ) -> Result<(Option<Merchant>, Vec<WebhookEndpoint>), StoreError> {
        let (pk, merchant_sk) = keys::merchant(merchant_id);
        let (mut merchant, mut endpoints, mut start) = (None, Vec::new(), None);
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :first AND :last")
                .expression_attribute_values(":pk", s(pk.clone()))
                .expression_attribute_values(":first", s(ENDPOINT_PREFIX))
                .expression_attribute_values(":last", s(merchant_sk))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(storage_error)?;
            for item in output.items.unwrap_or_default() {
                let sk = item.get(keys::SK).and_then(|v| v.as_s().ok());
                if sk.is_some_and(|sk| sk == merchant_sk) {
                    merchant = Some(
                        serde_dynamo::from_item::<_, MerchantItem>(item)
                            .map_err(item_error)?
                            .merchant,
                    );
                } else if sk.is_some_and(|sk| sk.starts_with(ENDPOINT_PREFIX)) {
                    endpoints.push(
                        serde_dynamo::from_item::<_, EndpointItem>(item)
                            .map_err(item_error)?
                            .endpoint,
                    );
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        endpoints.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok((merchant, endpoints))
    }

    /// Endpoint `id` of `merchant_id`, read strongly consistent.
    pub async fn get_endpoint(
        &self,
        merchant_id: &MerchantId,
        id: &WebhookEndpointId,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(endpoint_key(merchant_id, id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(storage_error)?;
        output
            .item
            .map(|item| serde_dynamo::from_item::<_, EndpointItem>(item).map(|item| item.endpoint))
            .transpose()
            .map_err(item_error)
    }

    /// Writes `endpoint`, changed from revision `endpoint.revision - 1`: `false`, and nothing
    /// written, if it changed (or went) meanwhile.
    pub async fn replace_endpoint(&self, endpoint: &WebhookEndpoint) -> Result<bool, StoreError> {
        let seen = endpoint.revision.checked_sub(1).ok_or_else(|| {
            StoreError::Internal(format!(
                "endpoint {}: saved without a new revision",
                endpoint.id
            ))
        })?;
        let item = EndpointItem {
            pk: keys::merchant(&endpoint.merchant_id).0,
            sk: format!("{ENDPOINT_PREFIX}{}", endpoint.id),
            endpoint: endpoint.clone(),
        };
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(item).map_err(item_error)?))
            .condition_expression("revision = :seen")
            .expression_attribute_values(":seen", n(seen))
            .send()
            .await;
        Ok(condition_held(result)?.is_some())
    }

    /// Deletes endpoint `id` of `merchant_id`; `false` if there is none.
    pub async fn delete_endpoint(
        &self,
        merchant_id: &MerchantId,
        id: &WebhookEndpointId,
    ) -> Result<bool, StoreError> {
        let delete = built(
            Delete::builder()
                .table_name(&self.table)
                .set_key(Some(endpoint_key(merchant_id, id)))
                .condition_expression("attribute_exists(pk)")
                .build(),
        )?;
        let transaction = Transaction::default()
            .with(
                Role::Endpoint,
                TransactWriteItem::builder().delete(delete).build(),
            )
            .with(Role::Counter, self.endpoint_count(merchant_id, -1)?);
        Ok(self.counted(self.transact(transaction).await)? == EndpointWrite::Done)
    }
}
