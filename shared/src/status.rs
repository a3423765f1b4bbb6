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
    fn stored_names_are_stable() {
        assert_eq!(serde_json::to_string(&Status::InProgress).unwrap(), "\"in_progress\"");
    }
}
