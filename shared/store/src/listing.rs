//! Newest-first pages through the by-merchant and by-group-keys indexes: a merchant's sessions,
//! an order's sessions, a merchant's or a session's events. `by-group-keys` holds keys only (a
//! group is a handful of items, and an entry no later write of the item has to rewrite): its
//! items are read from the table, and filtered here, not by DynamoDB.

use super::errors::StoreError;
use std::collections::{HashMap, VecDeque};

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;

use super::conditions;
use super::sessions::SessionItem;
use super::{Store, index, keys, storage_error};
use crate::errors::item_error;
use checkout_domain::ids::MerchantId;
use checkout_domain::session::{CheckoutSession, SessionStatus};
use checkout_domain::timestamp::Timestamp;

/// Where the previous page ended: the index sort key of its last item (`<createdAt>#<id>`),
/// unique and in the same order in every shard, so one position continues every shard at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageKey {
    /// The last item's sort key in the index that was queried.
    pub sort_key: String,
}

/// One session list request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Whose sessions.
    pub merchant_id: MerchantId,
    /// How many key shards the merchant's sessions are spread over.
    pub key_shards: u32,
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

impl ListQuery {
    /// The first page of `limit` of all the sessions of a merchant spread over `key_shards`, with
    /// statuses judged at `now`; filters and a position are set on it after.
    pub fn all(merchant_id: MerchantId, key_shards: u32, limit: usize, now: Timestamp) -> Self {
        Self {
            merchant_id,
            key_shards,
            order_id: None,
            status: None,
            created_from: None,
            created_to: None,
            limit,
            after: None,
            now,
        }
    }
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
const FILTERED_BATCH: usize = 100;

/// A newest-first walk of partitions of the by-merchant or by-group-keys index (a merchant's key
/// shards, or one group), merged into one order. A group walk has no `filter`: what it keeps is
/// judged on the items read from the table.
pub(super) struct IndexWalk {
    pub by_group: bool,
    pub partitions: Vec<String>,
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
    pub filter: Option<String>,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
    pub limit: usize,
    pub after: Option<PageKey>,
}

/// Items asked of each of `partitions` per query for a page of `wanted`: all of them from a
/// lone partition; from many, the share of each plus room for the unevenness of random ids
/// (about two standard deviations), so that a page usually takes one parallel round.
fn per_partition_batch(wanted: usize, partitions: usize, filtered: bool) -> usize {
    if partitions <= 1 {
        return if filtered { FILTERED_BATCH } else { wanted };
    }
    let share = wanted.div_ceil(partitions);
    let spread = 2 * share.isqrt() + 2;
    let batch = (share + spread).min(wanted);
    if filtered {
        batch.max(FILTERED_BATCH / partitions)
    } else {
        batch
    }
}

/// One partition being read newest first: what has been read and not yet merged, and where the
/// next query starts.
struct Partition<T> {
    key: String,
    read: VecDeque<(String, T)>,
    start: Option<HashMap<String, AttributeValue>>,
    done: bool,
}

/// One query of a walk: the parts every partition shares.
struct WalkQuery<'a> {
    index_name: &'static str,
    sk_attribute: &'static str,
    key_condition: &'a str,
    walk: &'a IndexWalk,
    batch: usize,
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
        let by_group = query.order_id.is_some();
        let (filter, names, values) = if by_group {
            (None, HashMap::new(), HashMap::new())
        } else {
            (filter, names, values)
        };
        let walk = IndexWalk {
            by_group,
            partitions: match &query.order_id {
                Some(order_id) => vec![keys::order_sessions(&query.merchant_id, order_id)],
                None => (0..query.key_shards.max(1))
                    .map(|shard| keys::merchant_sessions(&query.merchant_id, shard))
                    .collect(),
            },
            created_from: query.created_from,
            created_to: query.created_to,
            filter,
            names,
            values,
            limit: query.limit,
            after: query.after.clone(),
        };
        let (status, now) = (query.status, query.now);
        let keep =
            move |item: &SessionItem| status.is_none_or(|s| item.session.status_at(now) == s);
        let (items, next) = self.newest_first::<SessionItem>(walk, &keep).await?;
        Ok(Page {
            sessions: items.into_iter().map(|item| item.session).collect(),
            next,
        })
    }

    /// Up to `limit` items of the walk's partitions, newest first, and where the next page
    /// starts. The partitions are queried in parallel and merged by sort key; a partition is read
    /// again only when its items run out before the page is full (filtered walks, or an uneven
    /// spread), so the merge never skips one of its items.
    pub(super) async fn newest_first<T: DeserializeOwned>(
        &self,
        mut walk: IndexWalk,
        keep: &(dyn Fn(&T) -> bool + Sync),
    ) -> Result<(Vec<T>, Option<PageKey>), StoreError> {
        let (index_name, pk_attribute, sk_attribute) = if walk.by_group {
            (index::BY_GROUP, "gsi2pk", "gsi1sk")
        } else {
            (index::BY_MERCHANT, "gsi1pk", "gsi1sk")
        };
        walk.names.insert("#pk".into(), pk_attribute.into());
        let key_condition = key_condition(&mut walk, sk_attribute);
        let wanted = walk.limit + 1;
        let query = WalkQuery {
            index_name,
            sk_attribute,
            key_condition,
            walk: &walk,
            batch: per_partition_batch(
                wanted,
                walk.partitions.len(),
                walk.filter.is_some() || walk.by_group,
            ),
        };
        let mut found = self.merged_newest_first::<T>(&query, wanted, keep).await?;
        let has_more = found.len() > walk.limit;
        found.truncate(walk.limit);
        let next = if has_more {
            found.last().map(|(sort_key, _)| PageKey {
                sort_key: sort_key.clone(),
            })
        } else {
            None
        };
        Ok((found.into_iter().map(|(_, item)| item).collect(), next))
    }

    /// Up to `wanted` items of `query`'s partitions, newest first: each partition is read in
    /// batches, and the newest unmerged item of all of them is taken next.
    async fn merged_newest_first<T: DeserializeOwned>(
        &self,
        query: &WalkQuery<'_>,
        wanted: usize,
        keep: &(dyn Fn(&T) -> bool + Sync),
    ) -> Result<Vec<(String, T)>, StoreError> {
        let mut partitions: Vec<Partition<T>> = query
            .walk
            .partitions
            .iter()
            .map(|key| Partition {
                key: key.clone(),
                read: VecDeque::new(),
                start: None,
                done: false,
            })
            .collect();
        let mut found: Vec<(String, T)> = Vec::with_capacity(wanted);
        while found.len() < wanted {
            let exhausted: Vec<usize> = (0..partitions.len())
                .filter(|&i| partitions[i].read.is_empty() && !partitions[i].done)
                .collect();
            if !exhausted.is_empty() {
                let reads = exhausted.iter().map(|&i| {
                    self.query_partition::<T>(
                        query,
                        &partitions[i].key,
                        partitions[i].start.clone(),
                        keep,
                    )
                });
                let results = futures::future::try_join_all(reads).await?;
                for (i, (items, next)) in exhausted.into_iter().zip(results) {
                    let partition = &mut partitions[i];
                    partition.read.extend(items);
                    partition.done = next.is_none();
                    partition.start = next;
                }
                continue;
            }
            // Every partition has an unmerged item or is done: the newest of those is next.
            let newest = partitions
                .iter_mut()
                .filter_map(|p| Some((p.read.front()?.0.clone(), p)))
                .max_by(|a, b| a.0.cmp(&b.0));
            match newest.and_then(|(_, partition)| partition.read.pop_front()) {
                Some(item) => found.push(item),
                None => break,
            }
        }
        Ok(found)
    }

    /// One query of one partition: its items that `keep` keeps (with their sort keys, the
    /// previous page's last item left out) and where the next query starts. A group's entries are
    /// keys: their items are read from the table in one batch.
    async fn query_partition<T: DeserializeOwned>(
        &self,
        query: &WalkQuery<'_>,
        partition: &str,
        start: Option<HashMap<String, AttributeValue>>,
        keep: &(dyn Fn(&T) -> bool + Sync),
    ) -> Result<(Vec<(String, T)>, Option<HashMap<String, AttributeValue>>), StoreError> {
        let walk = query.walk;
        let mut values = walk.values.clone();
        values.insert(":pk".into(), AttributeValue::S(partition.to_owned()));
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(query.index_name)
            .key_condition_expression(query.key_condition)
            .set_filter_expression(walk.filter.clone())
            .set_expression_attribute_names(Some(walk.names.clone()))
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(false)
            .limit(i32::try_from(query.batch).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(storage_error)?;
        let previous_last = walk.after.as_ref().map(|after| after.sort_key.as_str());
        let mut entries = Vec::new();
        for item in output.items.unwrap_or_default() {
            let sort_key = item
                .get(query.sk_attribute)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            if Some(sort_key.as_str()) != previous_last {
                entries.push((sort_key, item));
            }
        }
        if walk.by_group {
            entries = self.items_of_entries(entries).await?;
        }
        let mut items = Vec::new();
        for (sort_key, item) in entries {
            let item: T = serde_dynamo::from_item(item).map_err(item_error)?;
            if keep(&item) {
                items.push((sort_key, item));
            }
        }
        Ok((items, output.last_evaluated_key))
    }

    /// The table's items of index `entries` (keys only), in the same order; an entry whose item
    /// went meanwhile (its retention ended) is left out.
    async fn items_of_entries(
        &self,
        entries: Vec<(String, HashMap<String, AttributeValue>)>,
    ) -> Result<Vec<(String, HashMap<String, AttributeValue>)>, StoreError> {
        let pk_of = |item: &HashMap<String, AttributeValue>| {
            item.get(keys::PK)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        let wanted = entries
            .iter()
            .filter_map(|(_, entry)| {
                Some(HashMap::from([
                    (keys::PK.to_owned(), entry.get(keys::PK)?.clone()),
                    (keys::SK.to_owned(), entry.get(keys::SK)?.clone()),
                ]))
            })
            .collect();
        let mut found: HashMap<String, HashMap<String, AttributeValue>> = self
            .batch_read(wanted)
            .await?
            .into_iter()
            .map(|item| (pk_of(&item), item))
            .collect();
        Ok(entries
            .into_iter()
            .filter_map(|(sort_key, entry)| Some((sort_key, found.remove(&pk_of(&entry))?)))
            .collect())
    }
}

/// The key condition of `walk` on the index whose sort key is `sk_attribute`: its partition,
/// and the range of creation times and the page's start when it has them (their values added to
/// the walk's).
fn key_condition(walk: &mut IndexWalk, sk_attribute: &'static str) -> &'static str {
    // Sort keys are "<createdAt>#<id>": '#' sorts before every id character and '~' after.
    // The previous page's last key bounds the range from above (BETWEEN is inclusive: that
    // item is skipped when read).
    let mut upper = walk
        .created_to
        .map(|t| format!("{t}#~"))
        .unwrap_or_else(|| "~".to_owned());
    if let Some(after) = &walk.after
        && after.sort_key < upper
    {
        upper.clone_from(&after.sort_key);
    }
    if walk.created_from.is_none() && walk.created_to.is_none() && walk.after.is_none() {
        "#pk = :pk"
    } else {
        walk.names.insert("#sk".into(), sk_attribute.into());
        // DynamoDB refuses empty key values; "0" sorts before every timestamp.
        walk.values.insert(
            ":from".into(),
            AttributeValue::S(
                walk.created_from
                    .map_or_else(|| "0".to_owned(), |t| format!("{t}#")),
            ),
        );
        walk.values.insert(":to".into(), AttributeValue::S(upper));
        "#pk = :pk AND #sk BETWEEN :from AND :to"
    }
}
