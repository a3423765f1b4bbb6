//! The ports: what the functions need from storage and messaging, as traits. `aws` holds the
//! DynamoDB, S3 and SNS adapters; `memory` holds in-memory ones for unit tests.

use crate::domain::api_key::ApiKey;
use crate::domain::catalog::{Department, Service};
use crate::domain::events::TicketEvent;
use crate::domain::follower::Follower;
use crate::domain::id::TicketId;
use crate::domain::listing::{Queue, QueuePage, TicketFilter, Window};
use crate::domain::routing::RoutingRules;
use crate::domain::ticket::{HistoryEntry, Ticket};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// A failure of a store or publisher. The cause is kept for the logs, never shown to callers.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The ticket number is already taken (a new one should be drawn).
    #[error("ticket number already taken")]
    IdTaken,
    /// An upload the request names belongs to another request already; nothing was written.
    #[error("upload {0} belongs to another request")]
    UploadTaken(String),
    /// The idempotency key was used by an earlier submission; nothing was written.
    #[error("this submission was already received")]
    Replayed,
    /// The ticket changed since the version the writer saw; nothing was written.
    #[error("the ticket was changed by someone else")]
    Conflict,
    /// A stored item could not be read back as the domain type.
    #[error("stored item {key} is unreadable")]
    Corrupt {
        key: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The backing service failed or could not be reached.
    #[error("{operation} failed")]
    Unavailable {
        operation: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    pub fn unavailable(
        operation: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Unavailable { operation, source: source.into() }
    }
}

/// A submission's idempotency key (hashed), kept for a while so a retried POST finds the
/// ticket its first attempt created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub key_hash: String,
    /// What was submitted under the key ([`crate::domain::ticket::NewRequest::fingerprint`]).
    pub fingerprint: String,
    /// When the submission came in: a key that expired by then is free again, even if the
    /// store has not removed it yet.
    pub received_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What a first submission left for its retries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Replay {
    pub ticket_id: TicketId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// What was submitted; records kept before it was have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

impl Replay {
    /// What the first submission under `idempotency` leaves for its retries.
    pub fn of(ticket_id: &TicketId, token: Option<&str>, idempotency: &Idempotency) -> Self {
        Self {
            ticket_id: ticket_id.clone(),
            token: token.map(str::to_owned),
            fingerprint: Some(idempotency.fingerprint.clone()),
        }
    }

    /// Whether a submission with `fingerprint` is a retry of the one this record is for (a
    /// record without a fingerprint takes any: it was kept before they were).
    pub fn matches(&self, fingerprint: &str) -> bool {
        self.fingerprint.as_deref().is_none_or(|kept| kept == fingerprint)
    }
}

/// Tickets and their history.
#[async_trait]
pub trait TicketStore: Send + Sync {
    /// Writes a new ticket together with its first history entry (and, for batch services, the
    /// token that will lead to it, and the idempotency record), or nothing at all: `Replayed`
    /// when the idempotency key is taken and has not expired by `received_at`.
    async fn create(
        &self,
        ticket: &Ticket,
        entry: &HistoryEntry,
        token: Option<&str>,
        idempotency: Option<&Idempotency>,
    ) -> Result<(), StoreError>;
    /// Writes a new ticket as `create` does, routed at once: `routed` (the ticket as routing left
    /// it, one version on, and routing's entry) is written in place of `created`'s ticket,
    /// with both entries. The DynamoDB table writes it all in one transaction (the ticket once,
    /// not created and then rewritten); the default creates, then applies the routing.
    async fn create_routed(
        &self,
        created: &(Ticket, HistoryEntry),
        routed: &(Ticket, HistoryEntry),
        token: Option<&str>,
        idempotency: Option<&Idempotency>,
    ) -> Result<(), StoreError> {
        self.create(&created.0, &created.1, token, idempotency).await?;
        self.apply(std::slice::from_ref(routed)).await
    }
    /// What the first submission with this idempotency key created, if the key still lives
    /// at `now`.
    async fn replay(&self, key_hash: &str, now: DateTime<Utc>) -> Result<Option<Replay>, StoreError>;
    /// One page of a staff queue.
    async fn queue(&self, queue: &Queue, limit: usize, after: Option<&str>) -> Result<QueuePage, StoreError>;
    /// Writes changed tickets with their history entries, all or nothing; each ticket is written
    /// only if the stored one is still the version before it (`ticket.version - 1`). A ticket
    /// changed twice in a row (a status change and its automatic message) comes twice, one
    /// version apart: it is written once, as the last change left it, if the stored one is still
    /// the version before the first.
    async fn apply(&self, changes: &[(Ticket, HistoryEntry)]) -> Result<(), StoreError>;
    /// Writes one change as `apply` does, and puts each of `rewritten` (earlier entries of the
    /// same ticket, from [`crate::domain::lifecycle::rewrites`]) in place of the stored entry,
    /// in the same transaction as far as one holds them (the rest follow right after).
    async fn apply_rewriting(
        &self,
        change: &(Ticket, HistoryEntry),
        rewritten: &[HistoryEntry],
    ) -> Result<(), StoreError>;
    /// Reads one ticket by number.
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError>;
    /// Reads several tickets by number; unknown numbers are left out.
    async fn get_many(&self, ids: &[TicketId]) -> Result<Vec<Ticket>, StoreError>;
    /// Lists tickets through a time index, newest first; a private service's requests are never
    /// listed.
    async fn list(&self, filter: &TicketFilter) -> Result<Vec<Ticket>, StoreError>;
    /// A ticket's history, oldest first.
    async fn history(&self, id: &TicketId) -> Result<Vec<HistoryEntry>, StoreError>;
    /// The histories of several tickets, each oldest first and only up to the version given
    /// (entries after it are left out), in the order asked. A listing reads them this way: the
    /// DynamoDB store in a few batches, not one read per ticket.
    async fn histories(&self, tickets: &[(TicketId, u64)]) -> Result<Vec<Vec<HistoryEntry>>, StoreError> {
        let mut histories = Vec::with_capacity(tickets.len());
        for (id, version) in tickets {
            let mut history = self.history(id).await?;
            history.retain(|entry| entry.version <= *version);
            histories.push(history);
        }
        Ok(histories)
    }
    /// Public history entries of every ticket within `window`, newest first (none of a private
    /// service's requests).
    async fn public_updates(&self, window: Window, limit: usize) -> Result<Vec<HistoryEntry>, StoreError>;
    /// The ticket a submission token stands for.
    async fn ticket_for_token(&self, token: &str) -> Result<Option<TicketId>, StoreError>;
    /// Open tickets of a service with a point in one of these geohash cells (the nearby index;
    /// `crate::domain::nearby` narrows them down to a radius); never a private service's.
    async fn in_cells(&self, service_code: &str, cells: &[String]) -> Result<Vec<Ticket>, StoreError>;
    /// The public map's requests in these geohash-5 cells (the map index,
    /// [`crate::domain::map`]): every open one with a point and those closed at `closed_since` or
    /// later, never a private service's; each cell's open ones first, newest change first, at
    /// most `limit` of a cell. True with them when a cell held more than `limit`.
    async fn in_map_cells(
        &self,
        cells: &[String],
        closed_since: DateTime<Utc>,
        limit: usize,
    ) -> Result<(Vec<crate::domain::map::MapPin>, bool), StoreError>;
    /// Writes a stored ticket again as it is, so that its index keys are those this version of
    /// the store derives (an index added since it was last written, such as the map's), if the
    /// stored ticket is still `ticket.version`; false when it changed meanwhile (that write
    /// derived them already). No history entry, no event. A ticket stored before contacts were
    /// kept apart has its reporter moved to their own items, and its mutes become forgettings.
    async fn reindex(&self, ticket: &Ticket) -> Result<bool, StoreError>;
    /// Adds a follower to a ticket. Following again changes nothing but the language: a
    /// pending follow of a contact already following keeps the follower as it was (confirmed
    /// or pending), unless the earlier pending follow was never confirmed within
    /// [`crate::domain::follower::CONFIRM_WITHIN_HOURS`] (by the store's clock), when the new
    /// one replaces it. A confirmed follower is written as given.
    async fn follow(&self, follower: &Follower) -> Result<(), StoreError>;
    /// One follower of a ticket, by contact key.
    async fn follower(&self, id: &TicketId, contact_key: &str) -> Result<Option<Follower>, StoreError>;
    /// Marks a ticket's follower confirmed; `false` when the ticket has no follower with that key.
    async fn confirm_follower(&self, id: &TicketId, contact_key: &str) -> Result<bool, StoreError>;
    /// Everyone following a ticket, pending or confirmed.
    async fn followers(&self, id: &TicketId) -> Result<Vec<Follower>, StoreError>;
    /// One page of a ticket's followers in contact-key order: at most `limit`, those whose key
    /// sorts after `after` (the `next` of the page before).
    async fn followers_page(
        &self,
        id: &TicketId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<crate::domain::follower::FollowerPage, StoreError>;
}

/// Whether every ticket named more than once in `changes` is named in a row, each change one
/// version past the one before: the only way [`TicketStore::apply`] takes a ticket twice.
pub fn changes_in_order(changes: &[(Ticket, HistoryEntry)]) -> bool {
    changes.iter().enumerate().all(|(i, (ticket, _))| {
        match changes[..i].iter().rposition(|(earlier, _)| earlier.id == ticket.id) {
            None => true,
            Some(j) => j + 1 == i && changes[j].0.version + 1 == ticket.version,
        }
    })
}

/// Which ticket events went out already, so a replayed stream record publishes nothing twice.
#[async_trait]
pub trait Outbox: Send + Sync {
    async fn was_published(&self, event_id: &str) -> Result<bool, StoreError>;
    /// Remembers a published event until `keep_until` (past the stream's 24-hour retention).
    async fn mark_published(&self, event_id: &str, keep_until: DateTime<Utc>) -> Result<(), StoreError>;
}

/// The service catalog.
#[async_trait]
pub trait Catalog: Send + Sync {
    /// Every service, ordered by group then name.
    async fn services(&self) -> Result<Vec<Service>, StoreError>;
    async fn service(&self, code: &str) -> Result<Option<Service>, StoreError>;
    async fn department(&self, code: &str) -> Result<Option<Department>, StoreError>;
    /// Every department, by code.
    async fn departments(&self) -> Result<Vec<Department>, StoreError>;
    async fn put_service(&self, service: &Service) -> Result<(), StoreError>;
    async fn put_department(&self, department: &Department) -> Result<(), StoreError>;
    /// The town's business calendar, if one was set.
    async fn calendar(&self) -> Result<Option<crate::domain::sla::BusinessCalendar>, StoreError>;
    async fn put_calendar(&self, calendar: &crate::domain::sla::BusinessCalendar) -> Result<(), StoreError>;
    /// Services (ordered as `services`), departments and the calendar together: one read
    /// where the store can.
    async fn reference(&self) -> Result<crate::domain::catalog::Reference, StoreError> {
        Ok(crate::domain::catalog::Reference {
            services: self.services().await?,
            departments: self.departments().await?,
            calendar: self.calendar().await?,
        })
    }
    /// The town's routing rules, if any were set.
    async fn routing(&self) -> Result<Option<RoutingRules>, StoreError>;
    /// Stores the rules if the stored ones are still version `rules.version - 1` (none at all
    /// for version 1); `Conflict` otherwise.
    async fn put_routing(&self, rules: &RoutingRules) -> Result<(), StoreError>;
}

/// The town-wide banner the citizen pages show.
#[async_trait]
pub trait Banners: Send + Sync {
    /// The banner as last set, shown or past its end.
    async fn banner(&self) -> Result<Option<crate::domain::banner::Banner>, StoreError>;
    /// Sets the banner, or takes it down with `None`.
    async fn put_banner(&self, banner: Option<&crate::domain::banner::Banner>) -> Result<(), StoreError>;
}

/// The town's canned responses, one versioned document.
#[async_trait]
pub trait Templates: Send + Sync {
    /// The templates as last replaced, if any were set.
    async fn templates(&self) -> Result<Option<crate::domain::canned::CannedResponses>, StoreError>;
    /// Stores the templates if the stored ones are still version `templates.version - 1` (none
    /// at all for version 1); `Conflict` otherwise.
    async fn put_templates(
        &self,
        templates: &crate::domain::canned::CannedResponses,
    ) -> Result<(), StoreError>;
}

/// API keys of third-party apps.
#[async_trait]
pub trait ApiKeys: Send + Sync {
    /// The key with this hash, active or revoked.
    async fn key(&self, hash: &str) -> Result<Option<ApiKey>, StoreError>;
    /// Every key, newest first.
    async fn keys(&self) -> Result<Vec<ApiKey>, StoreError>;
    async fn put_key(&self, key: &ApiKey) -> Result<(), StoreError>;
    async fn record_use(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
}

/// Where and how a browser uploads one photo: POST `fields` then the file (as `file`) to `url`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PresignedUpload {
    pub url: String,
    pub fields: Vec<(String, String)>,
    pub expires_at: DateTime<Utc>,
}

/// Photos, kept privately.
#[async_trait]
pub trait PhotoStore: Send + Sync {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError>;
    /// Stores a processed photo that no request may ever name: the store removes it a day
    /// later unless it is kept ([`PhotoStore::keep`]) by then.
    async fn put_pending(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError>;
    /// Keeps a pending photo for good: a request names it. False when there is no such photo
    /// (removed already).
    async fn keep(&self, key: &str) -> Result<bool, StoreError>;
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
}

/// Signed, short-lived links to the photo bucket: signed where they are made, with no call to
/// the store.
#[async_trait]
pub trait PhotoLinks: Send + Sync {
    /// A form the browser posts a photo with straight to the bucket, under `key`, of
    /// `content_type` and at most `max_bytes`, for `valid_for`.
    async fn presigned_upload(
        &self,
        key: &str,
        content_type: &str,
        max_bytes: u64,
        valid_for: Duration,
    ) -> Result<PresignedUpload, StoreError>;
    /// A link that reads the photo for `valid_for`, without making the bucket public.
    async fn presigned_get(&self, key: &str, valid_for: Duration) -> Result<String, StoreError>;
}

/// Where ticket events go (the SNS topic).
#[async_trait]
pub trait EventPublisher: Send + Sync {
    async fn publish(&self, event: &TicketEvent) -> Result<(), StoreError>;
}

/// An email to send: plain text, with a one-click unsubscribe link.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: crate::domain::contact::Email,
    pub subject: String,
    pub body: String,
    /// Empty for staff notices, which have none.
    pub unsubscribe_url: String,
    /// Where answers go: the ticket's reply address, when the town takes answers by mail.
    pub reply_to: Option<String>,
}

/// Redacted: the address never reaches a log line.
impl std::fmt::Debug for OutgoingEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingEmail").field("subject", &self.subject).finish_non_exhaustive()
    }
}

/// Why a message was not sent: the recipient refused for good, or a failure a retry may fix.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The service refused this one recipient and would refuse them again (an invalid phone
    /// number, an address it rejects). `code` is the service's error code; the service's message
    /// is dropped, as it may quote the address.
    #[error("the recipient was refused ({code})")]
    Refused { code: String },
    /// Throttled, down, unreachable, or a refusal of the whole account: a retry may succeed.
    #[error(transparent)]
    Failed(#[from] StoreError),
}

/// Sends citizens their notices: SMS by SNS direct publish, email through SES.
#[async_trait]
pub trait Messenger: Send + Sync {
    async fn send_sms(&self, to: &crate::domain::contact::Phone, text: &str) -> Result<(), SendError>;
    async fn send_email(&self, email: &OutgoingEmail) -> Result<(), SendError>;
}

/// What notifications keep: which were sent (so a replayed event sends nothing twice), and the
/// links handed out (unsubscribing forgets the contact: [`Privacy::forget_on`]).
#[async_trait]
pub trait Deliveries: Send + Sync {
    /// Claims one delivery before sending it; `false` if it was claimed before (sent already).
    async fn claim(&self, delivery_id: &str, keep_until: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Gives a claim back after the send failed, so a retry sends it.
    async fn release(&self, delivery_id: &str) -> Result<(), StoreError>;
    /// Keeps a claim as undeliverable, with the service's refusal code, until `keep_until`: the
    /// recipient was refused for good and no retry will try them again.
    async fn mark_undeliverable(
        &self,
        delivery_id: &str,
        code: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Remembers what an unsubscribe link stands for, until `keep_until`.
    async fn issue_unsubscribe(
        &self,
        token: &str,
        ticket_id: &TicketId,
        contact_key: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The ticket and contact key an unsubscribe link stands for, while it lives.
    async fn unsubscribe_target(&self, token: &str) -> Result<Option<(TicketId, String)>, StoreError>;
    /// Remembers what a follow's confirmation link stands for, until `keep_until`.
    async fn issue_confirmation(
        &self,
        token: &str,
        ticket_id: &TicketId,
        contact_key: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The ticket and contact key a confirmation link stands for, while it lives and until it
    /// is used; reading it changes nothing.
    async fn confirmation_target(&self, token: &str) -> Result<Option<(TicketId, String)>, StoreError>;
    /// Uses a confirmation link: what it stood for, once; `None` when it is unknown, expired
    /// (by the store's clock) or used before.
    async fn redeem_confirmation(&self, token: &str) -> Result<Option<(TicketId, String)>, StoreError>;
    /// Remembers that `ticket_id` was the last to text a number (by its contact key) until
    /// `keep_until`: a text back from that number is about that ticket.
    async fn remember_thread(
        &self,
        contact_key: &str,
        ticket_id: &TicketId,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The ticket that last texted a number, while that lasts.
    async fn thread(&self, contact_key: &str) -> Result<Option<TicketId>, StoreError>;
    /// Remembers what the links of a "was it fixed?" question stand for (the ticket, and the
    /// reporter's contact key), until `keep_until`.
    async fn issue_fix_check(
        &self,
        token: &str,
        ticket_id: &TicketId,
        contact_key: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The ticket and contact key a "was it fixed?" link stands for, while it lives.
    async fn fix_check_target(&self, token: &str) -> Result<Option<(TicketId, String)>, StoreError>;
}

/// Personal data kept apart and leaving on time: every item holding a contact is found by the
/// contact's key ([`crate::domain::follower::Contact::key`]), never by the contact itself.
#[async_trait]
pub trait Privacy: Send + Sync {
    /// Keeps a ticket's contacts (its reporter's and its confirmed followers') until `until`,
    /// when the store removes them; for good (while the request is open) with `None`.
    async fn keep_contacts(&self, id: &TicketId, until: Option<DateTime<Utc>>) -> Result<(), StoreError>;
    /// Removes one contact from one ticket: the reporter's contact (all of it) when it is the
    /// reporter's, else that follower; `false` when the ticket holds no such contact.
    async fn forget_on(&self, id: &TicketId, contact_key: &str) -> Result<bool, StoreError>;
    /// Every stored item holding the contact, as stored.
    async fn holding(&self, contact_key: &str) -> Result<Vec<serde_json::Value>, StoreError>;
    /// Removes every item holding the contact (a reporter's whole contact with it); how many
    /// were found.
    async fn erase(&self, contact_key: &str) -> Result<usize, StoreError>;
}

/// Work left for a later invocation of notify (the rest of a large fan-out, a confirmation to
/// send): a topic only notify hears.
#[async_trait]
pub trait WorkQueue: Send + Sync {
    async fn enqueue(&self, body: &str) -> Result<(), StoreError>;
}

/// Where records that can never be processed go, for a person to look at (an SQS queue).
#[async_trait]
pub trait DeadLetters: Send + Sync {
    async fn send(&self, letter: &str) -> Result<(), StoreError>;
}

/// Uploads on their way to a ticket: which ticket names each (written with the ticket), and
/// what processing came to (written by the photo function), so whichever comes second can
/// attach the photo.
#[async_trait]
pub trait Uploads: Send + Sync {
    /// The ticket whose request named the upload.
    async fn upload_ticket(&self, upload_id: &str) -> Result<Option<TicketId>, StoreError>;
    async fn put_processing(
        &self,
        processing: &crate::domain::photo::Processing,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn processing(
        &self,
        upload_id: &str,
    ) -> Result<Option<crate::domain::photo::Processing>, StoreError>;
}

/// Counts each client's writes to the public routes ([`crate::domain::rate`]).
#[async_trait]
pub trait RateLimits: Send + Sync {
    /// Takes one write from `bucket` if fewer than `most` were taken from it: false when it is
    /// empty. Its count is kept until the bucket's window ends.
    async fn take(&self, bucket: &crate::domain::rate::Bucket, most: u32) -> Result<bool, StoreError>;
}

/// The town's address points: suggestions as an address is typed, the address under a dropped
/// pin, one by id, and loading the town's file. Every read is bounded: no search lists more
/// than [`crate::domain::address::MAX_SUGGESTIONS`].
#[async_trait]
pub trait Addresses: Send + Sync {
    /// Addresses whose line or street starts with `text` once normalised
    /// ([`crate::domain::address::normalize`]), in the order of their normalised text, at most
    /// `limit` (and at most `MAX_SUGGESTIONS`); none for a text shorter than
    /// [`crate::domain::address::MIN_SEARCH_CHARS`].
    async fn search(
        &self,
        text: &str,
        limit: usize,
    ) -> Result<Vec<crate::domain::address::AddressPoint>, StoreError>;
    /// The address nearest `point` within [`crate::domain::address::NEAREST_WITHIN_M`], if any.
    async fn nearest(
        &self,
        point: crate::domain::location::GeoPoint,
    ) -> Result<Option<crate::domain::address::AddressPoint>, StoreError>;
    /// One address by its id.
    async fn address(&self, id: &str) -> Result<Option<crate::domain::address::AddressPoint>, StoreError>;
    /// Adds addresses, or replaces those with the same id.
    async fn put_addresses(
        &self,
        addresses: &[crate::domain::address::AddressPoint],
    ) -> Result<(), StoreError>;
}

/// The town's figures, kept per local day × department × service ([`crate::domain::stats`]).
#[async_trait]
pub trait Stats: Send + Sync {
    /// Adds one count, once: `count_id` (the event's id and what is counted) is remembered until
    /// `keep_until`, and the same id again adds nothing (`false`).
    async fn count(
        &self,
        count_id: &str,
        count: &crate::domain::stats::Count,
        keep_until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Every tally kept of one month.
    async fn month(&self, year: i32, month: u32) -> Result<Vec<crate::domain::stats::DayTally>, StoreError>;
}

/// One member of a staff group, as the staff directory lists them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct StaffMember {
    /// The account name staff sign in as (`cognito:username`): what a ticket's assignee holds.
    pub username: String,
    /// How colleagues know them (the account's `name`, else its `email`), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Who works in which group (`dept-DPW`, `admin`): Cognito's user pool (the emulator's locally).
/// Read by staff pickers only; never by a public route.
#[async_trait]
pub trait StaffDirectory: Send + Sync {
    /// The enabled members of `group`, ordered by user name, at most `limit`; none when there
    /// is no such group.
    async fn members(&self, group: &str, limit: usize) -> Result<Vec<StaffMember>, StoreError>;
}
