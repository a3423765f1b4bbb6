//! The notify function: tells citizens about their requests. Lambda invokes it with each public
//! ticket event the topic delivers (asynchronously: nothing polls while nothing happens) and it
//! sends each reporter and follower one message per public
//! change, on the channel they chose (SMS or email) and in their language.
//!
//! A delivery is claimed in the table before it is sent and given back if sending fails, so a
//! replayed event (SNS delivers at least once, Lambda retries a failed invocation twice) sends
//! nothing twice and a failed send is
//! retried. Each recipient stands alone: one the service refuses for good (an invalid number, a
//! rejected address) is kept as undeliverable and skipped, and one that fails for now is
//! retried with the message while everyone else still hears. Emails carry a one-click
//! unsubscribe link; SNS itself honours STOP replies to SMS.
//!
//! Only confirmed followers are told: a follow stays pending, and hears nothing, until its
//! contact uses the link of the one confirmation message (sent by [`confirm`], from a
//! [`town311::domain::follower::ConfirmationDue`] the route function leaves on notify's own
//! topic).
//!
//! A message tells at most [`CHUNK`] followers. When more follow the ticket, the rest is left
//! on notify's own topic (which only notify hears) as a continuation (the event and the last contact key told) before
//! this chunk is sent, so thousands of followers are told by many short invocations, each well
//! inside the function's time limit, and a slow chunk holds none of the others back.

use aws_lambda_events::event::sns::{SnsEvent, SnsRecord};
use chrono::{DateTime, Duration, Utc};
use lambda_runtime::{Error, LambdaEvent};
use std::sync::Arc;
use town311::app::rate::{SMS_BUDGET_SPENT, within_sms_budget};
use town311::domain::catalog::Department;
use town311::domain::contact::Language;
use town311::domain::events::TicketEvent;
use town311::domain::follower::Contact;
use town311::domain::id::{IdSource, random_token};
use town311::domain::notice::{Context, Notice, UNSUBSCRIBE_LINK_DAYS, footer};
use town311::domain::ticket::{Change, HistoryEntry, Ticket};
use town311::ports::{
    Catalog, Deliveries, Messenger, OutgoingEmail, RateLimits, SendError, StoreError, TicketStore, WorkQueue,
};
use town311::runtime::clock::Clock;
use town311::runtime::config::Config;
use tracing::Instrument;

/// The time the function has for one event: its `Timeout` in template.yaml. Every AWS call is
/// bounded within it.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub mod confirm;
mod staff;

/// How long a sent delivery is remembered: far past any redelivery.
pub(crate) const REMEMBER_SENT_DAYS: i64 = 14;
/// Followers one message tells. Each costs a claim, for email an unsubscribe link, and a send
/// (about 100 ms together; SES sends 14 a second by default), so a chunk takes about five
/// seconds: several fit in notify's 30-second limit.
pub const CHUNK: usize = 50;
/// Without a topic to continue on (a misconfiguration), chunks follow one another in the same
/// invocation, up to this many.
const MAX_CHUNKS_IN_PLACE: usize = 200;

/// What the handler needs, built once per cold start.
pub struct State {
    pub config: Config,
    pub tickets: Arc<dyn TicketStore>,
    pub catalog: Arc<dyn Catalog>,
    pub deliveries: Arc<dyn Deliveries>,
    pub messenger: Arc<dyn Messenger>,
    /// Notify's own topic, where the rest of a large fan-out is left.
    pub work: Option<Arc<dyn WorkQueue>>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    /// Counts the day's text messages against the town's budget.
    pub rates: Arc<dyn RateLimits>,
}

impl From<&town311::adapters::aws::Adapters> for State {
    /// The production wiring: the table, SNS for SMS, SES for email, SNS to continue on.
    fn from(aws: &town311::adapters::aws::Adapters) -> Self {
        town311::wire!(aws, Self { config, tickets, catalog, deliveries, messenger, work, clock, ids, rates })
    }
}

/// Why a message must come back.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Some recipients could not be reached for now; the others were told.
    #[error("{0} recipient(s) could not be reached for now")]
    Unsent(usize),
    /// Messages of the invocation failed; Lambda retries it (claims keep the rest from going twice).
    #[error("{0} message(s) failed; the invocation is retried")]
    Failed(usize),
}

/// Handles one delivery from the topics (SNS gives Lambda one message an invocation). A
/// failure fails the invocation: Lambda retries it twice, then records it on the dead-letter
/// queue; what went out before is claimed and not sent again.
pub async fn handle(state: &State, event: LambdaEvent<SnsEvent>) -> Result<(), Error> {
    let failed = handle_records(state, event.payload.records).await;
    if failed.is_empty() { Ok(()) } else { Err(NotifyError::Failed(failed.len()).into()) }
}

/// Handles each message; the ids of those that failed.
pub(crate) async fn handle_records(state: &State, records: Vec<SnsRecord>) -> Vec<String> {
    let mut failed = Vec::new();
    for record in records {
        let message = record.sns;
        if let Err(error) = notify_message(state, &message.message).await {
            tracing::error!(
                message_id = %message.message_id,
                error = %town311::runtime::chain(&error),
                "notification failed; the invocation will be retried"
            );
            failed.push(message.message_id);
        }
    }
    failed
}

/// The message of a continuation: the event with the last follower's key told.
pub fn continuation(event: &TicketEvent, after: &str) -> Result<String, StoreError> {
    let mut body = serde_json::to_value(event).map_err(corrupt)?;
    if let Some(fields) = body.as_object_mut() {
        fields.insert(FOLLOWERS_AFTER.into(), after.into());
    }
    serde_json::to_string(&body).map_err(corrupt)
}

/// A message that is not what notify writes or reads.
fn corrupt(error: serde_json::Error) -> StoreError {
    StoreError::Corrupt { key: "notify message".into(), source: Box::new(error) }
}

/// The field a continuation adds to the event it carries.
const FOLLOWERS_AFTER: &str = "followers_after";

async fn notify_message(state: &State, body: &str) -> Result<(), NotifyError> {
    let mut body: serde_json::Value = serde_json::from_str(body).map_err(corrupt)?;
    if let Some(due) = body.get(town311::domain::follower::CONFIRMATION_DUE) {
        let due: town311::domain::follower::ConfirmationDue =
            serde_json::from_value(due.clone()).map_err(corrupt)?;
        let span = tracing::info_span!("confirm", ticket_id = %due.ticket_id, contact_key = %due.contact_key);
        return confirm::ask(state, &due).instrument(span).await;
    }
    let after = match body.as_object_mut().and_then(|fields| fields.remove(FOLLOWERS_AFTER)) {
        None => None,
        Some(value) => {
            let cursor = value.as_str().and_then(town311::domain::follower::cursor).map(str::to_owned);
            // Starting over instead would re-read every follower before this point.
            Some(cursor.ok_or_else(|| StoreError::Corrupt {
                key: "notify message".into(),
                source: "followers_after is not a follower key".into(),
            })?)
        }
    };
    let event: TicketEvent = serde_json::from_value(body).map_err(corrupt)?;
    let span = tracing::info_span!(
        "notify",
        ticket_id = %event.ticket_id,
        event = event.event_type.as_str(),
        continuation = after.is_some()
    );
    notify_from(state, &event, after.as_deref()).instrument(span).await
}

/// One person to tell, on one channel, in one language.
struct Recipient {
    contact: Contact,
    language: Language,
}

/// What became of one recipient.
enum Outcome {
    Sent,
    /// Sent before, or nothing to send them.
    Skipped,
    /// Refused for good; kept as undeliverable.
    Undeliverable,
    /// Failed for now; the claim was given back so the message's retry sends it.
    Retry,
}

/// Tells everyone who hears about `event`'s ticket: the reporter and the first chunk of
/// followers, leaving the rest on notify's topic.
pub async fn notify(state: &State, event: &TicketEvent) -> Result<(), NotifyError> {
    notify_from(state, event, None).await
}

/// Tells the followers after `after` (all of them and the reporter when `None`), a chunk at a
/// time.
pub async fn notify_from(state: &State, event: &TicketEvent, after: Option<&str>) -> Result<(), NotifyError> {
    if event.tells_staff() {
        return staff::tell(state, event).await;
    }
    if event.event_type == town311::domain::events::EventType::CitizenUpdate && after.is_none() {
        staff::tell_not_fixed(state, event).await?;
    }
    if !event.tells_citizens() {
        return Ok(());
    }
    let Some(ticket) = state.tickets.get(&event.ticket_id).await? else { return Ok(()) };
    let history = state.tickets.history(&event.ticket_id).await?;
    let Some(entry) = history.iter().find(|e| e.version == event.ticket_version) else { return Ok(()) };
    let department = state.catalog.department(&entry.department).await?;
    let mut after = after.map(str::to_owned);
    let (mut sent, mut undeliverable, mut unsent, mut told) = (0, 0, 0, 0);
    for _ in 0..MAX_CHUNKS_IN_PLACE {
        let (recipients, next) = chunk(state, &ticket, entry, after.as_deref()).await?;
        // The rest goes on the topic first: a slow chunk then delays no other.
        let handed_on = match (&next, &state.work) {
            (Some(next), Some(queue)) => {
                hand_on(state, queue.as_ref(), event, next).await?;
                true
            }
            _ => false,
        };
        for recipient in &recipients {
            match send(state, event, &ticket, entry, department.as_ref(), recipient).await? {
                Outcome::Sent => sent += 1,
                Outcome::Skipped => {}
                Outcome::Undeliverable => undeliverable += 1,
                Outcome::Retry => unsent += 1,
            }
        }
        told += recipients.len();
        match next {
            Some(next) if !handed_on => after = Some(next),
            _ => break,
        }
    }
    tracing::info!(recipients = told, sent, undeliverable, unsent, "citizens notified");
    if unsent > 0 { Err(NotifyError::Unsent(unsent)) } else { Ok(()) }
}

/// The recipients of one chunk (the reporter, who gave a contact, with the first), each once
/// (who unsubscribed has no contact left on the request); and the key to continue after, if
/// more follow.
async fn chunk(
    state: &State,
    ticket: &Ticket,
    entry: &HistoryEntry,
    after: Option<&str>,
) -> Result<(Vec<Recipient>, Option<String>), StoreError> {
    let mut recipients = Vec::new();
    if after.is_none()
        && let Some(contact) = Contact::of_reporter(&ticket.reporter)
    {
        recipients.push(Recipient { contact, language: ticket.reporter.language });
    }
    let mut next = None;
    // A new request and a message for the reporter alone are the reporter's only.
    let reporter_only = matches!(
        entry.change,
        Change::Submitted { .. } | Change::Messaged { to: town311::domain::ticket::Audience::Reporter, .. }
    );
    if !reporter_only {
        let page = state.tickets.followers_page(&ticket.id, after, CHUNK).await?;
        // A pending follower has not said the contact is theirs: they hear nothing.
        for follower in page.followers.into_iter().filter(|f| f.confirmed) {
            recipients.push(Recipient { contact: follower.contact, language: follower.language });
        }
        next = page.next;
    }
    // A reporter who also follows, in a later chunk, is stopped by the delivery claim.
    let mut seen = std::collections::BTreeSet::new();
    recipients.retain(|r| {
        let key = r.contact.key();
        seen.insert(key)
    });
    Ok((recipients, next))
}

/// Leaves the followers after `next` on notify's topic, once: the claim stops a retried chunk
/// from starting a second continuation.
async fn hand_on(
    state: &State,
    queue: &dyn WorkQueue,
    event: &TicketEvent,
    next: &str,
) -> Result<(), StoreError> {
    let claim_id =
        format!("{}#after#{}", event.event_id, town311::domain::privacy::mark(next, &event.event_id));
    let keep_until = state.clock.now() + Duration::days(REMEMBER_SENT_DAYS);
    if !state.deliveries.claim(&claim_id, keep_until).await? {
        return Ok(());
    }
    let queued = match continuation(event, next) {
        Ok(body) => queue.enqueue(&body).await,
        Err(error) => Err(error),
    };
    if let Err(error) = queued {
        if let Err(release) = state.deliveries.release(&claim_id).await {
            tracing::error!(error = %town311::runtime::chain(&release), "could not give back a continuation's claim");
        }
        return Err(error);
    }
    tracing::info!("more followers: continued on notify's topic");
    Ok(())
}

/// Sends one recipient their notice, unless it went out before.
async fn send(
    state: &State,
    event: &TicketEvent,
    ticket: &Ticket,
    entry: &HistoryEntry,
    department: Option<&Department>,
    recipient: &Recipient,
) -> Result<Outcome, StoreError> {
    let public_url = state.config.public_url.as_deref();
    let context = Context {
        town: &state.config.town_name,
        timezone: state.config.timezone,
        ticket,
        entry,
        department,
        status_url: public_url.map(|url| format!("{url}/status?id={}", ticket.id)),
        language: recipient.language,
        replies: match recipient.contact {
            Contact::Email(_) => state.config.inbound.mail.is_some(),
            Contact::Sms(_) => state.config.inbound.sms_number.is_some(),
        },
    };
    let Some(notice) = Notice::compose(&context) else { return Ok(Outcome::Skipped) };
    let channel = recipient.contact.channel();
    if matches!(recipient.contact, Contact::Email(_))
        && (state.config.mail_from.is_none() || public_url.is_none())
    {
        tracing::warn!("no MAIL_FROM or PUBLIC_URL: emails cannot be sent");
        return Ok(Outcome::Skipped);
    }
    if let Contact::Sms(phone) = &recipient.contact {
        if !state.config.sms_countries.allow(phone) {
            tracing::info!("number outside the town's SMS countries; not texted");
            return Ok(Outcome::Skipped);
        }
    }
    let key = recipient.contact.key();
    // The claim names a mark of the contact, never its key: an erased contact leaves none.
    let delivery_id = format!("{}#{}", event.event_id, town311::domain::privacy::mark(&key, &event.event_id));
    let now = state.clock.now();
    let keep_until = now + Duration::days(REMEMBER_SENT_DAYS);
    if !state.deliveries.claim(&delivery_id, keep_until).await? {
        tracing::info!(%channel, "sent before; not again");
        return Ok(Outcome::Skipped);
    }
    if matches!(recipient.contact, Contact::Sms(_))
        && !within_sms_budget(state.rates.as_ref(), state.config.sms_daily_budget, now).await
    {
        tracing::warn!(code = SMS_BUDGET_SPENT, "the town's SMS budget for the day is spent; not texted");
        state.deliveries.mark_undeliverable(&delivery_id, SMS_BUDGET_SPENT, keep_until).await?;
        return Ok(Outcome::Undeliverable);
    }
    let outcome = match &recipient.contact {
        Contact::Sms(phone) => state.messenger.send_sms(phone, &notice.sms).await,
        Contact::Email(address) => {
            let token = random_token(state.ids.as_ref()).map_err(|e| StoreError::unavailable("random", e))?;
            let link_until = now + Duration::days(UNSUBSCRIBE_LINK_DAYS);
            state.deliveries.issue_unsubscribe(&token, &ticket.id, &key, link_until).await?;
            let unsubscribe_url =
                format!("{}/citizen/v1/unsubscribe?token={token}", public_url.unwrap_or_default());
            let email = OutgoingEmail {
                to: address.clone(),
                subject: notice.subject,
                body: notice.body + &footer(recipient.language, &unsubscribe_url),
                unsubscribe_url,
                reply_to: state.config.inbound.mail.as_ref().map(|mail| mail.reply_address(&ticket.id, now)),
            };
            state.messenger.send_email(&email).await
        }
    };
    match outcome {
        Ok(()) => {
            tracing::info!(%channel, language = recipient.language.as_str(), "notice sent");
            if matches!(recipient.contact, Contact::Sms(_)) && state.config.inbound.sms_number.is_some() {
                remember_thread(state, &ticket.id, &key, now).await;
            }
            Ok(Outcome::Sent)
        }
        // The claim stays, so no retry tries them again; the code says why, the address is not logged.
        Err(SendError::Refused { code }) => {
            tracing::warn!(%channel, code = code.as_str(), "recipient refused for good; kept as undeliverable");
            state.deliveries.mark_undeliverable(&delivery_id, &code, keep_until).await?;
            Ok(Outcome::Undeliverable)
        }
        Err(SendError::Failed(error)) => {
            // A service's message may quote the address; it is taken out before logging.
            let error = recipient.contact.redact(&town311::runtime::chain(&error));
            tracing::warn!(%channel, %error, "send failed; it will be retried");
            state.deliveries.release(&delivery_id).await?;
            Ok(Outcome::Retry)
        }
    }
}

/// Remembers that this ticket last texted the number, so a text back reaches it. The text
/// went out either way: a failure here only means an answer opens a new request instead.
async fn remember_thread(
    state: &State,
    ticket: &town311::domain::id::TicketId,
    key: &str,
    now: DateTime<Utc>,
) {
    let until = now + Duration::days(town311::domain::conversation::REPLY_VALID_DAYS);
    if let Err(error) = state.deliveries.remember_thread(key, ticket, until).await {
        tracing::warn!(error = %town311::runtime::chain(&error), "could not remember the text's thread");
    }
}

#[cfg(test)]
mod tests;
