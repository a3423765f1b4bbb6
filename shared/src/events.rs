//! Ticket events: what subscribers (citizen notifications, departments, integrations) hear.

use crate::id::TicketId;
use crate::status::Status;
use crate::ticket::Ticket;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The kind of change an event reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    Created,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
        }
    }
}

/// One ticket event. It carries ids and codes, never the reporter's personal data: subscribers
/// that need a contact read the ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEvent {
    /// Unique per change, so a replayed event can be recognised: `<ticket>/<version>/<type>`.
    pub event_id: String,
    pub event_type: EventType,
    pub ticket_id: TicketId,
    pub ticket_version: u64,
    pub service_code: String,
    pub department: String,
    pub status: Status,
    pub at: DateTime<Utc>,
}

impl TicketEvent {
    pub fn new(event_type: EventType, ticket: &Ticket) -> Self {
        Self {
            event_id: format!("{}/{}/{}", ticket.id, ticket.version, event_type.as_str()),
            event_type,
            ticket_id: ticket.id.clone(),
            ticket_version: ticket.version,
            service_code: ticket.service_code.clone(),
            department: ticket.department.clone(),
            status: ticket.status,
            at: ticket.updated_at,
        }
    }
}
