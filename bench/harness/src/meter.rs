//! A DynamoDB client interceptor that counts each operation's calls and computes the request
//! units DynamoDB on-demand would bill for them, from the items actually written and read.
//!
//! Item size follows DynamoDB's rules (attribute names plus values; numbers about one byte per
//! two digits; one byte of overhead per list or map element). Units, as the DynamoDB developer
//! guide states them (read/write capacity units, "Global secondary indexes: writes"):
//! - table write: 1 WRU per started KB of the larger of the item before and after it, 2 inside
//!   a transaction;
//! - index write: each global secondary index (template.yaml's, with its projection) whose
//!   entry of the item the write changes costs 1 WRU per started KB of the entry (its keys and
//!   projected attributes): an entry added or removed is one write, an entry whose index key
//!   changed is two (the old one deleted, the new one put), an entry whose projected attributes
//!   changed under the same key is one, and an entry the write leaves as it was costs nothing.
//!   Index writes are not doubled by a transaction. The item before a write is what the meter
//!   saw written under its key; a write expecting an item the meter never saw counts each of
//!   its entries as moved (two writes);
//! - UpdateItem: 1 WRU (2 in a transaction), an item of at most 1 KB assumed, and no index
//!   write: the journey's updates (rate buckets, figures, a follower's confirmation, a contact's
//!   expiry) touch no index key and no projected attribute (gsi8 holds keys only);
//! - read: 0.5 RRU per started 4 KB read (eventually consistent), 1 for a consistent read; a
//!   Query's items are summed before rounding, BatchGetItem's are rounded each; a read that
//!   finds nothing still costs its minimum.
//!
//! These are computed, not reported by the emulator.

use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::{
    batch_get_item::{BatchGetItemInput, BatchGetItemOutput},
    batch_write_item::BatchWriteItemInput,
    delete_item::DeleteItemInput,
    get_item::{GetItemInput, GetItemOutput},
    put_item::PutItemInput,
    query::{QueryInput, QueryOutput},
    scan::ScanInput,
    transact_get_items::{TransactGetItemsInput, TransactGetItemsOutput},
    transact_write_items::TransactWriteItemsInput,
    update_item::UpdateItemInput,
};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// What a stretch of work cost in DynamoDB.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Tally {
    /// Calls by operation name.
    pub calls: BTreeMap<String, u32>,
    pub read_calls: u32,
    pub write_calls: u32,
    pub read_units: f64,
    pub write_units: f64,
    /// Keys (pk, sk) of the items written, in order (sizes in `written_bytes`).
    pub written: Vec<(String, String)>,
    /// Sizes in bytes of the items written and read.
    pub written_bytes: Vec<usize>,
    /// What each item written occupies in the table's global secondary indexes once written:
    /// its entries' sizes (keys and projected attributes), each with DynamoDB's 100 bytes of
    /// index overhead (the storage an index adds; point-in-time recovery bills none of it).
    pub written_index_bytes: Vec<usize>,
    pub read_bytes: Vec<usize>,
}

/// Counts the calls of every client it is attached to.
#[derive(Debug, Default, Clone)]
pub struct DynamoMeter {
    tally: Arc<Mutex<Tally>>,
    indexes: Arc<Vec<Index>>,
    /// Each item as the meter saw it last written: what the next write of its key replaces.
    stored: Arc<Mutex<HashMap<(String, String), Item>>>,
}

type Item = HashMap<String, AttributeValue>;

/// What a global secondary index holds of an item.
#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    All,
    Include(Vec<String>),
    KeysOnly,
}

/// A global secondary index: its key attributes and its projection.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub name: String,
    pub keys: Vec<String>,
    pub projection: Projection,
}

impl Index {
    /// The index's entry of `item`: none unless the item has every key attribute of the index
    /// (a sparse index); else the table's keys, the index's and what it projects.
    fn entry(&self, item: &Item) -> Option<Item> {
        if !self.keys.iter().all(|k| item.contains_key(k)) {
            return None;
        }
        let kept = |name: &str| match &self.projection {
            Projection::All => true,
            Projection::Include(names) => names.iter().any(|n| n == name),
            Projection::KeysOnly => false,
        };
        Some(
            item.iter()
                .filter(|(name, _)| {
                    name.as_str() == "pk" || name.as_str() == "sk" || self.keys.contains(name) || kept(name)
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// The write units one write costs this index, from the item before it to the item after.
    fn write_units(&self, before: Option<&Item>, after: Option<&Item>) -> f64 {
        let (before, after) = (before.and_then(|b| self.entry(b)), after.and_then(|a| self.entry(a)));
        match (before, after) {
            (None, None) => 0.0,
            (None, Some(e)) | (Some(e), None) => kb(item_size(&e)),
            (Some(b), Some(a)) if self.keys.iter().any(|k| b.get(k) != a.get(k)) => {
                kb(item_size(&b)) + kb(item_size(&a))
            }
            (Some(b), Some(a)) if b == a => 0.0,
            (Some(b), Some(a)) => kb(item_size(&b).max(item_size(&a))),
        }
    }
}

/// The global secondary indexes of template.yaml's table (`Resources.TicketsTable`).
pub fn template_indexes(root: &std::path::Path) -> Vec<Index> {
    let text = std::fs::read_to_string(root.join("template.yaml"))
        .unwrap_or_else(|e| crate::fail(format!("template.yaml: {e}")));
    let template: serde_yaml::Value = serde_yaml::from_str(&text).unwrap_or_else(|e| crate::fail(e));
    indexes_of(&template["Resources"]["TicketsTable"]["Properties"])
}

fn indexes_of(table: &serde_yaml::Value) -> Vec<Index> {
    let texts = |v: &serde_yaml::Value| -> Vec<String> {
        v.as_sequence().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_owned)).collect()
    };
    let mut indexes = Vec::new();
    for g in table["GlobalSecondaryIndexes"].as_sequence().into_iter().flatten() {
        let keys: Vec<String> = g["KeySchema"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|k| k["AttributeName"].as_str().map(str::to_owned))
            .collect();
        let projection = match g["Projection"]["ProjectionType"].as_str() {
            Some("KEYS_ONLY") => Projection::KeysOnly,
            Some("INCLUDE") => Projection::Include(texts(&g["Projection"]["NonKeyAttributes"])),
            _ => Projection::All,
        };
        let name = g["IndexName"].as_str().unwrap_or_default().to_owned();
        indexes.push(Index { name, keys, projection });
    }
    if indexes.is_empty() {
        crate::fail("template.yaml: the table has no global secondary index");
    }
    indexes
}

impl DynamoMeter {
    /// A meter for a table with these global secondary indexes.
    pub fn new(indexes: Vec<Index>) -> Self {
        Self { indexes: Arc::new(indexes), ..Self::default() }
    }

    /// A client to the same endpoint with this meter attached.
    pub fn client(&self, sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::config::Builder::from(sdk).interceptor(self.clone()).build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    /// What was counted since the last `take`, and starts over.
    pub fn take(&self) -> Tally {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An item's size as DynamoDB counts it.
pub fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(name, value)| name.len() + value_size(value)).sum()
}

fn number_size(n: &str) -> usize {
    let digits = n.chars().filter(char::is_ascii_digit).count();
    digits.div_ceil(2) + 1
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(v) => 3 + v.iter().map(|e| 1 + value_size(e)).sum::<usize>(),
        AttributeValue::M(m) => 3 + m.iter().map(|(k, e)| 1 + k.len() + value_size(e)).sum::<usize>(),
        _ => 0,
    }
}

fn key_of(item: &Item) -> (String, String) {
    (key_text(item, "pk"), key_text(item, "sk"))
}

fn key_text(item: &HashMap<String, AttributeValue>, name: &str) -> String {
    item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
}

/// The bytes DynamoDB adds to each index entry's size for storage.
const INDEX_ENTRY_OVERHEAD: usize = 100;

fn kb(size: usize) -> f64 {
    size.div_ceil(1024).max(1) as f64
}

fn read_units(size: usize, consistent: bool) -> f64 {
    size.div_ceil(4096).max(1) as f64 * if consistent { 1.0 } else { 0.5 }
}

impl Tally {
    fn call(&mut self, operation: &str, write: bool) {
        *self.calls.entry(operation.to_owned()).or_default() += 1;
        if write {
            self.write_calls += 1;
        } else {
            self.read_calls += 1;
        }
    }

    /// A put of `item` over `before` (what the meter saw under its key; `None` for nothing).
    fn put(
        &mut self,
        indexes: &[Index],
        before: Option<&Item>,
        item: &Item,
        table_factor: f64,
        replaces: bool,
    ) {
        let size = item_size(item);
        let larger = before.map_or(size, |b| item_size(b).max(size));
        let mut units = kb(larger) * table_factor;
        for index in indexes {
            units += match before {
                // Replacing an item never seen: its entries are taken to have moved.
                None if replaces => index.write_units(None, Some(item)) * 2.0,
                _ => index.write_units(before, Some(item)),
            };
        }
        self.write_units += units;
        self.written_bytes.push(size);
        self.written_index_bytes.push(
            indexes.iter().filter_map(|i| i.entry(item)).map(|e| item_size(&e) + INDEX_ENTRY_OVERHEAD).sum(),
        );
        self.written.push((key_text(item, "pk"), key_text(item, "sk")));
    }

    /// A delete of `before` (the item the meter saw under the key, if any).
    fn delete(&mut self, indexes: &[Index], before: Option<&Item>, table_factor: f64) {
        let size = before.map_or(0, item_size);
        self.write_units += kb(size) * table_factor;
        self.write_units += indexes.iter().map(|i| i.write_units(before, None)).sum::<f64>();
    }
}

/// A conditional write that expects the item to exist (a version check) replaces it.
fn replaces(condition: Option<&str>) -> bool {
    condition.is_some_and(|c| !c.contains("attribute_not_exists"))
}

impl Intercept for DynamoMeter {
    fn name(&self) -> &'static str {
        "DynamoMeter"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input();
        let mut t = self.lock();
        let mut stored = self.stored.lock().unwrap_or_else(|p| p.into_inner());
        let indexes = self.indexes.as_slice();
        let put = |t: &mut Tally, stored: &mut HashMap<_, _>, item: &Item, factor, condition| {
            let before = stored.insert(key_of(item), item.clone());
            t.put(indexes, before.as_ref(), item, factor, replaces(condition));
        };
        if let Some(i) = input.downcast_ref::<PutItemInput>() {
            t.call("PutItem", true);
            if let Some(item) = i.item() {
                put(&mut t, &mut stored, item, 1.0, i.condition_expression());
            }
        } else if let Some(i) = input.downcast_ref::<TransactWriteItemsInput>() {
            t.call("TransactWriteItems", true);
            for w in i.transact_items() {
                if let Some(p) = w.put() {
                    put(&mut t, &mut stored, p.item(), 2.0, p.condition_expression());
                } else if let Some(d) = w.delete() {
                    let before = stored.remove(&key_of(d.key()));
                    t.delete(indexes, before.as_ref(), 2.0);
                } else {
                    // Update and ConditionCheck: an item of at most 1 KB assumed.
                    t.write_units += 2.0;
                }
            }
        } else if input.downcast_ref::<UpdateItemInput>().is_some() {
            t.call("UpdateItem", true);
            t.write_units += 1.0;
        } else if let Some(i) = input.downcast_ref::<DeleteItemInput>() {
            t.call("DeleteItem", true);
            let before = i.key().and_then(|k| stored.remove(&key_of(k)));
            t.delete(indexes, before.as_ref(), 1.0);
        } else if let Some(i) = input.downcast_ref::<BatchWriteItemInput>() {
            t.call("BatchWriteItem", true);
            for requests in i.request_items().map(|m| m.values()).into_iter().flatten() {
                for r in requests {
                    if let Some(p) = r.put_request() {
                        put(&mut t, &mut stored, p.item(), 1.0, None);
                    } else if let Some(d) = r.delete_request() {
                        let before = stored.remove(&key_of(d.key()));
                        t.delete(indexes, before.as_ref(), 1.0);
                    }
                }
            }
        } else if let Some(i) = input.downcast_ref::<GetItemInput>() {
            t.call("GetItem", false);
            // The output adds the eventually consistent half; a consistent read costs double.
            if i.consistent_read() == Some(true) {
                t.read_units += 0.5;
            }
        } else if let Some(i) = input.downcast_ref::<QueryInput>() {
            t.call("Query", false);
            if i.consistent_read() == Some(true) {
                t.read_units += 0.5;
            }
        } else if input.downcast_ref::<BatchGetItemInput>().is_some() {
            t.call("BatchGetItem", false);
        } else if input.downcast_ref::<TransactGetItemsInput>().is_some() {
            t.call("TransactGetItems", false);
        } else if input.downcast_ref::<ScanInput>().is_some() {
            t.call("Scan", false);
        } else {
            t.call("Other", false);
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(output) = context.output_or_error() else { return Ok(()) };
        let mut t = self.lock();
        if let Some(o) = output.downcast_ref::<GetItemOutput>() {
            let size = o.item().map(item_size).unwrap_or(0);
            t.read_units += read_units(size, false);
            t.read_bytes.push(size);
        } else if let Some(o) = output.downcast_ref::<QueryOutput>() {
            let size: usize = o.items().iter().map(item_size).sum();
            t.read_units += read_units(size, false);
            t.read_bytes.push(size);
        } else if let Some(o) = output.downcast_ref::<BatchGetItemOutput>() {
            for items in o.responses().map(|m| m.values()).into_iter().flatten() {
                for item in items {
                    let size = item_size(item);
                    t.read_units += read_units(size, false);
                    t.read_bytes.push(size);
                }
            }
        } else if let Some(o) = output.downcast_ref::<TransactGetItemsOutput>() {
            for r in o.responses() {
                let size = r.item().map(item_size).unwrap_or(0);
                t.read_units += 2.0 * read_units(size, true);
                t.read_bytes.push(size);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pairs: &[(&str, &str)]) -> Item {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), AttributeValue::S((*v).to_owned()))).collect()
    }

    fn index(projection: Projection) -> Index {
        Index { name: "gsi".into(), keys: vec!["gpk".into(), "gsk".into()], projection }
    }

    #[test]
    fn an_index_write_costs_what_its_entry_changes() {
        let all = index(Projection::All);
        let before = item(&[("pk", "T#1"), ("gpk", "Q#a"), ("gsk", "1"), ("status", "open")]);
        let moved = item(&[("pk", "T#1"), ("gpk", "Q#a"), ("gsk", "2"), ("status", "open")]);
        let changed = item(&[("pk", "T#1"), ("gpk", "Q#a"), ("gsk", "1"), ("status", "closed")]);
        let unkeyed = item(&[("pk", "T#1"), ("status", "open")]);
        assert_eq!(all.write_units(None, Some(&before)), 1.0, "added");
        assert_eq!(all.write_units(Some(&before), None), 1.0, "removed");
        assert_eq!(all.write_units(Some(&before), Some(&unkeyed)), 1.0, "left the sparse index");
        assert_eq!(all.write_units(None, Some(&unkeyed)), 0.0, "never in it");
        assert_eq!(all.write_units(Some(&before), Some(&moved)), 2.0, "key changed: delete and put");
        assert_eq!(all.write_units(Some(&before), Some(&changed)), 1.0, "a projected attribute changed");
        assert_eq!(all.write_units(Some(&before), Some(&before)), 0.0, "nothing changed");
        let keys_only = index(Projection::KeysOnly);
        assert_eq!(keys_only.write_units(Some(&before), Some(&changed)), 0.0, "status is not projected");
        let include = index(Projection::Include(vec!["status".into()]));
        assert_eq!(include.write_units(Some(&before), Some(&changed)), 1.0);
    }

    #[test]
    fn an_entry_is_billed_by_its_projected_size() {
        let big = "x".repeat(3000);
        let item = item(&[("pk", "T#1"), ("gpk", "Q#a"), ("gsk", "1"), ("description", big.as_str())]);
        assert_eq!(index(Projection::All).write_units(None, Some(&item)), 3.0);
        assert_eq!(index(Projection::KeysOnly).write_units(None, Some(&item)), 1.0);
    }

    #[test]
    fn an_item_occupies_its_projected_entries_in_the_indexes_it_belongs_to() {
        let written = item(&[("pk", "T#1"), ("sk", "T"), ("gpk", "Q#a"), ("gsk", "1"), ("status", "open")]);
        let indexes = [
            index(Projection::All),
            index(Projection::KeysOnly),
            Index { keys: vec!["other".into()], ..index(Projection::All) },
        ];
        let mut tally = Tally::default();
        tally.put(&indexes, None, &written, 1.0, false);
        // All: every attribute; keys only: pk, sk, gpk, gsk; the third index has no entry.
        let all = item_size(&written);
        let keys = all - "status".len() - "open".len();
        assert_eq!(tally.written_index_bytes, vec![all + 100 + keys + 100]);
    }

    #[test]
    fn the_templates_indexes_are_read_with_their_projections() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let indexes = template_indexes(&root);
        let gsi8 = indexes.iter().find(|i| i.name == "gsi8").unwrap();
        assert_eq!((gsi8.keys.clone(), &gsi8.projection), (vec!["gsi8pk".to_owned()], &Projection::KeysOnly));
        let gsi7 = indexes.iter().find(|i| i.name == "gsi7").unwrap();
        assert!(matches!(&gsi7.projection, Projection::Include(names) if names.contains(&"pin".to_owned())));
    }
}
