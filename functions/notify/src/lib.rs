//! The notify function: tells citizens about their requests. It reads the public ticket events
//! the topic delivers to its queue and sends each reporter and follower one message per public
//! change, on the channel they chose (SMS or email) and in their language.
//!
//! A delivery is claimed in the table before it is sent and given back if sending fails, so a
//! replayed event (SNS and SQS deliver at least once) sends nothing twice and a failed send is
//! retried. Emails carry a one-click unsubscribe link; SNS itself honours STOP replies to SMS.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::Duration;
use lambda_runtime::{Error, LambdaEvent};
use std::sync::Arc;
use town311::catalog::Department;
use town311::clock::{Clock, SystemClock};
use town311::config::Config;
use town311::contact::Language;
use town311::events::TicketEvent;
use town311::follower::Contact;
use town311::id::{IdSource, OsRandom, random_token};
use town311::notice::{Context, Notice, footer};
use town311::ports::{Catalog, Deliveries, Messenger, OutgoingEmail, StoreError, TicketStore};
use town311::ticket::{Change, HistoryEntry, Ticket};
use tracing::Instrument;

/// How long a sent delivery is remembered: far past any redelivery.
const REMEMBER_SENT_DAYS: i64 = 14;
/// How long an unsubscribe link works.
const UNSUBSCRIBE_LINK_DAYS: i64 = 365;

/// What the handler needs, built once per cold start.
pub struct State {
    pub config: Config,
    pub tickets: Arc<dyn TicketStore>,
    pub catalog: Arc<dyn Catalog>,
    pub deliveries: Arc<dyn Deliveries>,
    pub messenger: Arc<dyn Messenger>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
}

impl State {
    /// The production wiring: the table, SNS for SMS, SES for email.
    pub fn from_aws(config: Config, sdk: &town311::aws::SdkConfig) -> Self {
        let table = Arc::new(town311::aws::DynamoTable::new(sdk, &config));
        Self {
            tickets: table.clone(),
            catalog: town311::catalog_cache::CachedCatalog::prefetched(table.clone()),
            deliveries: table,
            messenger: Arc::new(town311::aws::AwsMessenger::new(sdk, &config)),
            clock: Arc::new(SystemClock),
            ids: Arc::new(OsRandom),
            config,
        }
    }
}

/// Handles one batch of queue messages; the ones that failed are reported for redelivery.
pub async fn handle(state: &State, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    let mut response = SqsBatchResponse::default();
    for message in event.payload.records {
        if let Err(error) = notify_message(state, &message).await {
            tracing::error!(
                message_id = message.message_id.as_deref().unwrap_or_default(),
                error = %town311::http::chain(&error),
                "notification failed; the message will be redelivered"
            );
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message.message_id.clone().unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    Ok(response)
}

async fn notify_message(state: &State, message: &SqsMessage) -> Result<(), StoreError> {
    let body = message.body.as_deref().unwrap_or_default();
    let event: TicketEvent = serde_json::from_str(body)
        .map_err(|e| StoreError::Corrupt { key: "queue message".into(), source: Box::new(e) })?;
    let span = tracing::info_span!("notify", ticket_id = %event.ticket_id, event = event.event_type.as_str());
    notify(state, &event).instrument(span).await
}

/// One person to tell, on one channel, in one language.
struct Recipient {
    contact: Contact,
    language: Language,
}

/// Tells everyone who hears about `event`'s ticket.
pub async fn notify(state: &State, event: &TicketEvent) -> Result<(), StoreError> {
    if !event.public {
        return Ok(());
    }
    let Some(ticket) = state.tickets.get(&event.ticket_id).await? else { return Ok(()) };
    let history = state.tickets.history(&event.ticket_id).await?;
    let Some(entry) = history.iter().find(|e| e.version == event.ticket_version) else { return Ok(()) };
    let recipients = recipients(state, &ticket, entry).await?;
    if recipients.is_empty() {
        return Ok(());
    }
    let department = state.catalog.department(&entry.department).await?;
    let mut sent = 0;
    for recipient in &recipients {
        if send(state, event, &ticket, entry, department.as_ref(), recipient).await? {
            sent += 1;
        }
    }
    tracing::info!(recipients = recipients.len(), sent, "citizens notified");
    Ok(())
}

/// The reporter (who gave a contact) and the followers, each once, minus who unsubscribed.
async fn recipients(
    state: &State,
    ticket: &Ticket,
    entry: &HistoryEntry,
) -> Result<Vec<Recipient>, StoreError> {
    let mut recipients = Vec::new();
    if let Some(contact) = Contact::of_reporter(&ticket.reporter) {
        recipients.push(Recipient { contact, language: ticket.reporter.language });
    }
    if !matches!(entry.change, Change::Submitted { .. }) {
        for follower in state.tickets.followers(&ticket.id).await? {
            recipients.push(Recipient { contact: follower.contact, language: follower.language });
        }
    }
    let muted = state.deliveries.muted(&ticket.id).await?;
    let mut seen = std::collections::BTreeSet::new();
    recipients.retain(|r| {
        let key = r.contact.key();
        !muted.contains(&key) && seen.insert(key)
    });
    Ok(recipients)
}

/// Sends one recipient their notice, unless it went out before; whether it was sent now.
async fn send(
    state: &State,
    event: &TicketEvent,
    ticket: &Ticket,
    entry: &HistoryEntry,
    department: Option<&Department>,
    recipient: &Recipient,
) -> Result<bool, StoreError> {
    let public_url = state.config.public_url.as_deref();
    let context = Context {
        town: &state.config.town_name,
        timezone: state.config.timezone,
        ticket,
        entry,
        department,
        status_url: public_url.map(|url| format!("{url}/status?id={}", ticket.id)),
        language: recipient.language,
    };
    let Some(notice) = Notice::compose(&context) else { return Ok(false) };
    let channel = recipient.contact.channel();
    if matches!(recipient.contact, Contact::Email(_))
        && (state.config.mail_from.is_none() || public_url.is_none())
    {
        tracing::warn!("no MAIL_FROM or PUBLIC_URL: emails cannot be sent");
        return Ok(false);
    }
    let key = recipient.contact.key();
    let delivery_id = format!("{}#{key}", event.event_id);
    let now = state.clock.now();
    if !state.deliveries.claim(&delivery_id, now + Duration::days(REMEMBER_SENT_DAYS)).await? {
        tracing::info!(%channel, "sent before; not again");
        return Ok(false);
    }
    let outcome = match &recipient.contact {
        Contact::Sms(phone) => state.messenger.send_sms(phone, &notice.sms).await,
        Contact::Email(address) => {
            let token = random_token(state.ids.as_ref()).map_err(|e| StoreError::unavailable("random", e))?;
            let keep_until = now + Duration::days(UNSUBSCRIBE_LINK_DAYS);
            state.deliveries.issue_unsubscribe(&token, &ticket.id, &key, keep_until).await?;
            let unsubscribe_url =
                format!("{}/citizen/v1/unsubscribe?token={token}", public_url.unwrap_or_default());
            let email = OutgoingEmail {
                to: address.clone(),
                subject: notice.subject,
                body: notice.body + &footer(recipient.language, &unsubscribe_url),
                unsubscribe_url,
            };
            state.messenger.send_email(&email).await
        }
    };
    if let Err(error) = outcome {
        if let Err(release) = state.deliveries.release(&delivery_id).await {
            tracing::error!(error = %town311::http::chain(&release), "could not give back a failed delivery's claim");
        }
        return Err(error);
    }
    tracing::info!(%channel, language = recipient.language.as_str(), "notice sent");
    Ok(true)
}

#[cfg(test)]
mod tests;
