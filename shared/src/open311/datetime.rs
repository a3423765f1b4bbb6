//! W3C datetimes with the town's UTC offset, as Open311 requires.

use crate::domain::zone::TownZone;
use chrono::{DateTime, Utc};

/// Formats `at` in the town's timezone, e.g. `2026-11-22T09:30:00-05:00`.
pub fn w3c(at: DateTime<Utc>, timezone: TownZone) -> String {
    at.with_timezone(&timezone).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::zone::TownZone;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn carries_the_offset_of_the_day() {
        let tz = TownZone::named("America/New_York").unwrap();
        assert_eq!(w3c(at(2026, 11, 22, 14, 30), tz), "2026-11-22T09:30:00-05:00");
        assert_eq!(w3c(at(2026, 7, 1, 14, 30), tz), "2026-07-01T10:30:00-04:00");
        let utc = TownZone::named("UTC").unwrap();
        assert_eq!(w3c(at(2026, 11, 22, 14, 30), utc), "2026-11-22T14:30:00+00:00");
    }

    #[test]
    fn changes_offset_at_the_minute_the_clocks_change() {
        let tz = TownZone::named("America/New_York").unwrap();
        // Spring forward: 01:59 EST is followed by 03:00 EDT.
        assert_eq!(w3c(at(2026, 3, 8, 6, 59), tz), "2026-03-08T01:59:00-05:00");
        assert_eq!(w3c(at(2026, 3, 8, 7, 0), tz), "2026-03-08T03:00:00-04:00");
        // Fall back: 01:30 happens twice, first in EDT then in EST.
        assert_eq!(w3c(at(2026, 11, 1, 5, 30), tz), "2026-11-01T01:30:00-04:00");
        assert_eq!(w3c(at(2026, 11, 1, 6, 30), tz), "2026-11-01T01:30:00-05:00");
    }

    #[test]
    fn follows_southern_summers() {
        let sydney = TownZone::named("Australia/Sydney").unwrap();
        assert_eq!(w3c(at(2026, 1, 15, 0, 0), sydney), "2026-01-15T11:00:00+11:00");
        assert_eq!(w3c(at(2026, 7, 15, 0, 0), sydney), "2026-07-15T10:00:00+10:00");
        // 2026-04-05 03:00 AEDT falls back to 02:00 AEST, at 16:00 UTC the day before.
        assert_eq!(w3c(at(2026, 4, 4, 15, 59), sydney), "2026-04-05T02:59:00+11:00");
        assert_eq!(w3c(at(2026, 4, 4, 16, 0), sydney), "2026-04-05T02:00:00+10:00");
        let sao_paulo = TownZone::named("America/Sao_Paulo").unwrap();
        assert_eq!(w3c(at(2026, 1, 15, 12, 0), sao_paulo), "2026-01-15T09:00:00-03:00");
        assert_eq!(w3c(at(2019, 1, 15, 12, 0), sao_paulo), "2019-01-15T10:00:00-02:00");
    }
}
