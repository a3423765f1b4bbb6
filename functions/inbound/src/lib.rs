//! The inbound function: citizens' emails and texts reach their tickets. Its topic hears of
//! each email SES stores in the bucket (under `inbound/mail/`) and of each text to the town's
//! two-way number (End User Messaging publishes it there), and Lambda invokes this
//! asynchronously with each: nothing polls while nothing happens.
//!
//! - An answer to a ticket's reply address, or a text from a number a ticket last texted,
//!   lands on that ticket as the citizen's message ([`town311::domain::ticket::Change::CitizenMessage`]),
//!   with its photos sent through the photo pipeline and attached hidden; the stream then has
//!   notify tell the assignee (or the department).
//! - Mail to `report@` the mail domain, or a text about no ticket, opens a request in the
//!   triage department's queue; its "received" notice (with the number, in the sender's
//!   language) goes back on the same channel, and answers to it find the new ticket.
//! - A forged reply address is dropped unanswered; a stale one gets one answer saying so.
//!   SES's spam, virus, SPF, DKIM and DMARC verdicts are respected, mail from programs
//!   (out-of-office replies, lists) is never recorded, and each sender has a daily limit.
//!
//! Every message is handled once: the mail's object name and the text's id are the receipt a
//! redelivery is recognised by, photos get upload ids drawn from it, and a new ticket is
//! written with an idempotency record under it. The raw mail is deleted once handled (and
//! the bucket's lifecycle removes any left after a week).

use aws_lambda_events::event::s3::S3Event;
use aws_lambda_events::event::sns::SnsEvent;
use chrono::Duration;
use lambda_runtime::{Error, LambdaEvent};
use percent_encoding::percent_decode_str;
use std::sync::Arc;
use town311::domain::contact::{Email, NotifyBy, Phone, Reporter, ReporterInput};
use town311::domain::conversation::{self, INTAKE_LOCAL_PART, ReplyRefusal};
use town311::domain::description::Description;
use town311::domain::follower::Contact;
use town311::domain::id::{IdSource, TicketId};
use town311::domain::lifecycle::{CitizenMessage, LifecycleError};
use town311::domain::photo::ImageKind;
use town311::domain::ticket::{Channel, NewRequest, Ticket};
use town311::ports::{
    Catalog, Deliveries, Idempotency, Messenger, OutgoingEmail, PhotoStore, RateLimits, StoreError,
    TicketStore,
};
use town311::runtime::clock::Clock;
use town311::runtime::config::Config;
use tracing::Instrument;

pub mod mail;
pub mod sms;

/// The time the function has for one event: its `Timeout` in template.yaml. Every AWS call is
/// bounded within it.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Where SES stores the town's mail in the bucket.
pub const MAIL_PREFIX: &str = "inbound/mail/";
/// How long the record of a ticket opened by a message keeps a redelivery from opening another.
const IDEMPOTENCY_HOURS: i64 = 48;
/// How often a message is tried on a ticket that keeps changing under it.
const APPLY_ATTEMPTS: usize = 5;
/// Fresh ticket numbers drawn before giving up (a clash is one in a billion).
const ID_ATTEMPTS: usize = 5;

/// What the handler needs, built once per cold start.
pub struct State {
    pub config: Config,
    pub tickets: Arc<dyn TicketStore>,
    pub catalog: Arc<dyn Catalog>,
    /// The bucket: the stored mail, and the uploads its photos become.
    pub photos: Arc<dyn PhotoStore>,
    pub deliveries: Arc<dyn Deliveries>,
    pub messenger: Arc<dyn Messenger>,
    pub rates: Arc<dyn RateLimits>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
}

impl From<&town311::adapters::aws::Adapters> for State {
    /// The production wiring: the table, the bucket, SES for the one answer it sends.
    fn from(aws: &town311::adapters::aws::Adapters) -> Self {
        town311::wire!(
            aws,
            Self { config, tickets, catalog, photos, deliveries, messenger, rates, clock, ids }
        )
    }
}

/// What became of one email or text (for the log and the tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Added to this ticket.
    Heard(TicketId),
    /// Opened this ticket, to be sorted.
    Opened(TicketId),
    /// Handled before (a redelivery).
    Again,
    /// Not taken, for this reason.
    Dropped(&'static str),
}

/// Handles what the topic delivers (one message an invocation). A failure fails the
/// invocation: Lambda retries it twice, then records it on the dead-letter queue; a message
/// handled before is recognised by its receipt and not taken twice.
pub async fn handle(state: &State, event: LambdaEvent<SnsEvent>) -> Result<(), Error> {
    for record in event.payload.records {
        if let Err(error) = take(state, &record.sns.message).await {
            tracing::error!(error = %town311::runtime::chain(&error), "inbound message failed; the invocation will be retried");
            return Err(error.into());
        }
    }
    Ok(())
}

/// Takes one message: stored mail reported by S3, or a text.
pub async fn take(state: &State, body: &str) -> Result<Vec<Outcome>, StoreError> {
    if let Some(text) = sms::InboundText::read(body) {
        let span = tracing::info_span!("text", receipt = %text.inbound_message_id);
        return Ok(vec![take_text(state, &text).instrument(span).await?]);
    }
    if let Ok(notification) = serde_json::from_str::<S3Event>(body) {
        let mut outcomes = Vec::new();
        for record in notification.records {
            let Some(key) = record.s3.object.key else { continue };
            // Keys are form-encoded in notifications (a space is `+`).
            let key = percent_decode_str(&key.replace('+', " ")).decode_utf8_lossy().into_owned();
            let Some(name) = key.strip_prefix(MAIL_PREFIX).filter(|n| !n.is_empty() && !n.contains('/'))
            else {
                tracing::warn!("an object outside the inbound mail was reported; ignored");
                continue;
            };
            let span = tracing::info_span!("mail", receipt = %name);
            let size = record.s3.object.size.and_then(|s| u64::try_from(s).ok()).unwrap_or(0);
            outcomes.push(take_mail(state, &key, name, size).instrument(span).await?);
        }
        return Ok(outcomes);
    }
    // S3's own "s3:TestEvent" when notifications are set up, or anything else.
    tracing::info!("a message that is neither mail nor a text; dropped");
    Ok(Vec::new())
}

/// Takes one stored email, then deletes it.
async fn take_mail(state: &State, key: &str, name: &str, size: u64) -> Result<Outcome, StoreError> {
    let outcome = if size > mail::MAX_MAIL_BYTES {
        Outcome::Dropped("too large")
    } else {
        match state.photos.get(key).await? {
            None => Outcome::Again,
            Some(raw) => match mail::read(&raw) {
                None => Outcome::Dropped("not an email"),
                Some(mail) => hear_mail(state, &mail, &format!("mail:{name}")).await?,
            },
        }
    };
    log(&outcome);
    state.photos.delete(key).await?;
    Ok(outcome)
}

fn log(outcome: &Outcome) {
    match outcome {
        Outcome::Heard(id) => tracing::info!(ticket_id = %id, "the citizen's message is on the ticket"),
        Outcome::Opened(id) => tracing::info!(ticket_id = %id, "a request opened to be sorted"),
        Outcome::Again => tracing::info!("handled before; not again"),
        Outcome::Dropped(reason) => tracing::info!(reason, "not taken"),
    }
}

/// One more message from this sender today, within [`town311::domain::rate::INBOUND_PER_CONTACT_PER_DAY`].
async fn within_limit(state: &State, contact: &Contact) -> bool {
    use town311::domain::rate::{Bucket, INBOUND_PER_CONTACT_PER_DAY, Route};
    let now = state.clock.now();
    let bucket = Bucket::daily(Route::InboundOfContact, &contact.key(), now);
    town311::app::rate::admit_to(
        state.rates.as_ref(),
        &bucket,
        Route::InboundOfContact.as_str(),
        INBOUND_PER_CONTACT_PER_DAY,
        now,
    )
    .await
    .is_ok()
}

/// Where an email goes: the first of the town's addresses it was sent to.
enum Addressed {
    Reply(Result<TicketId, ReplyRefusal>),
    Intake,
    Elsewhere,
}

async fn hear_mail(state: &State, mail: &mail::Mail, receipt: &str) -> Result<Outcome, StoreError> {
    let Some(inbound) = &state.config.inbound.mail else { return Ok(Outcome::Dropped("no mail domain")) };
    if let mail::Verdict::Refused(reason) = mail.verdict {
        return Ok(Outcome::Dropped(reason));
    }
    if mail.automatic {
        return Ok(Outcome::Dropped("sent by a program"));
    }
    let Some(from) = mail.from.clone() else { return Ok(Outcome::Dropped("no sender address")) };
    let now = state.clock.now();
    let mut addressed = Addressed::Elsewhere;
    for recipient in &mail.recipients {
        let Some((local, domain)) = recipient.rsplit_once('@') else { continue };
        if domain != inbound.domain {
            continue;
        }
        if let Some(read) = inbound.key.read(local, now) {
            addressed = Addressed::Reply(read);
            break;
        }
        if local == INTAKE_LOCAL_PART {
            addressed = Addressed::Intake;
        }
    }
    if matches!(addressed, Addressed::Elsewhere) {
        return Ok(Outcome::Dropped("not to the town's addresses"));
    }
    let contact = Contact::Email(from.clone());
    if !within_limit(state, &contact).await {
        return Ok(Outcome::Dropped("the sender's daily limit"));
    }
    let from_reporter = |ticket: &Ticket| {
        ticket.reporter.email.as_ref().is_some_and(|e| e.as_str().eq_ignore_ascii_case(from.as_str()))
    };
    let message = |from_reporter: bool, uploads: Vec<String>| CitizenMessage {
        text: mail.text.clone(),
        channel: Channel::Email,
        uploads,
        receipt: receipt.to_owned(),
        from_reporter,
    };
    match addressed {
        Addressed::Reply(Err(ReplyRefusal::Forged)) => Ok(Outcome::Dropped("forged reply address")),
        Addressed::Reply(Err(ReplyRefusal::Stale)) => {
            tell_stale(state, &from, None, receipt).await?;
            Ok(Outcome::Dropped("stale reply address"))
        }
        Addressed::Reply(Ok(id)) => {
            let Some(ticket) = state.tickets.get(&id).await? else {
                return Ok(Outcome::Dropped("no such ticket"));
            };
            match hear(state, &ticket, |t, uploads| message(from_reporter(t), uploads), &mail.photos).await? {
                Heard::Yes(outcome) => Ok(outcome),
                Heard::TooLate => {
                    tell_stale(state, &from, Some(&id), receipt).await?;
                    Ok(Outcome::Dropped("stale reply address"))
                }
            }
        }
        Addressed::Intake | Addressed::Elsewhere => {
            // More about a request of theirs, by its number in the subject or the text.
            for id in conversation::tickets_mentioned(&format!("{}\n{}", mail.subject, mail.text)) {
                if let Some(ticket) = state.tickets.get(&id).await?.filter(|t| from_reporter(t))
                    && let Heard::Yes(outcome) =
                        hear(state, &ticket, |t, uploads| message(from_reporter(t), uploads), &mail.photos)
                            .await?
                {
                    return Ok(outcome);
                }
            }
            let language = conversation::language_of(
                &format!("{} {}", mail.subject, mail.text),
                mail.language.as_deref(),
            );
            let reporter = Reporter::parse(ReporterInput {
                email: Some(from.as_str()),
                notify_by: Some(NotifyBy::Email),
                language: Some(language),
                ..ReporterInput::default()
            })
            .map_err(|e| StoreError::unavailable("reporter", e))?;
            let words = [mail.subject.as_str(), mail.text.as_str()]
                .into_iter()
                .filter(|w| !w.trim().is_empty())
                .collect::<Vec<_>>()
                .join("\n\n");
            open(state, reporter, Channel::Email, &words, &mail.photos, receipt).await
        }
    }
}

/// Takes one text to the town's number.
async fn take_text(state: &State, text: &sms::InboundText) -> Result<Outcome, StoreError> {
    let outcome = hear_text(state, text).await?;
    log(&outcome);
    Ok(outcome)
}

async fn hear_text(state: &State, text: &sms::InboundText) -> Result<Outcome, StoreError> {
    if state.config.inbound.sms_number.is_none() {
        return Ok(Outcome::Dropped("no two-way number"));
    }
    let Ok(phone) = Phone::parse(&text.origination_number) else {
        return Ok(Outcome::Dropped("no sender number"));
    };
    if conversation::is_keyword(&text.message_body) {
        return Ok(Outcome::Dropped("a carrier keyword"));
    }
    let contact = Contact::Sms(phone.clone());
    if !within_limit(state, &contact).await {
        return Ok(Outcome::Dropped("the sender's daily limit"));
    }
    let receipt = format!("sms:{}", text.inbound_message_id.trim());
    let words = conversation::answer_text(&text.message_body);
    let from_reporter = |ticket: &Ticket| ticket.reporter.phone.as_ref() == Some(&phone);
    let message = |t: &Ticket, uploads: Vec<String>| CitizenMessage {
        text: words.clone(),
        channel: Channel::Sms,
        uploads,
        receipt: receipt.clone(),
        from_reporter: from_reporter(t),
    };
    // The ticket that last texted this number, else one of theirs named in the text.
    let threaded = match state.deliveries.thread(&contact.key()).await? {
        Some(id) => state.tickets.get(&id).await?,
        None => None,
    };
    let mut mentioned = None;
    for id in conversation::tickets_mentioned(&words) {
        mentioned = state.tickets.get(&id).await?.filter(|t| from_reporter(t));
        if mentioned.is_some() {
            break;
        }
    }
    for ticket in [mentioned, threaded].into_iter().flatten() {
        if let Heard::Yes(outcome) = hear(state, &ticket, message, &[]).await? {
            return Ok(outcome);
        }
    }
    if words.trim().is_empty() {
        return Ok(Outcome::Dropped("an empty text"));
    }
    let language = conversation::language_of(&words, None);
    let countries = &state.config.sms_countries;
    let mut reporter = Reporter::parse(ReporterInput {
        phone: Some(phone.as_str()),
        notify_by: Some(NotifyBy::Sms),
        language: Some(language),
        ..ReporterInput::default()
    })
    .map_err(|e| StoreError::unavailable("reporter", e))?;
    reporter.settle_channel(|p| countries.allow(p));
    open(state, reporter, Channel::Sms, &words, &[], &receipt).await
}

/// Whether a message reached the ticket.
enum Heard {
    Yes(Outcome),
    /// The ticket closed longer ago than the reopen window.
    TooLate,
}

/// Records a message on `ticket` (read again while it keeps changing), its photos stored
/// first as uploads under ids drawn from the receipt.
async fn hear(
    state: &State,
    ticket: &Ticket,
    message: impl Fn(&Ticket, Vec<String>) -> CitizenMessage,
    photos: &[(ImageKind, Vec<u8>)],
) -> Result<Heard, StoreError> {
    let span = tracing::info_span!("hear", ticket_id = %ticket.id);
    async {
        let mut ticket = ticket.clone();
        let mut stored = false;
        for _ in 0..APPLY_ATTEMPTS {
            let history = state.tickets.history(&ticket.id).await?;
            let receipt = message(&ticket, Vec::new()).receipt;
            let uploads = upload_ids(&receipt, photos.len());
            let said = message(&ticket, uploads.clone());
            let change = match ticket.hear(&said, &history, state.clock.now()) {
                Ok(Some(change)) => change,
                Ok(None) => return Ok(Heard::Yes(Outcome::Again)),
                Err(LifecycleError::ReopenWindow) => return Ok(Heard::TooLate),
                Err(other) => return Err(StoreError::unavailable("citizen message", other)),
            };
            if !stored {
                store_photos(state, &uploads, photos).await?;
                stored = true;
            }
            match state.tickets.apply(std::slice::from_ref(&change)).await {
                Ok(()) => return Ok(Heard::Yes(Outcome::Heard(ticket.id.clone()))),
                Err(StoreError::Conflict) => {
                    let Some(fresh) = state.tickets.get(&ticket.id).await? else {
                        return Ok(Heard::Yes(Outcome::Dropped("no such ticket")));
                    };
                    ticket = fresh;
                }
                Err(other) => return Err(other),
            }
        }
        Err(StoreError::unavailable("citizen message", "the ticket kept changing"))
    }
    .instrument(span)
    .await
}

/// Upload ids for a message's photos: the same for a redelivery of the same message.
fn upload_ids(receipt: &str, count: usize) -> Vec<String> {
    (0..count)
        .map(|n| {
            town311::domain::api_key::hash(&format!("inbound upload\u{0}{receipt}\u{0}{n}"))[..32].to_owned()
        })
        .collect()
}

/// Puts a message's photos where the photo function takes uploads from.
async fn store_photos(
    state: &State,
    uploads: &[String],
    photos: &[(ImageKind, Vec<u8>)],
) -> Result<(), StoreError> {
    for (upload, (kind, bytes)) in uploads.iter().zip(photos) {
        let key = town311::domain::photo::upload_key(upload);
        state.photos.put(&key, bytes.clone(), kind.content_type()).await?;
    }
    Ok(())
}

/// Opens a request to be sorted, from a message about no ticket; once per receipt.
async fn open(
    state: &State,
    reporter: Reporter,
    channel: Channel,
    words: &str,
    photos: &[(ImageKind, Vec<u8>)],
    receipt: &str,
) -> Result<Outcome, StoreError> {
    let description: String =
        words.chars().take(town311::domain::description::MAX_DESCRIPTION_CHARS).collect();
    let description = if description.trim().is_empty() && !photos.is_empty() {
        Some("(photos only)".to_owned())
    } else {
        Some(description)
    };
    let description = match description.as_deref().map(Description::parse) {
        Some(Ok(description)) => description,
        _ => return Ok(Outcome::Dropped("nothing said")),
    };
    if description.is_none() {
        return Ok(Outcome::Dropped("nothing said"));
    }
    let now = state.clock.now();
    let key_hash = town311::domain::api_key::hash(&format!("inbound\u{0}{receipt}"));
    if let Some(replay) = state.tickets.replay(&key_hash, now).await? {
        return Ok(if replay.matches(receipt) { Outcome::Again } else { Outcome::Dropped("receipt reused") });
    }
    let uploads = upload_ids(receipt, photos.len());
    store_photos(state, &uploads, photos).await?;
    let request = NewRequest {
        service_code: conversation::TRIAGE_SERVICE.to_owned(),
        location: Default::default(),
        description,
        answers: Default::default(),
        media_urls: Vec::new(),
        reporter,
        channel,
        uploads,
    };
    let service = conversation::triage_service(&state.config.inbound.triage_department);
    let idempotency = Idempotency {
        key_hash,
        fingerprint: receipt.to_owned(),
        received_at: now,
        expires_at: now + Duration::hours(IDEMPOTENCY_HOURS),
    };
    for _ in 0..ID_ATTEMPTS {
        let id = TicketId::generate(state.ids.as_ref()).map_err(|e| StoreError::unavailable("random", e))?;
        let (ticket, entry) = Ticket::open(id, &service, request.clone(), now);
        match state.tickets.create(&ticket, &entry, None, Some(&idempotency)).await {
            Ok(()) => return Ok(Outcome::Opened(ticket.id)),
            Err(StoreError::IdTaken) => tracing::warn!("ticket number taken, drawing another"),
            Err(StoreError::Replayed) => return Ok(Outcome::Again),
            Err(other) => return Err(other),
        }
    }
    Err(StoreError::unavailable("open", "no free ticket number after several draws"))
}

/// The one answer a stale reply address gets: the answer was not added, and where to write
/// instead. Sent once per receipt.
async fn tell_stale(
    state: &State,
    to: &Email,
    ticket: Option<&TicketId>,
    receipt: &str,
) -> Result<(), StoreError> {
    let (Some(inbound), Some(_)) = (&state.config.inbound.mail, &state.config.mail_from) else {
        return Ok(());
    };
    let now = state.clock.now();
    if !state.deliveries.claim(&format!("{receipt}#stale"), now + Duration::days(14)).await? {
        return Ok(());
    }
    let town = &state.config.town_name;
    let about = ticket.map(|id| format!(" about request {id}")).unwrap_or_default();
    let site = state.config.public_url.as_deref().map(|u| format!(" or at {u}")).unwrap_or_default();
    let email = OutgoingEmail {
        to: to.clone(),
        subject: format!("{town} 311: your email{about} was not added"),
        body: format!(
            "Your email{about} reached an address that no longer takes answers: it was sent more than {} days ago, \
             or the request was closed more than {} days ago.\n\n\
             To report something new, write to {}{site}.\n",
            conversation::REPLY_VALID_DAYS,
            town311::domain::lifecycle::REOPEN_WINDOW_DAYS,
            inbound.intake_address()
        ),
        unsubscribe_url: String::new(),
        reply_to: None,
    };
    if let Err(error) = state.messenger.send_email(&email).await {
        // One courtesy answer: not worth a redelivery of the whole message.
        tracing::warn!(error = %Contact::Email(to.clone()).redact(&town311::runtime::chain(&error)), "could not answer a stale reply");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
