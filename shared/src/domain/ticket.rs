//! A ticket: one citizen service request, and the history of what happened to it.

use crate::domain::catalog::{Answers, Service};
use crate::domain::contact::Reporter;
use crate::domain::description::Description;
use crate::domain::id::TicketId;
use crate::domain::location::Location;
use crate::domain::status::{Resolution, Status};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a request reached the town.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Web,
    Phone,
    WalkIn,
    Email,
    Sms,
    MobileApp,
    Open311,
}

/// A service request and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    pub service_code: String,
    pub service_name: String,
    /// The code of the department responsible.
    pub department: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Description>,
    pub location: Location,
    #[serde(default, skip_serializing_if = "Answers::is_empty")]
    pub answers: Answers,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media_urls: Vec<String>,
    /// Personal data: staff only.
    #[serde(default)]
    pub reporter: Reporter,
    pub channel: Channel,
    pub requested_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_at: Option<DateTime<Utc>>,
    /// The latest public note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_notes: Option<String>,
    /// How a closed ticket ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    /// Who handles it now (a staff account); internal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// When the work is scheduled for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_for: Option<DateTime<Utc>>,
    /// When it was last closed (the reporter may reopen it for a while after).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// The request this one was merged into as a duplicate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<TicketId>,
    /// Open requests nearby of the same service, flagged by routing for staff to merge; internal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub possible_duplicates: Vec<TicketId>,
    /// Uploads (their ids) named by the request, waiting to be processed (never shown as they are).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uploads: Vec<String>,
    /// Processed photos, in the order they were attached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<crate::domain::photo::Photo>,
    /// Increases with every change; writes name the version they saw.
    pub version: u64,
    /// A request of a private service: never in public lists, updates or maps, and a lookup by
    /// its number shows its status only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub private: bool,
    /// Where the conversation with the citizen stands (staff only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<crate::domain::conversation::Conversation>,
    /// Uploads a citizen's message brought: attached hidden, as the citizen did not publish them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held_uploads: Vec<String>,
    /// Uploads staff closed the ticket with: the finished work, shown as such once processed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after_uploads: Vec<String>,
    /// Staff took the request off the public lists, and why (staff only): it is `private` then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<crate::domain::redaction::Hidden>,
}

/// A request as submitted, checked field by field but not yet against its service.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub service_code: String,
    pub location: Location,
    pub description: Option<Description>,
    pub answers: Answers,
    pub media_urls: Vec<String>,
    pub reporter: Reporter,
    pub channel: Channel,
    /// Ids of the photos uploaded for the request (straight to S3, or in its multipart body).
    pub uploads: Vec<String>,
}

impl NewRequest {
    /// What the request says, as a SHA-256 (hex) of its checked fields and of the `photos` sent
    /// with it: a retry under the same `Idempotency-Key` has the same, a different report does
    /// not. Upload ids drawn for the photos on arrival are left out (they differ on a retry).
    pub fn fingerprint(&self, photos: &[&[u8]]) -> String {
        use sha2::{Digest, Sha256};
        let photos: Vec<String> = photos.iter().map(|p| hex(&Sha256::digest(p))).collect();
        let fields = serde_json::json!({
            "service_code": self.service_code,
            "location": self.location,
            "description": self.description,
            "answers": self.answers,
            "media_urls": self.media_urls,
            "reporter": self.reporter,
            "channel": self.channel,
            "uploads": self.uploads,
            "photos": photos,
        });
        hex(&Sha256::digest(fields.to_string().as_bytes()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Actor {
    /// The reporter, through the channel they used.
    Reporter,
    /// A staff member, by account name.
    Staff(String),
    /// A member of the public other than the reporter (an update sent by an Open311 app).
    Citizen,
    /// town311 itself (routing, schedules).
    System,
}

/// What changed, as kept in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    Submitted {
        channel: Channel,
        service_code: String,
        department: String,
    },
    StatusChanged {
        from: Status,
        to: Status,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resolution: Option<Resolution>,
        /// Where the citizen should turn instead (not our responsibility).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        referral: Option<String>,
        /// The upload of the finished work's photo staff closed with.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_photo: Option<String>,
    },
    Assigned {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        assignee: Option<String>,
    },
    Moved {
        from: String,
        to: String,
    },
    Scheduled {
        at: DateTime<Utc>,
    },
    Recategorized {
        from: String,
        to: String,
    },
    /// Staff said where the request is (routing then places it again by area).
    Located {
        location: Location,
    },
    Noted {
        text: String,
    },
    /// This ticket was merged into `parent` as a duplicate.
    MergedInto {
        parent: TicketId,
    },
    /// `child` was merged into this ticket.
    Absorbed {
        child: TicketId,
    },
    /// A processed photo was attached.
    PhotoAdded {
        photo: String,
    },
    /// An upload was not an image town311 can publish; it was deleted (staff see why).
    PhotoRefused {
        upload: String,
        reason: String,
    },
    /// Staff hid a photo from the public (a face, a licence plate), or showed it again.
    PhotoHidden {
        photo: String,
        hidden: bool,
    },
    /// Staff wrote to the reporter, or to the reporter and the followers: each hears it on
    /// their own channel, whether or not the entry is public.
    Messaged {
        text: String,
        #[serde(default)]
        to: Audience,
    },
    /// A citizen's update sent by an Open311 app (FixMyStreet): staff read its text, the public
    /// only that it reopened the request, if it did. The sender's contact is not kept.
    CitizenUpdate {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        media_urls: Vec<String>,
        /// The status the app gave (`OPEN`, `CLOSED`, `FIXED`...), upper-cased; only "still
        /// broken" from the reporter changes the ticket.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        reopened: bool,
        /// The app's id of the update, hashed with who sent it: a retry finds this entry.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        receipt: Option<String>,
    },
    /// A citizen wrote to the ticket by email or text (an answer to staff, or more about the
    /// request); staff only. Its photos go through the photo pipeline and are attached hidden.
    CitizenMessage {
        text: String,
        channel: Channel,
        /// The uploads the message brought, attached as they are processed.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        uploads: Vec<String>,
        /// The mail's or the text's own id: a redelivery finds this entry.
        receipt: String,
    },
    /// The routing rules placed the ticket (department and person) and flagged probable
    /// duplicates.
    Routed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        department: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        assignee: Option<String>,
        /// The rule that decided, if one did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        duplicates: Vec<TicketId>,
    },
    /// Staff replaced public text (the description, or the note of history entry `entry`) with
    /// `text`; staff only. The original is kept unless it was personal data.
    Redacted {
        target: crate::domain::redaction::Target,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entry: Option<u64>,
        reason: crate::domain::redaction::Reason,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        original: Option<String>,
    },
    /// Staff took the request off the public lists (or put it back); staff only.
    RequestHidden {
        hidden: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<crate::domain::redaction::Reason>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
}

/// Who a staff message is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The person who reported the request.
    #[default]
    Reporter,
    /// The reporter and every confirmed follower.
    Everyone,
}

/// One immutable line of a ticket's history, written in the same transaction as the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub ticket_id: TicketId,
    /// The ticket version this change produced; unique within the ticket.
    pub version: u64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub status: Status,
    /// The service and department after the change, so subscribers can filter its event.
    #[serde(default)]
    pub service_code: String,
    #[serde(default)]
    pub department: String,
    /// How the request reached the town (entries written before it was kept have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    pub change: Change,
    /// Whether citizens may see this entry.
    pub public: bool,
    /// The entry is of a private service's request: never listed publicly, even when `public`
    /// (the reporter still hears of it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub private_request: bool,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Phone => "phone",
            Self::WalkIn => "walk_in",
            Self::Email => "email",
            Self::Sms => "sms",
            Self::MobileApp => "mobile_app",
            Self::Open311 => "open311",
        }
    }
}

impl Change {
    /// The change's kind, as Open311 notes name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Submitted { .. } => "submitted",
            Self::StatusChanged { .. } => "status_changed",
            Self::Assigned { .. } => "assigned",
            Self::Moved { .. } => "department_changed",
            Self::Scheduled { .. } => "scheduled",
            Self::Recategorized { .. } => "category_changed",
            Self::Located { .. } => "place_changed",
            Self::Noted { .. } => "note",
            Self::MergedInto { .. } => "merged",
            Self::Absorbed { .. } => "duplicate_merged",
            Self::Routed { .. } => "routed",
            Self::PhotoAdded { .. } => "photo_added",
            Self::PhotoRefused { .. } => "photo_refused",
            Self::PhotoHidden { .. } => "photo_hidden",
            Self::Messaged { .. } => "message",
            Self::CitizenUpdate { .. } => "citizen_update",
            Self::CitizenMessage { .. } => "citizen_message",
            Self::Redacted { .. } => "redacted",
            Self::RequestHidden { hidden: true, .. } => "request_hidden",
            Self::RequestHidden { hidden: false, .. } => "request_shown",
        }
    }

    /// Uploads this change brings to the ticket: each is linked to it when the change is written.
    pub fn new_uploads(&self) -> &[String] {
        match self {
            Self::CitizenMessage { uploads, .. } => uploads,
            Self::StatusChanged { after_photo, .. } => after_photo.as_slice(),
            _ => &[],
        }
    }

    /// The note text this change carries, if any.
    pub fn note(&self) -> Option<&str> {
        match self {
            Self::Noted { text } | Self::Messaged { text, .. } | Self::CitizenMessage { text, .. } => {
                Some(text)
            }
            Self::StatusChanged { referral, .. } => referral.as_deref(),
            _ => None,
        }
    }
}

impl HistoryEntry {
    /// mySociety's status after this change (a closing change tells how it closed).
    pub fn extended_status(&self) -> &'static str {
        match &self.change {
            Change::StatusChanged { to: Status::Closed, resolution: Some(r), .. } => r.extended(),
            Change::MergedInto { .. } => Resolution::Duplicate.extended(),
            _ => self.status.extended(),
        }
    }
}

impl Ticket {
    /// Opens a ticket for a request whose answers were checked against `service`, in the
    /// service's department.
    pub fn open(
        id: TicketId,
        service: &Service,
        request: NewRequest,
        now: DateTime<Utc>,
    ) -> (Self, HistoryEntry) {
        Self::open_in(id, service, &service.department, request, now)
    }

    /// Opens a ticket in `department` (where the routing rules send it).
    pub fn open_in(
        id: TicketId,
        service: &Service,
        department: &str,
        request: NewRequest,
        now: DateTime<Utc>,
    ) -> (Self, HistoryEntry) {
        let ticket = Self {
            id,
            service_code: service.code.clone(),
            service_name: service.name.clone(),
            department: department.to_owned(),
            status: Status::Submitted,
            description: request.description,
            location: request.location,
            answers: request.answers,
            media_urls: request.media_urls,
            reporter: request.reporter,
            channel: request.channel,
            requested_at: now,
            updated_at: now,
            expected_at: None,
            status_notes: None,
            resolution: None,
            assignee: None,
            scheduled_for: None,
            closed_at: None,
            parent: None,
            possible_duplicates: Vec::new(),
            uploads: request.uploads,
            photos: Vec::new(),
            version: 1,
            private: service.private,
            conversation: None,
            held_uploads: Vec::new(),
            after_uploads: Vec::new(),
            hidden: None,
        };
        let entry = HistoryEntry {
            ticket_id: ticket.id.clone(),
            version: ticket.version,
            at: now,
            actor: Actor::Reporter,
            status: ticket.status,
            service_code: ticket.service_code.clone(),
            department: ticket.department.clone(),
            channel: Some(ticket.channel),
            change: Change::Submitted {
                channel: ticket.channel,
                service_code: ticket.service_code.clone(),
                department: ticket.department.clone(),
            },
            public: true,
            private_request: ticket.private,
        };
        (ticket, entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::ServiceType;
    use crate::domain::contact::{Reporter, ReporterInput};
    use chrono::TimeZone;

    #[test]
    fn a_new_ticket_starts_submitted_with_one_history_entry() {
        let service = Service {
            code: "POTHOLE".into(),
            name: "Pothole".into(),
            description: String::new(),
            group: "Streets".into(),
            keywords: vec![],
            department: "DPW".into(),
            kind: ServiceType::Realtime,
            attributes: vec![],
            target: None,
            location: Default::default(),
            private: false,
            stop: None,
        };
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 14, 30, 0).unwrap();
        let request = NewRequest {
            service_code: "POTHOLE".into(),
            location: Location::new(None, Some("1 Main St"), None).unwrap(),
            description: Description::parse("deep").unwrap(),
            answers: Answers::new(),
            media_urls: vec![],
            reporter: Reporter::parse(ReporterInput::default()).unwrap(),
            channel: Channel::Open311,
            uploads: vec![],
        };
        let id = TicketId::parse("K7QM-3XPR").unwrap();
        let (ticket, entry) = Ticket::open(id.clone(), &service, request, now);
        assert_eq!(ticket.status, Status::Submitted);
        assert_eq!(ticket.department, "DPW");
        assert_eq!((ticket.requested_at, ticket.updated_at, ticket.version), (now, now, 1));
        assert_eq!(entry.ticket_id, id);
        assert_eq!(entry.version, 1);
        assert!(entry.public);
    }
}
