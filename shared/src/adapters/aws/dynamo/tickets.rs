//! The ticket store: a ticket's writes (each one transaction), its reads by key, its history,
//! followers and the replay of a retried submission. Reads over the indexes are in
//! [`super::listing`].

use super::items::{FollowerItem, HistoryItem, ReplayItem, ReporterItem, TicketItem, TokenItem, UploadItem};
use super::{DynamoTable, Item, conditional, decode, encode, keys, s, send_transaction, unavailable};
use crate::domain::follower::{Follower, FollowerPage};
use crate::domain::id::TicketId;
use crate::domain::listing::{Queue, QueuePage, TicketFilter, Window};
use crate::domain::ticket::{HistoryEntry, Ticket};
use crate::ports::{Idempotency, Replay, StoreError, TicketStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// TransactWriteItems' limit on items per call.
const TRANSACT_MAX_ITEMS: usize = 100;

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
        self.write_new(ticket, &[entry], token, idempotency).await
    }

    #[tracing::instrument(skip_all, fields(ticket_id = %routed.0.id))]
    async fn create_routed(
        &self,
        created: &(Ticket, HistoryEntry),
        routed: &(Ticket, HistoryEntry),
        token: Option<&str>,
        idempotency: Option<&Idempotency>,
    ) -> Result<(), StoreError> {
        self.write_new(&routed.0, &[&created.1, &routed.1], token, idempotency).await
    }

    async fn apply(&self, changes: &[(Ticket, HistoryEntry)]) -> Result<(), StoreError> {
        if !crate::ports::changes_in_order(changes) {
            return Err(StoreError::unavailable("TransactWriteItems", "one ticket named twice out of order"));
        }
        let mut transaction = self.client.transact_write_items();
        for (i, (ticket, entry)) in changes.iter().enumerate() {
            // A transaction may name an item once: a ticket changed twice in a row is put once,
            // as its last change left it, conditional on the version before its first.
            let again = changes[i + 1..].iter().any(|(later, _)| later.id == ticket.id);
            if !again {
                let first = changes.iter().position(|(t, _)| t.id == ticket.id).unwrap_or(i);
                let seen = ticket.version.saturating_sub(1 + (i - first) as u64);
                let ticket_put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(encode(&TicketItem::new(ticket))?))
                    .condition_expression("version = :seen")
                    .expression_attribute_values(":seen", AttributeValue::N(seen.to_string()))
                    .build()
                    .map_err(|e| StoreError::unavailable("TransactWriteItems", e))?;
                transaction =
                    transaction.transact_items(TransactWriteItem::builder().put(ticket_put).build());
            }
            let history_put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(encode(&HistoryItem::new(entry))?))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(|e| StoreError::unavailable("TransactWriteItems", e))?;
            transaction = transaction.transact_items(TransactWriteItem::builder().put(history_put).build());
            // An upload a change brings joins this ticket only: its link is written with it.
            for upload in entry.change.new_uploads() {
                let keys::Key { pk, sk } = keys::upload(upload);
                let item = UploadItem { pk, sk, entity: "upload".to_owned(), ticket_id: ticket.id.clone() };
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(encode(&item)?))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .map_err(|e| StoreError::unavailable("TransactWriteItems", e))?;
                transaction = transaction.transact_items(TransactWriteItem::builder().put(put).build());
            }
        }
        match send_transaction(transaction).await? {
            None => Ok(()),
            Some(_) => Err(StoreError::Conflict),
        }
    }

    #[tracing::instrument(skip_all, fields(ticket_id = %change.0.id, rewritten = rewritten.len()))]
    async fn apply_rewriting(
        &self,
        change: &(Ticket, HistoryEntry),
        rewritten: &[HistoryEntry],
    ) -> Result<(), StoreError> {
        let (ticket, entry) = change;
        if rewritten.is_empty() || !entry.change.new_uploads().is_empty() {
            return self.apply(std::slice::from_ref(change)).await;
        }
        let put = |item: Item, condition: &str, seen: Option<u64>| -> Result<TransactWriteItem, StoreError> {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression(condition)
                .set_expression_attribute_values(
                    seen.map(|v| HashMap::from([(":seen".to_owned(), AttributeValue::N(v.to_string()))])),
                )
                .build()
                .map_err(|e| StoreError::unavailable("TransactWriteItems", e))?;
            Ok(TransactWriteItem::builder().put(put).build())
        };
        // A rewritten entry replaces the stored one whole: its index keys follow what it now is.
        let rewrite = |e: &HistoryEntry| put(encode(&HistoryItem::new(e))?, "attribute_exists(pk)", None);
        let (first, rest) = rewritten.split_at(rewritten.len().min(TRANSACT_MAX_ITEMS - 2));
        let mut transaction = self
            .client
            .transact_write_items()
            .transact_items(put(
                encode(&TicketItem::new(ticket))?,
                "version = :seen",
                Some(ticket.version.saturating_sub(1)),
            )?)
            .transact_items(put(encode(&HistoryItem::new(entry))?, "attribute_not_exists(pk)", None)?);
        for e in first {
            transaction = transaction.transact_items(rewrite(e)?);
        }
        if send_transaction(transaction).await?.is_some() {
            return Err(StoreError::Conflict);
        }
        // A ticket with more public entries than one transaction holds: the change is written,
        // and the remaining entries follow it.
        for chunk in rest.chunks(TRANSACT_MAX_ITEMS) {
            let mut transaction = self.client.transact_write_items();
            for e in chunk {
                transaction = transaction.transact_items(rewrite(e)?);
            }
            if send_transaction(transaction).await?.is_some() {
                return Err(StoreError::unavailable(
                    "TransactWriteItems",
                    "a history entry to rewrite is gone",
                ));
            }
        }
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(ticket_id = %id))]
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        self.ticket_with_reporter(id).await
    }

    async fn get_many(&self, ids: &[TicketId]) -> Result<Vec<Ticket>, StoreError> {
        let mut unique: Vec<&TicketId> = ids.iter().collect();
        unique.sort();
        unique.dedup();
        let mut found: HashMap<TicketId, Ticket> = HashMap::new();
        for item in self.batch_get(unique.into_iter().map(keys::ticket).collect()).await? {
            let ticket = decode::<TicketItem>(item, "BatchGetItem")?.ticket;
            found.insert(ticket.id.clone(), ticket);
        }
        // In the order asked for; a repeated number comes back once.
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    async fn list(&self, filter: &TicketFilter) -> Result<Vec<Ticket>, StoreError> {
        self.listed(filter).await
    }

    async fn history(&self, id: &TicketId) -> Result<Vec<HistoryEntry>, StoreError> {
        let items: Vec<HistoryItem> = self.items_under(&keys::ticket_pk(id), keys::HISTORY_PREFIX).await?;
        Ok(items.into_iter().map(|i| i.entry).collect())
    }

    async fn histories(&self, tickets: &[(TicketId, u64)]) -> Result<Vec<Vec<HistoryEntry>>, StoreError> {
        // A ticket's entries are numbered 1 to its version: their keys are known without a
        // Query, so every ticket's are read together, 100 keys a call.
        // Each key once (a batch refuses a key twice): a ticket asked twice is read to its
        // higher version.
        let mut highest: HashMap<&TicketId, u64> = HashMap::new();
        for (id, version) in tickets {
            let seen = highest.entry(id).or_default();
            *seen = (*seen).max(*version);
        }
        let wanted = highest.iter().flat_map(|(id, version)| (1..=*version).map(|v| keys::history(id, v)));
        let mut found: HashMap<TicketId, Vec<HistoryEntry>> = HashMap::new();
        for item in self.batch_get(wanted.collect()).await? {
            let entry = decode::<HistoryItem>(item, "BatchGetItem")?.entry;
            found.entry(entry.ticket_id.clone()).or_default().push(entry);
        }
        Ok(tickets
            .iter()
            .map(|(id, version)| {
                let mut history = found.get(id).cloned().unwrap_or_default();
                history.retain(|e| e.version <= *version);
                history.sort_by_key(|e| e.version);
                history
            })
            .collect())
    }

    async fn public_updates(&self, window: Window, limit: usize) -> Result<Vec<HistoryEntry>, StoreError> {
        self.updates_in(window, limit).await
    }

    async fn ticket_for_token(&self, token: &str) -> Result<Option<TicketId>, StoreError> {
        Ok(self.get_item::<TokenItem>(keys::token(token)).await?.map(|i| i.ticket_id))
    }

    async fn in_cells(&self, service_code: &str, cells: &[String]) -> Result<Vec<Ticket>, StoreError> {
        self.tickets_near(service_code, cells).await
    }

    async fn in_map_cells(
        &self,
        cells: &[String],
        closed_since: DateTime<Utc>,
        limit: usize,
    ) -> Result<(Vec<crate::domain::map::MapPin>, bool), StoreError> {
        self.map_cells(cells, closed_since, limit).await
    }

    async fn reindex(&self, ticket: &Ticket) -> Result<bool, StoreError> {
        // A ticket stored before contacts were kept apart holds its reporter itself: the
        // reporter moves to its own items with this write (unless some are there already).
        let stored = self.get_item::<TicketItem>(keys::ticket(&ticket.id)).await?;
        let embedded = stored.map(|i| i.ticket.reporter).filter(|r| *r != Default::default());
        let ticket_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(encode(&TicketItem::new(ticket))?))
            .condition_expression("version = :seen")
            .expression_attribute_values(":seen", AttributeValue::N(ticket.version.to_string()))
            .build()
            .map_err(|e| StoreError::unavailable("TransactWriteItems", e))?;
        let mut transaction = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(ticket_put).build());
        let (reporter, phone) = embedded.map(|r| ReporterItem::of(&ticket.id, &r)).unwrap_or((None, None));
        let items = [reporter.map(|r| encode(&r)), phone.map(|p| encode(&p))];
        for item in items.into_iter().flatten() {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item?))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(|e| StoreError::unavailable("TransactWriteItems", e))?;
            transaction = transaction.transact_items(TransactWriteItem::builder().put(put).build());
        }
        if send_transaction(transaction).await?.is_some() {
            return Ok(false);
        }
        // A mute, written before unsubscribing forgot the contact, forgets it now and goes.
        let pk = keys::ticket_pk(&ticket.id);
        let mutes: Vec<super::items::LegacyMuteItem> =
            self.items_under(&pk, keys::LEGACY_MUTE_PREFIX).await?;
        for mute in mutes {
            let contact_key = mute.sk.trim_start_matches(keys::LEGACY_MUTE_PREFIX);
            crate::ports::Privacy::forget_on(self, &ticket.id, contact_key).await?;
            self.delete_item(keys::Key { pk: pk.clone(), sk: mute.sk.clone() }).await?;
        }
        Ok(true)
    }

    async fn follow(&self, follower: &Follower) -> Result<(), StoreError> {
        let item = encode(&FollowerItem::new(follower))?;
        if follower.confirmed {
            return self.put_item(item).await;
        }
        // A pending follow is written only where nobody follows with that contact, or where an
        // earlier pending follow was never confirmed in time.
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR (confirmed = :pending AND expires_at <= :now)")
            .expression_attribute_values(":pending", AttributeValue::Bool(false))
            .expression_attribute_values(":now", AttributeValue::N(self.clock.now().timestamp().to_string()))
            .send()
            .await;
        if conditional(result, "PutItem")?.is_some() {
            return Ok(());
        }
        let language = serde_dynamo::to_attribute_value(follower.language)
            .map_err(|e| StoreError::Corrupt { key: "follower language".into(), source: Box::new(e) })?;
        let keys::Key { pk, sk } = keys::follower(&follower.ticket_id, &follower.contact.key());
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression("SET #language = :language")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#language", "language")
            .expression_attribute_values(":language", language)
            .send()
            .await;
        // Removed in between (TTL): the follow is dropped; following again writes it.
        conditional(result, "UpdateItem")?;
        Ok(())
    }

    async fn follower(&self, id: &TicketId, contact_key: &str) -> Result<Option<Follower>, StoreError> {
        let item = self.get_item::<FollowerItem>(keys::follower(id, contact_key)).await?;
        Ok(item.map(|i| i.follower))
    }

    async fn confirm_follower(&self, id: &TicketId, contact_key: &str) -> Result<bool, StoreError> {
        let keys::Key { pk, sk } = keys::follower(id, contact_key);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression("SET confirmed = :confirmed REMOVE expires_at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":confirmed", AttributeValue::Bool(true))
            .send()
            .await;
        Ok(conditional(result, "UpdateItem")?.is_some())
    }

    async fn followers(&self, id: &TicketId) -> Result<Vec<Follower>, StoreError> {
        let items: Vec<FollowerItem> = self.items_under(&keys::ticket_pk(id), keys::FOLLOWER_PREFIX).await?;
        Ok(items.into_iter().map(|i| i.follower).collect())
    }

    async fn followers_page(
        &self,
        id: &TicketId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<FollowerPage, StoreError> {
        self.follower_page(id, after, limit).await
    }

    async fn replay(&self, key_hash: &str, now: DateTime<Utc>) -> Result<Option<Replay>, StoreError> {
        let keys::Key { pk, sk } = keys::replay(key_hash);
        // Strongly consistent: a retry racing its first attempt must see the record it just lost to.
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk.clone()))
            .key("sk", s(sk.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable("GetItem"))?;
        let item = output.item.map(|item| decode::<ReplayItem>(item, &format!("{pk}/{sk}"))).transpose()?;
        // TTL deletion lags expiry by up to days; an expired key counts as gone.
        Ok(item.filter(|i| i.expires_at > now.timestamp()).map(|i| i.replay))
    }

    async fn queue(&self, queue: &Queue, limit: usize, after: Option<&str>) -> Result<QueuePage, StoreError> {
        self.queue_page(queue, limit, after).await
    }
}

impl DynamoTable {
    /// A new ticket with its first history entries (its token, its uploads' links, its
    /// reporter's items and the idempotency record), in one transaction, each item conditional
    /// on its absence.
    async fn write_new(
        &self,
        ticket: &Ticket,
        entries: &[&HistoryEntry],
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
        let mut transaction =
            self.client.transact_write_items().transact_items(put(encode(&TicketItem::new(ticket))?)?);
        for entry in entries {
            transaction = transaction.transact_items(put(encode(&HistoryItem::new(entry))?)?);
        }
        // Each upload joins one request only: its link is written with the ticket.
        for upload in &ticket.uploads {
            let keys::Key { pk, sk } = keys::upload(upload);
            let item = UploadItem { pk, sk, entity: "upload".to_owned(), ticket_id: ticket.id.clone() };
            transaction = transaction.transact_items(put(encode(&item)?)?);
        }
        if let Some(token) = token {
            let keys::Key { pk, sk } = keys::token(token);
            let item = TokenItem { pk, sk, entity: "token".to_owned(), ticket_id: ticket.id.clone() };
            transaction = transaction.transact_items(put(encode(&item)?)?);
        }
        // The reporter's contact, in its own items (before the idempotency record, which is last).
        let (reporter, phone) = ReporterItem::of(&ticket.id, &ticket.reporter);
        if let Some(reporter) = reporter {
            transaction = transaction.transact_items(put(encode(&reporter)?)?);
        }
        if let Some(phone) = phone {
            transaction = transaction.transact_items(put(encode(&phone)?)?);
        }
        if let Some(idempotency) = idempotency {
            let keys::Key { pk, sk } = keys::replay(&idempotency.key_hash);
            let item = ReplayItem {
                pk,
                sk,
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
        // Upload links follow the ticket and its history entries.
        let upload_failed = failed.iter().skip(1 + entries.len()).take(ticket.uploads.len());
        if let Some((upload, _)) = ticket.uploads.iter().zip(upload_failed).find(|(_, failed)| **failed) {
            return Err(StoreError::UploadTaken(upload.clone()));
        }
        // Otherwise only the ticket's condition can fail on a fresh number: a clash, not an outage.
        Err(StoreError::IdTaken)
    }
}
