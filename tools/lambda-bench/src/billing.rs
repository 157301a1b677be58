//! Write units as DynamoDB bills them, worked out from each item a write touched, as it was
//! before and after: DynamoDB Local's own `ConsumedCapacity` is no measure of that. In a
//! transaction it leaves out a put of more than 1 KB whose item also lands in an index that
//! projects some attributes (a 1,096-byte event written with a payment made the payment *cheaper*
//! than a 760-byte one), so a smaller item could read as a costlier write. The rules, from the
//! DynamoDB developer guide: a write costs one unit per KB begun of the larger of the item's two
//! images; each index entry the write puts, rewrites (a projected attribute changed) or deletes
//! costs one unit per KB begun of that entry, a changed index key both a delete and a put. A
//! transaction writes each of its items twice (prepare and commit), its condition checks too;
//! its changes reach the indexes afterwards, as any write's do ("Capacity management for
//! transactions", "Data synchronization between tables and global secondary indexes"), so
//! index entries count once.

use checkoutctl::table::IndexShape;
use serde_json::{Map, Value};

/// The table's key attributes and indexes.
pub struct Shape {
    /// Partition key attribute, then sort key attribute.
    pub keys: Vec<String>,
    /// Every global secondary index.
    pub indexes: Vec<IndexShape>,
}

/// One item a write touched, as DynamoDB JSON attribute maps.
pub struct Touched {
    /// The item before the write (none: it did not exist).
    pub before: Option<Map<String, Value>>,
    /// The item after the write (none: it does not exist, or was only checked).
    pub after: Option<Map<String, Value>>,
    /// Part of a `TransactWriteItems`.
    pub transactional: bool,
    /// A transaction's `ConditionCheck`: billed as a write of the item, changing nothing.
    pub check_only: bool,
}

/// Write units by target (`table` or an index's name) of the writes `touched`.
pub fn billed(shape: &Shape, touched: &[Touched]) -> Vec<(String, f64)> {
    let mut sums: Vec<(String, f64)> = Vec::new();
    let mut add = |target: &str, units: u64| {
        if units == 0 {
            return;
        }
        let units = units as f64;
        match sums.iter_mut().find(|(name, _)| name == target) {
            Some((_, sum)) => *sum += units,
            None => sums.push((target.to_owned(), units)),
        }
    };
    for item in touched {
        let factor = if item.transactional { 2 } else { 1 };
        let size = |image: &Option<Map<String, Value>>| image.as_ref().map_or(0, item_size);
        add(
            "table",
            factor * units(size(&item.before).max(size(&item.after))),
        );
        if item.check_only {
            continue;
        }
        for index in &shape.indexes {
            let before = item.before.as_ref().and_then(|i| entry(shape, index, i));
            let after = item.after.as_ref().and_then(|i| entry(shape, index, i));
            let writes = match (&before, &after) {
                (None, None) => 0,
                (None, Some(put)) => units(item_size(put)),
                (Some(deleted), None) => units(item_size(deleted)),
                (Some(old), Some(new)) if keys_of(index, old) != keys_of(index, new) => {
                    units(item_size(old)) + units(item_size(new))
                }
                (Some(old), Some(new)) if old != new => units(item_size(new)),
                (Some(_), Some(_)) => 0,
            };
            add(&index.name, writes);
        }
    }
    sums
}

/// The entry `item` has in `index`: the table's keys, the index's keys and what it projects;
/// none when the item lacks one of the index's keys (a sparse index).
fn entry(
    shape: &Shape,
    index: &IndexShape,
    item: &Map<String, Value>,
) -> Option<Map<String, Value>> {
    if index.keys.iter().any(|key| !item.contains_key(key)) {
        return None;
    }
    Some(
        item.iter()
            .filter(|(name, _)| {
                shape.keys.contains(name)
                    || index.keys.contains(name)
                    || index
                        .projected
                        .as_ref()
                        .is_none_or(|projected| projected.contains(name))
            })
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
    )
}

fn keys_of<'a>(index: &IndexShape, entry: &'a Map<String, Value>) -> Vec<Option<&'a Value>> {
    index.keys.iter().map(|key| entry.get(key)).collect()
}

/// Units of a write of `bytes`: one per KB begun, at least one.
fn units(bytes: usize) -> u64 {
    (bytes.div_ceil(1024).max(1)) as u64
}

/// An item's size as DynamoDB counts it: each attribute's name and value.
pub fn item_size(item: &Map<String, Value>) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// A DynamoDB JSON value's size: strings by length, binaries by their decoded length, numbers by
/// about one byte per two digits, containers three bytes plus one per element and their contents.
fn value_size(value: &Value) -> usize {
    let Some((kind, inner)) = value.as_object().and_then(|typed| typed.iter().next()) else {
        return 0;
    };
    let text = |v: &Value| v.as_str().map_or(0, str::len);
    let number = |v: &Value| {
        v.as_str()
            .map_or(0, |n| n.trim_start_matches('-').len().div_ceil(2) + 1)
    };
    let binary = |v: &Value| {
        v.as_str()
            .map_or(0, |b| b.trim_end_matches('=').len() * 3 / 4)
    };
    let each =
        |f: &dyn Fn(&Value) -> usize| inner.as_array().map_or(0, |all| all.iter().map(f).sum());
    match kind.as_str() {
        "S" => text(inner),
        "N" => number(inner),
        "B" => binary(inner),
        "BOOL" | "NULL" => 1,
        "L" => 3 + each(&|v| 1 + value_size(v)),
        "M" => {
            3 + inner.as_object().map_or(0, |map| {
                map.iter()
                    .map(|(name, v)| 1 + name.len() + value_size(v))
                    .sum()
            })
        }
        "SS" => each(&text),
        "NS" => each(&number),
        "BS" => each(&binary),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shape() -> Shape {
        Shape {
            keys: vec!["pk".into(), "sk".into()],
            indexes: vec![
                IndexShape {
                    name: "all".into(),
                    keys: vec!["g".into()],
                    projected: None,
                },
                IndexShape {
                    name: "keys".into(),
                    keys: vec!["k".into()],
                    projected: Some(Vec::new()),
                },
            ],
        }
    }

    fn item(value: Value) -> Option<Map<String, Value>> {
        value.as_object().cloned()
    }

    #[test]
    fn a_transactional_put_counts_twice_in_the_table_and_once_in_each_index_it_lands_in() {
        let put = Touched {
            before: None,
            after: item(
                json!({"pk": {"S": "a"}, "sk": {"S": "b"}, "g": {"S": "x"}, "body": {"S": "y".repeat(1_100)}}),
            ),
            transactional: true,
            check_only: false,
        };
        assert_eq!(
            billed(&shape(), &[put]),
            [("table".to_owned(), 4.0), ("all".to_owned(), 2.0)]
        );
    }

    #[test]
    fn an_update_rewrites_only_the_entries_whose_projection_changed() {
        let before = json!({"pk": {"S": "a"}, "sk": {"S": "b"}, "g": {"S": "x"}, "k": {"S": "z"}, "n": {"N": "1"}});
        let mut after = before.clone();
        after["n"] = json!({"N": "2"});
        let update = Touched {
            before: item(before.clone()),
            after: item(after),
            transactional: false,
            check_only: false,
        };
        assert_eq!(
            billed(&shape(), &[update]),
            [("table".to_owned(), 1.0), ("all".to_owned(), 1.0)]
        );
        let mut moved = before.clone();
        moved["k"] = json!({"S": "other"});
        let key_change = Touched {
            before: item(before),
            after: item(moved),
            transactional: false,
            check_only: false,
        };
        assert_eq!(
            billed(&shape(), &[key_change]),
            [
                ("table".to_owned(), 1.0),
                ("all".to_owned(), 1.0),
                ("keys".to_owned(), 2.0)
            ]
        );
    }

    #[test]
    fn sizes_count_names_and_values_as_dynamodb_does() {
        let map = item(json!({"ab": {"S": "xyz"}, "n": {"N": "12345"}, "b": {"B": "AAAA"}, "l": {"L": [{"BOOL": true}]}})).unwrap_or_default();
        assert_eq!(item_size(&map), 2 + 3 + 1 + 4 + 1 + 3 + 1 + 3 + 1 + 1);
    }
}
