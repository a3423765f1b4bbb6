//! A department's dashboard: its open backlog by status, age and service, what is overdue and
//! what is due today, and the narrowing a queue applies to show the tickets behind each number.
//! The dashboard counts with the same [`QueueFilter`] the queue shows with, so the two agree.

use crate::domain::stats::local_day;
use crate::domain::status::Status;
use crate::domain::ticket::Ticket;
use crate::domain::zone::TownZone;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// How old an open ticket is, in whole days since it was reported, from `min` to `max` days
/// (both included; no `max`: that many days or more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeBand {
    pub min: u32,
    pub max: Option<u32>,
}

/// The bands the dashboard counts the backlog in.
pub const AGE_BANDS: [AgeBand; 4] = [
    AgeBand { min: 0, max: Some(1) },
    AgeBand { min: 2, max: Some(7) },
    AgeBand { min: 8, max: Some(30) },
    AgeBand { min: 31, max: None },
];

/// The longest age a band may name, in days (ten years).
const MAX_AGE_DAYS: u32 = 3660;

impl AgeBand {
    /// Reads `2-7` (two to seven days) or `31-` (31 days or more).
    pub fn parse(text: &str) -> Option<Self> {
        let (min, max) = text.trim().split_once('-')?;
        let number = |s: &str| s.parse::<u32>().ok().filter(|n| *n <= MAX_AGE_DAYS);
        let min = number(min)?;
        let max = if max.is_empty() { None } else { Some(number(max)?) };
        max.is_none_or(|max| max >= min).then_some(Self { min, max })
    }

    /// Whether a ticket reported at `requested_at` is in the band at `now`.
    pub fn contains(&self, requested_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        let days = u32::try_from((now - requested_at).num_days().max(0)).unwrap_or(u32::MAX);
        days >= self.min && self.max.is_none_or(|max| days <= max)
    }
}

impl std::fmt::Display for AgeBand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.max {
            Some(max) => write!(f, "{}-{max}", self.min),
            None => write!(f, "{}-", self.min),
        }
    }
}

/// What a queue keeps of the tickets its index gives: one status, one service, one age band.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    pub status: Option<Status>,
    pub service_code: Option<String>,
    pub age: Option<AgeBand>,
}

impl QueueFilter {
    /// Whether it leaves any ticket out.
    pub fn narrows(&self) -> bool {
        self.status.is_some() || self.service_code.is_some() || self.age.is_some()
    }

    /// Whether the queue shows `ticket` at `now`.
    pub fn matches(&self, ticket: &Ticket, now: DateTime<Utc>) -> bool {
        self.status.is_none_or(|s| ticket.status == s)
            && self.service_code.as_ref().is_none_or(|code| &ticket.service_code == code)
            && self.age.is_none_or(|band| band.contains(ticket.requested_at, now))
    }
}

/// "Due today": from `now` (what is due before is overdue) to the town's next midnight.
pub fn rest_of_today(now: DateTime<Utc>, timezone: TownZone) -> (DateTime<Utc>, DateTime<Utc>) {
    let tomorrow = local_day(now, timezone) + Duration::days(1);
    // The first instant of tomorrow there is (a clock change never falls at midnight in most
    // towns; where it does, the earliest reading is taken, and an hour late at worst).
    let midnight = timezone
        .from_local_datetime(&tomorrow.and_time(NaiveTime::MIN))
        .earliest()
        .map_or(now + Duration::days(1), |at| at.with_timezone(&Utc));
    (now, midnight.max(now))
}

/// One number of the backlog, with what it counts (a status, a band or a service code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counted {
    pub key: String,
    pub count: u64,
}

/// A department's open tickets, counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Backlog {
    pub open: u64,
    /// Each open status, in lifecycle order (zeros included).
    pub by_status: Vec<Counted>,
    /// Each of [`AGE_BANDS`], youngest first (zeros included).
    pub by_age: Vec<Counted>,
    /// The services with open tickets, most first.
    pub by_service: Vec<Counted>,
}

impl Backlog {
    /// Counts `open` tickets at `now`.
    pub fn of(open: &[Ticket], now: DateTime<Utc>) -> Self {
        let by_status = Status::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| Counted { key: s.as_str().to_owned(), count: count(open, |t| t.status == *s) })
            .collect();
        let by_age = AGE_BANDS
            .iter()
            .map(|band| Counted {
                key: band.to_string(),
                count: count(open, |t| band.contains(t.requested_at, now)),
            })
            .collect();
        let mut services: BTreeMap<&str, u64> = BTreeMap::new();
        for t in open {
            *services.entry(t.service_code.as_str()).or_default() += 1;
        }
        let mut by_service: Vec<Counted> =
            services.into_iter().map(|(key, count)| Counted { key: key.to_owned(), count }).collect();
        by_service.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
        Self { open: open.len() as u64, by_status, by_age, by_service }
    }
}

fn count(tickets: &[Ticket], keep: impl Fn(&Ticket) -> bool) -> u64 {
    tickets.iter().filter(|t| keep(t)).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bands_read_and_hold_whole_days() {
        let band = AgeBand::parse("2-7").unwrap();
        assert_eq!(band, AgeBand { min: 2, max: Some(7) });
        assert_eq!(AgeBand::parse("31-"), Some(AgeBand { min: 31, max: None }));
        for refused in ["", "-", "7-2", "x-1", "1", "-3", "1-99999", " 2 - 7"] {
            assert_eq!(AgeBand::parse(refused), None, "{refused}");
        }
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
        let days_ago = |d: i64, h: i64| now - Duration::days(d) - Duration::hours(h);
        assert!(!band.contains(days_ago(1, 23), now));
        assert!(band.contains(days_ago(2, 0), now));
        assert!(band.contains(days_ago(7, 23), now));
        assert!(!band.contains(days_ago(8, 0), now));
        assert!(AgeBand::parse("31-").unwrap().contains(days_ago(400, 0), now));
        // Each age falls in exactly one of the dashboard's bands.
        for days in 0..100 {
            let at = days_ago(days, 3);
            assert_eq!(AGE_BANDS.iter().filter(|b| b.contains(at, now)).count(), 1, "{days}");
        }
        for band in AGE_BANDS {
            assert_eq!(AgeBand::parse(&band.to_string()), Some(band));
        }
    }

    #[test]
    fn today_runs_from_now_to_the_towns_midnight() {
        let tz = crate::domain::zone::TownZone::named("America/New_York").unwrap();
        // 22:30 in New York on 19 November is 03:30 UTC on the 20th.
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 3, 30, 0).unwrap();
        assert_eq!(rest_of_today(now, tz), (now, Utc.with_ymd_and_hms(2026, 11, 20, 5, 0, 0).unwrap()));
    }
}
