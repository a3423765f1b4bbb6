//! In-memory adapters of the ports, for unit tests of handlers (feature `test-util`).

use crate::domain::api_key::ApiKey;
use crate::domain::catalog::{Department, Service};
use crate::domain::events::TicketEvent;
use crate::domain::follower::Follower;
use crate::domain::id::TicketId;
use crate::domain::listing::{Indexed, Queue, QueuePage, TicketFilter, Window};
use crate::domain::routing::RoutingRules;
use crate::domain::ticket::{HistoryEntry, Ticket};
use crate::ports::{
    ApiKeys, Catalog, Deliveries, EventPublisher, Idempotency, Messenger, Outbox, OutgoingEmail, Replay,
    SendError, StoreError, TicketStore,
};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Tickets, history and catalog in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tickets: Mutex<BTreeMap<TicketId, Ticket>>,
    history: Mutex<Vec<HistoryEntry>>,
    services: Mutex<BTreeMap<String, Service>>,
    departments: Mutex<BTreeMap<String, Department>>,
    tokens: Mutex<BTreeMap<String, TicketId>>,
    calendar: Mutex<Option<crate::domain::sla::BusinessCalendar>>,
    /// Idempotency records with their expiry.
    replays: Mutex<BTreeMap<String, (Replay, chrono::DateTime<chrono::Utc>)>>,
    keys: Mutex<BTreeMap<String, ApiKey>>,
    routing: Mutex<Option<RoutingRules>>,
    followers: Mutex<BTreeMap<(TicketId, String), Follower>>,
    published: Mutex<BTreeMap<String, chrono::DateTime<chrono::Utc>>>,
    deliveries: Mutex<BTreeMap<String, chrono::DateTime<chrono::Utc>>>,
    undeliverable: Mutex<BTreeMap<String, String>>,
    mutes: Mutex<Vec<(TicketId, String)>>,
    unsubscribes: Mutex<BTreeMap<String, (TicketId, String)>>,
    upload_links: Mutex<BTreeMap<String, TicketId>>,
    processings: Mutex<BTreeMap<String, crate::domain::photo::Processing>>,
    /// When set, every call fails as if the backing service were down.
    pub down: Mutex<bool>,
}

impl MemoryStore {
    pub fn history(&self) -> Vec<HistoryEntry> {
        lock(&self.history).clone()
    }

    /// The deliveries kept as undeliverable, with the refusal code of each.
    pub fn undeliverable(&self) -> BTreeMap<String, String> {
        lock(&self.undeliverable).clone()
    }

    fn check_up(&self) -> Result<(), StoreError> {
        if *lock(&self.down) { Err(StoreError::unavailable("memory", "store is down")) } else { Ok(()) }
    }
}

#[async_trait]
impl TicketStore for MemoryStore {
    async fn create(
        &self,
        ticket: &Ticket,
        entry: &HistoryEntry,
        token: Option<&str>,
        idempotency: Option<&Idempotency>,
    ) -> Result<(), StoreError> {
        self.check_up()?;
        let mut tickets = lock(&self.tickets);
        let mut replays = lock(&self.replays);
        // A key past its expiry is free, as in the table before TTL removes it.
        if idempotency.is_some_and(|i| replays.get(&i.key_hash).is_some_and(|(_, exp)| *exp > i.received_at))
        {
            return Err(StoreError::Replayed);
        }
        if tickets.contains_key(&ticket.id) {
            return Err(StoreError::IdTaken);
        }
        if let Some(idempotency) = idempotency {
            let replay = Replay::of(&ticket.id, token, idempotency);
            replays.insert(idempotency.key_hash.clone(), (replay, idempotency.expires_at));
        }
        let mut links = lock(&self.upload_links);
        if let Some(taken) = ticket.uploads.iter().find(|u| links.contains_key(*u)) {
            return Err(StoreError::UploadTaken(taken.clone()));
        }
        for upload in &ticket.uploads {
            links.insert(upload.clone(), ticket.id.clone());
        }
        tickets.insert(ticket.id.clone(), ticket.clone());
        lock(&self.history).push(entry.clone());
        if let Some(token) = token {
            lock(&self.tokens).insert(token.to_owned(), ticket.id.clone());
        }
        Ok(())
    }

    async fn apply(&self, changes: &[(Ticket, HistoryEntry)]) -> Result<(), StoreError> {
        self.check_up()?;
        let mut tickets = lock(&self.tickets);
        let current = |t: &Ticket| tickets.get(&t.id).map(|stored| stored.version);
        if changes.iter().any(|(t, _)| current(t) != Some(t.version.saturating_sub(1))) {
            return Err(StoreError::Conflict);
        }
        for (ticket, entry) in changes {
            tickets.insert(ticket.id.clone(), ticket.clone());
            lock(&self.history).push(entry.clone());
        }
        Ok(())
    }

    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.tickets).get(id).cloned())
    }

    async fn get_many(&self, ids: &[TicketId]) -> Result<Vec<Ticket>, StoreError> {
        self.check_up()?;
        let tickets = lock(&self.tickets);
        let mut found: Vec<Ticket> = Vec::new();
        for id in ids {
            if let Some(t) = tickets.get(id).filter(|t| !found.iter().any(|f| f.id == t.id)) {
                found.push(t.clone());
            }
        }
        Ok(found)
    }

    async fn list(&self, filter: &TicketFilter) -> Result<Vec<Ticket>, StoreError> {
        self.check_up()?;
        let mut found: Vec<Ticket> =
            lock(&self.tickets).values().filter(|t| filter.matches(t)).cloned().collect();
        found.sort_by_key(|t| {
            std::cmp::Reverse(match filter.index {
                Indexed::Requested(_) => t.requested_at,
                Indexed::Updated(_) => t.updated_at,
            })
        });
        found.truncate(filter.limit);
        Ok(found)
    }

    async fn history(&self, id: &TicketId) -> Result<Vec<HistoryEntry>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.history).iter().filter(|e| &e.ticket_id == id).cloned().collect())
    }

    async fn public_updates(&self, window: Window, limit: usize) -> Result<Vec<HistoryEntry>, StoreError> {
        self.check_up()?;
        let mut found: Vec<HistoryEntry> =
            lock(&self.history).iter().filter(|e| e.public && window.contains(e.at)).cloned().collect();
        found.sort_by_key(|e| std::cmp::Reverse(e.at));
        found.truncate(limit);
        Ok(found)
    }

    async fn ticket_for_token(&self, token: &str) -> Result<Option<TicketId>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.tokens).get(token).cloned())
    }

    async fn in_cells(&self, service_code: &str, cells: &[String]) -> Result<Vec<Ticket>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.tickets)
            .values()
            .filter(|t| t.status.is_open() && t.service_code == service_code)
            .filter(|t| t.location.point().is_some_and(|p| cells.contains(&crate::domain::nearby::cell(p))))
            .cloned()
            .collect())
    }

    async fn follow(&self, follower: &Follower) -> Result<(), StoreError> {
        self.check_up()?;
        let key = (follower.ticket_id.clone(), follower.contact.key());
        lock(&self.followers).insert(key, follower.clone());
        Ok(())
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
    ) -> Result<crate::domain::follower::FollowerPage, StoreError> {
        self.check_up()?;
        let mut followers: Vec<Follower> = lock(&self.followers)
            .iter()
            .filter(|((t, key), _)| t == id && after.is_none_or(|a| key.as_str() > a))
            .take(limit.saturating_add(1))
            .map(|(_, f)| f.clone())
            .collect();
        let more = followers.len() > limit;
        followers.truncate(limit);
        let next = if more { followers.last().map(|f| f.contact.key()) } else { None };
        Ok(crate::domain::follower::FollowerPage { followers, next })
    }

    async fn replay(
        &self,
        key_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Replay>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.replays)
            .get(key_hash)
            .filter(|(_, expires_at)| *expires_at > now)
            .map(|(r, _)| r.clone()))
    }

    async fn queue(&self, queue: &Queue, limit: usize, after: Option<&str>) -> Result<QueuePage, StoreError> {
        self.check_up()?;
        let mut found: Vec<Ticket> =
            lock(&self.tickets).values().filter(|t| queue.contains(t)).cloned().collect();
        let key = |t: &Ticket| match queue {
            Queue::Overdue { .. } => {
                format!("{}#{}", t.expected_at.map(|d| d.to_rfc3339()).unwrap_or_default(), t.id)
            }
            _ => format!("{}#{}", t.updated_at.to_rfc3339(), t.id),
        };
        found.sort_by_key(|t| key(t));
        if !matches!(queue, Queue::Overdue { .. }) {
            found.reverse();
        }
        if let Some(after) = after {
            found.retain(|t| match queue {
                Queue::Overdue { .. } => key(t).as_str() > after,
                _ => key(t).as_str() < after,
            });
        }
        let next = (found.len() > limit).then(|| found.get(limit - 1).map(key)).flatten();
        found.truncate(limit);
        Ok(QueuePage { tickets: found, next })
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
        lock(&self.services).insert(service.code.clone(), service.clone());
        Ok(())
    }

    async fn put_department(&self, department: &Department) -> Result<(), StoreError> {
        lock(&self.departments).insert(department.code.clone(), department.clone());
        Ok(())
    }

    async fn calendar(&self) -> Result<Option<crate::domain::sla::BusinessCalendar>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.calendar).clone())
    }

    async fn put_calendar(&self, calendar: &crate::domain::sla::BusinessCalendar) -> Result<(), StoreError> {
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
        Ok(lock(&self.published).contains_key(event_id))
    }

    async fn mark_published(
        &self,
        event_id: &str,
        keep_until: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.check_up()?;
        lock(&self.published).insert(event_id.to_owned(), keep_until);
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
        keys.sort_by_key(|k| std::cmp::Reverse(k.created_at));
        Ok(keys)
    }

    async fn put_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        self.check_up()?;
        lock(&self.keys).insert(key.hash.clone(), key.clone());
        Ok(())
    }

    async fn record_use(&self, hash: &str, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        self.check_up()?;
        if let Some(key) = lock(&self.keys).get_mut(hash) {
            key.last_used_at = Some(at);
        }
        Ok(())
    }
}

/// Remembers what was published; can be made to fail.
#[derive(Debug, Default)]
pub struct RecordingPublisher {
    events: Mutex<Vec<TicketEvent>>,
    pub down: Mutex<bool>,
}

impl RecordingPublisher {
    pub fn events(&self) -> Vec<TicketEvent> {
        lock(&self.events).clone()
    }
}

#[async_trait]
impl EventPublisher for RecordingPublisher {
    async fn publish(&self, event: &TicketEvent) -> Result<(), StoreError> {
        if *lock(&self.down) {
            return Err(StoreError::unavailable("Publish", "topic is down"));
        }
        lock(&self.events).push(event.clone());
        Ok(())
    }
}

impl MemoryStore {
    /// A store holding the demo catalog the local stack seeds.
    pub async fn with_demo_catalog() -> Self {
        let store = Self::default();
        let seed = crate::domain::catalog::CatalogSeed::parse(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../infra/seed/catalog.json"
        )))
        .unwrap_or_else(|e| panic!("demo catalog: {e}"));
        for d in &seed.departments {
            lock(&store.departments).insert(d.code.clone(), d.clone());
        }
        for s in &seed.services {
            lock(&store.services).insert(s.code.clone(), s.clone());
        }
        *lock(&store.calendar) = seed.calendar.clone();
        store
    }

    /// The demo catalog with the demo routing rules.
    pub async fn with_demo_routing() -> Self {
        let store = Self::with_demo_catalog().await;
        *lock(&store.routing) = Some(crate::domain::routing::demo_rules());
        store
    }
}

/// A configuration for unit tests: the demo town, optionally checking a jurisdiction.
pub fn config(jurisdiction_id: Option<&str>) -> crate::runtime::config::Config {
    crate::runtime::config::Config {
        town_name: "Millbrook".into(),
        timezone: chrono_tz::America::New_York,
        jurisdiction_id: jurisdiction_id.map(str::to_owned),
        table_name: "tickets".into(),
        photo_bucket: "photos".into(),
        events_topic_arn: "arn:aws:sns:us-east-1:000000000000:events".into(),
        s3_force_path_style: false,
        api_key_policy: crate::domain::api_key::KeyPolicy::Open,
        web_origin: Some("https://www.millbrook.example".into()),
        public_url: Some("https://311.millbrook.example".into()),
        mail_from: Some("311@millbrook.example".into()),
        dead_letter_queue_url: None,
        notify_queue_url: None,
        sms_countries: crate::domain::contact::SmsCountries::default(),
    }
}

/// Photos in memory.
#[derive(Debug, Default)]
pub struct MemoryPhotos {
    objects: Mutex<BTreeMap<String, (Vec<u8>, String)>>,
}

impl MemoryPhotos {
    /// Every stored key with its content type.
    pub fn stored(&self) -> Vec<(String, String)> {
        lock(&self.objects).iter().map(|(k, (_, t))| (k.clone(), t.clone())).collect()
    }
}

#[async_trait]
impl crate::ports::PhotoStore for MemoryPhotos {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError> {
        lock(&self.objects).insert(key.to_owned(), (bytes, content_type.to_owned()));
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(lock(&self.objects).get(key).map(|(b, _)| b.clone()))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        lock(&self.objects).remove(key);
        Ok(())
    }
}

#[async_trait]
impl crate::ports::PhotoLinks for MemoryPhotos {
    async fn presigned_upload(
        &self,
        key: &str,
        content_type: &str,
        max_bytes: u64,
        valid_for: std::time::Duration,
    ) -> Result<crate::ports::PresignedUpload, StoreError> {
        let expires_at = chrono::Utc::now() + chrono::Duration::from_std(valid_for).unwrap_or_default();
        Ok(crate::ports::PresignedUpload {
            url: "memory://photos".into(),
            fields: vec![
                ("key".into(), key.into()),
                ("Content-Type".into(), content_type.into()),
                ("max-bytes".into(), max_bytes.to_string()),
            ],
            expires_at,
        })
    }

    async fn presigned_get(&self, key: &str, _valid_for: std::time::Duration) -> Result<String, StoreError> {
        Ok(format!("memory://{key}"))
    }
}

/// A request as a clerk would take it on the phone: a service and an address, nothing else.
pub fn phone_request(service_code: &str, address: &str) -> crate::domain::ticket::NewRequest {
    crate::domain::ticket::NewRequest {
        service_code: service_code.to_owned(),
        location: crate::domain::location::Location::new(None, Some(address), None)
            .unwrap_or_else(|e| panic!("test address: {e}")),
        description: None,
        answers: crate::domain::catalog::Answers::new(),
        media_urls: Vec::new(),
        reporter: crate::domain::contact::Reporter::default(),
        channel: crate::domain::ticket::Channel::Phone,
        uploads: Vec::new(),
    }
}

#[async_trait]
impl Deliveries for MemoryStore {
    async fn claim(
        &self,
        delivery_id: &str,
        keep_until: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        self.check_up()?;
        let mut deliveries = lock(&self.deliveries);
        if deliveries.contains_key(delivery_id) {
            return Ok(false);
        }
        deliveries.insert(delivery_id.to_owned(), keep_until);
        Ok(true)
    }

    async fn release(&self, delivery_id: &str) -> Result<(), StoreError> {
        self.check_up()?;
        lock(&self.deliveries).remove(delivery_id);
        Ok(())
    }

    async fn mark_undeliverable(
        &self,
        delivery_id: &str,
        code: &str,
        keep_until: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.check_up()?;
        lock(&self.deliveries).insert(delivery_id.to_owned(), keep_until);
        lock(&self.undeliverable).insert(delivery_id.to_owned(), code.to_owned());
        Ok(())
    }

    async fn mute(
        &self,
        ticket_id: &TicketId,
        contact_key: &str,
        _at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.check_up()?;
        lock(&self.mutes).push((ticket_id.clone(), contact_key.to_owned()));
        Ok(())
    }

    async fn muted(&self, ticket_id: &TicketId) -> Result<Vec<String>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.mutes).iter().filter(|(t, _)| t == ticket_id).map(|(_, k)| k.clone()).collect())
    }

    async fn issue_unsubscribe(
        &self,
        token: &str,
        ticket_id: &TicketId,
        contact_key: &str,
        _keep_until: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.check_up()?;
        lock(&self.unsubscribes).insert(token.to_owned(), (ticket_id.clone(), contact_key.to_owned()));
        Ok(())
    }

    async fn unsubscribe_target(&self, token: &str) -> Result<Option<(TicketId, String)>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.unsubscribes).get(token).cloned())
    }
}

/// One message a `RecordingMessenger` sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Sms { to: String, text: String },
    Email { to: String, subject: String, body: String, unsubscribe_url: String },
}

/// How a `RecordingMessenger` fails one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// For good, as SNS refuses an invalid number.
    Permanent,
    /// For now, as a throttled or unreachable service fails.
    Transient,
}

/// Remembers what it sent; can be made to fail, for everyone or for one recipient.
#[derive(Debug, Default)]
pub struct RecordingMessenger {
    sent: Mutex<Vec<Sent>>,
    pub down: Mutex<bool>,
    refusals: Mutex<BTreeMap<String, Refusal>>,
}

impl RecordingMessenger {
    pub fn sent(&self) -> Vec<Sent> {
        lock(&self.sent).clone()
    }

    /// Fails every message to `to` (a phone number in E.164 or an email address) until
    /// [`Self::accept`].
    pub fn refuse(&self, to: &str, refusal: Refusal) {
        lock(&self.refusals).insert(to.to_owned(), refusal);
    }

    pub fn accept(&self, to: &str) {
        lock(&self.refusals).remove(to);
    }

    fn check_up(&self, to: &str) -> Result<(), SendError> {
        if *lock(&self.down) {
            return Err(StoreError::unavailable("send", "messaging is down").into());
        }
        match lock(&self.refusals).get(to) {
            Some(Refusal::Permanent) => Err(SendError::Refused { code: "InvalidParameter".into() }),
            Some(Refusal::Transient) => Err(StoreError::unavailable("send", "throttled").into()),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl Messenger for RecordingMessenger {
    async fn send_sms(&self, to: &crate::domain::contact::Phone, text: &str) -> Result<(), SendError> {
        self.check_up(to.as_str())?;
        lock(&self.sent).push(Sent::Sms { to: to.as_str().to_owned(), text: text.to_owned() });
        Ok(())
    }

    async fn send_email(&self, email: &OutgoingEmail) -> Result<(), SendError> {
        self.check_up(email.to.as_str())?;
        lock(&self.sent).push(Sent::Email {
            to: email.to.as_str().to_owned(),
            subject: email.subject.clone(),
            body: email.body.clone(),
            unsubscribe_url: email.unsubscribe_url.clone(),
        });
        Ok(())
    }
}

/// Remembers the dead letters it was handed.
#[derive(Debug, Default)]
pub struct RecordingDeadLetters {
    letters: Mutex<Vec<String>>,
}

impl RecordingDeadLetters {
    pub fn letters(&self) -> Vec<String> {
        lock(&self.letters).clone()
    }
}

#[async_trait]
impl crate::ports::DeadLetters for RecordingDeadLetters {
    async fn send(&self, letter: &str) -> Result<(), StoreError> {
        lock(&self.letters).push(letter.to_owned());
        Ok(())
    }
}

/// A queue in memory: remembers what was enqueued until taken.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    bodies: Mutex<Vec<String>>,
}

impl MemoryQueue {
    /// Everything enqueued since the last take, oldest first.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.bodies))
    }
}

#[async_trait]
impl crate::ports::WorkQueue for MemoryQueue {
    async fn enqueue(&self, body: &str) -> Result<(), StoreError> {
        lock(&self.bodies).push(body.to_owned());
        Ok(())
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
        _keep_until: chrono::DateTime<chrono::Utc>,
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
