//! The route function: consumes the table's stream. For each history entry written it
//!
//! 1. does the work the change calls for: a new ticket submit did not route (one that came by
//!    email or text) or a recategorized one is routed by the town's rules (department, person)
//!    and a new one is checked for probable duplicates nearby; a
//!    ticket staff moved gets its person from that department's rules; a duplicate merged into
//!    a parent hands its reporter and followers over to the parent;
//! 2. publishes the change's event to the SNS topic (the outbox), once.
//!
//! A pending follower written (a citizen asked to follow: `update`'s follow) is asked to
//! confirm: route leaves a [`ConfirmationDue`] (ticket and contact key, never the address) on
//! notify's queue, and notify sends the one message with the confirmation link, claiming it
//! first so a replayed record or a redelivered message sends nothing twice. A follower written
//! again with the same follow (a language change, a confirmation) asks for nothing.
//!
//! It also attaches processed photos: when a request names an upload and when the photo
//! function has processed it, whichever comes second finds the other and attaches the photo
//! (or records why it was refused) to the ticket.
//!
//! Replays are harmless: routing stands down when the ticket was routed since or staff placed
//! it since (a note or a photo in between does not stop it; a write that meets another change
//! reads the ticket again), following is keyed by contact, and an event already published is
//! remembered and not published again.
//!
//! Records are handled in order; on the first failure the batch stops and reports that record,
//! so Lambda retries from it (partial batch response) and nothing after it is skipped: an
//! outage (SNS or DynamoDB unavailable) is retried until it ends. A record that can never be
//! read is no outage: it goes to the dead-letter queue at once and the stream flows on.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use chrono::Duration;
use lambda_runtime::{Error, LambdaEvent};
use std::sync::Arc;
use town311::adapters::aws::TableItem;
use town311::domain::events::TicketEvent;
use town311::domain::follower::{ConfirmationDue, Contact, Follower};
use town311::domain::id::TicketId;
use town311::domain::photo::Processing;
use town311::domain::ticket::{Change, HistoryEntry, Ticket};
use town311::ports::{
    Catalog, DeadLetters, EventPublisher, Outbox, PhotoStore, StoreError, TicketStore, Uploads, WorkQueue,
};
use town311::runtime::clock::Clock;
use tracing::Instrument;

/// The time the function has for one event: its `Timeout` in template.yaml. Every AWS call is
/// bounded within it.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// How long a published event is remembered: past the stream's 24-hour retention.
const REMEMBER_PUBLISHED_HOURS: i64 = 48;

/// What the handler needs, built once per cold start.
pub struct State {
    pub tickets: Arc<dyn TicketStore>,
    pub catalog: Arc<dyn Catalog>,
    pub outbox: Arc<dyn Outbox>,
    pub events: Arc<dyn EventPublisher>,
    pub uploads: Arc<dyn Uploads>,
    /// Keeps the photos a request names (the rest the bucket removes after a day).
    pub photos: Arc<dyn PhotoStore>,
    pub clock: Arc<dyn Clock>,
    /// Where unreadable records go; without one, they are retried like an outage.
    pub dead_letters: Option<Arc<dyn DeadLetters>>,
    /// Notify's queue, where pending followers' confirmations are left.
    pub work: Option<Arc<dyn WorkQueue>>,
    /// The town's figures, counted as changes go by.
    pub stats: Arc<dyn town311::ports::Stats>,
    /// The town's timezone: figures count by its days.
    pub timezone: town311::domain::zone::TownZone,
    /// Where contacts are kept apart, and until when.
    pub privacy: Arc<dyn town311::ports::Privacy>,
    /// Days contacts are kept after a request closes.
    pub contact_retention_days: u32,
}

impl From<&town311::adapters::aws::Adapters> for State {
    /// The production wiring: the table, the SNS topic, the dead-letter queue and notify's queue.
    fn from(aws: &town311::adapters::aws::Adapters) -> Self {
        Self {
            tickets: aws.tickets(),
            catalog: aws.catalog(),
            outbox: aws.outbox(),
            events: aws.events(),
            uploads: aws.uploads(),
            photos: aws.photos(),
            clock: aws.clock(),
            dead_letters: aws.dead_letters(),
            work: aws.work(),
            stats: aws.stats(),
            timezone: aws.config().timezone,
            privacy: aws.privacy(),
            contact_retention_days: aws.config().contact_retention_days,
        }
    }
}

/// Handles one batch of stream records.
pub async fn handle(state: &State, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
    let mut response = DynamoDbEventResponse::default();
    for record in event.payload.records {
        let outcome = match process(state, &record).await {
            Err(error @ StoreError::Corrupt { .. }) => dead_letter(state, &record, &error).await,
            other => other,
        };
        if let Err(error) = outcome {
            tracing::error!(
                event_id = %record.event_id,
                error = %town311::runtime::chain(&error),
                "stream record failed; the batch resumes from it"
            );
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
            break;
        }
    }
    Ok(response)
}

async fn process(state: &State, record: &EventRecord) -> Result<(), StoreError> {
    let item = match record.event_name.as_str() {
        "INSERT" | "MODIFY" => TableItem::from_stream_image(record.change.new_image.clone())?,
        _ => return Ok(()),
    };
    if let TableItem::Follower(follower) = &item {
        // A follow confirmed after its request closed is kept on the closing's clock too (only
        // on the confirmation itself: keeping writes followers, whose records come back here).
        if follower.confirmed && record.event_name == "MODIFY" {
            let before = TableItem::from_stream_image(record.change.old_image.clone())?;
            if matches!(before, TableItem::Follower(old) if !old.confirmed) {
                let closed =
                    state.tickets.get(&follower.ticket_id).await?.is_some_and(|t| !t.status.is_open());
                if closed {
                    keep_contacts(state, &follower.ticket_id).await?;
                }
            }
        }
        return ask_to_confirm(state, record, follower).await;
    }
    if record.event_name != "INSERT" {
        return Ok(());
    }
    let entry = match item {
        TableItem::History(entry) => entry,
        TableItem::Upload { upload_id, .. } => return attach_photo(state, &upload_id).await,
        TableItem::Processing(processing) => return attach_photo(state, processing.upload_id()).await,
        _ => return Ok(()),
    };
    let span = tracing::info_span!("route", ticket_id = %entry.ticket_id, version = entry.version);
    async {
        follow_up(state, &entry).await?;
        count(state, &entry).await?;
        publish_once(state, &entry).await
    }
    .instrument(span)
    .await
}

/// Sends a record no retry can fix to the dead-letter queue, with why.
async fn dead_letter(state: &State, record: &EventRecord, error: &StoreError) -> Result<(), StoreError> {
    let Some(dead_letters) = &state.dead_letters else {
        return Err(StoreError::unavailable("dead letter", "no dead-letter queue is configured"));
    };
    // The dead-letter queue is every function's: the letter says whose it is.
    let letter = serde_json::json!({
        "source": "route",
        "reason": town311::runtime::chain(error),
        "eventID": record.event_id,
        "eventName": record.event_name,
        "sequenceNumber": record.change.sequence_number,
        "keys": record.change.keys,
    });
    dead_letters.send(&letter.to_string()).await?;
    tracing::error!(
        event_id = %record.event_id,
        error = %town311::runtime::chain(error),
        "unreadable stream record sent to the dead-letter queue"
    );
    Ok(())
}

/// The work a change calls for, before anyone hears of it.
async fn follow_up(state: &State, entry: &HistoryEntry) -> Result<(), StoreError> {
    match &entry.change {
        Change::Submitted { .. } => route(state, entry, None, true).await,
        Change::Recategorized { .. } => route(state, entry, None, false).await,
        // A place given or corrected: the area rules and the duplicates nearby may differ.
        Change::Located { .. } => route(state, entry, None, true).await,
        Change::Moved { to, .. } => route(state, entry, Some(to), false).await,
        Change::MergedInto { parent } => {
            hand_over_followers(state, &entry.ticket_id, parent).await?;
            keep_contacts(state, &entry.ticket_id).await
        }
        // Only a closing or a reopening moves the contacts' keeping (each costs a write per item).
        Change::StatusChanged { from, to, .. } if from.is_open() != to.is_open() => {
            keep_contacts(state, &entry.ticket_id).await
        }
        Change::CitizenUpdate { reopened: true, .. } => keep_contacts(state, &entry.ticket_id).await,
        _ => Ok(()),
    }
}

/// Keeps the ticket's contacts as it stands now (so a replayed record decides as the last
/// did): until `contact_retention_days` after its closing while closed, for good while open.
async fn keep_contacts(state: &State, id: &town311::domain::id::TicketId) -> Result<(), StoreError> {
    let Some(ticket) = state.tickets.get(id).await? else { return Ok(()) };
    let until = match (ticket.status.is_open(), ticket.closed_at) {
        (false, closed_at) => Some(town311::domain::privacy::kept_until(
            closed_at.unwrap_or(ticket.updated_at),
            state.contact_retention_days,
        )),
        (true, _) => None,
    };
    tracing::info!(until = ?until, "contacts kept");
    state.privacy.keep_contacts(&ticket.id, until).await
}

/// Tries at routing a ticket that keeps changing under the write, before the record fails and
/// the stream brings it again.
const ROUTE_ATTEMPTS: u32 = 5;
/// Pauses between those tries: the write that won took milliseconds.
const ROUTE_BACKOFF: std::time::Duration = std::time::Duration::from_millis(20);
const ROUTE_BACKOFF_CAP: std::time::Duration = std::time::Duration::from_millis(320);

/// Routes the ticket `entry` changed, by the town's rules. If it changed again since, the
/// current ticket is routed, unless what changed already settles where it goes
/// ([`settles_routing`]): the decision is never dropped because a note or a photo came first.
async fn route(
    state: &State,
    entry: &HistoryEntry,
    within: Option<&str>,
    find_duplicates: bool,
) -> Result<(), StoreError> {
    for attempt in 0..ROUTE_ATTEMPTS {
        if attempt > 0 {
            town311::runtime::backoff::pause(attempt - 1, ROUTE_BACKOFF, ROUTE_BACKOFF_CAP).await;
        }
        let Some(ticket) = state.tickets.get(&entry.ticket_id).await? else { return Ok(()) };
        if ticket.version < entry.version {
            // A read from before the entry's own write reached every replica: read again.
            tracing::debug!(current = ticket.version, "the ticket read is older than the entry");
            continue;
        }
        if ticket.version > entry.version {
            let history = state.tickets.history(&entry.ticket_id).await?;
            let since = history.iter().filter(|e| e.version > entry.version);
            if let Some(settled) = since.into_iter().find(|e| settles_routing(&e.change)) {
                tracing::info!(
                    by = settled.change.kind(),
                    version = settled.version,
                    "routing settled since; nothing to route"
                );
                return Ok(());
            }
        }
        match route_once(state, &ticket, within, find_duplicates).await {
            Err(StoreError::Conflict) => {
                tracing::info!(attempt, "the ticket changed while it was routed; reading it again");
            }
            other => return other,
        }
    }
    Err(StoreError::unavailable("route", "the ticket kept changing while it was routed"))
}

/// Whether a change made after the entry being routed already settles where the ticket goes,
/// so routing must not override it: routing ran since (a replay, or the routing of a later
/// move), staff placed it, gave it to someone, worked it or closed it, or it changed service
/// (its own entry routes it again). Notes, messages, photos and merged-in duplicates leave routing
/// to do.
fn settles_routing(change: &Change) -> bool {
    match change {
        Change::Routed { .. }
        | Change::Moved { .. }
        | Change::Assigned { .. }
        | Change::Recategorized { .. }
        | Change::StatusChanged { .. }
        | Change::Scheduled { .. }
        | Change::MergedInto { .. } => true,
        Change::CitizenUpdate { reopened, .. } => *reopened,
        Change::Submitted { .. }
        | Change::Noted { .. }
        | Change::Absorbed { .. }
        | Change::PhotoAdded { .. }
        | Change::PhotoRefused { .. }
        | Change::PhotoHidden { .. }
        | Change::Messaged { .. }
        | Change::CitizenMessage { .. }
        | Change::Located { .. }
        | Change::Redacted { .. }
        | Change::RequestHidden { .. } => false,
    }
}

/// Routes `ticket` as read ([`town311::app::routing::route`]); `Conflict` if it changed before
/// the write.
async fn route_once(
    state: &State,
    ticket: &Ticket,
    within: Option<&str>,
    find_duplicates: bool,
) -> Result<(), StoreError> {
    let now = state.clock.now();
    let rules = state.catalog.routing().await?.unwrap_or_default();
    let routed = town311::app::routing::route(
        state.catalog.as_ref(),
        state.tickets.as_ref(),
        &rules,
        ticket,
        within,
        find_duplicates,
        now,
    )
    .await?;
    let Some((routed, entry, routing)) = routed else { return Ok(()) };
    let change = (routed, entry);
    state.tickets.apply(std::slice::from_ref(&change)).await?;
    let (routed, _) = &change;
    tracing::info!(
        department = %routed.department,
        assigned = routed.assignee.is_some(),
        rule = routing.rule.as_deref().unwrap_or("-"),
        duplicates = routed.possible_duplicates.len(),
        "ticket routed"
    );
    Ok(())
}

/// Leaves a pending follow's confirmation for notify, unless the record is the same pending
/// follow written again (a language change) or a confirmed follower.
async fn ask_to_confirm(state: &State, record: &EventRecord, follower: &Follower) -> Result<(), StoreError> {
    if follower.confirmed {
        return Ok(());
    }
    if record.event_name == "MODIFY" {
        let before = TableItem::from_stream_image(record.change.old_image.clone())?;
        if matches!(before, TableItem::Follower(old) if !old.confirmed && old.since == follower.since) {
            return Ok(());
        }
    }
    let due = ConfirmationDue::of(follower);
    let span = tracing::info_span!("confirm", ticket_id = %due.ticket_id, contact_key = %due.contact_key);
    async {
        let Some(queue) = &state.work else {
            tracing::error!("no notify queue is configured: a follow cannot be confirmed");
            return Ok(());
        };
        let message = due.message().map_err(|e| StoreError::Corrupt {
            key: format!("follower of {}", due.ticket_id),
            source: Box::new(e),
        })?;
        queue.enqueue(&message).await?;
        tracing::info!(channel = %follower.contact.channel(), "confirmation of a follow left for notify");
        Ok(())
    }
    .instrument(span)
    .await
}

/// A merged duplicate's reporter and confirmed followers follow the parent from now on, all
/// confirmed (the reporter consented by filing). A pending follower is carried when they confirm.
async fn hand_over_followers(state: &State, child: &TicketId, parent: &TicketId) -> Result<(), StoreError> {
    let Some(ticket) = state.tickets.get(child).await? else { return Ok(()) };
    let mut followers = state.tickets.followers(child).await?;
    followers.retain(|f| f.confirmed);
    if let Some(contact) = Contact::of_reporter(&ticket.reporter) {
        followers.push(Follower {
            ticket_id: child.clone(),
            contact,
            language: ticket.reporter.language,
            since: ticket.requested_at,
            via: None,
            confirmed: true,
        });
    }
    for follower in &followers {
        state.tickets.follow(&follower.carried_to(parent, child)).await?;
    }
    tracing::info!(parent = %parent, followers = followers.len(), "followers handed over to the parent");
    Ok(())
}

/// How often attaching a photo is retried when the ticket changes under it.
const ATTACH_ATTEMPTS: usize = 5;

/// Attaches a processed upload to the ticket that named it, once both are known.
async fn attach_photo(state: &State, upload_id: &str) -> Result<(), StoreError> {
    let Some(ticket_id) = state.uploads.upload_ticket(upload_id).await? else { return Ok(()) };
    let Some(processing) = state.uploads.processing(upload_id).await? else { return Ok(()) };
    let span = tracing::info_span!("attach", ticket_id = %ticket_id, upload = %upload_id);
    async {
        // Kept before it is attached: a retry keeps it again, and a photo is never attached
        // and then removed.
        if let Processing::Processed { photo, .. } = &processing {
            let kept = state.photos.keep(&photo.key).await? & state.photos.keep(&photo.thumbnail_key).await?;
            if !kept {
                // Named more than a day after its upload: the bucket removed it.
                tracing::warn!("the photo was removed before a request named it; not attached");
                return Ok(());
            }
        }
        for _ in 0..ATTACH_ATTEMPTS {
            let Some(ticket) = state.tickets.get(&ticket_id).await? else { return Ok(()) };
            let Some(change) = ticket.attach(&processing, state.clock.now()) else {
                tracing::debug!("attached before");
                return Ok(());
            };
            match state.tickets.apply(std::slice::from_ref(&change)).await {
                Ok(()) => {
                    tracing::info!(change = change.1.change.kind(), "upload attached");
                    return Ok(());
                }
                Err(StoreError::Conflict) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(StoreError::unavailable("attach photo", "the ticket kept changing"))
    }
    .instrument(span)
    .await
}

/// How long a count is remembered: past the stream's 24-hour retention.
const REMEMBER_COUNTED_HOURS: i64 = 48;

/// Adds what the entry means to the town's figures, once. Only the entries that may count read
/// anything: the ticket for a request opened, closed or reopened, and its history for staff's
/// changes (to tell a first response).
async fn count(state: &State, entry: &HistoryEntry) -> Result<(), StoreError> {
    use town311::domain::status::Status;
    use town311::domain::ticket::Actor;
    let by_staff = matches!(entry.actor, Actor::Staff(_));
    let may_count = by_staff
        || matches!(
            entry.change,
            Change::Submitted { .. }
                | Change::StatusChanged { to: Status::Closed | Status::Reopened, .. }
                | Change::MergedInto { .. }
                | Change::CitizenUpdate { reopened: true, .. }
        )
        || town311::domain::fix_check::answer_of(entry).is_some();
    if entry.private_request || !may_count {
        return Ok(());
    }
    let Some(ticket) = state.tickets.get(&entry.ticket_id).await? else { return Ok(()) };
    let history = if by_staff { state.tickets.history(&entry.ticket_id).await? } else { Vec::new() };
    let event_id = TicketEvent::new(entry).event_id;
    let keep_until = state.clock.now() + Duration::hours(REMEMBER_COUNTED_HOURS);
    for count in town311::domain::stats::counts_of(entry, &ticket, &history, state.timezone) {
        let id = format!("{event_id}#{}", count.counted.as_str());
        if state.stats.count(&id, &count, keep_until).await? {
            tracing::debug!(counted = count.counted.as_str(), "figures counted");
        }
    }
    Ok(())
}

/// Publishes the entry's event unless it went out already.
async fn publish_once(state: &State, entry: &HistoryEntry) -> Result<(), StoreError> {
    let event = TicketEvent::new(entry);
    if state.outbox.was_published(&event.event_id).await? {
        tracing::info!(event_id = %event.event_id, "event published before; not again");
        return Ok(());
    }
    state.events.publish(&event).await?;
    let keep_until = state.clock.now() + Duration::hours(REMEMBER_PUBLISHED_HOURS);
    state.outbox.mark_published(&event.event_id, keep_until).await?;
    tracing::info!(event_id = %event.event_id, "ticket event published");
    Ok(())
}

#[cfg(test)]
mod tests;
