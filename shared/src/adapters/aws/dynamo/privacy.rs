//! Contacts kept apart from tickets: a ticket read with its reporter, contacts kept until a
//! time after closing (TTL), a contact forgotten on one ticket, and every item holding a
//! contact found through gsi8, exported and erased.

use super::items::{FollowerItem, ReporterItem, ReporterPhoneItem, TicketItem};
use super::{DynamoTable, conditional, decode, keys, s, unavailable};
use crate::domain::follower::Contact;
use crate::domain::id::TicketId;
use crate::domain::ticket::Ticket;
use crate::ports::{Privacy, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

impl DynamoTable {
    /// A ticket and its reporter's contact in one Query (`REPORTER` ≤ sk ≤ `TICKET`); a
    /// contact past its `expires_at` counts as gone (TTL deletes up to days late).
    pub(super) async fn ticket_with_reporter(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        let keys::Key { pk, sk } = keys::ticket(id);
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(pk.clone()))
            .expression_attribute_values(":from", s(keys::REPORTER_SK))
            .expression_attribute_values(":to", s(sk))
            .send()
            .await
            .map_err(unavailable("Query"))?;
        let now = self.clock.now().timestamp();
        let live = |expires_at: Option<i64>| expires_at.is_none_or(|at| at > now);
        let (mut ticket, mut reporter, mut phone) = (None, None, None);
        for item in output.items.unwrap_or_default() {
            let sk = item.get("sk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            let at = format!("{pk}/{sk}");
            match sk.as_str() {
                keys::TICKET_SK => ticket = Some(decode::<TicketItem>(item, &at)?.ticket),
                keys::REPORTER_SK => reporter = Some(decode::<ReporterItem>(item, &at)?),
                keys::REPORTER_PHONE_SK => phone = Some(decode::<ReporterPhoneItem>(item, &at)?),
                _ => {}
            }
        }
        let Some(mut ticket) = ticket else { return Ok(None) };
        // A ticket stored before contacts were kept apart holds its reporter itself.
        if let Some(item) = reporter {
            ticket.reporter = if live(item.expires_at) { item.reporter } else { Default::default() };
            if let Some(phone) = phone.filter(|p| live(p.expires_at)) {
                ticket.reporter.phone = Some(phone.phone);
            }
        }
        Ok(Some(ticket))
    }

    /// The keys of every item holding a contact (gsi8).
    async fn holding_keys(&self, contact_key: &str) -> Result<Vec<keys::Key>, StoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi8")
            .key_condition_expression("gsi8pk = :person")
            .expression_attribute_values(":person", s(keys::person(contact_key)))
            .into_paginator()
            .items()
            .send();
        let mut found = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(unavailable("Query"))?;
            let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            found.push(keys::Key { pk: text("pk"), sk: text("sk") });
        }
        Ok(found)
    }

    /// Sets (or with `None` removes) `expires_at` on one item, if it exists and `condition`
    /// (beyond existing) holds.
    async fn expire_item(
        &self,
        key: keys::Key,
        until: Option<DateTime<Utc>>,
        condition: Option<&str>,
    ) -> Result<(), StoreError> {
        let keys::Key { pk, sk } = key;
        let mut update = self.client.update_item().table_name(&self.table).key("pk", s(pk)).key("sk", s(sk));
        update = match until {
            Some(until) => update
                .update_expression("SET expires_at = :until")
                .expression_attribute_values(":until", AttributeValue::N(until.timestamp().to_string())),
            None => update.update_expression("REMOVE expires_at"),
        };
        let exists = "attribute_exists(pk)";
        update = match condition {
            Some(more) => update
                .condition_expression(format!("{exists} AND {more}"))
                .expression_attribute_values(":confirmed", AttributeValue::Bool(true)),
            None => update.condition_expression(exists),
        };
        // Gone meanwhile (erased, or a follow never confirmed): nothing to keep.
        conditional(update.send().await, "UpdateItem")?;
        Ok(())
    }
}

#[async_trait]
impl Privacy for DynamoTable {
    async fn keep_contacts(&self, id: &TicketId, until: Option<DateTime<Utc>>) -> Result<(), StoreError> {
        // Only the reporter's items there are: an update of a missing one costs a write too.
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(keys::ticket_pk(id)))
            .expression_attribute_values(":from", s(keys::REPORTER_SK))
            .expression_attribute_values(":to", s(keys::REPORTER_PHONE_SK))
            .projection_expression("pk, sk")
            .send()
            .await
            .map_err(unavailable("Query"))?;
        for item in output.items.unwrap_or_default() {
            let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            self.expire_item(keys::Key { pk: text("pk"), sk: text("sk") }, until, None).await?;
        }
        let followers: Vec<FollowerItem> =
            self.items_under(&keys::ticket_pk(id), keys::FOLLOWER_PREFIX).await?;
        // A pending follow keeps its own expiry: its link's.
        for follower in followers.into_iter().filter(|f| f.follower.confirmed) {
            self.expire_item(
                keys::Key { pk: follower.pk, sk: follower.sk },
                until,
                Some("confirmed = :confirmed"),
            )
            .await?;
        }
        Ok(())
    }

    async fn forget_on(&self, id: &TicketId, contact_key: &str) -> Result<bool, StoreError> {
        let reporter = self.ticket_with_reporter(id).await?.map(|t| t.reporter).unwrap_or_default();
        let reporters = [reporter.email.map(Contact::Email), reporter.phone.map(Contact::Sms)];
        if reporters.iter().flatten().any(|c| c.has_key(contact_key)) {
            self.delete_item(keys::reporter(id)).await?;
            self.delete_item(keys::reporter_phone(id)).await?;
            return Ok(true);
        }
        let follower = keys::follower(id, contact_key);
        let keys::Key { pk, sk } = follower;
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        Ok(conditional(result, "DeleteItem")?.is_some())
    }

    async fn holding(&self, contact_key: &str) -> Result<Vec<serde_json::Value>, StoreError> {
        let mut found = Vec::new();
        for key in self.holding_keys(contact_key).await? {
            if let Some(item) = self.get_item::<serde_json::Value>(key).await? {
                found.push(item);
            }
        }
        Ok(found)
    }

    async fn erase(&self, contact_key: &str) -> Result<usize, StoreError> {
        let mut erased = 0;
        for key in self.holding_keys(contact_key).await? {
            // A reporter's two contact items are one person's: both go.
            if key.sk == keys::REPORTER_SK || key.sk == keys::REPORTER_PHONE_SK {
                let (reporter, phone) = (
                    keys::Key { pk: key.pk.clone(), sk: keys::REPORTER_SK.to_owned() },
                    keys::Key { pk: key.pk.clone(), sk: keys::REPORTER_PHONE_SK.to_owned() },
                );
                self.delete_item(reporter).await?;
                self.delete_item(phone).await?;
            } else {
                self.delete_item(key).await?;
            }
            erased += 1;
        }
        Ok(erased)
    }
}
