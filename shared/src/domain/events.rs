//! Ticket events: what subscribers (citizen notifications, departments, integrations) hear.
//! One event per history entry, published from the table's stream (the outbox).

use crate::domain::id::TicketId;
use crate::domain::status::Status;
use crate::domain::ticket::{Change, Channel, HistoryEntry};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The kind of change an event reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    Created,
    /// The department or category changed: someone else is now responsible.
    Routed,
    Assigned,
    Scheduled,
    StatusChanged,
    PublicNote,
    /// Staff-only note; the event carries no text.
    InternalNote,
    /// This ticket was merged into another as a duplicate.
    Merged,
    /// Another ticket was merged into this one.
    DuplicateMerged,
    Closed,
    Reopened,
    /// A photo was attached, refused or hidden.
    PhotoChanged,
    /// Staff wrote to the reporter (and the followers); the event carries no text.
    Message,
    /// A citizen sent an update through an Open311 app; the event's status says whether it
    /// reopened the request. The event carries no text.
    CitizenUpdate,
    /// Staff said where the request is.
    Located,
    /// A citizen wrote to the ticket by email or text; the event carries no text. Notify tells
    /// the assignee (or the department) that the citizen answered.
    CitizenMessage,
    /// Staff redacted public text or took the request off the public lists (or put it back).
    Moderated,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Routed => "routed",
            Self::Assigned => "assigned",
            Self::Scheduled => "scheduled",
            Self::StatusChanged => "status_changed",
            Self::PublicNote => "public_note",
            Self::InternalNote => "internal_note",
            Self::Merged => "merged",
            Self::DuplicateMerged => "duplicate_merged",
            Self::Closed => "closed",
            Self::Reopened => "reopened",
            Self::PhotoChanged => "photo_changed",
            Self::Message => "message",
            Self::CitizenUpdate => "citizen_update",
            Self::CitizenMessage => "citizen_message",
            Self::Located => "located",
            Self::Moderated => "moderated",
        }
    }

    /// The event a history entry makes.
    pub fn of(entry: &HistoryEntry) -> Self {
        match &entry.change {
            Change::Submitted { .. } => Self::Created,
            Change::StatusChanged { to: Status::Closed, .. } => Self::Closed,
            Change::StatusChanged { to: Status::Reopened, .. } => Self::Reopened,
            Change::StatusChanged { .. } => Self::StatusChanged,
            Change::Assigned { .. } => Self::Assigned,
            Change::Moved { .. } | Change::Recategorized { .. } | Change::Routed { .. } => Self::Routed,
            Change::Located { .. } => Self::Located,
            Change::Scheduled { .. } => Self::Scheduled,
            Change::Noted { .. } if entry.public => Self::PublicNote,
            Change::Noted { .. } => Self::InternalNote,
            Change::MergedInto { .. } => Self::Merged,
            Change::Absorbed { .. } => Self::DuplicateMerged,
            Change::PhotoAdded { .. } | Change::PhotoRefused { .. } | Change::PhotoHidden { .. } => {
                Self::PhotoChanged
            }
            Change::Messaged { .. } => Self::Message,
            Change::CitizenUpdate { .. } => Self::CitizenUpdate,
            Change::CitizenMessage { .. } => Self::CitizenMessage,
            Change::Redacted { .. } | Change::RequestHidden { .. } => Self::Moderated,
        }
    }
}

/// One ticket event. It carries ids and codes, never the reporter's personal data nor any note
/// text: subscribers that need more read the ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEvent {
    /// Unique per change, so a replayed event can be recognised: `<ticket>/<version>/<type>`.
    pub event_id: String,
    pub event_type: EventType,
    pub ticket_id: TicketId,
    pub ticket_version: u64,
    pub service_code: String,
    pub department: String,
    /// How the request reached the town.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    pub status: Status,
    /// Whether citizens may see the change (public notes, servicerequestupdates).
    pub public: bool,
    /// Whether the notify function hears of it: every public change and staff's messages to
    /// citizens even when kept out of the public record (citizens are told), and a citizen's
    /// message (staff are told). Absent in events published before it was kept: those tell
    /// citizens when public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<bool>,
    pub at: DateTime<Utc>,
}

impl TicketEvent {
    pub fn new(entry: &HistoryEntry) -> Self {
        let event_type = EventType::of(entry);
        Self {
            event_id: format!("{}/{}/{}", entry.ticket_id, entry.version, event_type.as_str()),
            event_type,
            ticket_id: entry.ticket_id.clone(),
            ticket_version: entry.version,
            service_code: entry.service_code.clone(),
            department: entry.department.clone(),
            channel: entry.channel,
            status: entry.status,
            public: entry.public,
            notify: Some(
                entry.public
                    || matches!(entry.change, Change::Messaged { .. } | Change::CitizenMessage { .. })
                    // "Not fixed": notify tells the department, reopened or not.
                    || crate::domain::fix_check::answer_of(entry) == Some(false),
            ),
            at: entry.at,
        }
    }

    /// Whether citizens are told of this event.
    pub fn tells_citizens(&self) -> bool {
        self.event_type != EventType::CitizenMessage && self.notify.unwrap_or(self.public)
    }

    /// Whether staff are told of this event (a citizen wrote to the ticket).
    pub fn tells_staff(&self) -> bool {
        self.event_type == EventType::CitizenMessage
    }
}
