//! What staff (and reporters) do to a ticket, and the rules that keep its story honest. Every
//! action yields the changed ticket and exactly one history entry, written together.

use crate::domain::catalog::Service;
use crate::domain::conversation::Conversation;
use crate::domain::id::TicketId;
use crate::domain::routing::MAX_ASSIGNEE_CHARS;
use crate::domain::status::{Resolution, Status};
use crate::domain::ticket::{Actor, Change, HistoryEntry, Ticket};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde::Deserialize;

/// How long after closing a reporter may reopen a ticket ("still broken").
pub const REOPEN_WINDOW_DAYS: i64 = 30;
/// How far ahead work may be scheduled.
pub const MAX_SCHEDULE_DAYS: i64 = 2 * 366;
/// The longest note or referral text.
pub const MAX_NOTE_CHARS: usize = 4000;
/// The longest message to citizens: a few text messages' worth, a short email.
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// A change someone asks for.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Move along the lifecycle; closing needs a resolution.
    SetStatus {
        status: Status,
        #[serde(default)]
        resolution: Option<Resolution>,
        /// Where to turn instead, for `not_our_responsibility`.
        #[serde(default)]
        referral: Option<String>,
        /// A photo of the finished work, closing only: an upload (`POST /staff/v1/uploads`)
        /// that goes through the photo pipeline and is shown on the status page.
        #[serde(default)]
        after_photo: Option<String>,
    },
    /// Give the ticket to a person (or back to the queue with `null`).
    Assign {
        assignee: Option<String>,
    },
    /// Hand the ticket to another department (the handler checks it exists).
    Move {
        department: String,
    },
    Schedule {
        at: DateTime<Utc>,
    },
    /// Correct the service; the handler resolves the code to a service.
    Recategorize {
        service_code: String,
    },
    /// Say where the request is (one that came by email or text, or a place to correct): an
    /// address, a point, or both; the handler gives an address it knows its point.
    Locate {
        #[serde(default)]
        address_string: Option<String>,
        #[serde(default)]
        lat: Option<f64>,
        #[serde(default)]
        long: Option<f64>,
    },
    Note {
        text: String,
        #[serde(default)]
        public: bool,
    },
    /// Write to the reporter (or the reporter and the followers) on their own channel; kept in
    /// the history, public only when `public`.
    Message {
        text: String,
        #[serde(default)]
        to: crate::domain::ticket::Audience,
        #[serde(default)]
        public: bool,
    },
    /// Close this ticket as a duplicate of `parent` (the handler writes the parent's side).
    Merge {
        parent: TicketId,
    },
    /// Hide a photo from the public (or show it again).
    HidePhoto {
        photo: String,
        #[serde(default = "yes")]
        hidden: bool,
    },
    /// Replace the description or a public note (see [`crate::domain::redaction`]).
    Redact(crate::domain::redaction::Redaction),
    /// Take the whole request off the public lists, with why.
    Hide(crate::domain::redaction::Hidden),
    /// Put a hidden request back.
    Unhide,
}

fn yes() -> bool {
    true
}

/// The reporter's "still broken".
const REOPEN: Action =
    Action::SetStatus { status: Status::Reopened, resolution: None, referral: None, after_photo: None };

/// A citizen's update as an Open311 app sends it (mySociety's `POST servicerequestupdates`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CitizenUpdate {
    pub text: Option<String>,
    /// Links to the update's photos (never fetched).
    pub media_urls: Vec<String>,
    /// The status the app gave, upper-cased (`OPEN`, `CLOSED`, `FIXED`...).
    pub status: Option<String>,
    /// Whether it came with the reporter's own email or phone number.
    pub by_reporter: bool,
    /// When the citizen wrote it, if the app said.
    pub written_at: Option<DateTime<Utc>>,
    /// What finds the entry again when the app sends the same update twice.
    pub receipt: Option<String>,
}

impl CitizenUpdate {
    /// Whether the app says the request is open: FixMyStreet's "still broken".
    pub fn says_open(&self) -> bool {
        matches!(self.status.as_deref(), Some("OPEN" | "REOPEN" | "REOPENED"))
    }
}

/// What a citizen wrote to a ticket by email or text, as the inbound function read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenMessage {
    /// The answer without quoted history and signature ([`crate::domain::conversation::answer_text`]).
    pub text: String,
    pub channel: crate::domain::ticket::Channel,
    /// Uploads of the photos it brought, already stored for the photo function.
    pub uploads: Vec<String>,
    /// The mail's or the text's own id.
    pub receipt: String,
    /// Whether it came from the reporter's own email or number.
    pub from_reporter: bool,
}

/// Why an action was refused. Every message is fit for the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("a ticket cannot go from {from} to {to}")]
    Transition { from: &'static str, to: &'static str },
    #[error("closing a ticket needs a resolution")]
    NoResolution,
    #[error("a resolution is given only when closing")]
    ResolutionWhileOpen,
    #[error("closing as a duplicate is done by merging into the parent request")]
    DuplicateWithoutParent,
    #[error("'not our responsibility' needs referral text saying where to turn")]
    NoReferral,
    #[error("{0} is empty or too long (at most 4000 characters)")]
    Text(&'static str),
    #[error("the ticket is already {0}")]
    Unchanged(&'static str),
    #[error("a closed ticket cannot be changed; reopen it first")]
    Closed,
    #[error("a ticket cannot be merged into itself")]
    SelfMerge,
    #[error("the schedule must be in the future")]
    PastSchedule,
    #[error("work can be scheduled at most {MAX_SCHEDULE_DAYS} days ahead")]
    FarSchedule,
    #[error("the reopen window of {REOPEN_WINDOW_DAYS} days has passed")]
    ReopenWindow,
    #[error("the ticket has no photo {0}")]
    NoSuchPhoto(String),
    #[error("text is empty or too long for a message (at most {MAX_MESSAGE_CHARS} characters)")]
    MessageText,
    #[error("{0}")]
    Place(String),
    #[error("after_photo is given only when closing, and must be an upload id")]
    AfterPhoto,
    #[error("{0}")]
    Redaction(String),
}

fn text(value: &str, field: &'static str) -> Result<String, LifecycleError> {
    let value = value.trim();
    if value.is_empty()
        || value.chars().count() > MAX_NOTE_CHARS
        || value.chars().any(|c| c.is_control() && c != '\n')
    {
        return Err(LifecycleError::Text(field));
    }
    Ok(value.to_owned())
}

/// The resolved targets some actions need, looked up by the handler.
#[derive(Debug, Default)]
pub struct Targets<'a> {
    /// For `Recategorize`: the new service.
    pub service: Option<&'a Service>,
    /// For `Redact`: the ticket's history, where its notes are.
    pub history: &'a [HistoryEntry],
}

impl Ticket {
    /// Applies `action` by `actor` at `now`, giving the new ticket and its history entry.
    pub fn apply(
        &self,
        action: &Action,
        actor: Actor,
        now: DateTime<Utc>,
        targets: Targets<'_>,
    ) -> Result<(Ticket, HistoryEntry), LifecycleError> {
        let mut next = self.clone();
        let open_only = || if self.status.is_open() { Ok(()) } else { Err(LifecycleError::Closed) };
        let (change, public) = match action {
            Action::SetStatus { status, resolution, referral, after_photo } => {
                if !self.status.allows(*status) {
                    return Err(LifecycleError::Transition {
                        from: self.status.as_str(),
                        to: status.as_str(),
                    });
                }
                if self.status == Status::Closed && actor == Actor::Reporter {
                    let closed = self.closed_at.unwrap_or(self.updated_at);
                    if now - closed > Duration::days(REOPEN_WINDOW_DAYS) {
                        return Err(LifecycleError::ReopenWindow);
                    }
                }
                let referral = match (status, resolution) {
                    (Status::Closed, None) => return Err(LifecycleError::NoResolution),
                    (Status::Closed, Some(Resolution::Duplicate)) => {
                        return Err(LifecycleError::DuplicateWithoutParent);
                    }
                    (Status::Closed, Some(Resolution::NotOurResponsibility)) => {
                        let given = referral
                            .as_deref()
                            .filter(|r| !r.trim().is_empty())
                            .ok_or(LifecycleError::NoReferral)?;
                        Some(text(given, "referral")?)
                    }
                    (Status::Closed, Some(_)) => None,
                    (_, Some(_)) => return Err(LifecycleError::ResolutionWhileOpen),
                    (_, None) => None,
                };
                if after_photo
                    .as_deref()
                    .is_some_and(|p| *status != Status::Closed || !crate::domain::photo::is_upload_id(p))
                {
                    return Err(LifecycleError::AfterPhoto);
                }
                if let Some(upload) = after_photo {
                    next.uploads.push(upload.clone());
                    next.after_uploads.push(upload.clone());
                }
                next.status = *status;
                next.resolution = *resolution;
                if *status == Status::Closed {
                    next.closed_at = Some(now);
                    next.conversation = None;
                    if let Some(referral) = &referral {
                        next.status_notes = Some(referral.clone());
                    }
                } else if self.status == Status::Closed {
                    next.closed_at = None;
                    next.parent = None;
                }
                let change = Change::StatusChanged {
                    from: self.status,
                    to: *status,
                    resolution: *resolution,
                    referral,
                    after_photo: after_photo.clone(),
                };
                (change, true)
            }
            Action::Assign { assignee } => {
                open_only()?;
                let assignee = assignee.as_deref().map(|a| text(a, "assignee")).transpose()?;
                if assignee
                    .as_ref()
                    .is_some_and(|a| a.chars().count() > MAX_ASSIGNEE_CHARS || a.contains('\n'))
                {
                    return Err(LifecycleError::Text("assignee"));
                }
                if assignee == self.assignee {
                    return Err(LifecycleError::Unchanged(if assignee.is_some() {
                        "assigned to them"
                    } else {
                        "unassigned"
                    }));
                }
                // Giving a fresh ticket to someone is what "assigned" means to the citizen.
                if assignee.is_some()
                    && matches!(self.status, Status::Submitted | Status::Acknowledged | Status::Reopened)
                {
                    next.status = Status::Assigned;
                }
                next.assignee = assignee.clone();
                (Change::Assigned { assignee }, true)
            }
            Action::Move { department } => {
                open_only()?;
                let department = text(department, "department")?;
                if department == self.department {
                    return Err(LifecycleError::Unchanged("with that department"));
                }
                next.department = department.clone();
                next.assignee = None;
                (Change::Moved { from: self.department.clone(), to: department }, true)
            }
            Action::Schedule { at } => {
                open_only()?;
                if *at <= now {
                    return Err(LifecycleError::PastSchedule);
                }
                if *at - now > Duration::days(MAX_SCHEDULE_DAYS) {
                    return Err(LifecycleError::FarSchedule);
                }
                if self.status != Status::Scheduled && !self.status.allows(Status::Scheduled) {
                    return Err(LifecycleError::Transition { from: self.status.as_str(), to: "scheduled" });
                }
                next.status = Status::Scheduled;
                next.scheduled_for = Some(*at);
                next.expected_at = Some(*at);
                (Change::Scheduled { at: *at }, true)
            }
            Action::Recategorize { service_code } => {
                open_only()?;
                let service = targets
                    .service
                    .filter(|s| &s.code == service_code)
                    .ok_or(LifecycleError::Text("service_code"))?;
                if service.code == self.service_code {
                    return Err(LifecycleError::Unchanged("in that category"));
                }
                next.service_code = service.code.clone();
                next.service_name = service.name.clone();
                if next.department != service.department {
                    next.department = service.department.clone();
                    next.assignee = None;
                }
                (Change::Recategorized { from: self.service_code.clone(), to: service.code.clone() }, true)
            }
            Action::Locate { address_string, lat, long } => {
                open_only()?;
                let point = match (lat, long) {
                    (Some(lat), Some(long)) => Some(
                        crate::domain::location::GeoPoint::new(*lat, *long)
                            .map_err(|e| LifecycleError::Place(e.to_string()))?,
                    ),
                    (None, None) => None,
                    _ => return Err(LifecycleError::Place("lat and long come together".into())),
                };
                let address = address_string.as_deref().map(str::trim).filter(|a| !a.is_empty());
                if point.is_none() && address.is_none() {
                    return Err(LifecycleError::Place("give an address_string, or lat and long".into()));
                }
                let location = crate::domain::location::Location::new(point, address, None)
                    .map_err(|e| LifecycleError::Place(e.to_string()))?;
                if location == self.location {
                    return Err(LifecycleError::Unchanged("at that place"));
                }
                next.location = location.clone();
                (Change::Located { location }, false)
            }
            Action::Note { text: note, public } => {
                let note = text(note, "note")?;
                if *public {
                    next.status_notes = Some(note.clone());
                }
                (Change::Noted { text: note }, *public)
            }
            Action::Message { text: message, to, public } => {
                let message = text(message, "text")?;
                if message.chars().count() > MAX_MESSAGE_CHARS {
                    return Err(LifecycleError::MessageText);
                }
                if *public {
                    next.status_notes = Some(message.clone());
                }
                // A question on an open ticket waits for its answer; a word after closing does not.
                if next.status.is_open() {
                    next.conversation = Some(Conversation::WaitingForCitizen);
                }
                (Change::Messaged { text: message, to: *to }, *public)
            }
            Action::HidePhoto { photo, hidden } => {
                let shown = next
                    .photos
                    .iter_mut()
                    .find(|p| &p.id == photo)
                    .ok_or_else(|| LifecycleError::NoSuchPhoto(photo.clone()))?;
                if shown.hidden == *hidden {
                    return Err(LifecycleError::Unchanged(if *hidden { "hiding it" } else { "showing it" }));
                }
                shown.hidden = *hidden;
                (Change::PhotoHidden { photo: photo.clone(), hidden: *hidden }, false)
            }
            // Staff-only entries: the public sees only the text replaced, or the request gone.
            Action::Redact(_) | Action::Hide(_) | Action::Unhide => {
                let (moderated, change) = self.moderate(action, targets.history)?;
                next = moderated;
                (change, false)
            }
            Action::Merge { parent } => {
                open_only()?;
                if parent == &self.id {
                    return Err(LifecycleError::SelfMerge);
                }
                next.status = Status::Closed;
                next.resolution = Some(Resolution::Duplicate);
                next.parent = Some(parent.clone());
                next.closed_at = Some(now);
                next.conversation = None;
                (Change::MergedInto { parent: parent.clone() }, true)
            }
        };
        Ok(next.recorded(self.version, change, public, actor, now))
    }

    /// Whether `update` reopens this ticket: "still broken" (`OPEN` or `REOPEN`) from its
    /// reporter about a closed ticket, written after the closing, within the reopen window the
    /// reporter's own reopen has. Nothing else a citizen sends changes the ticket's status.
    pub fn reopened_by(&self, update: &CitizenUpdate, now: DateTime<Utc>) -> bool {
        let closed = self.closed_at.unwrap_or(self.updated_at);
        update.says_open()
            && update.by_reporter
            && self.status == Status::Closed
            // Apps give whole seconds: within the closing's second counts as after it.
            && update.written_at.is_none_or(|at| at >= closed.trunc_subsecs(0))
            && self.apply(&REOPEN, Actor::Reporter, now, Targets::default()).is_ok()
    }

    /// Records a citizen's update as one history entry, reopening the ticket when `reopen`
    /// (decided with [`Ticket::reopened_by`] and the handler's limits) and the rules allow. The
    /// entry is internal unless it reopened the ticket, and its text is never public.
    pub fn take_update(
        &self,
        update: &CitizenUpdate,
        reopen: bool,
        now: DateTime<Utc>,
    ) -> Result<(Ticket, HistoryEntry), LifecycleError> {
        let said = update.text.as_deref().map(|t| t.replace("\r\n", "\n").replace(['\r'], "\n"));
        let said = said.map(|t| text(&t.replace('\t', " "), "description")).transpose()?;
        if said.is_none() && update.status.is_none() {
            return Err(LifecycleError::Text("description"));
        }
        let reopened = reopen
            .then(|| self.apply(&REOPEN, Actor::Reporter, now, Targets::default()).ok())
            .flatten()
            .map(|(ticket, _)| ticket);
        let public = reopened.is_some();
        let actor = if update.by_reporter { Actor::Reporter } else { Actor::Citizen };
        let change = Change::CitizenUpdate {
            text: said,
            media_urls: update.media_urls.clone(),
            status: update.status.clone(),
            reopened: public,
            receipt: update.receipt.clone(),
        };
        Ok(reopened.unwrap_or_else(|| self.clone()).recorded(self.version, change, public, actor, now))
    }

    /// Records what a citizen wrote by email or text as one internal history entry: the
    /// conversation is then the citizen's answer, and the photos it brought wait to be
    /// attached, hidden. A closed ticket hears its citizen within the reopen window (the
    /// message does not reopen it: staff decide). `None` when the entry is already there
    /// (the same receipt: a redelivery).
    pub fn hear(
        &self,
        message: &CitizenMessage,
        history: &[HistoryEntry],
        now: DateTime<Utc>,
    ) -> Result<Option<(Ticket, HistoryEntry)>, LifecycleError> {
        let heard = |e: &HistoryEntry| matches!(&e.change, Change::CitizenMessage { receipt, .. } if receipt == &message.receipt);
        if history.iter().any(heard) {
            return Ok(None);
        }
        if self.status == Status::Closed {
            let closed = self.closed_at.unwrap_or(self.updated_at);
            if now - closed > Duration::days(REOPEN_WINDOW_DAYS) {
                return Err(LifecycleError::ReopenWindow);
            }
        }
        let said = if message.text.trim().is_empty() && !message.uploads.is_empty() {
            "(photos only)".to_owned()
        } else {
            text(&message.text.replace('\t', " "), "text")?
        };
        let mut next = self.clone();
        next.conversation = Some(Conversation::CitizenAnswered);
        for upload in &message.uploads {
            next.uploads.push(upload.clone());
            next.held_uploads.push(upload.clone());
        }
        let actor = if message.from_reporter { Actor::Reporter } else { Actor::Citizen };
        let change = Change::CitizenMessage {
            text: said,
            channel: message.channel,
            uploads: message.uploads.clone(),
            receipt: message.receipt.clone(),
        };
        Ok(Some(next.recorded(self.version, change, false, actor, now)))
    }

    /// The parent's side of a merge: one history entry, the ticket otherwise unchanged.
    pub fn absorb(
        &self,
        child: &TicketId,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<(Ticket, HistoryEntry), LifecycleError> {
        if !self.status.is_open() {
            return Err(LifecycleError::Closed);
        }
        Ok(self.clone().recorded(self.version, Change::Absorbed { child: child.clone() }, true, actor, now))
    }

    /// The routing rules' decision applied by town311 itself, with the probable duplicates
    /// found; `None` when it changes nothing. Giving a fresh ticket to a person assigns it, as
    /// when staff do; the entry is public when the citizen has something to hear (another
    /// department, or assigned).
    pub fn route(
        &self,
        routing: &crate::domain::routing::Routing,
        duplicates: Vec<TicketId>,
        now: DateTime<Utc>,
    ) -> Option<(Ticket, HistoryEntry)> {
        if !self.status.is_open() {
            return None;
        }
        let moved = routing.department != self.department;
        let assignee =
            if moved { routing.assignee.clone() } else { routing.assignee.clone().or(self.assignee.clone()) };
        let mut duplicates: Vec<TicketId> = duplicates.into_iter().filter(|d| d != &self.id).collect();
        duplicates.sort();
        duplicates.dedup();
        let new_duplicates = !duplicates.is_empty() && duplicates != self.possible_duplicates;
        if !moved && assignee == self.assignee && !new_duplicates {
            return None;
        }
        let mut next = self.clone();
        next.department = routing.department.clone();
        next.assignee = assignee.clone();
        if assignee.is_some()
            && assignee != self.assignee
            && matches!(self.status, Status::Submitted | Status::Acknowledged | Status::Reopened)
        {
            next.status = Status::Assigned;
        }
        if new_duplicates {
            next.possible_duplicates = duplicates.clone();
        }
        let public = moved || next.status != self.status;
        let change = Change::Routed {
            from: moved.then(|| self.department.clone()),
            department: routing.department.clone(),
            assignee,
            rule: routing.rule.clone(),
            duplicates: if new_duplicates { duplicates } else { Vec::new() },
        };
        Some(next.recorded(self.version, change, public, Actor::System, now))
    }

    /// This changed ticket as the version after `seen`, with the history entry recording it.
    fn recorded(
        mut self,
        seen: u64,
        change: Change,
        public: bool,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> (Ticket, HistoryEntry) {
        self.version = seen + 1;
        self.updated_at = now;
        let entry = HistoryEntry {
            ticket_id: self.id.clone(),
            version: self.version,
            at: now,
            actor,
            status: self.status,
            service_code: self.service_code.clone(),
            department: self.department.clone(),
            channel: Some(self.channel),
            change,
            public,
            private_request: self.private,
        };
        (self, entry)
    }
}

mod moderation;
mod photos;
pub use moderation::rewrites;

#[cfg(test)]
mod tests;
