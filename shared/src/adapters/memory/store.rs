//! `MemoryStore`: what the table keeps, in memory, and its catalog, outbox, API keys,
//! deliveries and uploads (tickets are in `tickets`).
//!
//! Expiring records keep their expiry in whole seconds, as the table's `expires_at` does, and
//! are judged the same way: an idempotency key by the submission's time, an unsubscribe link
//! by the store's clock. Published marks, delivery claims and processing outcomes are never
//! judged on read, as the table leaves them to TTL.

use super::lock;
use crate::domain::api_key::ApiKey;
use crate::domain::catalog::{Department, Service};
use crate::domain::follower::Follower;
use crate::domain::id::TicketId;
use crate::domain::routing::RoutingRules;
use crate::domain::ticket::{HistoryEntry, Ticket};
use crate::ports::{ApiKeys, Catalog, Deliveries, Outbox, Replay, StoreError};
use crate::runtime::clock::{Clock, SystemClock};
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// Tickets, history and catalog in memory.
pub struct MemoryStore {
    pub(super) tickets: Mutex<BTreeMap<TicketId, Ticket>>,
    /// Every history entry, in the order written.
    pub(super) history: Mutex<Vec<HistoryEntry>>,
    pub(super) services: Mutex<BTreeMap<String, Service>>,
    pub(super) departments: Mutex<BTreeMap<String, Department>>,
    pub(super) tokens: Mutex<BTreeMap<String, TicketId>>,
    pub(super) calendar: Mutex<Option<crate::domain::sla::BusinessCalendar>>,
    /// Idempotency records with their expiry (seconds since the epoch).
    pub(super) replays: Mutex<BTreeMap<String, (Replay, i64)>>,
    keys: Mutex<BTreeMap<String, ApiKey>>,
    pub(super) routing: Mutex<Option<RoutingRules>>,
    banner: Mutex<Option<crate::domain::banner::Banner>>,
    templates: Mutex<Option<crate::domain::canned::CannedResponses>>,
    pub(super) followers: Mutex<BTreeMap<(TicketId, String), Follower>>,
    /// Until when each closed ticket's contacts are kept (seconds since the epoch).
    pub(super) contacts_kept_until: Mutex<BTreeMap<TicketId, i64>>,
    published: Mutex<BTreeSet<String>>,
    deliveries: Mutex<BTreeSet<String>>,
    undeliverable: Mutex<BTreeMap<String, String>>,
    /// Unsubscribe links: ticket, contact key and expiry (seconds since the epoch).
    unsubscribes: Links,
    /// Follows' confirmation links: ticket, contact key and expiry (seconds since the epoch).
    confirmations: Links,
    fix_checks: Links,
    /// The ticket that last texted each number, by contact key.
    threads: Links,
    /// The town's figures, and the counts made (id → expiry, seconds since the epoch).
    stats: Mutex<BTreeMap<(chrono::NaiveDate, String, String), crate::domain::stats::Tally>>,
    counted: Mutex<BTreeMap<String, i64>>,
    pub(super) upload_links: Mutex<BTreeMap<String, TicketId>>,
    processings: Mutex<BTreeMap<String, crate::domain::photo::Processing>>,
    /// Writes taken from each rate-limit bucket.
    rates: Mutex<BTreeMap<String, u32>>,
    /// The town's address points, by id.
    pub(super) addresses: Mutex<BTreeMap<String, crate::domain::address::AddressPoint>>,
    /// Decides what has expired, as the table's clock does.
    pub(super) clock: Arc<dyn Clock>,
    /// When set, every call fails as if the backing service were down.
    pub down: Mutex<bool>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            tickets: Mutex::default(),
            history: Mutex::default(),
            services: Mutex::default(),
            departments: Mutex::default(),
            tokens: Mutex::default(),
            calendar: Mutex::default(),
            replays: Mutex::default(),
            keys: Mutex::default(),
            routing: Mutex::default(),
            banner: Mutex::default(),
            templates: Mutex::default(),
            followers: Mutex::default(),
            contacts_kept_until: Mutex::default(),
            published: Mutex::default(),
            deliveries: Mutex::default(),
            undeliverable: Mutex::default(),
            unsubscribes: Mutex::default(),
            confirmations: Mutex::default(),
            fix_checks: Mutex::default(),
            threads: Mutex::default(),
            stats: Mutex::default(),
            counted: Mutex::default(),
            upload_links: Mutex::default(),
            processings: Mutex::default(),
            rates: Mutex::default(),
            addresses: Mutex::default(),
            clock: Arc::new(SystemClock),
            down: Mutex::default(),
        }
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").field("tickets", &lock(&self.tickets).len()).finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// The same store judging expiry by `clock`'s time.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Every history entry of every ticket, in the order written.
    pub fn history(&self) -> Vec<HistoryEntry> {
        lock(&self.history).clone()
    }

    /// The deliveries kept as undeliverable, with the refusal code of each.
    pub fn undeliverable(&self) -> BTreeMap<String, String> {
        lock(&self.undeliverable).clone()
    }

    pub(super) fn check_up(&self) -> Result<(), StoreError> {
        if *lock(&self.down) { Err(StoreError::unavailable("memory", "store is down")) } else { Ok(()) }
    }
}

/// A sortable, fixed-width timestamp, as the table's sort keys hold it.
pub(super) fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[async_trait]
impl crate::ports::Banners for MemoryStore {
    async fn banner(&self) -> Result<Option<crate::domain::banner::Banner>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.banner).clone())
    }

    async fn put_banner(&self, banner: Option<&crate::domain::banner::Banner>) -> Result<(), StoreError> {
        self.check_up()?;
        *lock(&self.banner) = banner.cloned();
        Ok(())
    }
}

#[async_trait]
impl crate::ports::Templates for MemoryStore {
    async fn templates(&self) -> Result<Option<crate::domain::canned::CannedResponses>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.templates).clone())
    }

    async fn put_templates(
        &self,
        templates: &crate::domain::canned::CannedResponses,
    ) -> Result<(), StoreError> {
        self.check_up()?;
        let mut stored = lock(&self.templates);
        if stored.as_ref().map_or(0, |t| t.version) != templates.version.saturating_sub(1) {
            return Err(StoreError::Conflict);
        }
        *stored = Some(templates.clone());
        Ok(())
    }
}

#[async_trait]
impl Catalog for MemoryStore {
    async fn services(&self) -> Result<Vec<Service>, StoreError> {
        self.check_up()?;
        let mut services: Vec<Service> = lock(&self.services).values().cloned().collect();
        services.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
        Ok(services)
    }

    async fn service(&self, code: &str) -> Result<Option<Service>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.services).get(code).cloned())
    }

    async fn department(&self, code: &str) -> Result<Option<Department>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.departments).get(code).cloned())
    }

    async fn departments(&self) -> Result<Vec<Department>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.departments).values().cloned().collect())
    }

    async fn put_service(&self, service: &Service) -> Result<(), StoreError> {
        self.check_up()?;
        lock(&self.services).insert(service.code.clone(), service.clone());
        Ok(())
    }

    async fn put_department(&self, department: &Department) -> Result<(), StoreError> {
        self.check_up()?;
        lock(&self.departments).insert(department.code.clone(), department.clone());
        Ok(())
    }

    async fn calendar(&self) -> Result<Option<crate::domain::sla::BusinessCalendar>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.calendar).clone())
    }

    async fn put_calendar(&self, calendar: &crate::domain::sla::BusinessCalendar) -> Result<(), StoreError> {
        self.check_up()?;
        *lock(&self.calendar) = Some(calendar.clone());
        Ok(())
    }

    async fn routing(&self) -> Result<Option<RoutingRules>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.routing).clone())
    }

    async fn put_routing(&self, rules: &RoutingRules) -> Result<(), StoreError> {
        self.check_up()?;
        let mut stored = lock(&self.routing);
        if stored.as_ref().map_or(0, |r| r.version) != rules.version.saturating_sub(1) {
            return Err(StoreError::Conflict);
        }
        *stored = Some(rules.clone());
        Ok(())
    }
}

#[async_trait]
impl Outbox for MemoryStore {
    async fn was_published(&self, event_id: &str) -> Result<bool, StoreError> {
        self.check_up()?;
        Ok(lock(&self.published).contains(event_id))
    }

    async fn mark_published(&self, event_id: &str, _keep_until: DateTime<Utc>) -> Result<(), StoreError> {
        self.check_up()?;
        lock(&self.published).insert(event_id.to_owned());
        Ok(())
    }
}

#[async_trait]
impl ApiKeys for MemoryStore {
    async fn key(&self, hash: &str) -> Result<Option<ApiKey>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.keys).get(hash).cloned())
    }

    async fn keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.check_up()?;
        let mut keys: Vec<ApiKey> = lock(&self.keys).values().cloned().collect();
        // As the index sorts them: by creation stamp then id, newest first.
        keys.sort_by_cached_key(|k| std::cmp::Reverse(format!("{}#{}", stamp(k.created_at), k.id)));
        Ok(keys)
    }

    async fn put_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        self.check_up()?;
        lock(&self.keys).insert(key.hash.clone(), key.clone());
        Ok(())
    }

    /// Kept to the second, as the table keeps it; an unknown key fails its condition, which
    /// the table reports as a failed update.
    async fn record_use(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.check_up()?;
        let mut keys = lock(&self.keys);
        let key = keys.get_mut(hash).ok_or_else(|| StoreError::unavailable("UpdateItem", "no such key"))?;
        key.last_used_at = DateTime::from_timestamp(at.timestamp(), 0);
        Ok(())
    }
}

#[async_trait]
impl Deliveries for MemoryStore {
    async fn claim(&self, delivery_id: &str, _keep_until: DateTime<Utc>) -> Result<bool, StoreError> {
        self.check_up()?;
        Ok(lock(&self.deliveries).insert(delivery_id.to_owned()))
    }

    async fn release(&self, delivery_id: &str) -> Result<(), StoreError> {
        self.check_up()?;
        lock(&self.deliveries).remove(delivery_id);
        lock(&self.undeliverable).remove(delivery_id);
        Ok(())
    }

    async fn mark_undeliverable(
        &self,
        delivery_id: &str,
        code: &str,
        _keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.check_up()?;
        lock(&self.deliveries).insert(delivery_id.to_owned());
        lock(&self.undeliverable).insert(delivery_id.to_owned(), code.to_owned());
        Ok(())
    }

    async fn issue_unsubscribe(
        &self,
        token: &str,
        ticket_id: &TicketId,
        contact_key: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.check_up()?;
        issue_link(&self.unsubscribes, token, ticket_id, contact_key, keep_until);
        Ok(())
    }

    async fn unsubscribe_target(&self, token: &str) -> Result<Option<(TicketId, String)>, StoreError> {
        self.check_up()?;
        Ok(link_target(&self.unsubscribes, token, self.clock.now()))
    }

    async fn issue_confirmation(
        &self,
        token: &str,
        ticket_id: &TicketId,
        contact_key: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.check_up()?;
        issue_link(&self.confirmations, token, ticket_id, contact_key, keep_until);
        Ok(())
    }

    async fn confirmation_target(&self, token: &str) -> Result<Option<(TicketId, String)>, StoreError> {
        self.check_up()?;
        Ok(link_target(&self.confirmations, token, self.clock.now()))
    }

    async fn redeem_confirmation(&self, token: &str) -> Result<Option<(TicketId, String)>, StoreError> {
        self.check_up()?;
        let now = self.clock.now().timestamp();
        let mut links = lock(&self.confirmations);
        if links.get(token).is_none_or(|(_, _, expires_at)| *expires_at <= now) {
            return Ok(None);
        }
        Ok(links.remove(token).map(|(ticket_id, key, _)| (ticket_id, key)))
    }

    async fn remember_thread(
        &self,
        contact_key: &str,
        ticket_id: &TicketId,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.check_up()?;
        issue_link(&self.threads, contact_key, ticket_id, contact_key, keep_until);
        Ok(())
    }

    async fn thread(&self, contact_key: &str) -> Result<Option<TicketId>, StoreError> {
        self.check_up()?;
        Ok(link_target(&self.threads, contact_key, self.clock.now()).map(|(ticket, _)| ticket))
    }

    async fn issue_fix_check(
        &self,
        token: &str,
        ticket_id: &TicketId,
        contact_key: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.check_up()?;
        issue_link(&self.fix_checks, token, ticket_id, contact_key, keep_until);
        Ok(())
    }

    async fn fix_check_target(&self, token: &str) -> Result<Option<(TicketId, String)>, StoreError> {
        self.check_up()?;
        Ok(link_target(&self.fix_checks, token, self.clock.now()))
    }
}

#[async_trait]
impl crate::ports::Uploads for MemoryStore {
    async fn upload_ticket(&self, upload_id: &str) -> Result<Option<TicketId>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.upload_links).get(upload_id).cloned())
    }

    async fn put_processing(
        &self,
        processing: &crate::domain::photo::Processing,
        _keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.check_up()?;
        lock(&self.processings).insert(processing.upload_id().to_owned(), processing.clone());
        Ok(())
    }

    async fn processing(
        &self,
        upload_id: &str,
    ) -> Result<Option<crate::domain::photo::Processing>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.processings).get(upload_id).cloned())
    }
}

#[async_trait]
impl crate::ports::RateLimits for MemoryStore {
    async fn take(&self, bucket: &crate::domain::rate::Bucket, most: u32) -> Result<bool, StoreError> {
        self.check_up()?;
        let mut rates = lock(&self.rates);
        let taken = rates.entry(bucket.key.clone()).or_insert(0);
        if *taken >= most {
            return Ok(false);
        }
        *taken += 1;
        Ok(true)
    }
}

#[async_trait]
impl crate::ports::Privacy for MemoryStore {
    async fn keep_contacts(&self, id: &TicketId, until: Option<DateTime<Utc>>) -> Result<(), StoreError> {
        self.check_up()?;
        let mut kept = lock(&self.contacts_kept_until);
        match until {
            Some(until) => kept.insert(id.clone(), until.timestamp()),
            None => kept.remove(id),
        };
        Ok(())
    }

    async fn forget_on(&self, id: &TicketId, contact_key: &str) -> Result<bool, StoreError> {
        self.check_up()?;
        let mut tickets = lock(&self.tickets);
        let reporter_has = |r: &crate::domain::contact::Reporter| {
            let email = r.email.clone().map(crate::domain::follower::Contact::Email);
            let phone = r.phone.clone().map(crate::domain::follower::Contact::Sms);
            email.into_iter().chain(phone).any(|c| c.has_key(contact_key))
        };
        if let Some(ticket) = tickets.get_mut(id)
            && reporter_has(&ticket.reporter)
        {
            ticket.reporter = Default::default();
            return Ok(true);
        }
        Ok(lock(&self.followers).remove(&(id.clone(), contact_key.to_owned())).is_some())
    }

    async fn holding(&self, contact_key: &str) -> Result<Vec<serde_json::Value>, StoreError> {
        self.check_up()?;
        let mut found: Vec<serde_json::Value> = Vec::new();
        for ticket in lock(&self.tickets).values() {
            if reporter_keys(&ticket.reporter).iter().any(|k| k == contact_key) {
                found.push(serde_json::json!({ "ticket_id": ticket.id, "reporter": serde_json::to_value(&ticket.reporter).unwrap_or_default() }));
            }
        }
        for ((_, key), follower) in lock(&self.followers).iter() {
            if key == contact_key {
                found.push(serde_json::to_value(follower).unwrap_or_default());
            }
        }
        for links in [&self.unsubscribes, &self.confirmations, &self.fix_checks, &self.threads] {
            for (token, (ticket_id, key, expires_at)) in lock(links).iter() {
                if key == contact_key {
                    found.push(serde_json::json!({ "token": token, "ticket_id": ticket_id, "expires_at": expires_at }));
                }
            }
        }
        Ok(found)
    }

    async fn erase(&self, contact_key: &str) -> Result<usize, StoreError> {
        self.check_up()?;
        let mut erased = 0;
        for ticket in lock(&self.tickets).values_mut() {
            if reporter_keys(&ticket.reporter).iter().any(|k| k == contact_key) {
                ticket.reporter = Default::default();
                erased += 1;
            }
        }
        let mut followers = lock(&self.followers);
        let before = followers.len();
        followers.retain(|(_, key), _| key != contact_key);
        erased += before - followers.len();
        for links in [&self.unsubscribes, &self.confirmations, &self.fix_checks, &self.threads] {
            let mut links = lock(links);
            let before = links.len();
            links.retain(|_, (_, key, _)| key != contact_key);
            erased += before - links.len();
        }
        Ok(erased)
    }
}

/// The keys of a reporter's email and phone.
fn reporter_keys(reporter: &crate::domain::contact::Reporter) -> Vec<String> {
    use crate::domain::follower::Contact;
    let email = reporter.email.clone().map(|e| Contact::Email(e).key());
    let phone = reporter.phone.clone().map(|p| Contact::Sms(p).key());
    email.into_iter().chain(phone).collect()
}

/// Links by token: the ticket, the contact key and the expiry (seconds since the epoch).
type Links = Mutex<BTreeMap<String, (TicketId, String, i64)>>;

fn issue_link(
    links: &Links,
    token: &str,
    ticket_id: &TicketId,
    contact_key: &str,
    keep_until: DateTime<Utc>,
) {
    lock(links).insert(token.to_owned(), (ticket_id.clone(), contact_key.to_owned(), keep_until.timestamp()));
}

/// The ticket and contact a link stands for until it expires, as the table judges it.
fn link_target(links: &Links, token: &str, now: DateTime<Utc>) -> Option<(TicketId, String)> {
    lock(links)
        .get(token)
        .filter(|(_, _, expires_at)| *expires_at > now.timestamp())
        .map(|(ticket_id, key, _)| (ticket_id.clone(), key.clone()))
}

#[async_trait]
impl crate::ports::Stats for MemoryStore {
    async fn count(
        &self,
        count_id: &str,
        count: &crate::domain::stats::Count,
        keep_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.check_up()?;
        let mut counted = lock(&self.counted);
        // As the table's condition sees it: a record TTL has not removed yet still stops a count.
        if counted.contains_key(count_id) {
            return Ok(false);
        }
        counted.insert(count_id.to_owned(), keep_until.timestamp());
        let key = (count.day, count.department.clone(), count.service_code.clone());
        lock(&self.stats).entry(key).or_default().add(count.counted);
        Ok(true)
    }

    async fn month(&self, year: i32, month: u32) -> Result<Vec<crate::domain::stats::DayTally>, StoreError> {
        use chrono::Datelike;
        self.check_up()?;
        Ok(lock(&self.stats)
            .iter()
            .filter(|((day, _, _), _)| day.year() == year && day.month() == month)
            .map(|((day, department, service_code), tally)| crate::domain::stats::DayTally {
                day: *day,
                department: department.clone(),
                service_code: service_code.clone(),
                tally: tally.clone(),
            })
            .collect())
    }
}
