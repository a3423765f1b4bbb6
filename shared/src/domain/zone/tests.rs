use super::*;
use chrono::{DateTime, Timelike};

fn zone(name: &str) -> TownZone {
    TownZone::named(name).unwrap()
}

fn wall(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap()
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    wall(y, m, d, h, min).and_utc()
}

/// The UTC offset in force at an instant, in hours east.
fn hours_east(zone: TownZone, at: DateTime<Utc>) -> f64 {
    f64::from(at.with_timezone(&zone).offset().fix().local_minus_utc()) / 3600.0
}

#[test]
fn new_york_changes_its_offset_at_the_spring_and_fall_transitions() {
    let ny = zone("America/New_York");
    // 2026-03-08 02:00 EST becomes 03:00 EDT, at 07:00 UTC.
    assert_eq!(hours_east(ny, utc(2026, 3, 8, 6, 59)), -5.0);
    assert_eq!(hours_east(ny, utc(2026, 3, 8, 7, 0)), -4.0);
    // 2026-11-01 02:00 EDT becomes 01:00 EST, at 06:00 UTC.
    assert_eq!(hours_east(ny, utc(2026, 11, 1, 5, 59)), -4.0);
    assert_eq!(hours_east(ny, utc(2026, 11, 1, 6, 0)), -5.0);
    let summer = utc(2026, 7, 1, 12, 0).with_timezone(&ny);
    assert_eq!((summer.hour(), summer.offset().abbreviation()), (8, "EDT"));
    assert_eq!(summer.to_string(), "2026-07-01 08:00:00 EDT");
}

#[test]
fn a_skipped_wall_time_has_no_instant_and_a_repeated_one_has_two() {
    let ny = zone("America/New_York");
    assert_eq!(ny.from_local_datetime(&wall(2026, 3, 8, 2, 30)), MappedLocalTime::None);
    assert_eq!(ny.from_local_datetime(&wall(2026, 3, 8, 1, 59)).single().unwrap(), utc(2026, 3, 8, 6, 59));
    assert_eq!(ny.from_local_datetime(&wall(2026, 3, 8, 3, 0)).single().unwrap(), utc(2026, 3, 8, 7, 0));
    match ny.from_local_datetime(&wall(2026, 11, 1, 1, 30)) {
        MappedLocalTime::Ambiguous(first, second) => {
            assert_eq!((first.to_utc(), first.offset().abbreviation()), (utc(2026, 11, 1, 5, 30), "EDT"));
            assert_eq!((second.to_utc(), second.offset().abbreviation()), (utc(2026, 11, 1, 6, 30), "EST"));
        }
        other => panic!("expected two instants, got {other:?}"),
    }
    assert_eq!(ny.from_local_datetime(&wall(2026, 11, 1, 2, 0)).single().unwrap(), utc(2026, 11, 1, 7, 0));
}

#[test]
fn the_southern_hemisphere_keeps_summer_time_around_new_year() {
    let sydney = zone("Australia/Sydney");
    assert_eq!(hours_east(sydney, utc(2026, 1, 15, 0, 0)), 11.0);
    assert_eq!(hours_east(sydney, utc(2026, 7, 15, 0, 0)), 10.0);
    // 2026-04-05 03:00 AEDT becomes 02:00 AEST; 2026-10-04 02:00 AEST becomes 03:00 AEDT.
    assert!(matches!(sydney.from_local_datetime(&wall(2026, 4, 5, 2, 30)), MappedLocalTime::Ambiguous(..)));
    assert_eq!(sydney.from_local_datetime(&wall(2026, 10, 4, 2, 30)), MappedLocalTime::None);
    // São Paulo has kept -03:00 all year since 2019.
    let sao_paulo = zone("America/Sao_Paulo");
    assert_eq!(hours_east(sao_paulo, utc(2026, 1, 15, 0, 0)), -3.0);
    assert_eq!(hours_east(sao_paulo, utc(2026, 7, 15, 0, 0)), -3.0);
    assert_eq!(hours_east(sao_paulo, utc(2018, 12, 15, 0, 0)), -2.0);
}

#[test]
fn rules_carry_on_past_the_last_listed_transition() {
    let ny = zone("America/New_York");
    assert_eq!(hours_east(ny, utc(2071, 7, 4, 12, 0)), -4.0);
    assert_eq!(hours_east(ny, utc(2071, 12, 25, 12, 0)), -5.0);
    assert_eq!(hours_east(ny, utc(1850, 1, 1, 12, 0)), -17762.0 / 3600.0);
    let utc_zone = zone("UTC");
    assert_eq!(hours_east(utc_zone, utc(2026, 7, 1, 0, 0)), 0.0);
    assert_eq!(
        utc_zone.from_local_datetime(&wall(2026, 3, 8, 2, 30)).single().unwrap(),
        utc(2026, 3, 8, 2, 30)
    );
}

#[test]
fn names_are_those_of_the_tz_database() {
    assert_eq!(zone("America/New_York").name(), "America/New_York");
    assert!(matches!(TownZone::named("Mars/Olympus"), Err(ZoneError::Unknown(_))));
    let misspelt = TownZone::named("america/new_york").unwrap_err().to_string();
    assert!(misspelt.contains("America/New_York"), "{misspelt}");
    assert_ne!(zone("America/New_York"), zone("America/Chicago"));
}

#[test]
fn a_zone_is_read_once() {
    let (first, second) = (zone("Europe/Paris"), zone("Europe/Paris"));
    assert!(std::ptr::eq(first.0, second.0));
}
