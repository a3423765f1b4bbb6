//! The DynamoDB adapter: one table holds tickets, their history, submission tokens, API keys
//! and the catalog.
//!
//! | item       | pk              | sk                      | gsi1pk / gsi1sk                         | gsi2pk / gsi2sk                      |
//! |------------|-----------------|-------------------------|-----------------------------------------|--------------------------------------|
//! | ticket     | `TICKET#<id>`   | `TICKET`                | `REQUESTED#<yyyy-mm>` / `<requested>#<id>` | `UPDATED#<yyyy-mm>` / `<updated>#<id>` |
//! | history    | `TICKET#<id>`   | `HISTORY#<version:010>` | public ones: `UPDATE#<yyyy-mm>` / `<at>#<id>#<version>` | –                   |
//! | token      | `TOKEN#<token>` | `TOKEN`                 | –                                       | –                                    |
//! | API key    | `APIKEY#<hash>` | `APIKEY`                | `APIKEYS` / `<created>#<id>`            | –                                    |
//! | service    | `CATALOG`       | `SERVICE#<code>`        | –                                       | –                                    |
//! | department | `CATALOG`       | `DEPARTMENT#<code>`     | –                                       | –                                    |
//! | calendar   | `CATALOG`       | `CALENDAR`              | –                                       | –                                    |
//! | routing    | `CATALOG`       | `ROUTING`               | –                                       | –                                    |
//! | follower   | `TICKET#<id>`   | `FOLLOWER#<contact hash>` | –                                     | –                                    |
//! | published  | `EVENT#<event id>` | `EVENT`              | –                                       | –                                    |
//! | delivery   | `DELIVERY#<event id>#<contact hash>` | `DELIVERY` | –                             | –                                    |
//! | continuation | `DELIVERY#<event id>#after#<contact hash>` | `DELIVERY` | –                   | –                                    |
//! | mute       | `TICKET#<id>`   | `MUTE#<contact hash>`   | –                                       | –                                    |
//! | unsubscribe link | `UNSUB#<token>` | `UNSUB`           | –                                       | –                                    |
//! | upload     | `UPLOAD#<id>`   | `UPLOAD`                | –                                       | –                                    |
//! | processing | `PHOTO#<upload id>` | `PHOTO`             | –                                       | –                                    |
//!
//! Tickets also key three sparse indexes while they are open: gsi3 (`QUEUE#<dept>#open|closed`,
//! every ticket), gsi4 (`ASSIGNEE#<user>`), gsi5 (`DUE#<dept>` / `<expected>#<id>`), and gsi6,
//! the nearby index (`NEAR#<service>#<geohash-6>` / `<geohash-9>#<id>`) for those with a point.
//! Idempotency records, published-event marks, delivery claims and unsubscribe links expire
//! through TTL (`expires_at`). A delivery whose recipient was refused for good keeps its claim
//! with the service's code (`undeliverable`); a continuation claim marks the rest of a large
//! fan-out as handed to the notify queue once.
//!
//! Month partitions are UTC. Every access is a key lookup or a Query on a key; nothing scans.
//! template.yaml declares the same keys and indexes.

use crate::domain::api_key::ApiKey;
use crate::domain::catalog::{Department, Service};
use crate::domain::follower::Follower;
use crate::domain::id::TicketId;
use crate::domain::listing::{Indexed, Queue, QueuePage, StatusFilter, TicketFilter, Window};
use crate::domain::routing::RoutingRules;
use crate::domain::ticket::{HistoryEntry, Ticket};
use crate::ports::{ApiKeys, Catalog, Deliveries, Idempotency, Outbox, Replay, StoreError, TicketStore};
use crate::runtime::clock::{Clock, SystemClock};
use crate::runtime::config::Config;
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::collections::HashMap;
use std::sync::Arc;

const CATALOG_PK: &str = "CATALOG";
/// DynamoDB's limits on key values, in bytes: a longer one names no item, and asking for it
/// would only be refused.
const MAX_PARTITION_KEY: usize = 2048;
const MAX_SORT_KEY: usize = 1024;
const TICKET_SK: &str = "TICKET";
/// BatchGetItem's limit on keys per call.
const BATCH_GET_MAX: usize = 100;

type Item = HashMap<String, AttributeValue>;

#[derive(Serialize, Deserialize)]
struct TicketItem {
    pk: String,
    sk: String,
    entity: String,
    // Index keys are derived on every write; reading never needs them.
    #[serde(default)]
    gsi1pk: String,
    #[serde(default)]
    gsi1sk: String,
    #[serde(default)]
    gsi2pk: String,
    #[serde(default)]
    gsi2sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi3pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi3sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi4pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi4sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi5pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi5sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi6pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi6sk: Option<String>,
    #[serde(flatten)]
    ticket: Ticket,
}

#[derive(Serialize, Deserialize)]
struct FollowerItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    follower: Follower,
}

/// A mark that something happened (an event published, a delivery claimed), kept until TTL.
#[derive(Serialize, Deserialize)]
struct MarkItem {
    pk: String,
    sk: String,
    entity: String,
    expires_at: i64,
}

#[derive(Serialize, Deserialize)]
struct RoutingItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    rules: RoutingRules,
}

#[derive(Serialize, Deserialize)]
struct ReplayItem {
    pk: String,
    sk: String,
    entity: String,
    /// Seconds since the epoch: DynamoDB's TTL deletes the item after it.
    expires_at: i64,
    #[serde(flatten)]
    replay: Replay,
}

#[derive(Serialize, Deserialize)]
struct HistoryItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    #[serde(flatten)]
    entry: HistoryEntry,
}

#[derive(Serialize, Deserialize)]
struct TokenItem {
    pk: String,
    sk: String,
    entity: String,
    ticket_id: TicketId,
}

#[derive(Serialize, Deserialize)]
struct ApiKeyItem {
    pk: String,
    sk: String,
    entity: String,
    gsi1pk: String,
    gsi1sk: String,
    #[serde(flatten)]
    key: ApiKey,
}

#[derive(Serialize, Deserialize)]
struct ServiceItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    service: Service,
}

#[derive(Serialize, Deserialize)]
struct DepartmentItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    department: Department,
}

#[derive(Serialize, Deserialize)]
struct CalendarItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    calendar: crate::domain::sla::BusinessCalendar,
}

#[derive(Deserialize)]
struct Entity {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    pk: String,
    #[serde(default)]
    sk: String,
}

fn ticket_pk(id: &TicketId) -> String {
    format!("TICKET#{id}")
}

/// A sortable, fixed-width timestamp for sort keys.
fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl TicketItem {
    fn new(ticket: &Ticket) -> Self {
        Self {
            pk: ticket_pk(&ticket.id),
            sk: TICKET_SK.to_owned(),
            entity: "ticket".to_owned(),
            gsi1pk: format!("REQUESTED#{}", ticket.requested_at.format("%Y-%m")),
            gsi1sk: format!("{}#{}", stamp(ticket.requested_at), ticket.id),
            gsi2pk: format!("UPDATED#{}", ticket.updated_at.format("%Y-%m")),
            gsi2sk: format!("{}#{}", stamp(ticket.updated_at), ticket.id),
            gsi3pk: Some(format!(
                "QUEUE#{}#{}",
                ticket.department,
                if ticket.status.is_open() { "open" } else { "closed" }
            )),
            gsi3sk: Some(format!("{}#{}", stamp(ticket.updated_at), ticket.id)),
            gsi4pk: ticket
                .assignee
                .as_ref()
                .filter(|_| ticket.status.is_open())
                .map(|a| format!("ASSIGNEE#{a}")),
            gsi4sk: ticket
                .assignee
                .as_ref()
                .filter(|_| ticket.status.is_open())
                .map(|_| format!("{}#{}", stamp(ticket.updated_at), ticket.id)),
            gsi5pk: ticket
                .expected_at
                .filter(|_| ticket.status.is_open())
                .map(|_| format!("DUE#{}", ticket.department)),
            gsi5sk: ticket
                .expected_at
                .filter(|_| ticket.status.is_open())
                .map(|due| format!("{}#{}", stamp(due), ticket.id)),
            gsi6pk: nearby_point(ticket)
                .map(|p| format!("NEAR#{}#{}", ticket.service_code, crate::domain::nearby::cell(p))),
            gsi6sk: nearby_point(ticket)
                .map(|p| format!("{}#{}", crate::domain::geo::geohash(p, 9), ticket.id)),
            ticket: ticket.clone(),
        }
    }
}

/// The point under which an open ticket is indexed as nearby.
fn nearby_point(ticket: &Ticket) -> Option<crate::domain::location::GeoPoint> {
    ticket.location.point().filter(|_| ticket.status.is_open())
}

impl HistoryItem {
    fn new(entry: &HistoryEntry) -> Self {
        let public = entry.public.then(|| {
            (
                format!("UPDATE#{}", entry.at.format("%Y-%m")),
                format!("{}#{}#{:010}", stamp(entry.at), entry.ticket_id, entry.version),
            )
        });
        let (gsi1pk, gsi1sk) = public.unzip();
        Self {
            pk: ticket_pk(&entry.ticket_id),
            sk: format!("HISTORY#{:010}", entry.version),
            entity: "history".to_owned(),
            gsi1pk,
            gsi1sk,
            entry: entry.clone(),
        }
    }
}

/// A table item as it appears in the table's stream.
#[derive(Debug)]
pub enum TableItem {
    Ticket(Box<Ticket>),
    History(HistoryEntry),
    Service(Service),
    Department(Department),
    /// A request named an upload.
    Upload {
        upload_id: String,
        ticket_id: TicketId,
    },
    /// An upload was processed (or refused).
    Processing(crate::domain::photo::Processing),
    /// Tokens and API keys: bookkeeping no subscriber hears about.
    Other,
}

impl TableItem {
    /// Reads a stream image (`NewImage`/`OldImage`) back into its domain type.
    pub fn from_stream_image(image: serde_dynamo::Item) -> Result<Self, StoreError> {
        let entity: Entity = decode(image.clone(), "stream image")?;
        let key = format!("{}/{}", entity.pk, entity.sk);
        let item = match entity.entity.as_str() {
            "ticket" => Self::Ticket(Box::new(decode::<TicketItem>(image, &key)?.ticket)),
            "history" => Self::History(decode::<HistoryItem>(image, &key)?.entry),
            "service" => Self::Service(decode::<ServiceItem>(image, &key)?.service),
            "department" => Self::Department(decode::<DepartmentItem>(image, &key)?.department),
            "upload" => {
                let item = decode::<UploadItem>(image, &key)?;
                let upload_id = item.pk.trim_start_matches("UPLOAD#").to_owned();
                Self::Upload { upload_id, ticket_id: item.ticket_id }
            }
            "processing" => Self::Processing(decode::<ProcessingItem>(image, &key)?.processing),
            "token" | "api_key" | "replay" | "calendar" | "routing" | "follower" | "published"
            | "delivery" | "mute" | "unsubscribe" => Self::Other,
            other => {
                return Err(StoreError::Corrupt { key, source: format!("unknown entity '{other}'").into() });
            }
        };
        Ok(item)
    }
}

impl TableItem {
    /// A history entry's stream image, exactly as the table holds it (for tests of consumers).
    #[cfg(any(test, feature = "test-util"))]
    pub fn history_image(entry: &HistoryEntry) -> Result<serde_dynamo::Item, StoreError> {
        serde_dynamo::to_item(HistoryItem::new(entry))
            .map_err(|e| StoreError::Corrupt { key: "(test image)".to_owned(), source: Box::new(e) })
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

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

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
            .key("pk", s(CATALOG_PK))
            .key("sk", s("CONNECTION"));
        runtime.spawn(async move {
            if let Err(error) = request.send().await {
                tracing::warn!(error = %crate::runtime::chain(&error), "DynamoDB connection ahead failed");
            }
        });
    }

    async fn get_item<T: DeserializeOwned>(&self, pk: String, sk: &str) -> Result<Option<T>, StoreError> {
        if pk.len() > MAX_PARTITION_KEY || sk.len() > MAX_SORT_KEY {
            return Ok(None);
        }
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk.clone()))
            .key("sk", s(sk))
            .send()
            .await
            .map_err(unavailable("GetItem"))?;
        output.item.map(|item| decode(item, &format!("{pk}/{sk}"))).transpose()
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

    /// Reads a time-index partition (`index`, `pk`) between two stamps, newest first, decoding
    /// each item and keeping those `keep` accepts, until `limit`.
    async fn query_window<T: DeserializeOwned>(
        &self,
        index: &str,
        partition: &str,
        window: Window,
        filter: Option<(String, HashMap<String, String>, Item)>,
        limit: usize,
        mut keep: impl FnMut(&T) -> bool,
    ) -> Result<Vec<T>, StoreError> {
        let (pk_name, sk_name) = (format!("{index}pk"), format!("{index}sk"));
        let mut found = Vec::new();
        for month in window.months() {
            let pk = format!("{partition}#{month}");
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                .expression_attribute_names("#pk", &pk_name)
                .expression_attribute_names("#sk", &sk_name)
                .expression_attribute_values(":pk", s(pk.clone()))
                .expression_attribute_values(":from", s(stamp(window.from())))
                // `~` sorts after every character of an id, so the window's last instant counts.
                .expression_attribute_values(":to", s(format!("{}~", stamp(window.to()))))
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

/// The DynamoDB filter for a listing's service codes and statuses, if it has any.
fn listing_filter(filter: &TicketFilter) -> Option<(String, HashMap<String, String>, Item)> {
    let mut conditions = Vec::new();
    let mut names = HashMap::new();
    let mut values = Item::new();
    if !filter.service_codes.is_empty() {
        let placeholders: Vec<String> = (0..filter.service_codes.len()).map(|i| format!(":svc{i}")).collect();
        for (placeholder, code) in placeholders.iter().zip(&filter.service_codes) {
            values.insert(placeholder.clone(), s(code.clone()));
        }
        conditions.push(format!("service_code IN ({})", placeholders.join(", ")));
    }
    let wants_open = filter.statuses.contains(&StatusFilter::Open);
    let wants_closed = filter.statuses.contains(&StatusFilter::Closed);
    if wants_open != wants_closed {
        names.insert("#status".to_owned(), "status".to_owned());
        values.insert(":closed".to_owned(), s("closed"));
        conditions.push(if wants_open { "#status <> :closed" } else { "#status = :closed" }.to_owned());
    }
    if conditions.is_empty() {
        return None;
    }
    Some((conditions.join(" AND "), names, values))
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

#[async_trait]
impl TicketStore for DynamoTable {
    #[tracing::instrument(skip_all, fields(ticket_id = %ticket.id))]
    async fn create(
        &self,
        ticket: &Ticket,
        entry: &HistoryEntry,
        token: Option<&str>,
        idempotency: Option<&Idempotency>,
    ) -> Result<(), StoreError> {
        let put = |item: Item| -> Result<TransactWriteItem, StoreError> {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(|e| StoreError::unavailable("TransactWriteItems", e))?;
            Ok(TransactWriteItem::builder().put(put).build())
        };
        let mut transaction = self
            .client
            .transact_write_items()
            .transact_items(put(encode(&TicketItem::new(ticket))?)?)
            .transact_items(put(encode(&HistoryItem::new(entry))?)?);
        // Each upload joins one request only: its link is written with the ticket.
        for upload in &ticket.uploads {
            let item = UploadItem {
                pk: format!("UPLOAD#{upload}"),
                sk: "UPLOAD".to_owned(),
                entity: "upload".to_owned(),
                ticket_id: ticket.id.clone(),
            };
            transaction = transaction.transact_items(put(encode(&item)?)?);
        }
        if let Some(token) = token {
            let item = TokenItem {
                pk: format!("TOKEN#{token}"),
                sk: "TOKEN".to_owned(),
                entity: "token".to_owned(),
                ticket_id: ticket.id.clone(),
            };
            transaction = transaction.transact_items(put(encode(&item)?)?);
        }
        if let Some(idempotency) = idempotency {
            let item = ReplayItem {
                pk: format!("IDEMPOTENCY#{}", idempotency.key_hash),
                sk: "IDEMPOTENCY".to_owned(),
                entity: "replay".to_owned(),
                expires_at: idempotency.expires_at.timestamp(),
                replay: Replay::of(&ticket.id, token, idempotency),
            };
            // TTL removes an expired key up to days late; until then it is free all the same.
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(encode(&item)?))
                .condition_expression("attribute_not_exists(pk) OR expires_at <= :now")
                .expression_attribute_values(
                    ":now",
                    AttributeValue::N(idempotency.received_at.timestamp().to_string()),
                )
                .build()
                .map_err(|e| StoreError::unavailable("TransactWriteItems", e))?;
            transaction = transaction.transact_items(TransactWriteItem::builder().put(put).build());
        }
        let failed = match send_transaction(transaction).await? {
            None => return Ok(()),
            Some(failed) => failed,
        };
        // The idempotency item is written last: its failure means a retry of an earlier POST.
        if idempotency.is_some() && failed.last() == Some(&true) {
            return Err(StoreError::Replayed);
        }
        // Upload links follow the ticket and its history entry.
        let upload_failed = failed.iter().skip(2).take(ticket.uploads.len());
        if let Some((upload, _)) = ticket.uploads.iter().zip(upload_failed).find(|(_, failed)| **failed) {
            return Err(StoreError::UploadTaken(upload.clone()));
        }
        // Otherwise only the ticket's condition can fail on a fresh number: a clash, not an outage.
        Err(StoreError::IdTaken)
    }

    async fn apply(&self, changes: &[(Ticket, HistoryEntry)]) -> Result<(), StoreError> {
        let mut transaction = self.client.transact_write_items();
        for (ticket, entry) in changes {
            let seen = ticket.version.saturating_sub(1);
            let ticket_put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(encode(&TicketItem::new(ticket))?))
                .condition_expression("version = :seen")
                .expression_attribute_values(":seen", AttributeValue::N(seen.to_string()))
                .build()
                .map_err(|e| StoreError::unavailable("TransactWriteItems", e))?;
            let history_put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(encode(&HistoryItem::new(entry))?))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(|e| StoreError::unavailable("TransactWriteItems", e))?;
            transaction = transaction
                .transact_items(TransactWriteItem::builder().put(ticket_put).build())
                .transact_items(TransactWriteItem::builder().put(history_put).build());
        }
        match send_transaction(transaction).await? {
            None => Ok(()),
            Some(_) => Err(StoreError::Conflict),
        }
    }

    #[tracing::instrument(skip_all, fields(ticket_id = %id))]
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        Ok(self.get_item::<TicketItem>(ticket_pk(id), TICKET_SK).await?.map(|i| i.ticket))
    }

    async fn get_many(&self, ids: &[TicketId]) -> Result<Vec<Ticket>, StoreError> {
        let mut found: HashMap<TicketId, Ticket> = HashMap::new();
        let mut unique: Vec<&TicketId> = ids.iter().collect();
        unique.sort();
        unique.dedup();
        for chunk in unique.chunks(BATCH_GET_MAX) {
            let mut keys = KeysAndAttributes::builder();
            for id in chunk {
                keys = keys.keys(HashMap::from([
                    ("pk".to_owned(), s(ticket_pk(id))),
                    ("sk".to_owned(), s(TICKET_SK)),
                ]));
            }
            let mut request = Some(keys.build().map_err(|e| StoreError::unavailable("BatchGetItem", e))?);
            // Unprocessed keys are retried a few times with a short pause, as AWS advises.
            for attempt in 0..5u32 {
                let Some(keys) = request.take() else { break };
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, keys)
                    .send()
                    .await
                    .map_err(unavailable("BatchGetItem"))?;
                for item in output.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                    let ticket = decode::<TicketItem>(item, "BatchGetItem")?.ticket;
                    found.insert(ticket.id.clone(), ticket);
                }
                request = output.unprocessed_keys.and_then(|mut u| u.remove(&self.table));
                if request.is_some() {
                    tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                }
            }
            if request.is_some() {
                return Err(StoreError::unavailable("BatchGetItem", "keys left unprocessed after retries"));
            }
        }
        // In the order asked for; a repeated number comes back once.
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    async fn list(&self, filter: &TicketFilter) -> Result<Vec<Ticket>, StoreError> {
        let (index, partition, window) = match filter.index {
            Indexed::Requested(window) => ("gsi1", "REQUESTED", window),
            Indexed::Updated(window) => ("gsi2", "UPDATED", window),
        };
        let items = self
            .query_window::<TicketItem>(
                index,
                partition,
                window,
                listing_filter(filter),
                filter.limit,
                |item| filter.matches(&item.ticket),
            )
            .await?;
        Ok(items.into_iter().map(|i| i.ticket).collect())
    }

    async fn history(&self, id: &TicketId) -> Result<Vec<HistoryEntry>, StoreError> {
        let items: Vec<HistoryItem> = self.items_under(&ticket_pk(id), "HISTORY#").await?;
        Ok(items.into_iter().map(|i| i.entry).collect())
    }

    async fn public_updates(&self, window: Window, limit: usize) -> Result<Vec<HistoryEntry>, StoreError> {
        let items = self
            .query_window::<HistoryItem>("gsi1", "UPDATE", window, None, limit, |i| {
                window.contains(i.entry.at)
            })
            .await?;
        Ok(items.into_iter().map(|i| i.entry).collect())
    }

    async fn ticket_for_token(&self, token: &str) -> Result<Option<TicketId>, StoreError> {
        Ok(self.get_item::<TokenItem>(format!("TOKEN#{token}"), "TOKEN").await?.map(|i| i.ticket_id))
    }

    async fn in_cells(&self, service_code: &str, cells: &[String]) -> Result<Vec<Ticket>, StoreError> {
        let mut tickets = Vec::new();
        for cell in cells {
            let pk = format!("NEAR#{service_code}#{cell}");
            if pk.len() > MAX_PARTITION_KEY {
                continue;
            }
            let mut pages = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("gsi6")
                .key_condition_expression("gsi6pk = :pk")
                .expression_attribute_values(":pk", s(pk.clone()))
                .into_paginator()
                .items()
                .send();
            while let Some(item) = pages.next().await {
                tickets.push(decode::<TicketItem>(item.map_err(unavailable("Query"))?, &pk)?.ticket);
            }
        }
        Ok(tickets)
    }

    async fn follow(&self, follower: &Follower) -> Result<(), StoreError> {
        self.put_item(encode(&FollowerItem {
            pk: ticket_pk(&follower.ticket_id),
            sk: format!("FOLLOWER#{}", follower.contact.key()),
            entity: "follower".to_owned(),
            follower: follower.clone(),
        })?)
        .await
    }

    async fn followers(&self, id: &TicketId) -> Result<Vec<Follower>, StoreError> {
        let items: Vec<FollowerItem> = self.items_under(&ticket_pk(id), "FOLLOWER#").await?;
        Ok(items.into_iter().map(|i| i.follower).collect())
    }

    async fn followers_page(
        &self,
        id: &TicketId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<crate::domain::follower::FollowerPage, StoreError> {
        // Contact keys are fixed-width hex, so `<after>~` sorts right after `after` and before
        // any longer key; one more than `limit` tells whether a next page exists.
        let from = after.map_or_else(|| "FOLLOWER#".to_owned(), |a| format!("FOLLOWER#{a}~"));
        if from.len() > MAX_SORT_KEY {
            return Ok(crate::domain::follower::FollowerPage::default());
        }
        let wanted = limit.saturating_add(1);
        let mut followers = Vec::new();
        let mut start: Option<Item> = None;
        // Each response is at most 1 MB (thousands of followers); a page needs one or two.
        for _ in 0..8 {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", s(ticket_pk(id)))
                .expression_attribute_values(":from", s(from.clone()))
                .expression_attribute_values(":to", s("FOLLOWER#~"))
                .limit(i32::try_from(wanted - followers.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable("Query"))?;
            for item in output.items.unwrap_or_default() {
                followers
                    .push(decode::<FollowerItem>(item, &format!("{}/FOLLOWER#", ticket_pk(id)))?.follower);
            }
            start = output.last_evaluated_key.filter(|k| !k.is_empty());
            if followers.len() >= wanted || start.is_none() {
                break;
            }
        }
        let more = followers.len() > limit;
        followers.truncate(limit);
        let next = if more { followers.last().map(|f| f.contact.key()) } else { None };
        Ok(crate::domain::follower::FollowerPage { followers, next })
    }

    async fn replay(&self, key_hash: &str, now: DateTime<Utc>) -> Result<Option<Replay>, StoreError> {
        let pk = format!("IDEMPOTENCY#{key_hash}");
        // Strongly consistent: a retry racing its first attempt must see the record it just lost to.
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk.clone()))
            .key("sk", s("IDEMPOTENCY"))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable("GetItem"))?;
        let item =
            output.item.map(|item| decode::<ReplayItem>(item, &format!("{pk}/IDEMPOTENCY"))).transpose()?;
        // TTL deletion lags expiry by up to days; an expired key counts as gone.
        Ok(item.filter(|i| i.expires_at > now.timestamp()).map(|i| i.replay))
    }

    async fn queue(&self, queue: &Queue, limit: usize, after: Option<&str>) -> Result<QueuePage, StoreError> {
        let (index, pk, forward, bound) = match queue {
            Queue::Department { department, open } => {
                ("gsi3", format!("QUEUE#{department}#{}", if *open { "open" } else { "closed" }), false, None)
            }
            Queue::Assignee { user } => ("gsi4", format!("ASSIGNEE#{user}"), false, None),
            Queue::Overdue { department, now } => {
                ("gsi5", format!("DUE#{department}"), true, Some(stamp(*now)))
            }
        };
        let mut condition = format!("{index}pk = :pk");
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .expression_attribute_values(":pk", s(pk.clone()))
            .scan_index_forward(forward)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX));
        match (forward, after, bound) {
            (true, Some(after), Some(now)) if format!("{after}~") >= now => {
                return Ok(QueuePage { tickets: Vec::new(), next: None });
            }
            // Overdue: due before now, after the last one shown.
            (true, Some(after), Some(now)) => {
                condition.push_str(&format!(" AND {index}sk BETWEEN :after AND :now"));
                query = query
                    .expression_attribute_values(":after", s(format!("{after}~")))
                    .expression_attribute_values(":now", s(now));
            }
            (true, None, Some(now)) => {
                condition.push_str(&format!(" AND {index}sk < :now"));
                query = query.expression_attribute_values(":now", s(now));
            }
            (_, Some(after), _) => {
                condition.push_str(&format!(" AND {index}sk < :after"));
                query = query.expression_attribute_values(":after", s(after));
            }
            _ => {}
        }
        let output = query.key_condition_expression(condition).send().await.map_err(unavailable("Query"))?;
        let mut tickets = Vec::new();
        let mut last_key = None;
        for item in output.items.unwrap_or_default() {
            let item = decode::<TicketItem>(item, &format!("{index}/{pk}"))?;
            last_key = match index {
                "gsi3" => item.gsi3sk,
                "gsi4" => item.gsi4sk,
                _ => item.gsi5sk,
            };
            tickets.push(item.ticket);
        }
        let next = output.last_evaluated_key.and(last_key);
        Ok(QueuePage { tickets, next })
    }
}

#[async_trait]
impl Catalog for DynamoTable {
    async fn services(&self) -> Result<Vec<Service>, StoreError> {
        let items: Vec<ServiceItem> = self.items_under(CATALOG_PK, "SERVICE#").await?;
        let mut services: Vec<Service> = items.into_iter().map(|i| i.service).collect();
        services.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
        Ok(services)
    }

    async fn departments(&self) -> Result<Vec<Department>, StoreError> {
        let items: Vec<DepartmentItem> = self.items_under(CATALOG_PK, "DEPARTMENT#").await?;
        Ok(items.into_iter().map(|i| i.department).collect())
    }

    /// One Query of the catalog partition; the routing rules stay on the server (filtered out).
    async fn reference(&self) -> Result<crate::domain::catalog::Reference, StoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .filter_expression("#entity IN (:service, :department, :calendar)")
            .expression_attribute_names("#entity", "entity")
            .expression_attribute_values(":pk", s(CATALOG_PK))
            .expression_attribute_values(":service", s("service"))
            .expression_attribute_values(":department", s("department"))
            .expression_attribute_values(":calendar", s("calendar"))
            .into_paginator()
            .items()
            .send();
        let mut reference = crate::domain::catalog::Reference::default();
        while let Some(item) = pages.next().await {
            let item = item.map_err(unavailable("Query"))?;
            let key =
                format!("{CATALOG_PK}/{}", item.get("sk").and_then(|v| v.as_s().ok()).map_or("?", |v| v));
            match item.get("entity").and_then(|v| v.as_s().ok()).map(String::as_str) {
                Some("service") => reference.services.push(decode::<ServiceItem>(item, &key)?.service),
                Some("department") => {
                    reference.departments.push(decode::<DepartmentItem>(item, &key)?.department)
                }
                Some("calendar") => reference.calendar = Some(decode::<CalendarItem>(item, &key)?.calendar),
                _ => {}
            }
        }
        reference.services.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
        Ok(reference)
    }

    async fn service(&self, code: &str) -> Result<Option<Service>, StoreError> {
        Ok(self
            .get_item::<ServiceItem>(CATALOG_PK.to_owned(), &format!("SERVICE#{code}"))
            .await?
            .map(|i| i.service))
    }

    async fn department(&self, code: &str) -> Result<Option<Department>, StoreError> {
        let item =
            self.get_item::<DepartmentItem>(CATALOG_PK.to_owned(), &format!("DEPARTMENT#{code}")).await?;
        Ok(item.map(|i| i.department))
    }

    async fn put_service(&self, service: &Service) -> Result<(), StoreError> {
        self.put_item(encode(&ServiceItem {
            pk: CATALOG_PK.to_owned(),
            sk: format!("SERVICE#{}", service.code),
            entity: "service".to_owned(),
            service: service.clone(),
        })?)
        .await
    }

    async fn calendar(&self) -> Result<Option<crate::domain::sla::BusinessCalendar>, StoreError> {
        Ok(self.get_item::<CalendarItem>(CATALOG_PK.to_owned(), "CALENDAR").await?.map(|i| i.calendar))
    }

    async fn put_calendar(&self, calendar: &crate::domain::sla::BusinessCalendar) -> Result<(), StoreError> {
        self.put_item(encode(&CalendarItem {
            pk: CATALOG_PK.to_owned(),
            sk: "CALENDAR".to_owned(),
            entity: "calendar".to_owned(),
            calendar: calendar.clone(),
        })?)
        .await
    }

    async fn routing(&self) -> Result<Option<RoutingRules>, StoreError> {
        Ok(self.get_item::<RoutingItem>(CATALOG_PK.to_owned(), "ROUTING").await?.map(|i| i.rules))
    }

    async fn put_routing(&self, rules: &RoutingRules) -> Result<(), StoreError> {
        let item = encode(&RoutingItem {
            pk: CATALOG_PK.to_owned(),
            sk: "ROUTING".to_owned(),
            entity: "routing".to_owned(),
            rules: rules.clone(),
        })?;
        let seen = rules.version.saturating_sub(1);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(if seen == 0 {
                "attribute_not_exists(pk) OR version = :seen"
            } else {
                "version = :seen"
            })
            .expression_attribute_values(":seen", AttributeValue::N(seen.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                Err(StoreError::Conflict)
            }
            Err(e) => Err(StoreError::unavailable("PutItem", e)),
        }
    }

    async fn put_department(&self, department: &Department) -> Result<(), StoreError> {
        self.put_item(encode(&DepartmentItem {
            pk: CATALOG_PK.to_owned(),
            sk: format!("DEPARTMENT#{}", department.code),
            entity: "department".to_owned(),
            department: department.clone(),
        })?)
        .await
    }
}

#[async_trait]
impl ApiKeys for DynamoTable {
    async fn key(&self, hash: &str) -> Result<Option<ApiKey>, StoreError> {
        Ok(self.get_item::<ApiKeyItem>(format!("APIKEY#{hash}"), "APIKEY").await?.map(|i| i.key))
    }

    async fn keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :pk")
            .expression_attribute_values(":pk", s("APIKEYS"))
            .scan_index_forward(false)
            .into_paginator()
            .items()
            .send();
        let mut keys = Vec::new();
        while let Some(item) = pages.next().await {
            keys.push(decode::<ApiKeyItem>(item.map_err(unavailable("Query"))?, "gsi1/APIKEYS")?.key);
        }
        Ok(keys)
    }

    async fn put_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        self.put_item(encode(&ApiKeyItem {
            pk: format!("APIKEY#{}", key.hash),
            sk: "APIKEY".to_owned(),
            entity: "api_key".to_owned(),
            gsi1pk: "APIKEYS".to_owned(),
            gsi1sk: format!("{}#{}", stamp(key.created_at), key.id),
            key: key.clone(),
        })?)
        .await
    }

    async fn record_use(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("APIKEY#{hash}")))
            .key("sk", s("APIKEY"))
            .update_expression("SET last_used_at = :at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":at", s(at.to_rfc3339_opts(SecondsFormat::Secs, true)))
            .send()
            .await
            .map_err(unavailable("UpdateItem"))?;
        Ok(())
    }
}

#[async_trait]
impl Outbox for DynamoTable {
    async fn was_published(&self, event_id: &str) -> Result<bool, StoreError> {
        let pk = format!("EVENT#{event_id}");
        if pk.len() > MAX_PARTITION_KEY {
            return Ok(false);
        }
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s("EVENT"))
            .consistent_read(true)
            .projection_expression("pk")
            .send()
            .await
            .map_err(unavailable("GetItem"))?;
        Ok(output.item.is_some())
    }

    async fn mark_published(&self, event_id: &str, keep_until: DateTime<Utc>) -> Result<(), StoreError> {
        self.put_item(encode(&MarkItem {
            pk: format!("EVENT#{event_id}"),
            sk: "EVENT".to_owned(),
            entity: "published".to_owned(),
            expires_at: keep_until.timestamp(),
        })?)
        .await
    }
}

#[derive(Serialize, Deserialize)]
struct MuteItem {
    pk: String,
    sk: String,
    entity: String,
    at: DateTime<Utc>,
}

/// A delivery claim kept for good: the recipient was refused, with the service's code.
#[derive(Serialize, Deserialize)]
struct UndeliverableItem {
    pk: String,
    sk: String,
    entity: String,
    expires_at: i64,
    undeliverable: String,
}

#[derive(Serialize, Deserialize)]
struct UnsubscribeItem {
    pk: String,
    sk: String,
    entity: String,
    ticket_id: TicketId,
    contact_key: String,
    expires_at: i64,
}

#[async_trait]
impl Deliveries for DynamoTable {
    async fn claim(&self, delivery_id: &str, keep_until: DateTime<Utc>) -> Result<bool, StoreError> {
        let item = encode(&MarkItem {
            pk: format!("DELIVERY#{delivery_id}"),
            sk: "DELIVERY".to_owned(),
            entity: "delivery".to_owned(),
            expires_at: keep_until.timestamp(),
        })?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                Ok(false)
            }
            Err(e) => Err(StoreError::unavailable("PutItem", e)),
        }
    }

    async fn release(&self, delivery_id: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(format!("DELIVERY#{delivery_id}")))
            .key("sk", s("DELIVERY"))
            .send()
            .await
            .map_err(unavailable("DeleteItem"))?;
        Ok(())
    }

    async fn mark_undeliverable(
        &self,
        delivery_id: &str,
        code: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.put_item(encode(&UndeliverableItem {
            pk: format!("DELIVERY#{delivery_id}"),
            sk: "DELIVERY".to_owned(),
            entity: "delivery".to_owned(),
            expires_at: keep_until.timestamp(),
            undeliverable: code.to_owned(),
        })?)
        .await
    }

    async fn mute(
        &self,
        ticket_id: &TicketId,
        contact_key: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.put_item(encode(&MuteItem {
            pk: ticket_pk(ticket_id),
            sk: format!("MUTE#{contact_key}"),
            entity: "mute".to_owned(),
            at,
        })?)
        .await
    }

    async fn muted(&self, ticket_id: &TicketId) -> Result<Vec<String>, StoreError> {
        let items: Vec<MuteItem> = self.items_under(&ticket_pk(ticket_id), "MUTE#").await?;
        Ok(items.into_iter().map(|i| i.sk.trim_start_matches("MUTE#").to_owned()).collect())
    }

    async fn issue_unsubscribe(
        &self,
        token: &str,
        ticket_id: &TicketId,
        contact_key: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.put_item(encode(&UnsubscribeItem {
            pk: format!("UNSUB#{token}"),
            sk: "UNSUB".to_owned(),
            entity: "unsubscribe".to_owned(),
            ticket_id: ticket_id.clone(),
            contact_key: contact_key.to_owned(),
            expires_at: keep_until.timestamp(),
        })?)
        .await
    }

    async fn unsubscribe_target(&self, token: &str) -> Result<Option<(TicketId, String)>, StoreError> {
        let item = self.get_item::<UnsubscribeItem>(format!("UNSUB#{token}"), "UNSUB").await?;
        let now = self.clock.now().timestamp();
        Ok(item.filter(|i| i.expires_at > now).map(|i| (i.ticket_id, i.contact_key)))
    }
}

#[derive(Serialize, Deserialize)]
struct UploadItem {
    pk: String,
    sk: String,
    entity: String,
    ticket_id: TicketId,
}

#[derive(Serialize, Deserialize)]
struct ProcessingItem {
    pk: String,
    sk: String,
    entity: String,
    expires_at: i64,
    #[serde(flatten)]
    processing: crate::domain::photo::Processing,
}

#[async_trait]
impl crate::ports::Uploads for DynamoTable {
    async fn upload_ticket(&self, upload_id: &str) -> Result<Option<TicketId>, StoreError> {
        Ok(self.get_item::<UploadItem>(format!("UPLOAD#{upload_id}"), "UPLOAD").await?.map(|i| i.ticket_id))
    }

    async fn put_processing(
        &self,
        processing: &crate::domain::photo::Processing,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.put_item(encode(&ProcessingItem {
            pk: format!("PHOTO#{}", processing.upload_id()),
            sk: "PHOTO".to_owned(),
            entity: "processing".to_owned(),
            expires_at: keep_until.timestamp(),
            processing: processing.clone(),
        })?)
        .await
    }

    async fn processing(
        &self,
        upload_id: &str,
    ) -> Result<Option<crate::domain::photo::Processing>, StoreError> {
        Ok(self
            .get_item::<ProcessingItem>(format!("PHOTO#{upload_id}"), "PHOTO")
            .await?
            .map(|i| i.processing))
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
