//! Reading the query parameters of Open311 listings (`GET requests`, `servicerequestupdates`)
//! into bounded, index-backed listings.

use crate::domain::id::TicketId;
use crate::domain::listing::{Indexed, MAX_RESULTS, StatusFilter, TicketFilter, Window, WindowError};
use crate::domain::zone::TownZone;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use std::ops::RangeInclusive;

/// The most tickets one page may hold when `extensions=true` (each needs its history).
pub const MAX_EXTENDED_PAGE: usize = 100;
/// How deep offset paging may reach.
pub const MAX_DEPTH: usize = 10_000;
const MAX_CODES: usize = 100;

/// Why a listing's parameters were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("{0} must be a date and time like 2026-11-22T09:30:00-05:00")]
    Datetime(&'static str),
    #[error("{0} must be a date from the year 1970 to the year 9999")]
    OutOfRange(&'static str),
    #[error(transparent)]
    Window(#[from] WindowError),
    #[error("status must be open, closed or both, comma-separated")]
    Status,
    #[error("{name} must be a whole number from 1 to {max}")]
    Number { name: &'static str, max: usize },
    #[error("at most {max} {name} values may be given")]
    TooMany { name: &'static str, max: usize },
    #[error("page and page_size reach past the first {0} results; narrow the dates instead")]
    TooDeep(usize),
    #[error("extensions must be true or false")]
    Extensions,
}

/// What `GET requests` asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// Named tickets (`service_request_id`), which override every other filter.
    Ids(Vec<TicketId>),
    Filtered(TicketFilter),
}

/// A parsed `GET requests` listing.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestsListing {
    pub selection: Selection,
    pub page: usize,
    pub page_size: usize,
    pub extensions: bool,
}

/// Reads a W3C datetime; one without an offset (or a bare date) is in the town's time. A `+`
/// left unencoded in a query string arrives as a space and is read as `+`. Dates outside
/// `YEARS` are not read.
pub fn datetime(text: &str, timezone: TownZone) -> Option<DateTime<Utc>> {
    read_datetime(text, timezone).ok()
}

/// Why a text is not a date a parameter may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unread {
    Unreadable,
    OutOfRange,
}

fn read_datetime(text: &str, timezone: TownZone) -> Result<DateTime<Utc>, Unread> {
    let text = text.trim();
    let repaired = text.replace(' ', "+");
    let offset = [text, repaired.as_str()].into_iter().find_map(|c| DateTime::parse_from_rfc3339(c).ok());
    let at = match offset {
        Some(at) => Some(at.with_timezone(&Utc)),
        None => {
            let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
                .ok()
                .or_else(|| {
                    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().map(|d| d.and_time(NaiveTime::MIN))
                })
                .ok_or(Unread::Unreadable)?;
            // A wall-clock time that has no instant is one at the very ends of the calendar.
            crate::domain::sla::to_utc(timezone, local)
        }
    };
    at.filter(|at| YEARS.contains(&at.year())).ok_or(Unread::OutOfRange)
}

/// The years a date parameter may name, in UTC. Sort keys and month partitions write years
/// with four digits (`stamp`, `%Y-%m` in the DynamoDB adapter), so only these sort as dates;
/// and no ticket predates 1970. This is the one bound every date a client sends is held to.
pub const YEARS: RangeInclusive<i32> = 1970..=9999;

/// Reads the date parameter `name`: unreadable text and dates outside `YEARS` are refused by
/// name, so what follows can do date arithmetic without overflowing.
pub fn date_parameter(
    name: &'static str,
    text: &str,
    timezone: TownZone,
) -> Result<DateTime<Utc>, ParamError> {
    read_datetime(text, timezone).map_err(|unread| match unread {
        Unread::Unreadable => ParamError::Datetime(name),
        Unread::OutOfRange => ParamError::OutOfRange(name),
    })
}

/// A comma list, trimmed, empty items dropped.
fn list(value: Option<&str>) -> Vec<String> {
    value
        .into_iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

fn number(value: Option<&str>, name: &'static str, default: usize, max: usize) -> Result<usize, ParamError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => {
            v.parse::<usize>().ok().filter(|n| (1..=max).contains(n)).ok_or(ParamError::Number { name, max })
        }
    }
}

/// Whether `extensions` asks for the extended records (`true`/`false` in any case).
pub fn extensions(value: Option<&str>) -> Result<bool, ParamError> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("" | "false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(_) => Err(ParamError::Extensions),
    }
}

/// A window from a pair of optional bounds.
pub fn window(
    get: &dyn Fn(&str) -> Option<String>,
    names: (&'static str, &'static str),
    now: DateTime<Utc>,
    timezone: TownZone,
) -> Result<Option<Window>, ParamError> {
    let read = |name: &'static str| -> Result<Option<DateTime<Utc>>, ParamError> {
        match get(name).filter(|v| !v.trim().is_empty()) {
            None => Ok(None),
            Some(text) => date_parameter(name, &text, timezone).map(Some),
        }
    };
    let (from, to) = (read(names.0)?, read(names.1)?);
    if from.is_none() && to.is_none() {
        return Ok(None);
    }
    let span = Duration::days(crate::domain::listing::MAX_SPAN_DAYS);
    // A start alone reads forward from it (90 days at most, not past now); an end alone, or
    // none, reads back 90 days.
    // Both bounds are within YEARS, so the sums cannot leave chrono's calendar; checked anyway,
    // because an overflow here would abort the Lambda.
    let to = match (to, from) {
        (Some(to), _) => to,
        (None, Some(from)) => from.checked_add_signed(span).ok_or(ParamError::OutOfRange(names.0))?.min(now),
        (None, None) => now,
    };
    let from = match from {
        Some(from) => from,
        None => to.checked_sub_signed(span).ok_or(ParamError::OutOfRange(names.1))?,
    };
    Ok(Some(Window::new(from, to, names)?))
}

/// Reads `GET requests` parameters through `get` (query parameters, empty meaning absent).
pub fn requests_listing(
    get: &dyn Fn(&str) -> Option<String>,
    now: DateTime<Utc>,
    timezone: TownZone,
) -> Result<RequestsListing, ParamError> {
    let extensions = extensions(get("extensions").as_deref())?;
    let max_page = if extensions { MAX_EXTENDED_PAGE } else { MAX_RESULTS };
    let page_size = number(get("page_size").as_deref(), "page_size", max_page, max_page)?;
    let page = number(get("page").as_deref(), "page", 1, MAX_DEPTH)?;
    if page * page_size > MAX_DEPTH {
        return Err(ParamError::TooDeep(MAX_DEPTH));
    }
    let ids = list(get("service_request_id").as_deref());
    if !ids.is_empty() {
        if ids.len() > MAX_RESULTS {
            return Err(ParamError::TooMany { name: "service_request_id", max: MAX_RESULTS });
        }
        // A malformed number names no ticket: it is simply not found.
        let ids = ids.iter().filter_map(|id| TicketId::parse(id).ok()).collect();
        return Ok(RequestsListing { selection: Selection::Ids(ids), page, page_size, extensions });
    }
    let service_codes = list(get("service_code").as_deref());
    if service_codes.len() > MAX_CODES {
        return Err(ParamError::TooMany { name: "service_code", max: MAX_CODES });
    }
    let statuses = list(get("status").as_deref())
        .iter()
        .map(|s| match s.to_ascii_lowercase().as_str() {
            "open" => Ok(StatusFilter::Open),
            "closed" => Ok(StatusFilter::Closed),
            _ => Err(ParamError::Status),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let requested = window(get, ("start_date", "end_date"), now, timezone)?;
    let updated = window(get, ("updated_after", "updated_before"), now, timezone)?;
    let (index, also_updated) = match (requested, updated) {
        (Some(r), updated) => (Indexed::Requested(r), updated),
        (None, Some(u)) => (Indexed::Updated(u), None),
        (None, None) => (Indexed::Requested(Window::last_90_days(now)), None),
    };
    let filter = TicketFilter {
        index,
        also_updated,
        service_codes,
        statuses,
        departments: None,
        limit: page * page_size,
    };
    Ok(RequestsListing { selection: Selection::Filtered(filter), page, page_size, extensions })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::collections::HashMap;

    fn tz() -> TownZone {
        TownZone::named("America/New_York").unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 15, 0, 0).unwrap()
    }

    fn parse(pairs: &[(&str, &str)]) -> Result<RequestsListing, ParamError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        requests_listing(&move |k| map.get(k).cloned(), now(), tz())
    }

    #[test]
    fn datetimes_in_every_form_clients_send() {
        let expected = Utc.with_ymd_and_hms(2026, 11, 22, 14, 30, 0).unwrap();
        assert_eq!(datetime("2026-11-22T09:30:00-05:00", tz()), Some(expected));
        assert_eq!(datetime("2026-11-22T14:30:00Z", tz()), Some(expected));
        assert_eq!(datetime("2026-11-22T15:30:00 01:00", tz()), Some(expected));
        assert_eq!(datetime("2026-11-22T09:30:00", tz()), Some(expected));
        assert_eq!(datetime("2026-11-22", tz()), Some(Utc.with_ymd_and_hms(2026, 11, 22, 5, 0, 0).unwrap()));
        assert_eq!(datetime("yesterday", tz()), None);
        // The hour clocks skip in spring is read as the moment after it.
        let spring = Utc.with_ymd_and_hms(2026, 3, 8, 7, 30, 0).unwrap();
        assert_eq!(datetime("2026-03-08T02:30:00", tz()), Some(spring));
    }

    #[test]
    fn the_default_is_the_last_90_days_and_1000_requests() {
        let listing = parse(&[]).unwrap();
        let Selection::Filtered(filter) = listing.selection else { panic!("filtered") };
        assert_eq!(filter.index, Indexed::Requested(Window::last_90_days(now())));
        assert_eq!(filter.limit, 1000);
        assert_eq!((listing.page, listing.page_size), (1, 1000));
    }

    #[test]
    fn a_start_alone_reads_forward_at_most_90_days() {
        let listing = parse(&[("start_date", "2026-01-01T00:00:00Z")]).unwrap();
        let Selection::Filtered(filter) = listing.selection else { panic!("filtered") };
        let Indexed::Requested(window) = filter.index else { panic!("requested") };
        assert_eq!(window.to(), Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap());
        let recent = parse(&[("start_date", "2026-11-20T00:00:00Z")]).unwrap();
        let Selection::Filtered(filter) = recent.selection else { panic!("filtered") };
        assert_eq!(
            filter.index,
            Indexed::Requested(
                Window::new(Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap(), now(), ("a", "b")).unwrap()
            )
        );
    }

    #[test]
    fn ids_override_every_other_filter() {
        let listing = parse(&[("service_request_id", "K7QM-3XPR, bad-id,AAAA0001"), ("status", "nonsense")]);
        let Selection::Ids(ids) = listing.unwrap().selection else { panic!("ids") };
        assert_eq!(ids.len(), 2);
    }

    #[test]
    fn updated_windows_read_the_updated_index() {
        let listing = parse(&[("updated_after", "2026-11-01T00:00:00Z")]).unwrap();
        let Selection::Filtered(filter) = listing.selection else { panic!("filtered") };
        assert!(matches!(filter.index, Indexed::Updated(_)));
    }

    #[test]
    fn bad_parameters_are_named() {
        assert_eq!(parse(&[("start_date", "soon")]), Err(ParamError::Datetime("start_date")));
        assert!(matches!(
            parse(&[("start_date", "2026-01-01T00:00:00Z"), ("end_date", "2026-06-01T00:00:00Z")]),
            Err(ParamError::Window(WindowError::TooLong { .. }))
        ));
        assert_eq!(parse(&[("status", "open,pending")]), Err(ParamError::Status));
        assert!(matches!(parse(&[("page_size", "0")]), Err(ParamError::Number { name: "page_size", .. })));
        assert!(matches!(parse(&[("page", "-1")]), Err(ParamError::Number { name: "page", .. })));
        assert_eq!(parse(&[("page", "11")]), Err(ParamError::TooDeep(10_000)));
        assert!(matches!(
            parse(&[("extensions", "true"), ("page_size", "500")]),
            Err(ParamError::Number { name: "page_size", max: 100 })
        ));
        assert_eq!(parse(&[("extensions", "maybe")]), Err(ParamError::Extensions));
    }

    fn window_of(pairs: &[(&str, &str)]) -> Result<Option<Window>, ParamError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        window(&move |k| map.get(k).cloned(), ("start_date", "end_date"), now(), tz())
    }

    #[test]
    fn dates_at_the_ends_of_the_calendar_are_refused_by_name() {
        for (name, text) in [
            ("end_date", "-262143-01-15"),
            ("start_date", "+262142-12-31"),
            ("start_date", "+262142-12-31T23:59:59"),
            ("end_date", "+262142-12-31T23:59"),
            ("start_date", "-262143-01-01"),
            ("start_date", "0000-01-01T00:00:00+23:59"),
            ("end_date", "9999-12-31T23:59:59-23:59"),
            ("start_date", "1969-12-31T23:59:59Z"),
        ] {
            assert_eq!(
                parse(&[(name, text)]).map(|_| ()),
                Err(ParamError::OutOfRange(name)),
                "{name}={text}"
            );
            assert_eq!(window_of(&[(name, text)]).map(|_| ()), Err(ParamError::OutOfRange(name)), "{text}");
        }
        for name in ["updated_after", "updated_before"] {
            for text in ["-262143-01-15", "+262142-12-31", "+12345-01-01"] {
                assert_eq!(parse(&[(name, text)]).map(|_| ()), Err(ParamError::OutOfRange(name)), "{text}");
            }
        }
    }

    #[test]
    fn the_first_and_last_days_of_the_range_are_read() {
        let listing = parse(&[("end_date", "1970-01-15")]).unwrap();
        let Selection::Filtered(filter) = listing.selection else { panic!("filtered") };
        let Indexed::Requested(window) = filter.index else { panic!("requested") };
        assert_eq!(window.to(), Utc.with_ymd_and_hms(1970, 1, 15, 5, 0, 0).unwrap());
        let late = window_of(&[("start_date", "9999-12-31T00:00:00Z"), ("end_date", "9999-12-31T23:59:59Z")]);
        assert!(matches!(late, Ok(Some(_))), "{late:?}");
        // A start alone in the future reads nothing, rather than failing.
        assert!(matches!(
            window_of(&[("start_date", "9999-12-31")]),
            Err(ParamError::Window(WindowError::Reversed { .. }))
        ));
    }

    mod properties {
        use super::*;
        use crate::hostile;
        use proptest::prelude::*;

        const NAMES: [&str; 9] = [
            "start_date",
            "end_date",
            "updated_after",
            "updated_before",
            "page",
            "page_size",
            "status",
            "extensions",
            "service_request_id",
        ];

        proptest! {
            #[test]
            fn any_text_is_read_as_a_date_in_range_or_not_at_all(text in hostile::text()) {
                if let Some(at) = datetime(&text, tz()) {
                    prop_assert!(YEARS.contains(&at.year()), "{text} read as {at}");
                }
            }

            #[test]
            fn a_date_out_of_range_is_refused_by_name(text in hostile::date_like(), pick in 0usize..4) {
                let name = NAMES[pick];
                let outcome = parse(&[(name, text.as_str())]);
                match read_datetime(&text, tz()) {
                    Err(Unread::OutOfRange) => prop_assert_eq!(outcome.map(|_| ()), Err(ParamError::OutOfRange(name))),
                    Err(Unread::Unreadable) => prop_assert_eq!(outcome.map(|_| ()), Err(ParamError::Datetime(name))),
                    Ok(_) => {}
                }
            }

            #[test]
            fn no_listing_parameters_panic(values in prop::collection::vec(hostile::text(), NAMES.len())) {
                let pairs: Vec<(&str, &str)> = NAMES.iter().copied().zip(values.iter().map(String::as_str)).collect();
                for used in 0..=pairs.len() {
                    let _ = parse(&pairs[..used]);
                }
                let _ = window_of(&pairs[..2]);
                let _ = extensions(Some(&values[0]));
            }
        }
    }
}
