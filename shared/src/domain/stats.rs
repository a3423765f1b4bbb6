//! The town's numbers, counted as the table's stream goes by, never by reading the tickets
//! again: per local day × department × service, public requests opened, closed, closed within
//! their promise and reopened, and how long the closing and the first response took (as
//! histograms by whole day and whole hour, so medians are exact to the day or hour).
//! A private service's requests are not counted: public figures never hint at them.

use crate::domain::status::Status;
use crate::domain::ticket::{Actor, Change, HistoryEntry, Ticket};
use crate::domain::zone::TownZone;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Days to close past this are counted in its bucket ("this long or longer").
pub const MAX_CLOSE_DAYS: u32 = 60;
/// Hours to a first response past this are counted in its bucket.
pub const MAX_RESPONSE_HOURS: u32 = 336;
/// The months the public figures cover.
pub const MONTHS: usize = 12;

/// What one history entry adds to the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Opened,
    /// Closed (or merged into another as a duplicate), this many whole days after it was made,
    /// within the promised date or not (no promise: not within).
    Closed {
        days: u32,
        in_promise: bool,
    },
    Reopened,
    /// Staff's first change to the request, this many whole hours after it was made.
    FirstResponse {
        hours: u32,
    },
    /// The reporter answered "was it fixed?" with yes.
    ConfirmedFixed,
    /// The reporter answered "was it fixed?" with no.
    NotFixed,
}

impl Counted {
    /// A name for the count, unique within one entry (with the entry's event id, it keys the
    /// record that keeps a replayed entry from counting twice).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Closed { .. } => "closed",
            Self::Reopened => "reopened",
            Self::FirstResponse { .. } => "first_response",
            Self::ConfirmedFixed => "confirmed_fixed",
            Self::NotFixed => "not_fixed",
        }
    }
}

/// One count: what, on which local day, for which department and service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub day: NaiveDate,
    pub department: String,
    pub service_code: String,
    pub counted: Counted,
}

/// The local day of an instant in the town.
pub fn local_day(at: DateTime<Utc>, timezone: TownZone) -> NaiveDate {
    at.with_timezone(&timezone).date_naive()
}

/// What `entry` adds to the figures, given its ticket as it is now and the history before it.
/// `history` is read only for staff's entries (to tell a first response).
pub fn counts_of(
    entry: &HistoryEntry,
    ticket: &Ticket,
    history: &[HistoryEntry],
    timezone: TownZone,
) -> Vec<Count> {
    if entry.private_request || ticket.private {
        return Vec::new();
    }
    let count = |counted| Count {
        day: local_day(entry.at, timezone),
        department: entry.department.clone(),
        service_code: entry.service_code.clone(),
        counted,
    };
    let mut counts = Vec::new();
    match &entry.change {
        Change::Submitted { .. } => counts.push(count(Counted::Opened)),
        Change::StatusChanged { to: Status::Closed, .. } | Change::MergedInto { .. } => {
            let days = whole(entry.at - ticket.requested_at, 86_400).min(MAX_CLOSE_DAYS);
            let in_promise = ticket.expected_at.is_some_and(|promised| entry.at <= promised);
            counts.push(count(Counted::Closed { days, in_promise }));
        }
        Change::StatusChanged { to: Status::Reopened, .. } | Change::CitizenUpdate { reopened: true, .. } => {
            counts.push(count(Counted::Reopened));
        }
        _ => {}
    }
    match crate::domain::fix_check::answer_of(entry) {
        Some(true) => counts.push(count(Counted::ConfirmedFixed)),
        Some(false) => counts.push(count(Counted::NotFixed)),
        None => {}
    }
    let by_staff = matches!(entry.actor, Actor::Staff(_));
    let staff_before =
        history.iter().any(|e| e.version < entry.version && matches!(e.actor, Actor::Staff(_)));
    if by_staff && !staff_before && !matches!(entry.change, Change::Submitted { .. }) {
        let hours = whole(entry.at - ticket.requested_at, 3_600).min(MAX_RESPONSE_HOURS);
        counts.push(count(Counted::FirstResponse { hours }));
    }
    counts
}

fn whole(span: chrono::Duration, unit: i64) -> u32 {
    u32::try_from(span.num_seconds().max(0) / unit).unwrap_or(u32::MAX)
}

/// The figures of one day × department × service, as kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub opened: u64,
    pub closed: u64,
    pub closed_in_promise: u64,
    pub reopened: u64,
    /// Closings by whole days taken.
    pub close_days: BTreeMap<u32, u64>,
    /// First responses by whole hours taken.
    pub response_hours: BTreeMap<u32, u64>,
    /// Reporters' answers to "was it fixed?": yes.
    #[serde(default)]
    pub confirmed_fixed: u64,
    /// Reporters' answers to "was it fixed?": no.
    #[serde(default)]
    pub not_fixed: u64,
}

impl Tally {
    /// Adds one count.
    pub fn add(&mut self, counted: Counted) {
        match counted {
            Counted::Opened => self.opened += 1,
            Counted::Closed { days, in_promise } => {
                self.closed += 1;
                self.closed_in_promise += u64::from(in_promise);
                *self.close_days.entry(days).or_default() += 1;
            }
            Counted::Reopened => self.reopened += 1,
            Counted::FirstResponse { hours } => *self.response_hours.entry(hours).or_default() += 1,
            Counted::ConfirmedFixed => self.confirmed_fixed += 1,
            Counted::NotFixed => self.not_fixed += 1,
        }
    }

    /// Adds another tally (of another day, department or service).
    pub fn merge(&mut self, other: &Tally) {
        self.opened += other.opened;
        self.closed += other.closed;
        self.closed_in_promise += other.closed_in_promise;
        self.reopened += other.reopened;
        self.confirmed_fixed += other.confirmed_fixed;
        self.not_fixed += other.not_fixed;
        for (days, n) in &other.close_days {
            *self.close_days.entry(*days).or_default() += n;
        }
        for (hours, n) in &other.response_hours {
            *self.response_hours.entry(*hours).or_default() += n;
        }
    }

    /// The median days to close (the lower middle of an even count), if any closed.
    pub fn median_days_to_close(&self) -> Option<u32> {
        median(&self.close_days)
    }

    /// The median hours to a first response, if any.
    pub fn median_hours_to_respond(&self) -> Option<u32> {
        median(&self.response_hours)
    }

    /// The share of closings within their promise, in whole percent, if any closed.
    pub fn percent_in_promise(&self) -> Option<u64> {
        (self.closed > 0).then(|| (self.closed_in_promise * 100 + self.closed / 2) / self.closed)
    }

    /// The share of "was it fixed?" answers that said yes, in whole percent, if any answered.
    pub fn percent_confirmed_fixed(&self) -> Option<u64> {
        let answers = self.confirmed_fixed + self.not_fixed;
        (answers > 0).then(|| (self.confirmed_fixed * 100 + answers / 2) / answers)
    }
}

fn median(histogram: &BTreeMap<u32, u64>) -> Option<u32> {
    let total: u64 = histogram.values().sum();
    if total == 0 {
        return None;
    }
    let middle = total.div_ceil(2);
    let mut seen = 0;
    histogram.iter().find_map(|(value, n)| {
        seen += n;
        (seen >= middle).then_some(*value)
    })
}

/// One kept tally, with what it is of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayTally {
    pub day: NaiveDate,
    pub department: String,
    pub service_code: String,
    pub tally: Tally,
}

/// A month (`2026-11`) and the months before it, oldest first.
pub fn months_to(day: NaiveDate, count: usize) -> Vec<(i32, u32)> {
    use chrono::Datelike;
    let mut months = Vec::with_capacity(count);
    let (mut year, mut month) = (day.year(), day.month());
    for _ in 0..count {
        months.push((year, month));
        if month == 1 {
            year -= 1;
            month = 12;
        } else {
            month -= 1;
        }
    }
    months.reverse();
    months
}

/// The figures of one period or group, as published.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub opened: u64,
    pub closed: u64,
    pub closed_in_promise: u64,
    pub reopened: u64,
    /// Whole days; `None` when nothing closed.
    pub median_days_to_close: Option<u32>,
    /// Whole percent of closings within their promised date; `None` when nothing closed.
    pub percent_closed_in_promise: Option<u64>,
    /// Whole hours to staff's first response; `None` when none yet.
    pub median_hours_to_first_response: Option<u32>,
    /// Reporters who said yes to "was it fixed?".
    pub confirmed_fixed: u64,
    /// Reporters who said no.
    pub not_fixed: u64,
    /// Whole percent of the answers that said yes; `None` when nobody answered.
    pub percent_confirmed_fixed: Option<u64>,
}

impl From<&Tally> for Figures {
    fn from(tally: &Tally) -> Self {
        Self {
            opened: tally.opened,
            closed: tally.closed,
            closed_in_promise: tally.closed_in_promise,
            reopened: tally.reopened,
            median_days_to_close: tally.median_days_to_close(),
            percent_closed_in_promise: tally.percent_in_promise(),
            median_hours_to_first_response: tally.median_hours_to_respond(),
            confirmed_fixed: tally.confirmed_fixed,
            not_fixed: tally.not_fixed,
            percent_confirmed_fixed: tally.percent_confirmed_fixed(),
        }
    }
}

/// The public figures: each of the last [`MONTHS`] months (oldest first), the whole period, and
/// the period by department and by service (codes, largest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub months: Vec<((i32, u32), Figures)>,
    pub period: Figures,
    pub departments: Vec<(String, Figures)>,
    pub services: Vec<(String, String, Figures)>,
}

/// Adds up the tallies of the months given (each month's, in the order given).
pub fn report(months: &[((i32, u32), Vec<DayTally>)]) -> Report {
    let mut period = Tally::default();
    let mut departments: BTreeMap<String, Tally> = BTreeMap::new();
    let mut services: BTreeMap<(String, String), Tally> = BTreeMap::new();
    let mut by_month = Vec::with_capacity(months.len());
    for (month, tallies) in months {
        let mut this = Tally::default();
        for t in tallies {
            this.merge(&t.tally);
            departments.entry(t.department.clone()).or_default().merge(&t.tally);
            services.entry((t.service_code.clone(), t.department.clone())).or_default().merge(&t.tally);
        }
        period.merge(&this);
        by_month.push((*month, Figures::from(&this)));
    }
    let mut departments: Vec<(String, Figures)> =
        departments.iter().map(|(code, tally)| (code.clone(), Figures::from(tally))).collect();
    departments.sort_by(|a, b| b.1.opened.cmp(&a.1.opened).then(a.0.cmp(&b.0)));
    let mut services: Vec<(String, String, Figures)> = services
        .iter()
        .map(|((code, department), tally)| (code.clone(), department.clone(), Figures::from(tally)))
        .collect();
    services.sort_by(|a, b| b.2.opened.cmp(&a.2.opened).then(a.0.cmp(&b.0)));
    Report { months: by_month, period: Figures::from(&period), departments, services }
}

#[cfg(test)]
mod tests;
