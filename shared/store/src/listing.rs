//! Newest-first pages through the by-merchant and by-group indexes: a merchant's sessions, an
//! order's sessions, a merchant's or a session's events.

use super::errors::StoreError;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;

use super::conditions;
use super::sessions::SessionItem;
use super::{Store, index, keys, storage_error};
use crate::errors::item_error;
use checkout_domain::ids::MerchantId;
use checkout_domain::session::{CheckoutSession, SessionStatus};
use checkout_domain::timestamp::Timestamp;

/// Where the previous page ended: the table key of its last item and that item's index sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageKey {
    /// The item's `pk`.
    pub pk: String,
    /// The item's `sk`.
    pub sk: String,
    /// Its sort key in the index that was queried.
    pub sort_key: String,
}

/// One session list request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Whose sessions.
    pub merchant_id: MerchantId,
    /// Only this order's sessions.
    pub order_id: Option<String>,
    /// Only sessions that read as this status at `now`.
    pub status: Option<SessionStatus>,
    /// Created at or after.
    pub created_from: Option<Timestamp>,
    /// Created at or before.
    pub created_to: Option<Timestamp>,
    /// Page size.
    pub limit: usize,
    /// Continue after this item.
    pub after: Option<PageKey>,
    /// The instant statuses are judged at.
    pub now: Timestamp,
}

/// One page of sessions.
#[derive(Debug)]
pub struct Page {
    /// At most `limit` sessions, newest first.
    pub sessions: Vec<CheckoutSession>,
    /// Set when more sessions follow.
    pub next: Option<PageKey>,
}

/// Items read per query call when a filter may discard some, so a page needs few round trips.
const FILTERED_BATCH: i32 = 100;

/// A newest-first walk of one partition of the by-merchant or by-group index.
pub(super) struct IndexWalk {
    pub by_group: bool,
    pub partition: String,
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
    pub filter: Option<String>,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
    pub limit: usize,
    pub after: Option<PageKey>,
}

impl Store {
    /// A full page (unless the list ends) of the merchant's sessions matching `query`.
    pub async fn list_sessions(&self, query: &ListQuery) -> Result<Page, StoreError> {
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let filter = query.status.map(|status| {
            names.insert("#status".to_owned(), "status".to_owned());
            let value = |text: &str| AttributeValue::S(text.to_owned());
            match status {
                SessionStatus::Pending => {
                    values.insert(":now".into(), value(&query.now.to_string()));
                    values.insert(":pending".into(), value("pending"));
                    conditions::OPEN.to_owned()
                }
                SessionStatus::Expired => {
                    values.insert(":now".into(), value(&query.now.to_string()));
                    values.insert(":pending".into(), value("pending"));
                    values.insert(":expired".into(), value("expired"));
                    conditions::READS_EXPIRED.to_owned()
                }
                other => {
                    values.insert(":status".into(), value(other.as_str()));
                    "#status = :status".to_owned()
                }
            }
        });
        let walk = IndexWalk {
            by_group: query.order_id.is_some(),
            partition: match &query.order_id {
                Some(order_id) => keys::order_sessions(&query.merchant_id, order_id),
                None => keys::merchant_sessions(&query.merchant_id),
            },
            created_from: query.created_from,
            created_to: query.created_to,
            filter,
            names,
            values,
            limit: query.limit,
            after: query.after.clone(),
        };
        let (items, next) = self.newest_first::<SessionItem>(walk).await?;
        Ok(Page {
            sessions: items.into_iter().map(|item| item.session).collect(),
            next,
        })
    }

    /// Up to `limit` items of the walk's partition, newest first, and where the next page starts.
    /// Filtered queries keep reading until the page is full or the partition ends.
    pub(super) async fn newest_first<T: DeserializeOwned>(
        &self,
        mut walk: IndexWalk,
    ) -> Result<(Vec<T>, Option<PageKey>), StoreError> {
        let (index_name, pk_attribute, sk_attribute) = if walk.by_group {
            (index::BY_GROUP, "gsi2pk", "gsi2sk")
        } else {
            (index::BY_MERCHANT, "gsi1pk", "gsi1sk")
        };
        walk.names.insert("#pk".into(), pk_attribute.into());
        walk.values
            .insert(":pk".into(), AttributeValue::S(walk.partition.clone()));
        // Sort keys are "<createdAt>#<id>": '#' sorts before every id character and '~' after.
        let key_condition = match (walk.created_from, walk.created_to) {
            (None, None) => "#pk = :pk",
            (from, to) => {
                walk.names.insert("#sk".into(), sk_attribute.into());
                // DynamoDB refuses empty key values; "0" sorts before every timestamp.
                walk.values.insert(
                    ":from".into(),
                    AttributeValue::S(from.map_or_else(|| "0".to_owned(), |t| format!("{t}#"))),
                );
                walk.values.insert(
                    ":to".into(),
                    AttributeValue::S(to.map_or_else(|| "~".to_owned(), |t| format!("{t}#~"))),
                );
                "#pk = :pk AND #sk BETWEEN :from AND :to"
            }
        };
        let mut start = walk.after.as_ref().map(|after| {
            HashMap::from([
                ("pk".to_owned(), AttributeValue::S(after.pk.clone())),
                ("sk".to_owned(), AttributeValue::S(after.sk.clone())),
                (
                    pk_attribute.to_owned(),
                    AttributeValue::S(walk.partition.clone()),
                ),
                (
                    sk_attribute.to_owned(),
                    AttributeValue::S(after.sort_key.clone()),
                ),
            ])
        });
        let wanted = walk.limit + 1;
        let mut found: Vec<(PageKey, T)> = Vec::with_capacity(wanted);
        loop {
            let batch = if walk.filter.is_some() {
                FILTERED_BATCH
            } else {
                i32::try_from(wanted - found.len()).unwrap_or(FILTERED_BATCH)
            };
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index_name)
                .key_condition_expression(key_condition)
                .set_filter_expression(walk.filter.clone())
                .set_expression_attribute_names(Some(walk.names.clone()))
                .set_expression_attribute_values(Some(walk.values.clone()))
                .scan_index_forward(false)
                .limit(batch)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(storage_error)?;
            for item in output.items.unwrap_or_default() {
                let text = |name: &str| {
                    item.get(name)
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default()
                };
                let key = PageKey {
                    pk: text("pk"),
                    sk: text("sk"),
                    sort_key: text(sk_attribute),
                };
                found.push((key, serde_dynamo::from_item(item).map_err(item_error)?));
                if found.len() == wanted {
                    break;
                }
            }
            start = output.last_evaluated_key;
            if found.len() == wanted || start.is_none() {
                break;
            }
        }
        let has_more = found.len() > walk.limit;
        found.truncate(walk.limit);
        let next = if has_more {
            found.last().map(|(key, _)| key.clone())
        } else {
            None
        };
        Ok((found.into_iter().map(|(_, item)| item).collect(), next))
    }
}
