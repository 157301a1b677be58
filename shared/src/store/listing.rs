//! Listing a merchant's sessions newest first, through the by-merchant or by-order index.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::sessions::SessionItem;
use super::{Store, index, keys, storage_error};
use crate::error::ApiError;
use crate::session::{CheckoutSession, SessionStatus};
use crate::store::errors::item_error;
use crate::timestamp::Timestamp;

/// Where the previous page ended: the last session returned and its index sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageKey {
    /// The session id.
    pub session_id: String,
    /// Its `gsi1sk`/`gsi2sk`.
    pub sort_key: String,
}

/// One list request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Whose sessions.
    pub merchant_id: String,
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
    /// Continue after this session.
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

impl Store {
    /// A full page (unless the list ends) of the merchant's sessions matching `query`.
    pub async fn list_sessions(&self, query: &ListQuery) -> Result<Page, ApiError> {
        let (index_name, pk_attribute, sk_attribute, partition) = match &query.order_id {
            Some(order_id) => (
                index::BY_ORDER,
                "gsi2pk",
                "gsi2sk",
                keys::order_sessions(&query.merchant_id, order_id),
            ),
            None => (
                index::BY_MERCHANT,
                "gsi1pk",
                "gsi1sk",
                keys::merchant_sessions(&query.merchant_id),
            ),
        };
        let mut names = HashMap::from([("#pk".to_owned(), pk_attribute.to_owned())]);
        let mut values = HashMap::from([(":pk".to_owned(), AttributeValue::S(partition.clone()))]);
        // Sort keys are "<createdAt>#<id>": '#' sorts before every id character and '~' after.
        let key_condition = match (query.created_from, query.created_to) {
            (None, None) => "#pk = :pk",
            (from, to) => {
                names.insert("#sk".into(), sk_attribute.into());
                values.insert(
                    ":from".into(),
                    AttributeValue::S(from.map_or_else(String::new, |t| format!("{t}#"))),
                );
                values.insert(
                    ":to".into(),
                    AttributeValue::S(to.map_or_else(|| "~".to_owned(), |t| format!("{t}#~"))),
                );
                "#pk = :pk AND #sk BETWEEN :from AND :to"
            }
        };
        let filter = query.status.map(|status| {
            names.insert("#status".into(), "status".into());
            if matches!(status, SessionStatus::Pending | SessionStatus::Expired) {
                values.insert(":now".into(), AttributeValue::S(query.now.to_string()));
                values.insert(":pending".into(), AttributeValue::S("pending".into()));
            }
            match status {
                SessionStatus::Pending => "#status = :pending AND expiresAt > :now",
                SessionStatus::Expired => {
                    values.insert(":expired".into(), AttributeValue::S("expired".into()));
                    "#status = :expired OR (#status = :pending AND expiresAt <= :now)"
                }
                other => {
                    values.insert(":status".into(), AttributeValue::S(other.as_str().into()));
                    "#status = :status"
                }
            }
        });

        let mut start = query.after.as_ref().map(|after| {
            let (pk, sk) = keys::session(&after.session_id);
            HashMap::from([
                ("pk".to_owned(), AttributeValue::S(pk)),
                ("sk".to_owned(), AttributeValue::S(sk.to_owned())),
                (
                    pk_attribute.to_owned(),
                    AttributeValue::S(partition.clone()),
                ),
                (
                    sk_attribute.to_owned(),
                    AttributeValue::S(after.sort_key.clone()),
                ),
            ])
        });
        let wanted = query.limit + 1;
        let mut found: Vec<(String, CheckoutSession)> = Vec::with_capacity(wanted);
        loop {
            let batch = if filter.is_some() {
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
                .set_filter_expression(filter.map(str::to_owned))
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(false)
                .limit(batch)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(storage_error)?;
            for item in output.items.unwrap_or_default() {
                let item: SessionItem = serde_dynamo::from_item(item).map_err(item_error)?;
                let sort_key = match &query.order_id {
                    Some(_) => item.gsi2sk.unwrap_or_default(),
                    None => item.gsi1sk,
                };
                found.push((sort_key, item.session));
                if found.len() == wanted {
                    break;
                }
            }
            start = output.last_evaluated_key;
            if found.len() == wanted || start.is_none() {
                break;
            }
        }
        let has_more = found.len() > query.limit;
        found.truncate(query.limit);
        let next = if has_more {
            found.last().map(|(sort_key, session)| PageKey {
                session_id: session.id.clone(),
                sort_key: sort_key.clone(),
            })
        } else {
            None
        };
        Ok(Page {
            sessions: found.into_iter().map(|(_, session)| session).collect(),
            next,
        })
    }
}
