//! W3C datetimes with the town's UTC offset, as Open311 requires.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// Formats `at` in the town's timezone, e.g. `2026-11-22T09:30:00-05:00`.
pub fn w3c(at: DateTime<Utc>, timezone: Tz) -> String {
    at.with_timezone(&timezone).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn carries_the_offset_of_the_day() {
        let winter = Utc.with_ymd_and_hms(2026, 11, 22, 14, 30, 0).unwrap();
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 14, 30, 0).unwrap();
        let tz = chrono_tz::America::New_York;
        assert_eq!(w3c(winter, tz), "2026-11-22T09:30:00-05:00");
        assert_eq!(w3c(summer, tz), "2026-07-01T10:30:00-04:00");
        assert_eq!(w3c(winter, chrono_tz::UTC), "2026-11-22T14:30:00+00:00");
    }
}
