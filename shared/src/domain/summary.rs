//! The public summary of a change: a stable code with its parameters, which pages word in the
//! reader's language, and the one English sentence Open311 clients read. Neither the code nor
//! its parameters carry personal data or staff names.

use crate::domain::id::TicketId;
use crate::domain::status::{Resolution, Status};
use crate::domain::ticket::Change;

/// What a change means to the public.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Summary {
    Submitted,
    /// The status changed (other than closing with a resolution).
    StatusChanged(Status),
    /// Closed, and how.
    Closed(Resolution),
    /// A crew took it on.
    Assigned,
    /// Back in the department's queue.
    Unassigned,
    /// Passed to another department by staff.
    Moved,
    Scheduled,
    Recategorized,
    Note,
    /// Merged into the parent request, which carries on.
    MergedInto(TicketId),
    /// Another request was merged into this one.
    Absorbed(TicketId),
    /// The routing rules passed it to the department that handles it.
    RoutedElsewhere,
    /// The routing rules looked at it and left it where it was.
    Reviewed,
    PhotoAdded,
    PhotoRefused,
    PhotoHidden,
    PhotoShown,
    /// Staff wrote to the reporter (and the followers).
    Message,
    /// A citizen sent an update through an Open311 app (staff read it).
    CitizenUpdate,
    /// A citizen wrote by email or text (staff read it).
    CitizenMessage,
    /// Staff said where the request is.
    Located,
    /// Staff replaced public text (staff only).
    Redacted,
    /// Staff took the request off the public lists (staff only).
    RequestHidden,
    /// Staff put a hidden request back on the public lists (staff only).
    RequestShown,
}

impl Summary {
    /// Every code a summary can have.
    pub const CODES: [&'static str; 24] = [
        "submitted",
        "status_changed",
        "closed",
        "assigned",
        "unassigned",
        "moved",
        "scheduled",
        "recategorized",
        "note",
        "merged_into",
        "absorbed",
        "routed_elsewhere",
        "reviewed",
        "photo_added",
        "photo_refused",
        "photo_hidden",
        "photo_shown",
        "message",
        "citizen_update",
        "citizen_message",
        "located",
        "redacted",
        "request_hidden",
        "request_shown",
    ];

    /// The stable code pages word.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::StatusChanged(_) => "status_changed",
            Self::Closed(_) => "closed",
            Self::Assigned => "assigned",
            Self::Unassigned => "unassigned",
            Self::Moved => "moved",
            Self::Scheduled => "scheduled",
            Self::Recategorized => "recategorized",
            Self::Note => "note",
            Self::MergedInto(_) => "merged_into",
            Self::Absorbed(_) => "absorbed",
            Self::RoutedElsewhere => "routed_elsewhere",
            Self::Reviewed => "reviewed",
            Self::PhotoAdded => "photo_added",
            Self::PhotoRefused => "photo_refused",
            Self::PhotoHidden => "photo_hidden",
            Self::PhotoShown => "photo_shown",
            Self::Message => "message",
            Self::CitizenUpdate => "citizen_update",
            Self::CitizenMessage => "citizen_message",
            Self::Located => "located",
            Self::Redacted => "redacted",
            Self::RequestHidden => "request_hidden",
            Self::RequestShown => "request_shown",
        }
    }

    /// The values the wording fills in, by name: `status` and `resolution` are the API's
    /// names (`in_progress`, `not_our_responsibility`), `parent` and `child` ticket numbers.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::StatusChanged(status) => vec![("status", status.as_str().to_owned())],
            Self::Closed(resolution) => vec![("resolution", resolution.as_str().to_owned())],
            Self::MergedInto(parent) => vec![("parent", parent.to_string())],
            Self::Absorbed(child) => vec![("child", child.to_string())],
            _ => Vec::new(),
        }
    }

    /// The English sentence, as Open311 clients read it.
    pub fn english(&self) -> String {
        match self {
            Self::Submitted => "Request submitted".into(),
            Self::StatusChanged(status) => format!("Status: {}", status.as_str().replace('_', " ")),
            Self::Closed(resolution) => {
                let text = resolution.describe();
                let mut chars = text.chars();
                chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
            }
            Self::Assigned => "Assigned to a crew".into(),
            Self::Unassigned => "Back in the department's queue".into(),
            Self::Moved => "Passed to another department".into(),
            Self::Scheduled => "Work scheduled".into(),
            Self::Recategorized => "Request category corrected".into(),
            Self::Note => "Note".into(),
            Self::MergedInto(parent) => format!("Merged into request {parent}, which carries on"),
            Self::Absorbed(child) => format!("Request {child} was merged into this one"),
            Self::RoutedElsewhere => "Passed to the department that handles it".into(),
            Self::Reviewed => "Reviewed".into(),
            Self::PhotoAdded => "Photo added".into(),
            Self::PhotoRefused => "A photo could not be used".into(),
            Self::PhotoHidden => "A photo was hidden".into(),
            Self::PhotoShown => "A photo was shown again".into(),
            Self::Message => "Message from the town".into(),
            Self::CitizenUpdate => "Update from a citizen".into(),
            Self::CitizenMessage => "Message from a citizen".into(),
            Self::Located => "Place given".into(),
            Self::Redacted => "Text removed by staff".into(),
            Self::RequestHidden => "Taken off the public lists".into(),
            Self::RequestShown => "Back on the public lists".into(),
        }
    }
}

impl Change {
    /// The change's public summary, free of staff names and internal detail.
    pub fn summary(&self) -> Summary {
        match self {
            Self::Submitted { .. } => Summary::Submitted,
            Self::StatusChanged { to: Status::Closed, resolution: Some(r), .. } => Summary::Closed(*r),
            Self::StatusChanged { to, .. } => Summary::StatusChanged(*to),
            Self::Assigned { assignee: Some(_) } => Summary::Assigned,
            Self::Assigned { assignee: None } => Summary::Unassigned,
            Self::Moved { .. } => Summary::Moved,
            Self::Scheduled { .. } => Summary::Scheduled,
            Self::Recategorized { .. } => Summary::Recategorized,
            Self::Noted { .. } => Summary::Note,
            Self::MergedInto { parent } => Summary::MergedInto(parent.clone()),
            Self::Absorbed { child } => Summary::Absorbed(child.clone()),
            Self::Routed { from: Some(_), .. } => Summary::RoutedElsewhere,
            Self::Routed { assignee: Some(_), .. } => Summary::Assigned,
            Self::Routed { .. } => Summary::Reviewed,
            Self::PhotoAdded { .. } => Summary::PhotoAdded,
            Self::PhotoRefused { .. } => Summary::PhotoRefused,
            Self::PhotoHidden { hidden: true, .. } => Summary::PhotoHidden,
            Self::PhotoHidden { hidden: false, .. } => Summary::PhotoShown,
            Self::Messaged { .. } => Summary::Message,
            // Its text is not public: the public hears only that the request reopened.
            Self::CitizenUpdate { reopened: true, .. } => Summary::StatusChanged(Status::Reopened),
            Self::CitizenUpdate { .. } => Summary::CitizenUpdate,
            Self::CitizenMessage { .. } => Summary::CitizenMessage,
            Self::Located { .. } => Summary::Located,
            Self::Redacted { .. } => Summary::Redacted,
            Self::RequestHidden { hidden: true, .. } => Summary::RequestHidden,
            Self::RequestHidden { hidden: false, .. } => Summary::RequestShown,
        }
    }
}

#[cfg(test)]
mod tests;
