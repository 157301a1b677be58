//! Where a create writes and what it costs there: the partition key value each item and index
//! entry of a new session lands on, with its write units, computed from the very items
//! `create_session` writes. The benchmark adds these up per key and second to show that one
//! merchant's sale-day traffic stays under DynamoDB's per-key limit (docs/scale.md), and checks
//! the total against the capacity DynamoDB reports for a real create.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::errors::StoreError;
use super::idempotency::{IdempotencyClaim, IdempotencyRecord};
use super::sessions::SessionItem;
use super::{Store, index};
use crate::errors::item_error;
use checkout_domain::session::CheckoutSession;
use checkout_domain::timestamp::Timestamp;

/// One write to one partition key value of the table or of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyWrite {
    /// `table`, or the index's name.
    pub target: &'static str,
    /// The partition key value written.
    pub partition: String,
    /// Write units it takes: a transactional write counts twice in the table, its index entries
    /// once (they are written after the transaction, as any write's are), as DynamoDB bills them.
    pub write_units: u32,
}

/// The indexes, their key attributes and what they project besides keys (`None`: everything).
const INDEXES: [(&str, &str, &str, Option<&[&str]>); 3] = [
    (index::BY_MERCHANT, "gsi1pk", "gsi1sk", None),
    (index::BY_GROUP, "gsi2pk", "gsi1sk", Some(&[])),
    (
        index::DUE_BY_TIME,
        "gsi3pk",
        "gsi3sk",
        Some(&["merchantId"]),
    ),
];

impl Store {
    /// The key writes of creating `session` with `claim`, as `create_session` makes them.
    pub fn create_footprint(
        &self,
        session: &CheckoutSession,
        claim: Option<&IdempotencyClaim<'_>>,
        now: Timestamp,
    ) -> Result<Vec<KeyWrite>, StoreError> {
        let mut items = vec![
            serde_dynamo::to_item(SessionItem::new(session, self.retention)).map_err(item_error)?,
        ];
        items.extend(self.reservation_item(session)?);
        if let Some(claim) = claim {
            items.push(
                serde_dynamo::to_item(IdempotencyRecord::new(claim, now)).map_err(item_error)?,
            );
        }
        Ok(items
            .iter()
            .flat_map(|item| writes_of(item, true))
            .collect())
    }
}

/// The writes of putting `item`: the table's, and each index entry it has.
pub fn writes_of(item: &HashMap<String, AttributeValue>, transactional: bool) -> Vec<KeyWrite> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let mut writes = vec![KeyWrite {
        target: "table",
        partition: text("pk").unwrap_or_default(),
        write_units: units(item_size(item)) * if transactional { 2 } else { 1 },
    }];
    for (name, pk, sk, projected) in INDEXES {
        let Some(partition) = text(pk) else {
            continue;
        };
        let size = match projected {
            None => item_size(item),
            Some(extra) => item
                .iter()
                .filter(|(attribute, _)| {
                    ["pk", "sk", pk, sk].contains(&attribute.as_str())
                        || extra.contains(&attribute.as_str())
                })
                .map(|(attribute, value)| attribute.len() + value_size(value))
                .sum(),
        };
        writes.push(KeyWrite {
            target: name,
            partition,
            write_units: units(size),
        });
    }
    writes
}

/// Write units of an item of `bytes`: one per KB begun.
fn units(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(1024).max(1)).unwrap_or(u32::MAX)
}

/// An item's size as DynamoDB counts it: each attribute's name and value.
pub fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// A value's size as DynamoDB counts it: strings and binaries by length, numbers by about one
/// byte per two digits, containers three bytes plus one per element and their contents.
fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(number) => number.trim_start_matches('-').len().div_ceil(2) + 1,
        AttributeValue::B(bytes) => bytes.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(values) => 3 + values.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(name, v)| 1 + name.len() + value_size(v))
                .sum::<usize>()
        }
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        AttributeValue::Bs(set) => set.iter().map(|b| b.as_ref().len()).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.to_owned())
    }

    #[test]
    fn an_item_lands_on_its_table_key_twice_and_on_each_index_it_has_keys_for_once() {
        let item = HashMap::from([
            ("pk".to_owned(), s("SESSION#cs_1")),
            ("sk".to_owned(), s("SESSION")),
            ("gsi1pk".to_owned(), s("MERCHANT#mer_1#3")),
            ("gsi1sk".to_owned(), s("2026#cs_1")),
            ("gsi3pk".to_owned(), s("PENDING#4")),
            ("gsi3sk".to_owned(), s("2026")),
            ("merchantId".to_owned(), s("mer_1")),
            ("description".to_owned(), s(&"x".repeat(1_500))),
        ]);
        let writes = writes_of(&item, true);
        let found: Vec<_> = writes
            .iter()
            .map(|w| (w.target, w.partition.as_str(), w.write_units))
            .collect();
        assert_eq!(
            found,
            [
                ("table", "SESSION#cs_1", 4),
                (index::BY_MERCHANT, "MERCHANT#mer_1#3", 2),
                (index::DUE_BY_TIME, "PENDING#4", 1),
            ]
        );
    }

    #[test]
    fn sizes_count_names_and_values() {
        let item = HashMap::from([
            ("ab".to_owned(), s("xyz")),
            ("n".to_owned(), AttributeValue::N("12345".to_owned())),
            ("flag".to_owned(), AttributeValue::Bool(true)),
        ]);
        assert_eq!(item_size(&item), 2 + 3 + 1 + 4 + 4 + 1);
    }
}
