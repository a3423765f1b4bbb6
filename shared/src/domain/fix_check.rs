//! "Was it fixed?": some days after a request is closed (the town's `FIXED_CHECK_DAYS`, 7 by
//! default), its reporter, if they gave a contact for updates, gets one message asking whether
//! the problem is fixed, with a "yes" and a "no" link. The answer (and an optional comment) is
//! kept as the reporter's update on the ticket ([`Change::CitizenUpdate`] with status `FIXED`
//! or `NOT_FIXED` and a receipt naming the closing it answers), once per closing; "no" within
//! the reopen window reopens the request. The figures count the answers (share confirmed fixed).

use crate::domain::contact::Language;
use crate::domain::lifecycle::{CitizenUpdate, LifecycleError, REOPEN_WINDOW_DAYS};
use crate::domain::status::Status;
use crate::domain::ticket::{Actor, Change, HistoryEntry, Ticket};
use chrono::{DateTime, Duration, Utc};

/// Days after closing the question goes out, unless the town says otherwise (0 turns it off).
pub const DEFAULT_DAYS: u32 = 7;
/// The most days a town may wait.
pub const MAX_DAYS: u32 = 365;
/// A closing this many days past due is still asked about (a daily run that failed a day or
/// two catches up); older ones are left alone.
pub const CATCH_UP_DAYS: i64 = 3;
/// How long the links of the question work.
pub const LINK_DAYS: i64 = 30;
/// The receipt of an answer starts with this, then the closing's time in milliseconds.
pub const RECEIPT_PREFIX: &str = "fix-check:";
/// The status an answer records.
pub const FIXED: &str = "FIXED";
pub const NOT_FIXED: &str = "NOT_FIXED";
/// The longest comment kept.
pub const MAX_COMMENT_CHARS: usize = 1000;

/// The closing a question is about: its time, in milliseconds (tickets closed again are asked
/// again).
pub fn closing(ticket: &Ticket) -> Option<i64> {
    (ticket.status == Status::Closed)
        .then(|| ticket.closed_at.unwrap_or(ticket.updated_at).timestamp_millis())
}

/// The claim that keeps a question to one per closing.
pub fn claim_id(ticket: &Ticket) -> Option<String> {
    closing(ticket).map(|at| format!("fix-check#{}#{at}", ticket.id))
}

/// Whether `ticket` is due its question at `now`, `days` after closing: closed at least that
/// long ago and not more than [`CATCH_UP_DAYS`] longer, by a staff member (a duplicate merged
/// away or a request its reporter closed is not asked about), with a reporter to ask. `days` 0
/// asks nothing.
pub fn is_due(ticket: &Ticket, now: DateTime<Utc>, days: u32) -> bool {
    closing_is_due(ticket, now, days)
        && crate::domain::follower::Contact::of_reporter(&ticket.reporter).is_some()
}

/// Whether a ticket's closing is due its question at `now`, whoever its reporter (a ticket read
/// from an index holds no contact: the reporter's is read with the ticket by number).
pub fn closing_is_due(ticket: &Ticket, now: DateTime<Utc>, days: u32) -> bool {
    if days == 0 || ticket.status != Status::Closed || ticket.parent.is_some() {
        return false;
    }
    let closed = ticket.closed_at.unwrap_or(ticket.updated_at);
    let due = closed + Duration::days(i64::from(days));
    due <= now && now - due < Duration::days(CATCH_UP_DAYS)
}

/// The oldest last change a due ticket can have: closed tickets updated before it need not be
/// read.
pub fn oldest_update(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    now - Duration::days(i64::from(days) + CATCH_UP_DAYS)
}

/// What the reporter answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub fixed: bool,
    pub comment: Option<String>,
}

/// Why an answer was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the request is not closed")]
    NotClosed,
    #[error("this request was answered already")]
    Answered,
    #[error("the comment is too long (at most {MAX_COMMENT_CHARS} characters)")]
    Comment,
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
}

impl Answer {
    /// Reads an answer: `yes` or `no`, and an optional comment.
    pub fn parse(answer: &str, comment: Option<&str>) -> Option<Result<Self, AnswerError>> {
        let fixed = match answer.trim() {
            "yes" => true,
            "no" => false,
            _ => return None,
        };
        let comment = comment.map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned);
        if comment.as_ref().is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
            return Some(Err(AnswerError::Comment));
        }
        Some(Ok(Self { fixed, comment }))
    }
}

/// Whether a history entry is the reporter's answer to the question, and which.
pub fn answer_of(entry: &HistoryEntry) -> Option<bool> {
    match &entry.change {
        Change::CitizenUpdate { status: Some(status), receipt: Some(receipt), .. }
            if receipt.starts_with(RECEIPT_PREFIX) && entry.actor == Actor::Reporter =>
        {
            match status.as_str() {
                FIXED => Some(true),
                NOT_FIXED => Some(false),
                _ => None,
            }
        }
        _ => None,
    }
}

impl Ticket {
    /// Takes the reporter's answer about the closing the question asked of: one history entry,
    /// the reporter's update (internal unless it reopened the request), written once per
    /// closing. "Not fixed" within the reopen window reopens the request as the reporter's own
    /// reopen does; past it, the answer is kept and the request stays closed.
    pub fn answer_fix_check(
        &self,
        answer: &Answer,
        history: &[HistoryEntry],
        now: DateTime<Utc>,
    ) -> Result<(Ticket, HistoryEntry), AnswerError> {
        let at = closing(self).ok_or(AnswerError::NotClosed)?;
        let receipt = format!("{RECEIPT_PREFIX}{at}");
        let answered = |e: &HistoryEntry| matches!(&e.change, Change::CitizenUpdate { receipt: Some(r), .. } if *r == receipt);
        if history.iter().any(answered) {
            return Err(AnswerError::Answered);
        }
        let update = CitizenUpdate {
            text: answer.comment.clone(),
            status: Some(if answer.fixed { FIXED } else { NOT_FIXED }.to_owned()),
            by_reporter: true,
            receipt: Some(receipt),
            ..CitizenUpdate::default()
        };
        let closed = self.closed_at.unwrap_or(self.updated_at);
        let reopen = !answer.fixed && now - closed <= Duration::days(REOPEN_WINDOW_DAYS);
        Ok(self.take_update(&update, reopen, now)?)
    }
}

/// The question, in the reporter's language: a text and an email.
pub fn question(
    town: &str,
    ticket_id: &str,
    service_name: &str,
    language: Language,
    answer_url: &str,
) -> crate::domain::notice::Notice {
    let (yes, no) = (format!("{answer_url}&answer=yes"), format!("{answer_url}&answer=no"));
    match language {
        Language::En => crate::domain::notice::Notice {
            sms: format!("{town} 311: is request {ticket_id} fixed? Tell us: {answer_url}"),
            subject: format!("{town} 311: was request {ticket_id} fixed?"),
            body: format!(
                "We closed your {town} 311 request {ticket_id} ({service_name}). Is the problem fixed?\n\n\
                 Yes, it is fixed: {yes}\n\
                 No, it is not: {no}\n\n\
                 You can add a comment on the page the link opens. If it is not fixed, the request is \
                 reopened and the department is told.\n"
            ),
        },
        Language::Es => crate::domain::notice::Notice {
            sms: format!("{town} 311: ¿se resolvió la solicitud {ticket_id}? Díganos: {answer_url}"),
            subject: format!("{town} 311: ¿se resolvió la solicitud {ticket_id}?"),
            body: format!(
                "Cerramos su solicitud {ticket_id} de {town} 311 ({service_name}). ¿Se resolvió el problema?\n\n\
                 Sí, está resuelto: {yes}\n\
                 No, no lo está: {no}\n\n\
                 Puede añadir un comentario en la página que abre el enlace. Si no está resuelto, la \
                 solicitud se reabre y se avisa al departamento.\n"
            ),
        },
    }
}

#[cfg(test)]
mod tests;
