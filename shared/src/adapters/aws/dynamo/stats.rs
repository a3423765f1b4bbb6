//! The town's figures: one item per local day × department × service in its month's partition,
//! counters added in place; each count made in one transaction with the record of it, so a
//! replayed event counts nothing twice.

use super::{DynamoTable, encode, keys, s, send_transaction};
use crate::domain::stats::{Count, Counted, DayTally, Tally};
use crate::ports::{Stats, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

/// Closings taken `n` whole days are counted in `cd_<n>`; first responses in `rh_<n>` hours.
const CLOSE_DAYS: &str = "cd_";
const RESPONSE_HOURS: &str = "rh_";

#[derive(serde::Serialize)]
struct CountedItem {
    pk: String,
    sk: String,
    entity: String,
    expires_at: i64,
}

#[async_trait]
impl Stats for DynamoTable {
    async fn count(
        &self,
        count_id: &str,
        count: &Count,
        keep_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let keys::Key { pk, sk } = keys::counted(count_id);
        let marker = CountedItem { pk, sk, entity: "counted".to_owned(), expires_at: keep_until.timestamp() };
        let marker = Put::builder()
            .table_name(&self.table)
            .set_item(Some(encode(&marker)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::unavailable("TransactWriteItems", e))?;
        let added: Vec<String> = match count.counted {
            Counted::Opened => vec!["opened".into()],
            Counted::Closed { days, in_promise } => {
                let mut added = vec!["closed".to_owned(), format!("{CLOSE_DAYS}{days}")];
                if in_promise {
                    added.push("closed_in_promise".into());
                }
                added
            }
            Counted::Reopened => vec!["reopened".into()],
            Counted::FirstResponse { hours } => vec![format!("{RESPONSE_HOURS}{hours}")],
            Counted::ConfirmedFixed => vec!["confirmed_fixed".into()],
            Counted::NotFixed => vec!["not_fixed".into()],
        };
        let adds: Vec<String> = added.iter().map(|name| format!("{name} :one")).collect();
        let keys::Key { pk, sk } = keys::stats(count.day, &count.department, &count.service_code);
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression(format!(
                "SET entity = :entity, #day = :day, department = :department, service_code = :service ADD {}",
                adds.join(", ")
            ))
            .expression_attribute_names("#day", "day")
            .expression_attribute_values(":entity", s("stats"))
            .expression_attribute_values(":day", s(count.day.to_string()))
            .expression_attribute_values(":department", s(&count.department))
            .expression_attribute_values(":service", s(&count.service_code))
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .build()
            .map_err(|e| StoreError::unavailable("TransactWriteItems", e))?;
        let transaction = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(marker).build())
            .transact_items(TransactWriteItem::builder().update(update).build());
        Ok(send_transaction(transaction).await?.is_none())
    }

    async fn month(&self, year: i32, month: u32) -> Result<Vec<DayTally>, StoreError> {
        let pk = keys::stats_month(year, month);
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(&pk))
            .into_paginator()
            .items()
            .send();
        let mut tallies = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| StoreError::unavailable("Query", e))?;
            tallies.push(tally_of(&item).ok_or_else(|| StoreError::Corrupt {
                key: pk.clone(),
                source: "a figures item without its day, department or service".into(),
            })?);
        }
        Ok(tallies)
    }
}

/// Reads one figures item.
fn tally_of(item: &HashMap<String, AttributeValue>) -> Option<DayTally> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let number = |value: &AttributeValue| value.as_n().ok().and_then(|n| n.parse::<u64>().ok());
    let mut tally = Tally::default();
    for (name, value) in item {
        let Some(n) = number(value) else { continue };
        match name.as_str() {
            "opened" => tally.opened = n,
            "closed" => tally.closed = n,
            "closed_in_promise" => tally.closed_in_promise = n,
            "reopened" => tally.reopened = n,
            "confirmed_fixed" => tally.confirmed_fixed = n,
            "not_fixed" => tally.not_fixed = n,
            other => {
                if let Some(days) = other.strip_prefix(CLOSE_DAYS).and_then(|d| d.parse().ok()) {
                    tally.close_days.insert(days, n);
                } else if let Some(hours) = other.strip_prefix(RESPONSE_HOURS).and_then(|h| h.parse().ok()) {
                    tally.response_hours.insert(hours, n);
                }
            }
        }
    }
    Some(DayTally {
        day: NaiveDate::parse_from_str(&text("day")?, "%Y-%m-%d").ok()?,
        department: text("department")?,
        service_code: text("service_code")?,
        tally,
    })
}
