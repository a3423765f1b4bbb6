//! Telling staff that a citizen wrote to a ticket: one email to the ticket's assignee (staff
//! sign in with their email address), or to its department's address when nobody has it or
//! the assignee is not an address. It names the ticket and links to it; the citizen's words
//! stay on the ticket.

use crate::{NotifyError, REMEMBER_SENT_DAYS, State};
use chrono::Duration;
use town311::domain::contact::Email;
use town311::domain::events::TicketEvent;
use town311::ports::{OutgoingEmail, SendError};

/// Sends the one notice a citizen's message makes, unless it went out before.
pub(crate) async fn tell(state: &State, event: &TicketEvent) -> Result<(), NotifyError> {
    let Some(ticket) = state.tickets.get(&event.ticket_id).await? else { return Ok(()) };
    let assignee = ticket.assignee.as_deref().and_then(|a| Email::parse(a).ok());
    let to = match assignee {
        Some(email) => email,
        None => {
            let department = state.catalog.department(&ticket.department).await?;
            let Some(email) = department.and_then(|d| Email::parse(&d.email).ok()) else {
                tracing::warn!(department = %ticket.department, "nobody to tell that the citizen wrote: no assignee address, no department email");
                return Ok(());
            };
            email
        }
    };
    let Some(public_url) = state.config.public_url.as_deref().filter(|_| state.config.mail_from.is_some())
    else {
        tracing::warn!("no MAIL_FROM or PUBLIC_URL: staff cannot be told that the citizen wrote");
        return Ok(());
    };
    let now = state.clock.now();
    let delivery_id = format!("{}#staff", event.event_id);
    let keep_until = now + Duration::days(REMEMBER_SENT_DAYS);
    if !state.deliveries.claim(&delivery_id, keep_until).await? {
        tracing::info!("staff told before; not again");
        return Ok(());
    }
    let town = &state.config.town_name;
    let email = OutgoingEmail {
        to,
        subject: format!("{town} 311: the citizen wrote about request {}", ticket.id),
        body: format!(
            "The citizen wrote about request {} ({}, {}).\n\nRead it and answer on the ticket: {public_url}/admin?ticket={}\n",
            ticket.id,
            ticket.service_name,
            ticket.status.as_str().replace('_', " "),
            ticket.id
        ),
        unsubscribe_url: String::new(),
        reply_to: None,
    };
    let to_assignee =
        ticket.assignee.is_some() && email.to.as_str() == ticket.assignee.as_deref().unwrap_or_default();
    match state.messenger.send_email(&email).await {
        Ok(()) => {
            tracing::info!(to_assignee, "staff told that the citizen wrote");
            Ok(())
        }
        Err(SendError::Refused { code }) => {
            tracing::warn!(code = code.as_str(), "the staff address was refused; kept as undeliverable");
            state.deliveries.mark_undeliverable(&delivery_id, &code, keep_until).await?;
            Ok(())
        }
        Err(SendError::Failed(error)) => {
            tracing::warn!(error = %town311::runtime::chain(&error), "telling staff failed; it will be retried");
            state.deliveries.release(&delivery_id).await?;
            Err(NotifyError::Unsent(1))
        }
    }
}

/// Tells the ticket's department list that its reporter answered "not fixed" to the question
/// some days after closing (and whether that reopened it), once. Any other update is no news
/// for staff here.
pub(crate) async fn tell_not_fixed(state: &State, event: &TicketEvent) -> Result<(), NotifyError> {
    let history = state.tickets.history(&event.ticket_id).await?;
    let Some(entry) = history.iter().find(|e| e.version == event.ticket_version) else { return Ok(()) };
    if town311::domain::fix_check::answer_of(entry) != Some(false) {
        return Ok(());
    }
    let department = state.catalog.department(&entry.department).await?;
    let Some(to) = department.and_then(|d| Email::parse(&d.email).ok()) else {
        tracing::warn!(department = %entry.department, "nobody to tell that a request is not fixed: no department email");
        return Ok(());
    };
    let Some(public_url) = state.config.public_url.as_deref().filter(|_| state.config.mail_from.is_some())
    else {
        tracing::warn!(
            "no MAIL_FROM or PUBLIC_URL: the department cannot be told that a request is not fixed"
        );
        return Ok(());
    };
    let now = state.clock.now();
    let delivery_id = format!("{}#not-fixed", event.event_id);
    let keep_until = now + Duration::days(REMEMBER_SENT_DAYS);
    if !state.deliveries.claim(&delivery_id, keep_until).await? {
        tracing::info!("department told before; not again");
        return Ok(());
    }
    let town = &state.config.town_name;
    let reopened = entry.status == town311::domain::status::Status::Reopened;
    let what = if reopened {
        "It is reopened and back in your queue."
    } else {
        "It was closed too long ago to reopen; the answer is kept on the ticket."
    };
    let email = OutgoingEmail {
        to,
        subject: format!("{town} 311: request {} is not fixed, its reporter says", event.ticket_id),
        body: format!(
            "The reporter of request {} ({}) answered \"no\" when asked whether it was fixed. {what}\n\n\
             Read their answer on the ticket: {public_url}/admin?ticket={}\n",
            event.ticket_id, event.service_code, event.ticket_id
        ),
        unsubscribe_url: String::new(),
        reply_to: None,
    };
    match state.messenger.send_email(&email).await {
        Ok(()) => {
            tracing::info!(reopened, "department told that a request is not fixed");
            Ok(())
        }
        Err(SendError::Refused { code }) => {
            tracing::warn!(code = code.as_str(), "the department address was refused; kept as undeliverable");
            state.deliveries.mark_undeliverable(&delivery_id, &code, keep_until).await?;
            Ok(())
        }
        Err(SendError::Failed(error)) => {
            tracing::warn!(error = %town311::runtime::chain(&error), "telling the department failed; it will be retried");
            state.deliveries.release(&delivery_id).await?;
            Err(NotifyError::Unsent(1))
        }
    }
}
