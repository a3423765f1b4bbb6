//! A town's address file, as counties and state 911 programmes publish them: GeoJSON (a
//! FeatureCollection of Points) or CSV with a header row. Column and property names are matched
//! loosely (case, spaces and underscores ignored) against the names in common use: `id`,
//! `address`/`full_addr`, `number`/`add_number`, `street`/`st_name` (NENA's street name parts
//! are joined), `unit`, and in CSV `lat`/`latitude`/`y` and `long`/`lon`/`lng`/`x`.
//!
//! A row or feature that cannot be read is refused with its line or feature number and the
//! field at fault; the others are read.

use super::{AddressError, AddressPoint, normalize};
use crate::domain::location::GeoPoint;
use serde_json::Value;

/// What was read from a file: the addresses, and each row or feature refused.
#[derive(Debug, Default)]
pub struct AddressFile {
    pub addresses: Vec<AddressPoint>,
    pub refused: Vec<Refused>,
}

/// A row or feature that was not read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// "line 12" or "feature 3".
    pub at: String,
    pub reason: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.reason)
    }
}

/// Why a whole file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the file is not GeoJSON: {0}")]
    Json(String),
    #[error("the GeoJSON is not a FeatureCollection")]
    NotCollection,
    #[error("the CSV has no header row")]
    NoHeader,
    #[error("the CSV has no {0} column")]
    NoColumn(&'static str),
}

const ID: &[&str] =
    &["id", "addressid", "addrid", "siteid", "sitenguid", "nguid", "objectid", "fid", "gid", "uid", "hash"];
const FULL: &[&str] = &[
    "address",
    "fulladdress",
    "fulladdr",
    "fulladd",
    "siteaddress",
    "siteaddr",
    "addr",
    "addressline",
    "streetaddress",
];
const NUMBER: &[&str] = &[
    "number",
    "housenumber",
    "housenum",
    "addnumber",
    "addnum",
    "addrnum",
    "addressnumber",
    "streetnumber",
    "stnum",
];
const NUMBER_PREFIX: &[&str] = &["addnumpre", "numberprefix"];
const NUMBER_SUFFIX: &[&str] = &["addnumsuf", "numbersuffix"];
const STREET: &[&str] = &["street", "streetname", "fullstreet", "fullname", "stname", "road"];
/// NENA's street name parts, in the order they are written.
const STREET_PARTS: &[&str] =
    &["stpremod", "stpredir", "stpretyp", "stpresep", "stname", "stpostyp", "stposdir", "stposmod"];
const UNIT: &[&str] = &["unit", "unitnumber", "unitnum", "apt", "apartment", "suite"];
const LAT: &[&str] = &["lat", "latitude", "y"];
const LONG: &[&str] = &["long", "lon", "lng", "longitude", "x"];

/// A column or property name as matched: lower case, letters and digits only.
fn simple(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

impl AddressFile {
    /// Reads GeoJSON (text starting with `{`) or CSV.
    pub fn parse(text: &str) -> Result<Self, FileError> {
        let text = text.trim_start_matches('\u{feff}');
        if text.trim_start().starts_with('{') { Self::geojson(text) } else { Self::csv(text) }
    }

    /// Reads a GeoJSON FeatureCollection of Points.
    pub fn geojson(text: &str) -> Result<Self, FileError> {
        let value: Value = serde_json::from_str(text).map_err(|e| FileError::Json(e.to_string()))?;
        let features = value
            .get("features")
            .and_then(Value::as_array)
            .filter(|_| value.get("type").and_then(Value::as_str) == Some("FeatureCollection"))
            .ok_or(FileError::NotCollection)?;
        let mut file = Self::default();
        for (i, feature) in features.iter().enumerate() {
            match feature_address(feature) {
                Ok(address) => file.addresses.push(address),
                Err(reason) => file.refused.push(Refused { at: format!("feature {}", i + 1), reason }),
            }
        }
        Ok(file)
    }

    /// Reads CSV with a header row.
    pub fn csv(text: &str) -> Result<Self, FileError> {
        let mut records = records(text).into_iter();
        let (_, header) = records.next().ok_or(FileError::NoHeader)?;
        let names: Vec<String> = header.iter().map(|h| simple(h)).collect();
        let column = |wanted: &[&str]| wanted.iter().find_map(|w| names.iter().position(|n| n == w));
        let columns = Columns {
            id: column(ID),
            full: column(FULL),
            number: column(NUMBER),
            number_prefix: column(NUMBER_PREFIX),
            number_suffix: column(NUMBER_SUFFIX),
            street: column(STREET),
            street_parts: STREET_PARTS.iter().filter_map(|p| column(&[*p])).collect(),
            unit: column(UNIT),
        };
        if columns.full.is_none() && columns.street.is_none() {
            return Err(FileError::NoColumn("address (or street)"));
        }
        let lat = column(LAT).ok_or(FileError::NoColumn("lat"))?;
        let long = column(LONG).ok_or(FileError::NoColumn("long"))?;
        let mut file = Self::default();
        for (line, row) in records {
            if row.iter().all(|v| v.trim().is_empty()) {
                continue;
            }
            let get = |i: Option<usize>| i.and_then(|i| row.get(i)).map(String::as_str);
            let point = coordinates(get(Some(lat)), get(Some(long)));
            match point.and_then(|point| columns.address(&get, point)) {
                Ok(address) => file.addresses.push(address),
                Err(reason) => file.refused.push(Refused { at: format!("line {line}"), reason }),
            }
        }
        Ok(file)
    }
}

/// Where each part of an address is, by column.
struct Columns {
    id: Option<usize>,
    full: Option<usize>,
    number: Option<usize>,
    number_prefix: Option<usize>,
    number_suffix: Option<usize>,
    street: Option<usize>,
    street_parts: Vec<usize>,
    unit: Option<usize>,
}

impl Columns {
    fn address<'a>(
        &self,
        get: &impl Fn(Option<usize>) -> Option<&'a str>,
        point: GeoPoint,
    ) -> Result<AddressPoint, String> {
        let parts = Parts {
            id: get(self.id),
            full: get(self.full),
            number: [get(self.number_prefix), get(self.number), get(self.number_suffix)],
            street: if self.street_parts.len() > 1 {
                Some(join(self.street_parts.iter().map(|i| get(Some(*i)))))
            } else {
                get(self.street).map(str::to_owned)
            },
            unit: get(self.unit),
        };
        parts.address(point)
    }
}

/// The parts of one address as a row or feature gives them.
struct Parts<'a> {
    id: Option<&'a str>,
    full: Option<&'a str>,
    number: [Option<&'a str>; 3],
    street: Option<String>,
    unit: Option<&'a str>,
}

impl Parts<'_> {
    fn address(&self, point: GeoPoint) -> Result<AddressPoint, String> {
        let full = self.full.map(str::trim).filter(|f| !f.is_empty());
        let line = match (full, self.street.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
            (Some(full), _) => full.to_owned(),
            (None, Some(street)) => {
                let number = join(self.number.iter().copied()).replace(' ', "");
                join([Some(number.as_str()), Some(street)].into_iter())
            }
            (None, None) => return Err("address is missing (no address or street)".into()),
        };
        let unit = self.unit.map(str::trim).filter(|u| !u.is_empty());
        // Without an id, the address itself names the point.
        let id = match self.id.map(str::trim).filter(|i| !i.is_empty()) {
            Some(id) => id.to_owned(),
            None => {
                let label = unit.map_or_else(|| line.clone(), |u| format!("{line} {u}"));
                normalize(&label).replace(' ', "-")
            }
        };
        AddressPoint::new(&id, &line, unit, point).map_err(|e| match e {
            AddressError::Missing(field) => format!("{field} is missing"),
            other => other.to_string(),
        })
    }
}

/// The present, non-empty values, with single spaces between.
fn join<'a>(values: impl Iterator<Item = Option<&'a str>>) -> String {
    values.flatten().map(str::trim).filter(|v| !v.is_empty()).collect::<Vec<_>>().join(" ")
}

fn coordinates(lat: Option<&str>, long: Option<&str>) -> Result<GeoPoint, String> {
    let lat = lat.map(str::trim).filter(|v| !v.is_empty()).ok_or("lat is missing")?;
    let long = long.map(str::trim).filter(|v| !v.is_empty()).ok_or("long is missing")?;
    let lat = lat.parse::<f64>().map_err(|_| format!("lat '{lat}' is not a number"))?;
    let long = long.parse::<f64>().map_err(|_| format!("long '{long}' is not a number"))?;
    GeoPoint::new(lat, long).map_err(|e| e.to_string())
}

fn feature_address(feature: &Value) -> Result<AddressPoint, String> {
    let geometry = feature.get("geometry").filter(|g| !g.is_null()).ok_or("geometry is missing")?;
    if geometry.get("type").and_then(Value::as_str) != Some("Point") {
        return Err("geometry is not a Point".into());
    }
    let position = geometry.get("coordinates").and_then(Value::as_array).ok_or("coordinates are missing")?;
    let (Some(long), Some(lat)) =
        (position.first().and_then(Value::as_f64), position.get(1).and_then(Value::as_f64))
    else {
        return Err("coordinates are not [long, lat] numbers".into());
    };
    let point = GeoPoint::new(lat, long).map_err(|e| e.to_string())?;
    let properties: Vec<(String, String)> = feature
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.iter().filter_map(|(k, v)| Some((simple(k), text(v)?))).collect())
        .unwrap_or_default();
    let get = |wanted: &[&str]| {
        wanted.iter().find_map(|w| properties.iter().find(|(k, _)| k == w).map(|(_, v)| v.as_str()))
    };
    let feature_id = feature.get("id").and_then(text);
    let street_parts: Vec<Option<&str>> = STREET_PARTS.iter().map(|p| get(&[*p])).collect();
    let parts = Parts {
        id: get(ID).or(feature_id.as_deref()),
        full: get(FULL),
        number: [get(NUMBER_PREFIX), get(NUMBER), get(NUMBER_SUFFIX)],
        street: if street_parts.iter().flatten().count() > 1 {
            Some(join(street_parts.into_iter()))
        } else {
            get(STREET).map(str::to_owned)
        },
        unit: get(UNIT),
    };
    parts.address(point)
}

/// A property's value as text: strings as they are, numbers written out.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The records of a CSV text (RFC 4180: quoted fields may hold commas, quotes doubled and line
/// breaks), each with the line it starts on.
fn records(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut records = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let (mut line, mut start) = (1, 1);
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push((start, std::mem::take(&mut record)));
                line += 1;
                start = line;
            }
            (_, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push((start, record));
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_csv_with_a_whole_address_column() {
        let file = AddressFile::parse("id,address,lat,long\na1,12 Main Street,42.265,-71.8\n").unwrap();
        assert!(file.refused.is_empty(), "{:?}", file.refused);
        let a = &file.addresses[0];
        assert_eq!((a.id.as_str(), a.address.as_str()), ("a1", "12 Main Street"));
        assert_eq!((a.point.lat(), a.point.long()), (42.265, -71.8));
    }

    #[test]
    fn reads_csv_with_number_and_street_and_loose_column_names() {
        let text = "\u{feff}ID,House_Number,Street Name,Unit,Latitude,LON\r\n\
                    7,12,\"Main Street\",\"Apt 4\",42.1,-71.2\r\n\
                    8,\"3\",\"Elm St, North\",,42.2,-71.3\r\n";
        let file = AddressFile::parse(text).unwrap();
        assert!(file.refused.is_empty(), "{:?}", file.refused);
        assert_eq!(file.addresses[0].label(), "12 Main Street, Apt 4");
        assert_eq!(file.addresses[1].address, "3 Elm St, North");
        assert_eq!(file.addresses[1].unit, None);
    }

    #[test]
    fn refuses_unreadable_rows_by_line_and_field_and_reads_the_rest() {
        let text = "id,number,street,lat,lon\n\
                    1,12,Main Street,42.1,-71.2\n\
                    2,14,Main Street,north,-71.2\n\
                    \n\
                    3,16,,42.1,-71.2\n\
                    4,18,Main Street,42.1\n\
                    5,20,Main Street,95,-71.2\n\
                    6,\"22\",\"Main\nStreet\",42.1,-71.2\n\
                    7,24,Main Street,42.1,-71.2\n";
        let file = AddressFile::parse(text).unwrap();
        let refused: Vec<String> = file.refused.iter().map(ToString::to_string).collect();
        assert_eq!(
            refused,
            vec![
                "line 3: lat 'north' is not a number",
                "line 5: address is missing (no address or street)",
                "line 6: long is missing",
                "line 7: lat must be a number between -90 and 90",
            ]
        );
        let ids: Vec<&str> = file.addresses.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, vec!["1", "6", "7"], "a quoted line break is part of its field");
        assert_eq!(file.addresses[2].address, "24 Main Street");
    }

    #[test]
    fn a_csv_without_the_columns_it_needs_is_refused_whole() {
        assert!(matches!(AddressFile::parse(""), Err(FileError::NoHeader)));
        assert!(matches!(AddressFile::parse("id,lat,long\n1,2,3\n"), Err(FileError::NoColumn(_))));
        assert!(matches!(AddressFile::parse("id,address,lat\n1,x,3\n"), Err(FileError::NoColumn("long"))));
    }

    #[test]
    fn reads_geojson_with_county_and_nena_property_names() {
        let text = r#"{"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-71.8, 42.26]},
             "properties": {"OBJECTID": 101, "FULL_ADDR": "12 Main Street"}},
            {"type": "Feature", "id": "f2", "geometry": {"type": "Point", "coordinates": [-71.81, 42.27]},
             "properties": {"Add_Number": 7, "AddNum_Suf": "B", "St_PreDir": "North", "St_Name": "Oak",
                            "St_PosTyp": "Street", "Unit": "2"}},
            {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
             "properties": {"address": "1 Main Street"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-71.8, 42.26]},
             "properties": {"id": "x"}}
        ]}"#;
        let file = AddressFile::parse(text).unwrap();
        assert_eq!(file.addresses.len(), 2, "{:?}", file.refused);
        assert_eq!(
            (file.addresses[0].id.as_str(), file.addresses[0].address.as_str()),
            ("101", "12 Main Street")
        );
        assert_eq!(file.addresses[1].id, "f2");
        assert_eq!(file.addresses[1].label(), "7B North Oak Street, 2");
        let refused: Vec<String> = file.refused.iter().map(ToString::to_string).collect();
        assert_eq!(
            refused,
            vec![
                "feature 3: geometry is not a Point",
                "feature 4: address is missing (no address or street)"
            ]
        );
    }

    #[test]
    fn an_address_without_an_id_is_named_by_its_text() {
        let file = AddressFile::parse("address,unit,lat,long\n12 Main St.,Apt 4,42.1,-71.2\n").unwrap();
        assert_eq!(file.addresses[0].id, "12-main-street-apt-4");
    }

    #[test]
    fn geojson_that_is_not_a_feature_collection_is_refused_whole() {
        assert!(matches!(AddressFile::parse("{not json"), Err(FileError::Json(_))));
        assert!(matches!(AddressFile::parse(r#"{"type": "Feature"}"#), Err(FileError::NotCollection)));
    }

    #[test]
    fn every_seed_address_of_the_demo_town_lies_inside_a_ward() {
        let file = AddressFile::parse(include_str!("../../../../infra/seed/addresses.csv")).unwrap();
        assert!(file.refused.is_empty(), "{:?}", file.refused);
        assert!((300..=400).contains(&file.addresses.len()), "{}", file.addresses.len());
        let rules = crate::domain::routing::demo_rules();
        for address in &file.addresses {
            let wards: Vec<&str> =
                rules.areas_of(address.point).into_iter().filter(|a| a.starts_with("WARD")).collect();
            assert_eq!(wards.len(), 1, "{} ({}) is in {wards:?}", address.label(), address.id);
        }
        let mut ids: Vec<&str> = file.addresses.iter().map(|a| a.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), file.addresses.len(), "ids are unique");
    }
}
