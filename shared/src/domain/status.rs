//! A ticket's status, and how it reads to Open311 clients.

use serde::{Deserialize, Serialize};

/// Where a ticket stands in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Submitted,
    Acknowledged,
    Assigned,
    Scheduled,
    InProgress,
    Reopened,
    Closed,
}

impl Status {
    /// Open311's two-valued status.
    pub fn open311(self) -> &'static str {
        if self == Self::Closed { "closed" } else { "open" }
    }

    pub fn is_open(self) -> bool {
        self != Self::Closed
    }

    /// Whether the lifecycle allows going from this status to `next`. Any open ticket may be
    /// closed; a closed one only reopens; work moves forward but may step back (a schedule
    /// falls through, a crew hands back).
    pub fn allows(self, next: Self) -> bool {
        use Status::*;
        match (self, next) {
            (Closed, Reopened) => true,
            (Closed, _) | (_, Submitted) | (_, Reopened) => false,
            (from, to) if from == to => false,
            (_, Closed) => true,
            (Submitted | Reopened, Acknowledged | Assigned | Scheduled | InProgress) => true,
            (Acknowledged, Assigned | Scheduled | InProgress) => true,
            (Assigned, Acknowledged | Scheduled | InProgress) => true,
            (Scheduled, Assigned | InProgress) => true,
            (InProgress, Assigned | Scheduled) => true,
            _ => false,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Acknowledged => "acknowledged",
            Self::Assigned => "assigned",
            Self::Scheduled => "scheduled",
            Self::InProgress => "in_progress",
            Self::Reopened => "reopened",
            Self::Closed => "closed",
        }
    }

    pub const ALL: [Self; 7] = [
        Self::Submitted,
        Self::Acknowledged,
        Self::Assigned,
        Self::Scheduled,
        Self::InProgress,
        Self::Reopened,
        Self::Closed,
    ];

    /// mySociety's richer status, as FixMyStreet reads it from `servicerequestupdates`.
    pub fn extended(self) -> &'static str {
        match self {
            Self::Submitted => "OPEN",
            Self::Acknowledged | Self::Assigned => "INVESTIGATING",
            Self::Scheduled => "ACTION_SCHEDULED",
            Self::InProgress => "IN_PROGRESS",
            Self::Reopened => "REOPEN",
            Self::Closed => "CLOSED",
        }
    }
}

/// How a closed ticket ended, told to the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Fixed,
    /// Merged into another request (the parent), which carries on.
    Duplicate,
    /// Another body handles it; the referral text says which.
    NotOurResponsibility,
    NoActionNeeded,
    CannotLocate,
    Cancelled,
}

impl Resolution {
    /// The name the API uses (`not_our_responsibility`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Duplicate => "duplicate",
            Self::NotOurResponsibility => "not_our_responsibility",
            Self::NoActionNeeded => "no_action_needed",
            Self::CannotLocate => "cannot_locate",
            Self::Cancelled => "cancelled",
        }
    }

    /// mySociety's status for a ticket closed this way.
    pub fn extended(self) -> &'static str {
        match self {
            Self::Fixed => "FIXED",
            Self::Duplicate => "DUPLICATE",
            Self::NotOurResponsibility => "NOT_COUNCILS_RESPONSIBILITY",
            Self::NoActionNeeded | Self::CannotLocate => "NO_FURTHER_ACTION",
            Self::Cancelled => "CLOSED",
        }
    }

    /// A plain-language phrase for citizens.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Duplicate => "closed as a duplicate of another request",
            Self::NotOurResponsibility => "referred: the town is not responsible",
            Self::NoActionNeeded => "closed: no action needed",
            Self::CannotLocate => "closed: the problem could not be found",
            Self::Cancelled => "cancelled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_closed_reads_as_closed() {
        assert_eq!(Status::Submitted.open311(), "open");
        assert_eq!(Status::Reopened.open311(), "open");
        assert_eq!(Status::Closed.open311(), "closed");
    }

    #[test]
    fn every_allowed_transition() {
        use Status::*;
        let allowed = [
            (Submitted, Acknowledged),
            (Submitted, Assigned),
            (Submitted, Scheduled),
            (Submitted, InProgress),
            (Submitted, Closed),
            (Acknowledged, Assigned),
            (Acknowledged, Scheduled),
            (Acknowledged, InProgress),
            (Acknowledged, Closed),
            (Assigned, Acknowledged),
            (Assigned, Scheduled),
            (Assigned, InProgress),
            (Assigned, Closed),
            (Scheduled, Assigned),
            (Scheduled, InProgress),
            (Scheduled, Closed),
            (InProgress, Assigned),
            (InProgress, Scheduled),
            (InProgress, Closed),
            (Reopened, Acknowledged),
            (Reopened, Assigned),
            (Reopened, Scheduled),
            (Reopened, InProgress),
            (Reopened, Closed),
            (Closed, Reopened),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(from.allows(to), allowed.contains(&(from, to)), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn resolution_names_match_their_stored_form() {
        for r in [
            Resolution::Fixed,
            Resolution::Duplicate,
            Resolution::NotOurResponsibility,
            Resolution::NoActionNeeded,
            Resolution::CannotLocate,
            Resolution::Cancelled,
        ] {
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{}\"", r.as_str()));
        }
    }

    #[test]
    fn resolutions_map_to_mysociety_statuses() {
        assert_eq!(Resolution::NotOurResponsibility.extended(), "NOT_COUNCILS_RESPONSIBILITY");
        assert_eq!(Resolution::Duplicate.extended(), "DUPLICATE");
    }

    #[test]
    fn stored_names_are_stable() {
        assert_eq!(serde_json::to_string(&Status::InProgress).unwrap(), "\"in_progress\"");
    }
}
