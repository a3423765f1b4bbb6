//! A DynamoDB client interceptor that counts each operation's calls and computes the request
//! units DynamoDB on-demand would bill for them, from the items actually written and read.
//!
//! Item size follows DynamoDB's rules (attribute names plus values; numbers about one byte per
//! two digits; one byte of overhead per list or map element). Units:
//! - write: 1 WRU per started KB of the item, per table write; 2 for a write inside a
//!   transaction; every global secondary index the item keys costs a further write of the
//!   (fully projected) item; replacing an existing item (a conditional update) counts 2 per index
//!   (the old index entry is deleted, the new one written);
//! - read: 0.5 RRU per started 4 KB read (eventually consistent), 1 for a consistent read; a
//!   Query's items are summed before rounding; a read that finds nothing still costs its minimum.
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
    pub read_bytes: Vec<usize>,
}

/// Counts the calls of every client it is attached to.
#[derive(Debug, Default, Clone)]
pub struct DynamoMeter {
    tally: Arc<Mutex<Tally>>,
}

/// The number of global secondary indexes the table has (template.yaml: gsi1…gsi7).
const INDEXES: usize = 7;

impl DynamoMeter {
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

fn key_text(item: &HashMap<String, AttributeValue>, name: &str) -> String {
    item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
}

/// The indexes an item is written to (its gsiNpk attributes).
fn indexes_keyed(item: &HashMap<String, AttributeValue>) -> usize {
    (1..=INDEXES).filter(|n| item.contains_key(&format!("gsi{n}pk"))).count()
}

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

    fn put(&mut self, item: &HashMap<String, AttributeValue>, table_factor: f64, replaces: bool) {
        let size = item_size(item);
        let index_factor = if replaces { 2.0 } else { 1.0 };
        self.write_units += kb(size) * (table_factor + index_factor * indexes_keyed(item) as f64);
        self.written_bytes.push(size);
        self.written.push((key_text(item, "pk"), key_text(item, "sk")));
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
        if let Some(i) = input.downcast_ref::<PutItemInput>() {
            t.call("PutItem", true);
            if let Some(item) = i.item() {
                t.put(item, 1.0, replaces(i.condition_expression()));
            }
        } else if let Some(i) = input.downcast_ref::<TransactWriteItemsInput>() {
            t.call("TransactWriteItems", true);
            for w in i.transact_items() {
                if let Some(p) = w.put() {
                    t.put(p.item(), 2.0, replaces(p.condition_expression()));
                } else {
                    // Update, Delete and ConditionCheck: an item of at most 1 KB assumed.
                    t.write_units += 2.0;
                }
            }
        } else if input.downcast_ref::<UpdateItemInput>().is_some() {
            t.call("UpdateItem", true);
            t.write_units += 1.0;
        } else if input.downcast_ref::<DeleteItemInput>().is_some() {
            t.call("DeleteItem", true);
            t.write_units += 1.0;
        } else if let Some(i) = input.downcast_ref::<BatchWriteItemInput>() {
            t.call("BatchWriteItem", true);
            for requests in i.request_items().map(|m| m.values()).into_iter().flatten() {
                for r in requests {
                    if let Some(p) = r.put_request() {
                        t.put(p.item(), 1.0, false);
                    } else {
                        t.write_units += 1.0;
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
