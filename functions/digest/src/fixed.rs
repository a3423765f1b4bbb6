//! "Was it fixed?": the reporters of requests closed [`State::fixed_check_days`] days ago (and
//! up to [`CATCH_UP_DAYS`] days more, so a missed morning catches up) get one message each, on
//! the channel and in the language they chose, with a link that leads to a page where they say
//! yes or no (`GET /citizen/v1/fixed` in the update function).
//!
//! Closed requests are read from each department's gsi3 `QUEUE#<dept>#closed`, most recently
//! updated first, back to the oldest update a due closing can have
//! ([`town311::domain::fix_check::oldest_update`]): nothing older is read. A question is claimed
//! once per closing ([`town311::domain::fix_check::claim_id`]); a reporter who unsubscribed
//! from the request, or gave no contact for updates, is not asked.

use crate::{PAGE, State};
use chrono::{DateTime, Duration, Utc};
use town311::app::rate::{SMS_BUDGET_SPENT, within_sms_budget};
use town311::domain::catalog::Department;
use town311::domain::fix_check::{self, CATCH_UP_DAYS, LINK_DAYS};
use town311::domain::follower::Contact;
use town311::domain::id::random_token;
use town311::domain::listing::Queue;
use town311::domain::notice::UNSUBSCRIBE_LINK_DAYS;
use town311::domain::ticket::Ticket;
use town311::ports::{OutgoingEmail, SendError, StoreError};

/// Pages of closed requests read per department and run, at most.
pub const MAX_PAGES: usize = 50;

/// What the questions of one run came to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Asked {
    pub sent: usize,
    pub unsent: usize,
}

/// Asks every reporter whose closing is due, department by department, until the run's
/// `deadline` (if known) is near.
pub async fn ask_due(
    state: &State,
    departments: &[Department],
    now: DateTime<Utc>,
    deadline: Option<DateTime<Utc>>,
) -> Result<Asked, StoreError> {
    let late =
        |at: DateTime<Utc>| deadline.is_some_and(|d| d - at < Duration::seconds(crate::RESERVE_SECONDS));
    let days = state.fixed_check_days;
    let mut asked = Asked::default();
    if days == 0 {
        return Ok(asked);
    }
    let oldest = fix_check::oldest_update(now, days);
    for department in departments {
        let queue = Queue::Department { department: department.code.clone(), open: false };
        let mut after: Option<String> = None;
        'pages: for _ in 0..MAX_PAGES {
            let page = state.tickets.queue(&queue, PAGE, after.as_deref()).await?;
            for ticket in &page.tickets {
                if ticket.updated_at < oldest {
                    break 'pages;
                }
                if !fix_check::closing_is_due(ticket, now, days) {
                    continue;
                }
                if late(state.clock.now()) {
                    tracing::warn!("no time left in this run; the other questions go out tomorrow");
                    return Ok(asked);
                }
                // The queue's index holds no contact: the reporter's is read with the ticket.
                let Some(ticket) = state.tickets.get(&ticket.id).await? else { continue };
                if !fix_check::is_due(&ticket, now, days) {
                    continue;
                }
                match ask(state, &ticket, now).await? {
                    Some(true) => asked.sent += 1,
                    Some(false) => asked.unsent += 1,
                    None => {}
                }
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
    }
    Ok(asked)
}

/// Asks one reporter, unless asked before about this closing: `Some(true)` sent,
/// `Some(false)` failed for now (given back), `None` nothing to send.
pub async fn ask(state: &State, ticket: &Ticket, now: DateTime<Utc>) -> Result<Option<bool>, StoreError> {
    use tracing::Instrument as _;
    let span = tracing::info_span!("fix_check", ticket_id = %ticket.id);
    ask_one(state, ticket, now).instrument(span).await
}

async fn ask_one(state: &State, ticket: &Ticket, now: DateTime<Utc>) -> Result<Option<bool>, StoreError> {
    let Some(contact) = Contact::of_reporter(&ticket.reporter) else { return Ok(None) };
    let Some(claim_id) = fix_check::claim_id(ticket) else { return Ok(None) };
    let Some(public_url) = state.config.public_url.as_deref() else {
        tracing::warn!("no PUBLIC_URL: the question's links cannot be sent");
        return Ok(None);
    };
    match &contact {
        Contact::Email(_) if state.config.mail_from.is_none() => {
            tracing::warn!("no MAIL_FROM: emails cannot be sent");
            return Ok(None);
        }
        Contact::Sms(phone) if !state.config.sms_countries.allow(phone) => {
            tracing::info!("number outside the town's SMS countries; not texted");
            return Ok(None);
        }
        _ => {}
    }
    let key = contact.key();
    let keep_until = now + Duration::days(CATCH_UP_DAYS + 2);
    if !state.deliveries.claim(&claim_id, keep_until).await? {
        tracing::debug!("asked before about this closing");
        return Ok(None);
    }
    if matches!(contact, Contact::Sms(_))
        && !within_sms_budget(state.rates.as_ref(), state.config.sms_daily_budget, now).await
    {
        tracing::warn!(code = SMS_BUDGET_SPENT, "the town's SMS budget for the day is spent; not texted");
        state.deliveries.mark_undeliverable(&claim_id, SMS_BUDGET_SPENT, keep_until).await?;
        return Ok(None);
    }
    let random = || random_token(state.ids.as_ref()).map_err(|e| StoreError::unavailable("random", e));
    let token = random()?;
    state.deliveries.issue_fix_check(&token, &ticket.id, &key, now + Duration::days(LINK_DAYS)).await?;
    let answer_url = format!("{public_url}/citizen/v1/fixed?token={token}");
    let language = ticket.reporter.language;
    let notice = fix_check::question(
        &state.config.town_name,
        ticket.id.as_str(),
        &ticket.service_name,
        language,
        &answer_url,
    );
    let outcome = match &contact {
        Contact::Sms(phone) => state.messenger.send_sms(phone, &notice.sms).await,
        Contact::Email(address) => {
            let unsubscribe = random()?;
            let until = now + Duration::days(UNSUBSCRIBE_LINK_DAYS);
            state.deliveries.issue_unsubscribe(&unsubscribe, &ticket.id, &key, until).await?;
            let unsubscribe_url = format!("{public_url}/citizen/v1/unsubscribe?token={unsubscribe}");
            let email = OutgoingEmail {
                to: address.clone(),
                subject: notice.subject,
                body: notice.body + &town311::domain::notice::footer(language, &unsubscribe_url),
                unsubscribe_url,
                reply_to: None,
            };
            state.messenger.send_email(&email).await
        }
    };
    let channel = contact.channel();
    match outcome {
        Ok(()) => {
            tracing::info!(%channel, language = language.as_str(), "asked whether it was fixed");
            Ok(Some(true))
        }
        Err(SendError::Refused { code }) => {
            tracing::warn!(%channel, code = code.as_str(), "recipient refused for good; kept as undeliverable");
            state.deliveries.mark_undeliverable(&claim_id, &code, keep_until).await?;
            Ok(None)
        }
        Err(SendError::Failed(error)) => {
            let error = contact.redact(&town311::runtime::chain(&error));
            tracing::warn!(%channel, %error, "the question failed; the run's retry sends it");
            state.deliveries.release(&claim_id).await?;
            Ok(Some(false))
        }
    }
}
