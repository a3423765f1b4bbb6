//! The ticket store's reads over the indexes: listings by month, public updates, nearby
//! tickets, the staff queues, and pages of a ticket's followers.

use super::items::{FollowerItem, HistoryItem, TicketItem};
use super::{DynamoTable, Item, MAX_PARTITION_KEY, MAX_SORT_KEY, decode, keys, s, unavailable};
use crate::domain::follower::FollowerPage;
use crate::domain::id::TicketId;
use crate::domain::listing::{Indexed, Queue, QueuePage, StatusFilter, TicketFilter, Window};
use crate::domain::ticket::{HistoryEntry, Ticket};
use crate::ports::StoreError;
use std::collections::HashMap;

impl DynamoTable {
    /// The tickets a listing asks for, from the month partitions of gsi1 or gsi2.
    pub(super) async fn listed(&self, filter: &TicketFilter) -> Result<Vec<Ticket>, StoreError> {
        let (index, partition, window) = match filter.index {
            Indexed::Requested(window) => ("gsi1", keys::requested as fn(&str) -> String, window),
            Indexed::Updated(window) => ("gsi2", keys::updated as fn(&str) -> String, window),
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

    /// The public history entries of a window, newest first, from gsi1.
    pub(super) async fn updates_in(
        &self,
        window: Window,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let items = self
            .query_window::<HistoryItem>("gsi1", keys::public_update, window, None, limit, |i| {
                window.contains(i.entry.at)
            })
            .await?;
        Ok(items.into_iter().map(|i| i.entry).collect())
    }

    /// The open tickets of a service in the given geohash cells, from gsi6.
    pub(super) async fn tickets_near(
        &self,
        service_code: &str,
        cells: &[String],
    ) -> Result<Vec<Ticket>, StoreError> {
        let mut tickets = Vec::new();
        for cell in cells {
            let pk = keys::near(service_code, cell);
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

    /// A page of a ticket's followers, after the contact key `after`.
    pub(super) async fn follower_page(
        &self,
        id: &TicketId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<FollowerPage, StoreError> {
        // One more than `limit` tells whether a next page exists.
        let from = keys::followers_from(after);
        if from.len() > MAX_SORT_KEY {
            return Ok(FollowerPage::default());
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
                .expression_attribute_values(":pk", s(keys::ticket_pk(id)))
                .expression_attribute_values(":from", s(from.clone()))
                .expression_attribute_values(":to", s(keys::FOLLOWERS_END))
                .limit(i32::try_from(wanted - followers.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable("Query"))?;
            for item in output.items.unwrap_or_default() {
                let key = format!("{}/{}", keys::ticket_pk(id), keys::FOLLOWER_PREFIX);
                followers.push(decode::<FollowerItem>(item, &key)?.follower);
            }
            start = output.last_evaluated_key.filter(|k| !k.is_empty());
            if followers.len() >= wanted || start.is_none() {
                break;
            }
        }
        let more = followers.len() > limit;
        followers.truncate(limit);
        let next = if more { followers.last().map(|f| f.contact.key()) } else { None };
        Ok(FollowerPage { followers, next })
    }

    /// A page of a staff queue, from gsi3 (a department's), gsi4 (an assignee's) or gsi5
    /// (a department's overdue tickets, oldest due first).
    pub(super) async fn queue_page(
        &self,
        queue: &Queue,
        limit: usize,
        after: Option<&str>,
    ) -> Result<QueuePage, StoreError> {
        // gsi5 is read over a range of due dates: from (if bounded) up to, not including, a stamp.
        let (index, pk, forward, range) = match queue {
            Queue::Department { department, open } => ("gsi3", keys::queue(department, *open), false, None),
            Queue::Assignee { user } => ("gsi4", keys::assignee(user), false, None),
            Queue::Overdue { department, now } => {
                ("gsi5", keys::due(department), true, Some((None, keys::stamp(*now))))
            }
            Queue::Due { department, from, to } => {
                ("gsi5", keys::due(department), true, Some((Some(keys::stamp(*from)), keys::stamp(*to))))
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
        match (range, after) {
            (Some((from, to)), after) => {
                // After the last one shown, or from the range's start; a stamp alone sorts before
                // every key that starts with it, so `to` itself is left out.
                match after.map(|after| format!("{after}~")).or(from) {
                    Some(from) if from >= to => return Ok(QueuePage { tickets: Vec::new(), next: None }),
                    Some(from) => {
                        condition.push_str(&format!(" AND {index}sk BETWEEN :from AND :to"));
                        query = query
                            .expression_attribute_values(":from", s(from))
                            .expression_attribute_values(":to", s(to));
                    }
                    None => {
                        condition.push_str(&format!(" AND {index}sk < :to"));
                        query = query.expression_attribute_values(":to", s(to));
                    }
                }
            }
            (None, Some(after)) => {
                condition.push_str(&format!(" AND {index}sk < :after"));
                query = query.expression_attribute_values(":after", s(after));
            }
            (None, None) => {}
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
