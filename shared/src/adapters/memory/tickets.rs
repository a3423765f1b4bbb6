//! `MemoryStore` as a ticket store: writes under the table's conditions, and reads through
//! the same index keys the table derives, so lists, queues and cells come back in its order.

use super::lock;
use super::store::{MemoryStore, stamp};
use crate::domain::follower::{Follower, FollowerPage};
use crate::domain::id::TicketId;
use crate::domain::listing::{Indexed, Queue, QueuePage, TicketFilter, Window};
use crate::domain::ticket::{HistoryEntry, Ticket};
use crate::ports::{Idempotency, Replay, StoreError, TicketStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::cmp::Reverse;

/// A time-index sort key: `<stamp>#<id>`.
fn time_key(at: DateTime<Utc>, id: &TicketId) -> String {
    format!("{}#{id}", stamp(at))
}

/// The partition and sort key under which a queue's index holds a ticket, if it does.
fn queue_key(ticket: &Ticket, queue: &Queue) -> Option<(String, String)> {
    let open = ticket.status.is_open();
    match queue {
        Queue::Department { .. } => Some((
            format!("QUEUE#{}#{}", ticket.department, if open { "open" } else { "closed" }),
            time_key(ticket.updated_at, &ticket.id),
        )),
        Queue::Assignee { .. } => ticket
            .assignee
            .as_ref()
            .filter(|_| open)
            .map(|a| (format!("ASSIGNEE#{a}"), time_key(ticket.updated_at, &ticket.id))),
        Queue::Overdue { .. } | Queue::Due { .. } => ticket
            .expected_at
            .filter(|_| open)
            .map(|due| (format!("DUE#{}", ticket.department), time_key(due, &ticket.id))),
    }
}

/// The partition a queue reads, whether it reads oldest first, and the range of due dates it
/// reads (from, if bounded, up to but not including a stamp).
fn queue_partition(queue: &Queue) -> (String, bool, Option<(Option<String>, String)>) {
    match queue {
        Queue::Department { department, open } => {
            (format!("QUEUE#{department}#{}", if *open { "open" } else { "closed" }), false, None)
        }
        Queue::Assignee { user } => (format!("ASSIGNEE#{user}"), false, None),
        Queue::Overdue { department, now } => (format!("DUE#{department}"), true, Some((None, stamp(*now)))),
        Queue::Due { department, from, to } => {
            (format!("DUE#{department}"), true, Some((Some(stamp(*from)), stamp(*to))))
        }
    }
}

#[async_trait]
impl TicketStore for MemoryStore {
    /// All or nothing, failing as the table's transaction does: `Replayed` before
    /// `UploadTaken` before `IdTaken` (which also covers a taken token or history entry).
    async fn create(
        &self,
        ticket: &Ticket,
        entry: &HistoryEntry,
        token: Option<&str>,
        idempotency: Option<&Idempotency>,
    ) -> Result<(), StoreError> {
        self.check_up()?;
        let mut tickets = lock(&self.tickets);
        let mut history = lock(&self.history);
        let mut replays = lock(&self.replays);
        let mut links = lock(&self.upload_links);
        let mut tokens = lock(&self.tokens);
        // A key past its expiry is free, as in the table before TTL removes it.
        let replayed = idempotency.is_some_and(|i| {
            replays.get(&i.key_hash).is_some_and(|(_, expires_at)| *expires_at > i.received_at.timestamp())
        });
        if replayed {
            return Err(StoreError::Replayed);
        }
        if let Some(taken) = ticket.uploads.iter().find(|u| links.contains_key(*u)) {
            return Err(StoreError::UploadTaken(taken.clone()));
        }
        let history_taken =
            history.iter().any(|e| e.ticket_id == entry.ticket_id && e.version == entry.version);
        if tickets.contains_key(&ticket.id) || history_taken || token.is_some_and(|t| tokens.contains_key(t))
        {
            return Err(StoreError::IdTaken);
        }
        if let Some(idempotency) = idempotency {
            let replay = Replay::of(&ticket.id, token, idempotency);
            replays.insert(idempotency.key_hash.clone(), (replay, idempotency.expires_at.timestamp()));
        }
        for upload in &ticket.uploads {
            links.insert(upload.clone(), ticket.id.clone());
        }
        if let Some(token) = token {
            tokens.insert(token.to_owned(), ticket.id.clone());
        }
        tickets.insert(ticket.id.clone(), ticket.clone());
        history.push(entry.clone());
        Ok(())
    }

    /// All or nothing: `Conflict` when a ticket is not at the version before its change (or
    /// is missing) or a history entry's version is taken; naming one ticket twice is refused
    /// as the table refuses a transaction that writes one item twice.
    async fn apply(&self, changes: &[(Ticket, HistoryEntry)]) -> Result<(), StoreError> {
        self.check_up()?;
        let mut tickets = lock(&self.tickets);
        let mut history = lock(&self.history);
        if !crate::ports::changes_in_order(changes) {
            return Err(StoreError::unavailable("TransactWriteItems", "one ticket named twice out of order"));
        }
        // A ticket named twice in a row is checked once, against the version before its first.
        let first = |i: usize, t: &Ticket| changes[..i].iter().all(|(u, _)| u.id != t.id);
        let stale =
            |t: &Ticket| tickets.get(&t.id).map(|stored| stored.version) != Some(t.version.saturating_sub(1));
        let taken =
            |e: &HistoryEntry| history.iter().any(|h| h.ticket_id == e.ticket_id && h.version == e.version);
        if changes.iter().enumerate().any(|(i, (t, e))| (first(i, t) && stale(t)) || taken(e)) {
            return Err(StoreError::Conflict);
        }
        let mut links = lock(&self.upload_links);
        if changes.iter().flat_map(|(_, e)| e.change.new_uploads()).any(|u| links.contains_key(u)) {
            return Err(StoreError::Conflict);
        }
        for (ticket, entry) in changes {
            for upload in entry.change.new_uploads() {
                links.insert(upload.clone(), ticket.id.clone());
            }
            // As in the table: a change never writes the reporter's contact, kept apart.
            let reporter = tickets.get(&ticket.id).map(|t| t.reporter.clone()).unwrap_or_default();
            tickets.insert(ticket.id.clone(), Ticket { reporter, ..ticket.clone() });
            history.push(entry.clone());
        }
        Ok(())
    }

    async fn apply_rewriting(
        &self,
        change: &(Ticket, HistoryEntry),
        rewritten: &[HistoryEntry],
    ) -> Result<(), StoreError> {
        let known = |e: &HistoryEntry| {
            lock(&self.history).iter().any(|h| h.ticket_id == e.ticket_id && h.version == e.version)
        };
        if rewritten.iter().any(|e| e.ticket_id != change.0.id || !known(e)) {
            return Err(StoreError::Conflict);
        }
        self.apply(std::slice::from_ref(change)).await?;
        let mut history = lock(&self.history);
        for entry in rewritten {
            if let Some(stored) =
                history.iter_mut().find(|h| h.ticket_id == entry.ticket_id && h.version == entry.version)
            {
                *stored = entry.clone();
            }
        }
        Ok(())
    }

    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        self.check_up()?;
        let mut ticket = lock(&self.tickets).get(id).cloned();
        // A contact kept until a time past counts as gone, as the table judges TTL.
        let now = self.clock.now().timestamp();
        if let Some(ticket) = ticket.as_mut()
            && lock(&self.contacts_kept_until).get(id).is_some_and(|until| *until <= now)
        {
            ticket.reporter = Default::default();
        }
        Ok(ticket)
    }

    async fn get_many(&self, ids: &[TicketId]) -> Result<Vec<Ticket>, StoreError> {
        self.check_up()?;
        let tickets = lock(&self.tickets);
        let mut found: Vec<Ticket> = Vec::new();
        for id in ids {
            if let Some(t) = tickets.get(id).filter(|t| !found.iter().any(|f| f.id == t.id)) {
                found.push(without_reporter(t));
            }
        }
        Ok(found)
    }

    async fn list(&self, filter: &TicketFilter) -> Result<Vec<Ticket>, StoreError> {
        self.check_up()?;
        let mut found: Vec<Ticket> = lock(&self.tickets)
            .values()
            .filter(|t| !t.private && filter.matches(t))
            .map(without_reporter)
            .collect();
        found.sort_by_cached_key(|t| {
            Reverse(match filter.index {
                Indexed::Requested(_) => time_key(t.requested_at, &t.id),
                Indexed::Updated(_) => time_key(t.updated_at, &t.id),
            })
        });
        found.truncate(filter.limit);
        Ok(found)
    }

    async fn history(&self, id: &TicketId) -> Result<Vec<HistoryEntry>, StoreError> {
        self.check_up()?;
        let mut entries: Vec<HistoryEntry> =
            lock(&self.history).iter().filter(|e| &e.ticket_id == id).cloned().collect();
        entries.sort_by_key(|e| e.version);
        Ok(entries)
    }

    async fn public_updates(&self, window: Window, limit: usize) -> Result<Vec<HistoryEntry>, StoreError> {
        self.check_up()?;
        let mut found: Vec<HistoryEntry> = lock(&self.history)
            .iter()
            .filter(|e| e.public && !e.private_request && window.contains(e.at))
            .cloned()
            .collect();
        found.sort_by_cached_key(|e| Reverse(format!("{}#{:010}", time_key(e.at, &e.ticket_id), e.version)));
        found.truncate(limit);
        Ok(found)
    }

    async fn ticket_for_token(&self, token: &str) -> Result<Option<TicketId>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.tokens).get(token).cloned())
    }

    /// Cell by cell as asked, each in the order of its index (the point's finer geohash).
    async fn in_cells(&self, service_code: &str, cells: &[String]) -> Result<Vec<Ticket>, StoreError> {
        self.check_up()?;
        let tickets = lock(&self.tickets);
        let mut found = Vec::new();
        for cell in cells {
            let mut in_cell: Vec<(String, Ticket)> = tickets
                .values()
                .filter(|t| t.status.is_open() && !t.private && t.service_code == service_code)
                .filter_map(|t| {
                    let point = t.location.point().filter(|p| &crate::domain::nearby::cell(*p) == cell)?;
                    Some((format!("{}#{}", crate::domain::geo::geohash(point, 9), t.id), without_reporter(t)))
                })
                .collect();
            in_cell.sort_by(|a, b| a.0.cmp(&b.0));
            found.extend(in_cell.into_iter().map(|(_, t)| t));
        }
        Ok(found)
    }

    /// Cell by cell as asked, each in the order the map index reads it: open ones first, newest
    /// change first, then the closed since `closed_since`.
    async fn in_map_cells(
        &self,
        cells: &[String],
        closed_since: DateTime<Utc>,
        limit: usize,
    ) -> Result<(Vec<crate::domain::map::MapPin>, bool), StoreError> {
        use crate::domain::map::{MapPin, cell as map_cell};
        self.check_up()?;
        let tickets = lock(&self.tickets);
        let (mut found, mut more) = (Vec::new(), false);
        for cell in cells {
            let mut in_cell: Vec<(bool, String, MapPin)> = tickets
                .values()
                .filter(|t| !t.private)
                .filter_map(|t| {
                    let point = t.location.point().filter(|p| &map_cell(*p) == cell)?;
                    let open = t.status.is_open();
                    let at = crate::domain::map::sort_time(t.status, t.updated_at, t.closed_at);
                    (open || at >= closed_since).then(|| {
                        let pin = MapPin {
                            id: t.id.clone(),
                            service_code: t.service_code.clone(),
                            service_name: t.service_name.clone(),
                            status: t.status,
                            point,
                            requested_at: t.requested_at,
                            at,
                        };
                        (open, time_key(at, &t.id), pin)
                    })
                })
                .collect();
            in_cell.sort_by(|a, b| (b.0, &b.1).cmp(&(a.0, &a.1)));
            more |= in_cell.len() > limit;
            found.extend(in_cell.into_iter().take(limit).map(|(_, _, pin)| pin));
        }
        Ok((found, more))
    }

    /// Index keys are derived on every read here: nothing to write, only the version to check.
    async fn reindex(&self, ticket: &Ticket) -> Result<bool, StoreError> {
        self.check_up()?;
        Ok(lock(&self.tickets).get(&ticket.id).is_some_and(|t| t.version == ticket.version))
    }

    async fn follow(&self, follower: &Follower) -> Result<(), StoreError> {
        self.check_up()?;
        let key = (follower.ticket_id.clone(), follower.contact.key());
        let mut followers = lock(&self.followers);
        let confirm_by =
            |f: &Follower| f.since + chrono::Duration::hours(crate::domain::follower::CONFIRM_WITHIN_HOURS);
        match followers.get_mut(&key) {
            Some(kept) if !follower.confirmed && (kept.confirmed || confirm_by(kept) > self.clock.now()) => {
                kept.language = follower.language;
            }
            _ => {
                followers.insert(key, follower.clone());
            }
        }
        Ok(())
    }

    async fn follower(&self, id: &TicketId, contact_key: &str) -> Result<Option<Follower>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.followers).get(&(id.clone(), contact_key.to_owned())).cloned())
    }

    async fn confirm_follower(&self, id: &TicketId, contact_key: &str) -> Result<bool, StoreError> {
        self.check_up()?;
        match lock(&self.followers).get_mut(&(id.clone(), contact_key.to_owned())) {
            Some(follower) => {
                follower.confirmed = true;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn followers(&self, id: &TicketId) -> Result<Vec<Follower>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.followers).iter().filter(|((t, _), _)| t == id).map(|(_, f)| f.clone()).collect())
    }

    async fn followers_page(
        &self,
        id: &TicketId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<FollowerPage, StoreError> {
        self.check_up()?;
        // The table reads from `<after>~` on.
        let from = after.map(|a| format!("{a}~"));
        let mut followers: Vec<Follower> = lock(&self.followers)
            .iter()
            .filter(|((t, key), _)| t == id && from.as_deref().is_none_or(|from| key.as_str() >= from))
            .take(limit.saturating_add(1))
            .map(|(_, f)| f.clone())
            .collect();
        let more = followers.len() > limit;
        followers.truncate(limit);
        let next = if more { followers.last().map(|f| f.contact.key()) } else { None };
        Ok(FollowerPage { followers, next })
    }

    async fn replay(&self, key_hash: &str, now: DateTime<Utc>) -> Result<Option<Replay>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.replays)
            .get(key_hash)
            .filter(|(_, expires_at)| *expires_at > now.timestamp())
            .map(|(r, _)| r.clone()))
    }

    /// One Query of the queue's index: `after` is the sort key of the last ticket shown;
    /// `next` is given when more follow (DynamoDB may also give one after a full last page).
    async fn queue(&self, queue: &Queue, limit: usize, after: Option<&str>) -> Result<QueuePage, StoreError> {
        self.check_up()?;
        if limit == 0 {
            return Err(StoreError::unavailable("Query", "a limit must be at least 1"));
        }
        let (partition, forward, bound) = queue_partition(queue);
        let mut found: Vec<(String, Ticket)> = lock(&self.tickets)
            .values()
            .filter_map(|t| {
                queue_key(t, queue).filter(|(pk, _)| *pk == partition).map(|(_, sk)| (sk, t.clone()))
            })
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        if !forward {
            found.reverse();
        }
        let after_bound = after.map(|a| format!("{a}~"));
        found.retain(|(sk, _)| match (&bound, after) {
            (Some((from, to)), _) => {
                after_bound.as_ref().or(from.as_ref()).is_none_or(|from| from.as_str() <= sk.as_str())
                    && sk.as_str() < to.as_str()
            }
            (None, Some(after)) => sk.as_str() < after,
            (None, None) => true,
        });
        let next = (found.len() > limit).then(|| found.get(limit - 1).map(|(sk, _)| sk.clone())).flatten();
        found.truncate(limit);
        Ok(QueuePage { tickets: found.into_iter().map(|(_, t)| without_reporter(&t)).collect(), next })
    }
}

/// A ticket as the table's indexes and batch reads hold it: its reporter's contact is kept apart
/// and read with the ticket by number only.
fn without_reporter(ticket: &Ticket) -> Ticket {
    Ticket { reporter: Default::default(), ..ticket.clone() }
}
