//! The DynamoDB adapter: one table holds tickets, their history and the catalog.
//!
//! | item        | pk                 | sk                     | gsi1pk (requests by month) | gsi1sk              |
//! |-------------|--------------------|------------------------|----------------------------|---------------------|
//! | ticket      | `TICKET#<id>`      | `TICKET`               | `REQUESTED#<yyyy-mm>`      | `<requested_at>#<id>` |
//! | history     | `TICKET#<id>`      | `HISTORY#<version:010>`| –                          | –                   |
//! | service     | `CATALOG`          | `SERVICE#<code>`       | –                          | –                   |
//! | department  | `CATALOG`          | `DEPARTMENT#<code>`    | –                          | –                   |
//!
//! Every access is a key lookup or a Query on a key; nothing scans. template.yaml declares the
//! same keys and index.

use crate::catalog::{Department, Service};
use crate::config::Config;
use crate::id::TicketId;
use crate::ports::{Catalog, StoreError, TicketStore};
use crate::ticket::{HistoryEntry, Ticket};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::collections::HashMap;

const CATALOG_PK: &str = "CATALOG";
const TICKET_SK: &str = "TICKET";

type Item = HashMap<String, AttributeValue>;

#[derive(Serialize, Deserialize)]
struct TicketItem {
    pk: String,
    sk: String,
    entity: String,
    gsi1pk: String,
    gsi1sk: String,
    #[serde(flatten)]
    ticket: Ticket,
}

#[derive(Serialize, Deserialize)]
struct HistoryItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    entry: HistoryEntry,
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

impl TicketItem {
    fn new(ticket: &Ticket) -> Self {
        let requested = ticket.requested_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        Self {
            pk: ticket_pk(&ticket.id),
            sk: TICKET_SK.to_owned(),
            entity: "ticket".to_owned(),
            gsi1pk: format!("REQUESTED#{}", ticket.requested_at.format("%Y-%m")),
            gsi1sk: format!("{requested}#{}", ticket.id),
            ticket: ticket.clone(),
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
            other => {
                return Err(StoreError::Corrupt { key, source: format!("unknown entity '{other}'").into() });
            }
        };
        Ok(item)
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

/// Tickets in DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoTickets {
    client: Client,
    table: String,
}

impl DynamoTickets {
    pub fn new(sdk: &aws_config::SdkConfig, config: &Config) -> Self {
        Self::with_client(Client::new(sdk), &config.table_name)
    }

    pub fn with_client(client: Client, table: &str) -> Self {
        Self { client, table: table.to_owned() }
    }
}

#[async_trait]
impl TicketStore for DynamoTickets {
    #[tracing::instrument(skip_all, fields(ticket_id = %ticket.id))]
    async fn create(&self, ticket: &Ticket, entry: &HistoryEntry) -> Result<(), StoreError> {
        let history = HistoryItem {
            pk: ticket_pk(&ticket.id),
            sk: format!("HISTORY#{:010}", entry.version),
            entity: "history".to_owned(),
            entry: entry.clone(),
        };
        let put = |item: Item| -> Result<TransactWriteItem, StoreError> {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(|e| StoreError::unavailable("TransactWriteItems", e))?;
            Ok(TransactWriteItem::builder().put(put).build())
        };
        let result = self
            .client
            .transact_write_items()
            .transact_items(put(encode(&TicketItem::new(ticket))?)?)
            .transact_items(put(encode(&history)?)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                // Only the ticket's condition can fail on a fresh number: a clash, not an outage.
                let taken = match e.as_service_error() {
                    Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                        let reasons = cancelled.cancellation_reasons();
                        reasons.iter().any(|r| r.code() == Some("ConditionalCheckFailed"))
                            || (reasons.is_empty()
                                && cancelled.message().unwrap_or_default().contains("ConditionalCheckFailed"))
                    }
                    _ => false,
                };
                if taken {
                    Err(StoreError::IdTaken)
                } else {
                    Err(StoreError::unavailable("TransactWriteItems", e))
                }
            }
        }
    }

    #[tracing::instrument(skip_all, fields(ticket_id = %id))]
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        let pk = ticket_pk(id);
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk.clone()))
            .key("sk", AttributeValue::S(TICKET_SK.to_owned()))
            .send()
            .await
            .map_err(unavailable("GetItem"))?;
        output.item.map(|item| decode::<TicketItem>(item, &pk).map(|i| i.ticket)).transpose()
    }
}

/// The service catalog in DynamoDB, under one partition (it is small and read-mostly).
#[derive(Debug, Clone)]
pub struct DynamoCatalog {
    client: Client,
    table: String,
}

impl DynamoCatalog {
    pub fn new(sdk: &aws_config::SdkConfig, config: &Config) -> Self {
        Self::with_client(Client::new(sdk), &config.table_name)
    }

    pub fn with_client(client: Client, table: &str) -> Self {
        Self { client, table: table.to_owned() }
    }

    async fn get<T: DeserializeOwned>(&self, sk: String) -> Result<Option<T>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(CATALOG_PK.to_owned()))
            .key("sk", AttributeValue::S(sk.clone()))
            .send()
            .await
            .map_err(unavailable("GetItem"))?;
        output.item.map(|item| decode(item, &sk)).transpose()
    }

    async fn put(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable("PutItem"))?;
        Ok(())
    }
}

#[async_trait]
impl Catalog for DynamoCatalog {
    async fn services(&self) -> Result<Vec<Service>, StoreError> {
        let mut services = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", AttributeValue::S(CATALOG_PK.to_owned()))
            .expression_attribute_values(":prefix", AttributeValue::S("SERVICE#".to_owned()))
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let item = item.map_err(unavailable("Query"))?;
            services.push(decode::<ServiceItem>(item, "CATALOG/SERVICE#")?.service);
        }
        services.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
        Ok(services)
    }

    async fn service(&self, code: &str) -> Result<Option<Service>, StoreError> {
        Ok(self.get::<ServiceItem>(format!("SERVICE#{code}")).await?.map(|i| i.service))
    }

    async fn department(&self, code: &str) -> Result<Option<Department>, StoreError> {
        Ok(self.get::<DepartmentItem>(format!("DEPARTMENT#{code}")).await?.map(|i| i.department))
    }

    async fn put_service(&self, service: &Service) -> Result<(), StoreError> {
        self.put(encode(&ServiceItem {
            pk: CATALOG_PK.to_owned(),
            sk: format!("SERVICE#{}", service.code),
            entity: "service".to_owned(),
            service: service.clone(),
        })?)
        .await
    }

    async fn put_department(&self, department: &Department) -> Result<(), StoreError> {
        self.put(encode(&DepartmentItem {
            pk: CATALOG_PK.to_owned(),
            sk: format!("DEPARTMENT#{}", department.code),
            entity: "department".to_owned(),
            department: department.clone(),
        })?)
        .await
    }
}
