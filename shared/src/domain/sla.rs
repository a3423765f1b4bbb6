//! Response-time promises: a service's target in business hours or days, and the town's
//! business calendar (its timezone, working hours, workdays, holidays) that turns a target into
//! the expected date a citizen is told.

use crate::domain::zone::TownZone;
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How soon a service promises a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseTarget {
    /// Within this many working hours.
    BusinessHours(u32),
    /// By the close of the n-th business day after the day it was reported.
    BusinessDays(u32),
}

/// When the town works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessCalendar {
    /// Local opening and closing time of a workday.
    pub opens: NaiveTime,
    pub closes: NaiveTime,
    #[serde(default = "weekdays")]
    pub workdays: Vec<Weekday>,
    #[serde(default)]
    pub holidays: BTreeSet<NaiveDate>,
}

fn weekdays() -> Vec<Weekday> {
    vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri]
}

/// How far ahead a promise may be computed before the calendar is taken to be empty.
const HORIZON_DAYS: u32 = 3 * 366;

impl BusinessCalendar {
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        self.workdays.contains(&date.weekday()) && !self.holidays.contains(&date)
    }

    /// The moment a response is due for a request made at `start`, in `timezone`; None when the
    /// calendar has no working time in the next three years.
    pub fn due(
        &self,
        start: DateTime<Utc>,
        target: ResponseTarget,
        timezone: TownZone,
    ) -> Option<DateTime<Utc>> {
        if self.opens >= self.closes {
            return None;
        }
        let local = start.with_timezone(&timezone).naive_local();
        let due = match target {
            ResponseTarget::BusinessDays(days) => {
                let mut date = local.date();
                // Day 0 is today while it is still a working day before closing, else the next one.
                let open_today = self.is_business_day(date) && local.time() < self.closes;
                let mut remaining = if days == 0 && !open_today { 1 } else { days };
                let mut steps = 0;
                while remaining > 0 {
                    date = date.checked_add_days(Days::new(1))?;
                    steps += 1;
                    if steps > HORIZON_DAYS {
                        return None;
                    }
                    if self.is_business_day(date) {
                        remaining -= 1;
                    }
                }
                date.and_time(self.closes)
            }
            ResponseTarget::BusinessHours(hours) => self.add_working_minutes(local, i64::from(hours) * 60)?,
        };
        to_utc(timezone, due)
    }

    /// Walks working time forward from `from` (wall clock), spending `minutes`.
    fn add_working_minutes(&self, from: NaiveDateTime, mut minutes: i64) -> Option<NaiveDateTime> {
        let mut cursor = from;
        for _ in 0..HORIZON_DAYS {
            let date = cursor.date();
            if self.is_business_day(date) {
                let (open, close) = (date.and_time(self.opens), date.and_time(self.closes));
                cursor = cursor.max(open);
                if cursor < close {
                    let available = (close - cursor).num_minutes();
                    if minutes <= available {
                        return Some(cursor + chrono::Duration::minutes(minutes));
                    }
                    minutes -= available;
                }
            }
            cursor = date.checked_add_days(Days::new(1))?.and_time(NaiveTime::MIN);
        }
        None
    }
}

/// A wall-clock time in the town as an instant; a time that a clock change skips is read as
/// the moment after it, one it repeats as the first. `None` only past the ends of chrono's
/// calendar (a typed date may reach them: the hour is added checked).
pub(crate) fn to_utc(timezone: TownZone, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let mapped = timezone.from_local_datetime(&local);
    mapped
        .earliest()
        .or_else(|| {
            let later = local.checked_add_signed(chrono::Duration::hours(1))?;
            timezone.from_local_datetime(&later).earliest()
        })
        .map(|at| at.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    fn new_york() -> TownZone {
        TownZone::named("America/New_York").unwrap()
    }

    fn calendar() -> BusinessCalendar {
        BusinessCalendar {
            opens: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            closes: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
            workdays: weekdays(),
            holidays: [
                NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
                NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            ]
            .into(),
        }
    }

    /// A town time, as an instant.
    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        new_york().with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn business_days_skip_the_weekend() {
        // Friday afternoon, two business days: Monday then Tuesday, at closing.
        let due = calendar().due(local(2026, 11, 20, 15, 0), ResponseTarget::BusinessDays(2), new_york());
        assert_eq!(due, Some(local(2026, 11, 24, 17, 0)));
    }

    #[test]
    fn business_days_skip_holidays() {
        // Wednesday before Thanksgiving: Thursday and Friday are holidays, then the weekend.
        let due = calendar().due(local(2026, 11, 25, 9, 0), ResponseTarget::BusinessDays(1), new_york());
        assert_eq!(due, Some(local(2026, 11, 30, 17, 0)));
    }

    #[test]
    fn business_hours_carry_over_nights_weekends_and_holidays() {
        let c = calendar();
        // 16:00 Friday + 3 working hours: 1 on Friday, 2 on Monday morning.
        assert_eq!(
            c.due(local(2026, 11, 20, 16, 0), ResponseTarget::BusinessHours(3), new_york()),
            Some(local(2026, 11, 23, 10, 0))
        );
        // Saturday night counts from Monday's opening.
        assert_eq!(
            c.due(local(2026, 11, 21, 22, 0), ResponseTarget::BusinessHours(1), new_york()),
            Some(local(2026, 11, 23, 9, 0))
        );
        // Wednesday 16:30 + 2 hours, across Thanksgiving.
        assert_eq!(
            c.due(local(2026, 11, 25, 16, 30), ResponseTarget::BusinessHours(2), new_york()),
            Some(local(2026, 11, 30, 9, 30))
        );
    }

    #[test]
    fn promises_keep_the_town_clock_across_a_daylight_saving_change() {
        let c = calendar();
        // Friday Oct 30, 2026 (EDT, UTC-4) + 2 business days: Tuesday Nov 3 at 17:00 EST (UTC-5).
        let due = c.due(local(2026, 10, 30, 12, 0), ResponseTarget::BusinessDays(2), new_york()).unwrap();
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 11, 3, 22, 0, 0).unwrap());
        // Friday Mar 6, 2026 16:00 EST + 2 hours: Monday Mar 9 09:00 EDT, i.e. 13:00 UTC.
        let due = c.due(local(2026, 3, 6, 16, 0), ResponseTarget::BusinessHours(2), new_york()).unwrap();
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 3, 9, 13, 0, 0).unwrap());
    }

    /// A night shift working every day from midnight to `closes`.
    fn night_shift(closes: u32, minutes: u32) -> BusinessCalendar {
        BusinessCalendar {
            opens: NaiveTime::MIN,
            closes: NaiveTime::from_hms_opt(closes, minutes, 0).unwrap(),
            workdays: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Sat,
                Weekday::Sun,
            ],
            holidays: BTreeSet::new(),
        }
    }

    #[test]
    fn a_promise_due_in_the_skipped_hour_falls_due_just_after_it() {
        // Spring forward on Sunday 2026-03-08: 02:30 never shows, 03:30 EDT (07:30 UTC) does.
        let c = night_shift(2, 30);
        let saturday_noon = local(2026, 3, 7, 12, 0);
        let due = c.due(saturday_noon, ResponseTarget::BusinessDays(1), new_york()).unwrap();
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 3, 8, 7, 30, 0).unwrap());
        // The day after, 02:30 is EDT: 06:30 UTC.
        let due = c.due(saturday_noon, ResponseTarget::BusinessDays(2), new_york()).unwrap();
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 3, 9, 6, 30, 0).unwrap());
        // Working hours count the town clock: 01:00 EST + 2 hours is 03:00 EDT.
        let c = night_shift(4, 0);
        let due = c.due(local(2026, 3, 8, 1, 0), ResponseTarget::BusinessHours(2), new_york()).unwrap();
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 3, 8, 7, 0, 0).unwrap());
    }

    #[test]
    fn a_promise_due_in_the_repeated_hour_falls_due_the_first_time() {
        // Fall back on Sunday 2026-11-01: 01:30 shows twice, first in EDT (05:30 UTC).
        let c = night_shift(1, 30);
        let due = c.due(local(2026, 10, 31, 12, 0), ResponseTarget::BusinessDays(1), new_york()).unwrap();
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 11, 1, 5, 30, 0).unwrap());
        // The day after, 01:30 is EST: 06:30 UTC.
        let due = c.due(local(2026, 10, 31, 12, 0), ResponseTarget::BusinessDays(2), new_york()).unwrap();
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 11, 2, 6, 30, 0).unwrap());
    }

    #[test]
    fn same_day_and_empty_calendars() {
        let c = calendar();
        assert_eq!(
            c.due(local(2026, 11, 23, 9, 0), ResponseTarget::BusinessDays(0), new_york()),
            Some(local(2026, 11, 23, 17, 0))
        );
        assert_eq!(
            c.due(local(2026, 11, 23, 18, 0), ResponseTarget::BusinessDays(0), new_york()),
            Some(local(2026, 11, 24, 17, 0))
        );
        let never = BusinessCalendar { workdays: vec![], ..calendar() };
        assert_eq!(never.due(local(2026, 11, 23, 9, 0), ResponseTarget::BusinessDays(1), new_york()), None);
        assert_eq!(never.due(local(2026, 11, 23, 9, 0), ResponseTarget::BusinessHours(1), new_york()), None);
    }

    #[test]
    fn targets_and_calendars_read_from_the_catalog_file() {
        let target: ResponseTarget = serde_json::from_str(r#"{"business_days": 3}"#).unwrap();
        assert_eq!(target, ResponseTarget::BusinessDays(3));
        let c: BusinessCalendar = serde_json::from_str(
            r#"{"opens": "08:00:00", "closes": "17:00:00", "holidays": ["2026-12-25"]}"#,
        )
        .unwrap();
        assert_eq!(c.workdays.len(), 5);
        assert!(!c.is_business_day(NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()));
    }
}
