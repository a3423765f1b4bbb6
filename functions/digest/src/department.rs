//! One department's morning digest: its open requests past their expected date and those due
//! today (the local day), read from gsi5 (`DUE#<dept>`, due before the end of today, most
//! overdue first), in one email to the department's list. Nothing due, nothing sent.

use crate::{PAGE, State, end_of_day};
use chrono::{DateTime, Duration, Utc};
use town311::domain::catalog::Department;
use town311::domain::contact::Email;
use town311::domain::listing::Queue;
use town311::domain::ticket::Ticket;
use town311::ports::{OutgoingEmail, SendError, StoreError};

/// The most requests one digest lists; past it, the digest says there are more.
pub const MAX_LISTED: usize = 200;
/// How long a sent digest is remembered: past any retry of the run.
const REMEMBER_DAYS: i64 = 3;

/// What became of one department's digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Nothing overdue or due today, sent before, or nowhere to send it.
    Nothing,
    /// Failed for now; given back for the run's retry.
    Unsent,
}

/// The department's open requests due before the end of the local day, most overdue first (at
/// most [`MAX_LISTED`]), and whether there are more.
pub async fn due_by_tonight(
    state: &State,
    department: &str,
    now: DateTime<Utc>,
) -> Result<(Vec<Ticket>, bool), StoreError> {
    let today = town311::domain::stats::local_day(now, state.config.timezone);
    let queue =
        Queue::Overdue { department: department.to_owned(), now: end_of_day(today, state.config.timezone) };
    let mut tickets = Vec::new();
    let mut after = None;
    while tickets.len() < MAX_LISTED {
        let page =
            state.tickets.queue(&queue, PAGE.min(MAX_LISTED - tickets.len()), after.as_deref()).await?;
        tickets.extend(page.tickets);
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok((tickets, false)),
        }
    }
    Ok((tickets, after.is_some()))
}

/// Sends the department's digest for the local day, unless there is nothing to say or it went
/// out before.
pub async fn send(state: &State, department: &Department, now: DateTime<Utc>) -> Result<Outcome, StoreError> {
    let (tickets, more) = due_by_tonight(state, &department.code, now).await?;
    if tickets.is_empty() {
        tracing::debug!(department = %department.code, "nothing overdue or due today");
        return Ok(Outcome::Nothing);
    }
    let Ok(to) = Email::parse(&department.email) else {
        tracing::warn!(department = %department.code, "work is overdue or due today, but the department has no email to tell");
        return Ok(Outcome::Nothing);
    };
    let Some(public_url) = state.config.public_url.as_deref().filter(|_| state.config.mail_from.is_some())
    else {
        tracing::warn!("no MAIL_FROM or PUBLIC_URL: digests cannot be sent");
        return Ok(Outcome::Nothing);
    };
    let today = town311::domain::stats::local_day(now, state.config.timezone);
    let delivery_id = format!("digest#{}#{today}", department.code);
    let keep_until = now + Duration::days(REMEMBER_DAYS);
    if !state.deliveries.claim(&delivery_id, keep_until).await? {
        tracing::info!(department = %department.code, "digest sent before today; not again");
        return Ok(Outcome::Nothing);
    }
    let (subject, body) =
        compose(&state.config.town_name, department, &tickets, more, now, state.config.timezone, public_url);
    let email = OutgoingEmail { to, subject, body, unsubscribe_url: String::new(), reply_to: None };
    match state.messenger.send_email(&email).await {
        Ok(()) => {
            tracing::info!(department = %department.code, listed = tickets.len(), "digest sent");
            Ok(Outcome::Sent)
        }
        Err(SendError::Refused { code }) => {
            tracing::warn!(department = %department.code, code = code.as_str(), "the department address was refused; kept as undeliverable");
            state.deliveries.mark_undeliverable(&delivery_id, &code, keep_until).await?;
            Ok(Outcome::Nothing)
        }
        Err(SendError::Failed(error)) => {
            tracing::warn!(department = %department.code, error = %town311::runtime::chain(&error), "digest failed; the run's retry sends it");
            state.deliveries.release(&delivery_id).await?;
            Ok(Outcome::Unsent)
        }
    }
}

/// The digest's subject and text (English: staff read the admin page in English by default).
pub fn compose(
    town: &str,
    department: &Department,
    tickets: &[Ticket],
    more: bool,
    now: DateTime<Utc>,
    timezone: town311::domain::zone::TownZone,
    public_url: &str,
) -> (String, String) {
    let (overdue, today): (Vec<&Ticket>, Vec<&Ticket>) =
        tickets.iter().partition(|t| t.expected_at.is_some_and(|due| due < now));
    let local_today = town311::domain::stats::local_day(now, timezone);
    let subject = format!(
        "{town} 311, {}: {} overdue, {} due today ({})",
        department.name,
        overdue.len(),
        today.len(),
        local_today.format("%b %-d")
    );
    let line = |t: &Ticket| {
        let due = t.expected_at.map(|d| d.with_timezone(&timezone));
        let due = due.map_or_else(String::new, |d| {
            if d.date_naive() == local_today {
                format!("due {}", d.format("%-I:%M %p"))
            } else {
                let days = (local_today - d.date_naive()).num_days();
                format!("due {} ({days} day{} ago)", d.format("%b %-d"), if days == 1 { "" } else { "s" })
            }
        });
        let place = t.location.address().map(|a| format!(", {a}")).unwrap_or_default();
        let who = if t.assignee.is_some() { "assigned" } else { "unassigned" };
        format!(
            "- {} {}{place}: {due}, {}, {who}\n  {public_url}/admin?ticket={}\n",
            t.id,
            t.service_name,
            t.status.as_str().replace('_', " "),
            t.id
        )
    };
    let mut body = format!(
        "Good morning. These {} requests are past their expected date or due today, {}.\n",
        department.name,
        local_today.format("%A %B %-d")
    );
    for (title, list) in [("Overdue", &overdue), ("Due today", &today)] {
        if list.is_empty() {
            continue;
        }
        body.push_str(&format!("\n{title} ({}):\n", list.len()));
        for t in list.iter() {
            body.push_str(&line(t));
        }
    }
    if more {
        body.push_str(&format!(
            "\nThere are more than {MAX_LISTED}: see the overdue queue on the admin page.\n"
        ));
    }
    body.push_str(&format!(
        "\nThe department's queue: {public_url}/admin\n--\nSent each morning when something is overdue or due that day.\n"
    ));
    (subject, body)
}
