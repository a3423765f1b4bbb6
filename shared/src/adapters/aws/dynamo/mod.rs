//! The DynamoDB adapter: one table holds tickets with their history, reporters and followers,
//! submission tokens and idempotency records, API keys, the catalog, and the marks of the
//! notification pipeline.
//!
//! | item       | pk              | sk                      | gsi1pk / gsi1sk                         | gsi2pk / gsi2sk                      |
//! |------------|-----------------|-------------------------|-----------------------------------------|--------------------------------------|
//! | ticket     | `TICKET#<id>`   | `TICKET`                | `REQUESTED#<yyyy-mm>` / `<requested>#<id>` | `UPDATED#<yyyy-mm>` / `<updated>#<id>` |
//! | history    | `TICKET#<id>`   | `HISTORY#<version:010>` | public ones: `UPDATE#<yyyy-mm>` / `<at>#<id>#<version:010>` | –               |
//! | token      | `TOKEN#<token>` | `TOKEN`                 | –                                       | –                                    |
//! | replay     | `IDEMPOTENCY#<key hash>` | `IDEMPOTENCY`  | –                                       | –                                    |
//! | API key    | `APIKEY#<hash>` | `APIKEY`                | `APIKEYS` / `<created>#<id>`            | –                                    |
//! | service    | `CATALOG`       | `SERVICE#<code>`        | –                                       | –                                    |
//! | department | `CATALOG`       | `DEPARTMENT#<code>`     | –                                       | –                                    |
//! | calendar   | `CATALOG`       | `CALENDAR`              | –                                       | –                                    |
//! | routing    | `CATALOG`       | `ROUTING`               | –                                       | –                                    |
//! | banner     | `CATALOG`       | `BANNER`                | –                                       | –                                    |
//! | templates  | `CATALOG`       | `TEMPLATES`             | –                                       | –                                    |
//! | follower   | `TICKET#<id>`   | `FOLLOWER#<contact key>` | –                                     | –                                    |
//! | published  | `EVENT#<event id>` | `EVENT`              | –                                       | –                                    |
//! | delivery   | `DELIVERY#<event id>#<contact mark>` | `DELIVERY` | –                             | –                                    |
//! | continuation | `DELIVERY#<event id>#after#<contact mark>` | `DELIVERY` | –                   | –                                    |
//! | reporter   | `TICKET#<id>`   | `REPORTER`, `REPORTER#PHONE` | –                                  | –                                    |
//! | unsubscribe link | `UNSUB#<token>` | `UNSUB`           | –                                       | –                                    |
//! | confirmation link | `CONFIRM#<token>` | `CONFIRM`       | –                                       | –                                    |
//! | upload     | `UPLOAD#<id>`   | `UPLOAD`                | –                                       | –                                    |
//! | processing | `PHOTO#<upload id>` | `PHOTO`             | –                                       | –                                    |
//! | address    | `ADDRESS#<id>`  | `ADDRESS`               | –                                       | –                                    |
//! | address text | `ADDRESS_TEXT#<first 3 characters>` | `<normalised text>#<id>` | –             | –                                    |
//! | address cell | `ADDRESS_CELL#<geohash-7>` | `<geohash-10>#<id>` | –                           | –                                    |
//!
//! Tickets key four more indexes: gsi3, the department queues (`QUEUE#<dept>#open|closed` /
//! `<updated>#<id>`, every ticket), and three sparse ones while the ticket is open: gsi4
//! (`ASSIGNEE#<user>` / `<updated>#<id>`), gsi5 (`DUE#<dept>` / `<expected>#<id>`) and gsi6,
//! the nearby index (`NEAR#<service>#<geohash-6>` / `<geohash-9>#<id>`), for those with a point.
//! gsi7, the public map, keys every public request with a point, open or closed
//! (`MAP#<geohash-5>` / `OPEN#<updated>#<id>` or `CLOSED#<closed>#<id>`), and projects only
//! what a pin shows (the point as `pin`, service, status, times): one Query per cell reads its
//! open requests and those closed since a time, as the closed sort before the open.
//! Contacts are kept apart from the ticket (the reporter's items, followers) and leave by TTL
//! `ContactRetentionDays` after a closing. A contact key is an HMAC of the town's contact secret
//! ([`crate::domain::privacy`]); every item holding one contact (a reporter's item, a follower,
//! a link sent to it) carries `gsi8pk` = `PERSON#<contact key>`, a keys-only index that answers
//! export and erasure; a delivery claim names only a one-way mark of it.
//! Each address point is kept three times, whole: under its id, in the search index (once
//! under its normalised line and once under its street first, so `begins_with` Queries answer
//! suggestions) and in the point index (a cell of about 150 m, read with its neighbours for the
//! address under a pin). Loading replaces an address by id and its entries under the same
//! text and cell; an entry under a line or cell the address no longer has is left as it was.
//! Idempotency records, published-event marks, delivery claims, unsubscribe and confirmation
//! links, pending followers (`confirmed` false) and photo processing records expire through TTL (`expires_at`); TTL deletes up to days late, so a read
//! that decides expiry compares `expires_at` with a clock. A delivery whose recipient was
//! refused for good keeps its claim with the service's code (`undeliverable`); a continuation
//! claim marks the rest of a large fan-out as handed to the notify queue once.
//!
//! Month partitions are UTC. Every access is a key lookup or a Query on a key; nothing scans.
//! Keys are spelled in `keys`, items in `items`, each port in a module of its own.
//! template.yaml declares the same keys and indexes.

mod addresses;
mod api_keys;
mod banner;
mod canned;
mod catalog;
mod deliveries;
mod items;
mod keys;
mod listing;
mod map;
mod outbox;
mod privacy;
mod rates;
mod stats;
mod tickets;
mod uploads;

pub use items::TableItem;

use crate::domain::listing::Window;
use crate::ports::StoreError;
use crate::runtime::clock::{Clock, SystemClock};
use crate::runtime::config::Config;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use serde::{Serialize, de::DeserializeOwned};
use std::collections::HashMap;
use std::sync::Arc;

/// DynamoDB's limits on key values, in bytes: a longer one names no item, and asking for it
/// would only be refused.
const MAX_PARTITION_KEY: usize = 2048;
const MAX_SORT_KEY: usize = 1024;
/// BatchGetItem's limit on keys per call.
const BATCH_GET_MAX: usize = 100;

type Item = HashMap<String, AttributeValue>;

/// The town311 table in DynamoDB: tickets, catalog and API keys.
#[derive(Clone)]
pub struct DynamoTable {
    client: Client,
    table: String,
    /// Decides what has expired: TTL deletes an expired item up to days late, so every read
    /// of an item that expires compares its `expires_at` with this clock.
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DynamoTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoTable").field("table", &self.table).finish_non_exhaustive()
    }
}

impl DynamoTable {
    pub fn new(sdk: &aws_config::SdkConfig, config: &Config) -> Self {
        Self::with_client(Client::new(sdk), &config.table_name)
    }

    pub fn with_client(client: Client, table: &str) -> Self {
        Self { client, table: table.to_owned(), clock: Arc::new(SystemClock) }
    }

    /// The same table judging expiry by `clock`'s time.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Opens the connection to DynamoDB in the background, so a function's first request does
    /// not wait for it: one read of a key nothing is stored under (GetItem, which every function
    /// may call; 0.5 RRU). A failure is only logged.
    pub fn connect_ahead(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let request = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(keys::CATALOG))
            .key("sk", s(keys::CONNECTION));
        runtime.spawn(async move {
            if let Err(error) = request.send().await {
                tracing::warn!(error = %crate::runtime::chain(&error), "DynamoDB connection ahead failed");
            }
        });
    }

    /// The item under `key`, if there is one.
    async fn get_item<T: DeserializeOwned>(&self, key: keys::Key) -> Result<Option<T>, StoreError> {
        let keys::Key { pk, sk } = key;
        if pk.len() > MAX_PARTITION_KEY || sk.len() > MAX_SORT_KEY {
            return Ok(None);
        }
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk.clone()))
            .key("sk", s(sk.clone()))
            .send()
            .await
            .map_err(unavailable("GetItem"))?;
        output.item.map(|item| decode(item, &format!("{pk}/{sk}"))).transpose()
    }

    /// The items stored under `keys` (BatchGetItem, 100 keys a call, in no particular order);
    /// keys nothing is stored under are left out. Unprocessed keys are asked again a few
    /// times with a short pause, as AWS advises.
    async fn batch_get(&self, keys: Vec<keys::Key>) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        for chunk in keys.chunks(BATCH_GET_MAX) {
            let mut request = KeysAndAttributes::builder();
            for keys::Key { pk, sk } in chunk {
                request = request.keys(HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))]));
            }
            let mut request = Some(request.build().map_err(|e| StoreError::unavailable("BatchGetItem", e))?);
            for attempt in 0..5u32 {
                let Some(keys) = request.take() else { break };
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, keys)
                    .send()
                    .await
                    .map_err(unavailable("BatchGetItem"))?;
                items.extend(output.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default());
                request = output.unprocessed_keys.and_then(|mut u| u.remove(&self.table));
                if request.is_some() {
                    tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                }
            }
            if request.is_some() {
                return Err(StoreError::unavailable("BatchGetItem", "keys left unprocessed after retries"));
            }
        }
        Ok(items)
    }

    async fn put_item(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable("PutItem"))?;
        Ok(())
    }

    /// Removes the item under `key`; removing none is no error.
    async fn delete_item(&self, key: keys::Key) -> Result<(), StoreError> {
        let keys::Key { pk, sk } = key;
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .send()
            .await
            .map_err(unavailable("DeleteItem"))?;
        Ok(())
    }

    /// Every item of partition `pk` whose sort key starts with `prefix`, in sort-key order.
    async fn items_under<T: DeserializeOwned>(&self, pk: &str, prefix: &str) -> Result<Vec<T>, StoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .into_paginator()
            .items()
            .send();
        let mut items = Vec::new();
        while let Some(item) = pages.next().await {
            items.push(decode(item.map_err(unavailable("Query"))?, &format!("{pk}/{prefix}"))?);
        }
        Ok(items)
    }

    /// Reads the month partitions (`partition` of each month) of time index `index` between two
    /// stamps, newest first, decoding each item and keeping those `keep` accepts, until `limit`.
    async fn query_window<T: DeserializeOwned>(
        &self,
        index: &str,
        partition: fn(&str) -> String,
        window: Window,
        filter: Option<(String, HashMap<String, String>, Item)>,
        limit: usize,
        mut keep: impl FnMut(&T) -> bool,
    ) -> Result<Vec<T>, StoreError> {
        let (pk_name, sk_name) = (format!("{index}pk"), format!("{index}sk"));
        let mut found = Vec::new();
        for month in window.months() {
            let pk = partition(&month);
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                .expression_attribute_names("#pk", &pk_name)
                .expression_attribute_names("#sk", &sk_name)
                .expression_attribute_values(":pk", s(pk.clone()))
                .expression_attribute_values(":from", s(keys::stamp(window.from())))
                // `~` sorts after every character of an id, so the window's last instant counts.
                .expression_attribute_values(":to", s(format!("{}~", keys::stamp(window.to()))))
                .scan_index_forward(false);
            if let Some((expression, names, values)) = &filter {
                query = query.filter_expression(expression);
                for (k, v) in names {
                    query = query.expression_attribute_names(k, v);
                }
                for (k, v) in values {
                    query = query.expression_attribute_values(k, v.clone());
                }
            }
            let mut pages = query.into_paginator().items().send();
            while let Some(item) = pages.next().await {
                let item = item.map_err(unavailable("Query"))?;
                let value: T = decode(item, &format!("{index}/{pk}"))?;
                if keep(&value) {
                    found.push(value);
                    if found.len() >= limit {
                        return Ok(found);
                    }
                }
            }
        }
        Ok(found)
    }
}
fn decode<T: DeserializeOwned>(item: impl Into<serde_dynamo::Item>, key: &str) -> Result<T, StoreError> {
    serde_dynamo::from_item(item.into())
        .map_err(|e| StoreError::Corrupt { key: key.to_owned(), source: Box::new(e) })
}

fn encode(value: &impl Serialize) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value)
        .map_err(|e| StoreError::Corrupt { key: "(new item)".to_owned(), source: Box::new(e) })
}

fn unavailable<E>(operation: &'static str) -> impl FnOnce(SdkError<E>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| StoreError::unavailable(operation, e)
}

/// A conditional write's output, or `None` when its condition did not hold.
fn conditional<O, E>(result: Result<O, SdkError<E>>, operation: &'static str) -> Result<Option<O>, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(e)
            if e.as_service_error().and_then(ProvideErrorMetadata::code)
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(None)
        }
        Err(e) => Err(unavailable(operation)(e)),
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}
/// Tries at a transaction that keeps meeting other transactions on its items.
const TRANSACT_TRIES: u32 = 5;
/// Pauses between those tries: a conflict clears in milliseconds.
const TRANSACT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(25);
const TRANSACT_BACKOFF_CAP: std::time::Duration = std::time::Duration::from_millis(400);

/// Why DynamoDB refused a transaction, which decides what the writer does next.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    /// Conditions did not hold: for each item, whether its condition failed. Nothing was
    /// written, and the same write would be refused again.
    Conditions(Vec<bool>),
    /// Another transaction was writing one of the items at the same moment (or this one is
    /// still in progress): nothing was written, and a try a moment later goes through.
    Contention,
    /// Anything else: throttling, a fault, a request DynamoDB could not take.
    Outage,
}

/// Reads a refusal from the error's code and, for a cancelled transaction, the reason of each
/// item. A failed condition settles it even if another item also met a conflict: trying again
/// would fail the same way.
fn refusal(error_code: Option<&str>, reasons: &[Option<&str>]) -> Refusal {
    let failed: Vec<bool> = reasons.iter().map(|r| *r == Some("ConditionalCheckFailed")).collect();
    if failed.contains(&true) {
        return Refusal::Conditions(failed);
    }
    let contended = reasons.contains(&Some("TransactionConflict"))
        || matches!(error_code, Some("TransactionConflictException" | "TransactionInProgressException"));
    if contended { Refusal::Contention } else { Refusal::Outage }
}

/// The refusal behind a failed TransactWriteItems call.
fn refusal_of<R>(e: &SdkError<TransactWriteItemsError, R>) -> Refusal {
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    let Some(service_error) = e.as_service_error() else { return Refusal::Outage };
    let reasons: Vec<String> = match service_error {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => {
            let given: Vec<String> = cancelled
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("None").to_owned())
                .collect();
            let message = cancelled.message().unwrap_or_default();
            match (given.is_empty(), reasons_in_message(message)) {
                (false, _) => given,
                (true, listed) if !listed.is_empty() => listed,
                // A condition failed, but which one was not said.
                _ if message.contains("ConditionalCheckFailed") => return Refusal::Conditions(Vec::new()),
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    let reasons: Vec<Option<&str>> =
        reasons.iter().map(|r| Some(r.as_str()).filter(|r| *r != "None")).collect();
    refusal(service_error.code(), &reasons)
}

/// The reasons a cancellation message lists, `… reasons [None, ConditionalCheckFailed]`, for
/// endpoints that give them only there.
fn reasons_in_message(message: &str) -> Vec<String> {
    let Some((_, list)) = message.rsplit_once('[') else { return Vec::new() };
    let list = list.split(']').next().unwrap_or_default();
    list.split(',').map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()).collect()
}

/// Sends a transaction, trying again while it only meets other transactions (bounded, with
/// jittered pauses); `Some` with each item's failed condition when conditions did not hold.
async fn send_transaction(
    transaction: aws_sdk_dynamodb::operation::transact_write_items::builders::TransactWriteItemsFluentBuilder,
) -> Result<Option<Vec<bool>>, StoreError> {
    // One token for every try: should a try that timed out or was still in progress have
    // committed after all, the next one returns its success instead of failing a condition
    // (which would read as a taken ticket number and write the ticket twice).
    let token = crate::domain::id::random_token(&crate::domain::id::OsRandom).ok();
    let transaction = transaction.set_client_request_token(token);
    let mut attempt = 0;
    loop {
        let error = match transaction.clone().send().await {
            Ok(_) => return Ok(None),
            Err(error) => error,
        };
        match refusal_of(&error) {
            Refusal::Conditions(failed) => return Ok(Some(failed)),
            Refusal::Contention if attempt + 1 < TRANSACT_TRIES => {
                tracing::info!(attempt, "transaction met another on its items; trying again");
                crate::runtime::backoff::pause(attempt, TRANSACT_BACKOFF, TRANSACT_BACKOFF_CAP).await;
                attempt += 1;
            }
            Refusal::Contention | Refusal::Outage => {
                return Err(StoreError::unavailable("TransactWriteItems", error));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_that_met_another_is_tried_again() {
        let reasons = [None, Some("TransactionConflict"), None];
        assert_eq!(refusal(Some("TransactionCanceledException"), &reasons), Refusal::Contention);
        assert_eq!(refusal(Some("TransactionConflictException"), &[]), Refusal::Contention);
        assert_eq!(refusal(Some("TransactionInProgressException"), &[]), Refusal::Contention);
    }

    #[test]
    fn a_failed_condition_is_a_condition_even_beside_a_conflict() {
        let reasons = [Some("TransactionConflict"), None, Some("ConditionalCheckFailed")];
        assert_eq!(
            refusal(Some("TransactionCanceledException"), &reasons),
            Refusal::Conditions(vec![false, false, true])
        );
    }

    #[test]
    fn throttling_and_faults_are_outages() {
        let throttled = [None, Some("ThrottlingError")];
        assert_eq!(refusal(Some("TransactionCanceledException"), &throttled), Refusal::Outage);
        assert_eq!(refusal(Some("InternalServerError"), &[]), Refusal::Outage);
        assert_eq!(refusal(None, &[]), Refusal::Outage);
    }

    #[test]
    fn reasons_given_only_in_the_message_are_read_from_it() {
        let message = "Transaction cancelled, please refer cancellation reasons for specific reasons \
                       [None, TransactionConflict]";
        assert_eq!(reasons_in_message(message), vec!["None", "TransactionConflict"]);
        assert!(reasons_in_message("Transaction cancelled").is_empty());
    }
}
