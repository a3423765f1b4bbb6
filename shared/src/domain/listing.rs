//! Which tickets a listing asks for: a bounded time window on an indexed timestamp, plus
//! filters. Every listing is bounded, so every listing is a handful of index queries.

use crate::domain::status::Status;
use crate::domain::ticket::Ticket;
use chrono::{DateTime, Datelike, Duration, Utc};
use std::collections::BTreeSet;

/// The longest window one listing may span (Open311's default bound).
pub const MAX_SPAN_DAYS: i64 = 90;
/// The most tickets one listing returns (Open311's default bound).
pub const MAX_RESULTS: usize = 1000;

/// An inclusive time window of at most 90 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

/// Why a window was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("{end} is before {start}")]
    Reversed { start: &'static str, end: &'static str },
    #[error("{start} and {end} may be at most 90 days apart")]
    TooLong { start: &'static str, end: &'static str },
}

impl Window {
    /// A window from `from` to `to`; the names say which parameters were wrong.
    pub fn new(
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        names: (&'static str, &'static str),
    ) -> Result<Self, WindowError> {
        let (start, end) = names;
        if to < from {
            return Err(WindowError::Reversed { start, end });
        }
        if to - from > Duration::days(MAX_SPAN_DAYS) {
            return Err(WindowError::TooLong { start, end });
        }
        Ok(Self { from, to })
    }

    /// The window of the last 90 days up to `now`.
    pub fn last_90_days(now: DateTime<Utc>) -> Self {
        Self { from: now - Duration::days(MAX_SPAN_DAYS), to: now }
    }

    pub fn from(&self) -> DateTime<Utc> {
        self.from
    }

    pub fn to(&self) -> DateTime<Utc> {
        self.to
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at <= self.to
    }

    /// The calendar months (`yyyy-mm`, UTC) the window touches, newest first: the partitions
    /// of the time indexes.
    pub fn months(&self) -> Vec<String> {
        let mut months = Vec::new();
        let (mut year, mut month) = (self.to.year(), self.to.month());
        let (first_year, first_month) = (self.from.year(), self.from.month());
        loop {
            months.push(format!("{year:04}-{month:02}"));
            if (year, month) <= (first_year, first_month) {
                break;
            }
            if month == 1 {
                year -= 1;
                month = 12;
            } else {
                month -= 1;
            }
        }
        months
    }
}

/// Open311's two-valued status filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Open,
    Closed,
}

impl StatusFilter {
    pub fn matches(self, status: Status) -> bool {
        match self {
            Self::Open => status.is_open(),
            Self::Closed => !status.is_open(),
        }
    }
}

/// Which timestamp index a listing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indexed {
    Requested(Window),
    Updated(Window),
}

/// A listing of tickets, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFilter {
    /// The window the index is read over.
    pub index: Indexed,
    /// A second window on the other timestamp, applied as a filter.
    pub also_updated: Option<Window>,
    /// Service codes to keep; empty keeps all.
    pub service_codes: Vec<String>,
    /// Statuses to keep; empty keeps all.
    pub statuses: Vec<StatusFilter>,
    /// Departments to keep; `None` keeps all (`Some` of none keeps none). Applied before
    /// `limit` counts, so a department's listing is not cut short by others' tickets.
    pub departments: Option<BTreeSet<String>>,
    /// How many to return at most.
    pub limit: usize,
}

impl TicketFilter {
    /// Whether a ticket read from the index belongs in the listing.
    pub fn matches(&self, ticket: &Ticket) -> bool {
        let in_index = match self.index {
            Indexed::Requested(w) => w.contains(ticket.requested_at),
            Indexed::Updated(w) => w.contains(ticket.updated_at),
        };
        in_index
            && self.also_updated.is_none_or(|w| w.contains(ticket.updated_at))
            && (self.service_codes.is_empty() || self.service_codes.contains(&ticket.service_code))
            && (self.statuses.is_empty() || self.statuses.iter().any(|s| s.matches(ticket.status)))
            && self.departments.as_ref().is_none_or(|d| d.contains(&ticket.department))
    }
}

/// A staff work queue, read through its own index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Queue {
    /// A department's open (or closed) tickets, most recently updated first.
    Department { department: String, open: bool },
    /// The open tickets assigned to a person, most recently updated first.
    Assignee { user: String },
    /// A department's open tickets past their expected date, most overdue first.
    Overdue { department: String, now: DateTime<Utc> },
    /// A department's open tickets due from `from` (included) to `to` (not), soonest first.
    Due { department: String, from: DateTime<Utc>, to: DateTime<Utc> },
}

/// One page of a queue; `next` continues it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuePage {
    pub tickets: Vec<Ticket>,
    pub next: Option<String>,
}

impl Queue {
    /// Whether a ticket belongs in this queue.
    pub fn contains(&self, ticket: &Ticket) -> bool {
        match self {
            Self::Department { department, open } => {
                &ticket.department == department && ticket.status.is_open() == *open
            }
            Self::Assignee { user } => ticket.status.is_open() && ticket.assignee.as_ref() == Some(user),
            Self::Overdue { department, now } => {
                &ticket.department == department
                    && ticket.status.is_open()
                    && ticket.expected_at.is_some_and(|due| due < *now)
            }
            Self::Due { department, from, to } => {
                &ticket.department == department
                    && ticket.status.is_open()
                    && ticket.expected_at.is_some_and(|due| *from <= due && due < *to)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn windows_are_bounded_and_ordered() {
        let names = ("start_date", "end_date");
        assert!(Window::new(at(2026, 1, 1), at(2026, 3, 31), names).is_ok());
        assert_eq!(
            Window::new(at(2026, 1, 1), at(2026, 4, 2), names),
            Err(WindowError::TooLong { start: "start_date", end: "end_date" })
        );
        assert!(matches!(
            Window::new(at(2026, 2, 1), at(2026, 1, 1), names),
            Err(WindowError::Reversed { .. })
        ));
    }

    #[test]
    fn months_run_newest_first_across_a_year_end() {
        let w = Window::new(at(2025, 11, 20), at(2026, 1, 5), ("a", "b")).unwrap();
        assert_eq!(w.months(), vec!["2026-01", "2025-12", "2025-11"]);
        let w = Window::new(at(2026, 1, 5), at(2026, 1, 6), ("a", "b")).unwrap();
        assert_eq!(w.months(), vec!["2026-01"]);
    }

    #[test]
    fn status_filters_follow_open311() {
        assert!(StatusFilter::Open.matches(Status::Reopened));
        assert!(!StatusFilter::Open.matches(Status::Closed));
        assert!(StatusFilter::Closed.matches(Status::Closed));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn instant() -> impl Strategy<Value = DateTime<Utc>> {
            let edges = prop::sample::select(vec![DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC]);
            let seconds = (DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp())
                .prop_filter_map("in chrono's calendar", |s| DateTime::from_timestamp(s, 0));
            prop_oneof![edges, seconds]
        }

        proptest! {
            #[test]
            fn any_two_instants_are_a_short_window_or_refused(from in instant(), to in instant()) {
                if let Ok(window) = Window::new(from, to, ("a", "b")) {
                    prop_assert!((1..=4).contains(&window.months().len()));
                }
            }
        }
    }
}
