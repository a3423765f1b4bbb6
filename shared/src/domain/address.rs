//! The town's address points: where each street address is, so a request given only an address
//! gets a point (and with it area routing, the duplicate check and a place on the map), and the
//! citizen form can suggest addresses as they are typed. `file` reads a town's address file.

pub mod file;

use crate::domain::location::GeoPoint;
use serde::{Deserialize, Serialize};

/// The fewest characters of normalised text a search takes: fewer would match half the town.
pub const MIN_SEARCH_CHARS: usize = 3;
/// The most suggestions one search gives.
pub const MAX_SUGGESTIONS: usize = 10;
/// How far from a dropped pin an address may be and still be the one under it, in metres.
pub const NEAREST_WITHIN_M: f64 = 150.0;

const MAX_ID: usize = 100;
const MAX_ADDRESS: usize = 200;
const MAX_UNIT: usize = 50;

/// One address point: an id in the town's address file, the address as one line, an optional
/// unit, and where it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddressPoint {
    pub id: String,
    /// The address as one display line, e.g. "12 Main Street".
    pub address: String,
    /// A unit, suite or other detail within the address, e.g. "Apt 4".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    pub point: GeoPoint,
}

/// Why an address point was refused, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("{field} is too long (at most {max} characters)")]
    TooLong { field: &'static str, max: usize },
}

impl AddressPoint {
    /// An address point with its text trimmed and checked.
    pub fn new(id: &str, address: &str, unit: Option<&str>, point: GeoPoint) -> Result<Self, AddressError> {
        let id = required(id, "id", MAX_ID)?;
        let address = required(address, "address", MAX_ADDRESS)?;
        let unit = match unit.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => Some(required(u, "unit", MAX_UNIT)?),
            None => None,
        };
        Ok(Self { id, address, unit, point })
    }

    /// The address with its unit, as the citizen sees it: "12 Main Street, Apt 4".
    pub fn label(&self) -> String {
        match &self.unit {
            Some(unit) => format!("{}, {unit}", self.address),
            None => self.address.clone(),
        }
    }

    /// The normalised texts this address is found under: its whole line, and its street first
    /// ("main street 12"), so typing the street alone finds it too.
    pub fn search_keys(&self) -> Vec<String> {
        let line = normalize(&self.label());
        let mut keys = vec![line.clone()];
        let tokens: Vec<&str> = line.split(' ').collect();
        if let [number, street @ ..] = tokens.as_slice() {
            if !street.is_empty() && number.starts_with(|c: char| c.is_ascii_digit()) {
                let street_first = format!("{} {number}", street.join(" "));
                if street_first != line {
                    keys.push(street_first);
                }
            }
        }
        keys.retain(|k| k.chars().count() >= MIN_SEARCH_CHARS);
        keys
    }

    /// Whether `text` names this address exactly, once both are normalised.
    pub fn is_named_by(&self, text: &str) -> bool {
        let text = normalize(text);
        !text.is_empty() && self.search_keys().contains(&text)
    }
}

fn required(value: &str, field: &'static str, max: usize) -> Result<String, AddressError> {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.is_empty() {
        return Err(AddressError::Missing(field));
    }
    if value.chars().count() > max {
        return Err(AddressError::TooLong { field, max });
    }
    Ok(value)
}

/// Street types as written in full, by their common abbreviations (USPS Publication 28's most
/// frequent ones).
const STREET_TYPES: &[(&str, &str)] = &[
    ("st", "street"),
    ("str", "street"),
    ("ave", "avenue"),
    ("av", "avenue"),
    ("rd", "road"),
    ("dr", "drive"),
    ("ln", "lane"),
    ("blvd", "boulevard"),
    ("ct", "court"),
    ("pl", "place"),
    ("cir", "circle"),
    ("ter", "terrace"),
    ("terr", "terrace"),
    ("pkwy", "parkway"),
    ("hwy", "highway"),
    ("sq", "square"),
    ("trl", "trail"),
    ("cres", "crescent"),
    ("aly", "alley"),
    ("hts", "heights"),
];

/// The text an address is searched by: lower case, accents and punctuation dropped, single
/// spaces, and street types written in full ("12 Main St." → "12 main street"). A type is only
/// expanded after the street's first word, so "St Marys Road" keeps its saint.
pub fn normalize(text: &str) -> String {
    let folded: String = text
        .chars()
        .flat_map(char::to_lowercase)
        .map(fold_accent)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut out: Vec<&str> = Vec::new();
    let mut street_started = false;
    for token in folded.split_whitespace() {
        let numeric = token.starts_with(|c: char| c.is_ascii_digit());
        let word = match STREET_TYPES.iter().find(|(short, _)| *short == token) {
            Some((_, full)) if street_started => full,
            _ => token,
        };
        street_started |= !numeric;
        out.push(word);
    }
    out.join(" ")
}

/// The letter without its accent, for the accented Latin letters common in street names.
fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

/// The first `MIN_SEARCH_CHARS` characters of a normalised text: the slice of the index a
/// search reads. `None` for a text too short to search.
pub fn search_prefix(normalized: &str) -> Option<String> {
    (normalized.chars().count() >= MIN_SEARCH_CHARS)
        .then(|| normalized.chars().take(MIN_SEARCH_CHARS).collect())
}

/// Of a search's results, the one a typed address means: the one it names exactly, else the
/// only one found.
pub fn best_match<'a>(text: &str, found: &'a [AddressPoint]) -> Option<&'a AddressPoint> {
    let mut exact = found.iter().filter(|a| a.is_named_by(text));
    match (exact.next(), exact.next()) {
        (Some(one), None) => Some(one),
        (Some(_), Some(_)) => None,
        (None, _) => match found {
            [only] => Some(only),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, long: f64) -> GeoPoint {
        GeoPoint::new(lat, long).unwrap()
    }

    fn address(id: &str, line: &str) -> AddressPoint {
        AddressPoint::new(id, line, None, at(42.265, -71.8)).unwrap()
    }

    #[test]
    fn normalising_drops_case_punctuation_and_spacing_and_writes_street_types_in_full() {
        assert_eq!(normalize("12 Main Street"), "12 main street");
        assert_eq!(normalize("  12   MAIN st. "), "12 main street");
        assert_eq!(normalize("12 main st"), normalize("12 Main Street"));
        assert_eq!(normalize("4 Oak Ave"), "4 oak avenue");
        assert_eq!(normalize("9 Hill Rd, Millbrook"), "9 hill road millbrook");
        assert_eq!(normalize("77 Elm Dr"), "77 elm drive");
        assert_eq!(normalize("3 Birch Ln"), "3 birch lane");
        assert_eq!(normalize("5 Calle Ñandú"), "5 calle nandu");
        assert_eq!(normalize("12-B Main St #4"), "12 b main street 4");
    }

    #[test]
    fn a_street_type_word_that_begins_the_street_is_a_name() {
        assert_eq!(normalize("8 St Marys Rd"), "8 st marys road");
        assert_eq!(normalize("Dr Smith Way"), "dr smith way");
    }

    #[test]
    fn an_address_is_found_by_its_line_and_by_its_street_first() {
        let a = AddressPoint::new("a1", "12 Main Street", Some("Apt 4"), at(42.0, -71.0)).unwrap();
        assert_eq!(a.label(), "12 Main Street, Apt 4");
        assert_eq!(a.search_keys(), vec!["12 main street apt 4", "main street apt 4 12"]);
        let plain = address("a2", "Town Green");
        assert_eq!(plain.search_keys(), vec!["town green"]);
        assert!(address("a3", "12 Main Street").is_named_by("12 main st."));
        assert!(address("a3", "12 Main Street").is_named_by("Main St 12"));
        assert!(!address("a3", "12 Main Street").is_named_by("12 Main"));
    }

    #[test]
    fn an_address_point_needs_an_id_and_a_line_within_bounds() {
        let p = at(42.0, -71.0);
        assert_eq!(AddressPoint::new(" ", "1 Main St", None, p), Err(AddressError::Missing("id")));
        assert_eq!(AddressPoint::new("1", "", None, p), Err(AddressError::Missing("address")));
        assert!(matches!(
            AddressPoint::new("1", &"x".repeat(201), None, p),
            Err(AddressError::TooLong { field: "address", .. })
        ));
        assert_eq!(AddressPoint::new("1", "1 Main St", Some("  "), p).unwrap().unit, None);
    }

    #[test]
    fn searches_take_three_characters_at_least() {
        assert_eq!(search_prefix("12"), None);
        assert_eq!(search_prefix("12 main"), Some("12 ".to_owned()));
        assert_eq!(search_prefix("ñan"), Some("ñan".to_owned()));
    }

    #[test]
    fn the_best_match_is_the_exact_one_or_the_only_one() {
        let found = vec![address("a", "12 Main Street"), address("b", "120 Main Street")];
        assert_eq!(best_match("12 main st", &found).map(|a| a.id.as_str()), Some("a"));
        assert_eq!(best_match("12 Mai", &found), None, "two candidates, neither named");
        assert_eq!(best_match("120 Mai", &found[1..]).map(|a| a.id.as_str()), Some("b"));
        assert_eq!(best_match("anything", &[]), None);
        let twins = vec![address("a", "12 Main Street"), address("b", "12 Main St")];
        assert_eq!(best_match("12 Main Street", &twins), None, "two addresses named alike");
    }
}
