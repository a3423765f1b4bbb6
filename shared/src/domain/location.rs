//! Where a request is: a WGS84 point, a street address, a town address id, or several of them.

use serde::{Deserialize, Serialize};

/// A WGS84 position, kept to 1e-7 of a degree (about a centimetre): finer digits say nothing of
/// a place, and a number as small as 1e-210 is one DynamoDB cannot store (its smallest is 1e-130).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawPoint")]
pub struct GeoPoint {
    lat: f64,
    long: f64,
}

#[derive(Deserialize)]
struct RawPoint {
    lat: f64,
    long: f64,
}

/// Why a location was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LocationError {
    #[error("lat must be a number between -90 and 90")]
    Latitude,
    #[error("long must be a number between -180 and 180")]
    Longitude,
    #[error("lat and long must be given together")]
    HalfPoint,
    #[error("a location is required: lat and long, address_string or address_id")]
    Missing,
    #[error("{field} is too long (at most {max} characters)")]
    TooLong { field: &'static str, max: usize },
}

impl GeoPoint {
    pub fn new(lat: f64, long: f64) -> Result<Self, LocationError> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(LocationError::Latitude);
        }
        if !long.is_finite() || !(-180.0..=180.0).contains(&long) {
            return Err(LocationError::Longitude);
        }
        // `+ 0.0` makes a rounded -0 a 0.
        let centimetre = |degrees: f64| (degrees * 1e7).round() / 1e7 + 0.0;
        Ok(Self { lat: centimetre(lat), long: centimetre(long) })
    }

    /// Reads `lat`/`long` as given in a form; both or neither.
    pub fn parse(lat: Option<&str>, long: Option<&str>) -> Result<Option<Self>, LocationError> {
        match (lat, long) {
            (None, None) => Ok(None),
            (Some(lat), Some(long)) => {
                let lat = lat.trim().parse::<f64>().map_err(|_| LocationError::Latitude)?;
                let long = long.trim().parse::<f64>().map_err(|_| LocationError::Longitude)?;
                Self::new(lat, long).map(Some)
            }
            _ => Err(LocationError::HalfPoint),
        }
    }

    pub fn lat(&self) -> f64 {
        self.lat
    }

    pub fn long(&self) -> f64 {
        self.long
    }
}

impl TryFrom<RawPoint> for GeoPoint {
    type Error = LocationError;
    fn try_from(raw: RawPoint) -> Result<Self, Self::Error> {
        Self::new(raw.lat, raw.long)
    }
}

const MAX_ADDRESS: usize = 500;
const MAX_ADDRESS_ID: usize = 100;

/// A request's location: any of a point, an address and an address id; none at all for a
/// request that is not about a place (the service decides whether one is needed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    point: Option<GeoPoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address_id: Option<String>,
}

impl Location {
    pub fn new(
        point: Option<GeoPoint>,
        address: Option<&str>,
        address_id: Option<&str>,
    ) -> Result<Self, LocationError> {
        let address = non_empty(address, "address_string", MAX_ADDRESS)?;
        let address_id = non_empty(address_id, "address_id", MAX_ADDRESS_ID)?;
        Ok(Self { point, address, address_id })
    }

    /// Whether nothing says where: no point, no address, no address id.
    pub fn is_empty(&self) -> bool {
        self.point.is_none() && self.address.is_none() && self.address_id.is_none()
    }

    pub fn point(&self) -> Option<GeoPoint> {
        self.point
    }

    pub fn address(&self) -> Option<&str> {
        self.address.as_deref()
    }

    pub fn address_id(&self) -> Option<&str> {
        self.address_id.as_deref()
    }

    /// The same location at `point`: an address, resolved to where it is.
    #[must_use]
    pub fn with_point(mut self, point: GeoPoint) -> Self {
        self.point = Some(point);
        self
    }
}

fn non_empty(value: Option<&str>, field: &'static str, max: usize) -> Result<Option<String>, LocationError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > max => Err(LocationError::TooLong { field, max }),
        Some(v) => Ok(Some(v.to_owned())),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_is_kept_to_a_centimetre_so_dynamodb_can_store_it() {
        let point = GeoPoint::new(-1.6993407180062216e-210, -113.754_181_455_029_21).unwrap();
        assert_eq!((point.lat(), point.long()), (0.0, -113.754_181_5));
        assert!(point.lat().is_sign_positive(), "no -0");
        let point = GeoPoint::new(42.1, -72.5).unwrap();
        assert_eq!((point.lat(), point.long()), (42.1, -72.5), "a point as typed stays as it is");
    }

    #[test]
    fn parses_a_point_in_range() {
        let p = GeoPoint::parse(Some("42.3601"), Some(" -71.0589")).unwrap().unwrap();
        assert_eq!((p.lat(), p.long()), (42.3601, -71.0589));
        assert_eq!(GeoPoint::parse(None, None), Ok(None));
    }

    #[test]
    fn refuses_malformed_and_out_of_range_points() {
        assert_eq!(GeoPoint::parse(Some("north"), Some("1")), Err(LocationError::Latitude));
        assert_eq!(GeoPoint::parse(Some("90.0001"), Some("1")), Err(LocationError::Latitude));
        assert_eq!(GeoPoint::parse(Some("NaN"), Some("1")), Err(LocationError::Latitude));
        assert_eq!(GeoPoint::parse(Some("1"), Some("-180.5")), Err(LocationError::Longitude));
        assert_eq!(GeoPoint::parse(Some("1"), Some("inf")), Err(LocationError::Longitude));
        assert_eq!(GeoPoint::parse(Some("1"), None), Err(LocationError::HalfPoint));
    }

    #[test]
    fn blank_fields_say_nothing() {
        assert!(Location::new(None, Some("  "), None).unwrap().is_empty());
        let l = Location::new(None, Some(" 12 Main St "), None).unwrap();
        assert_eq!(l.address(), Some("12 Main St"));
        assert!(Location::new(None, Some(&"x".repeat(501)), None).is_err());
    }

    #[test]
    fn deserializing_checks_ranges_too() {
        assert!(serde_json::from_str::<GeoPoint>(r#"{"lat": 91, "long": 0}"#).is_err());
        assert!(serde_json::from_str::<GeoPoint>(r#"{"lat": 45, "long": 0}"#).is_ok());
    }

    mod properties {
        use super::*;
        use crate::hostile;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_lat_and_long_is_a_finite_point_or_refused(lat in hostile::text(), long in hostile::text()) {
                if let Ok(Some(point)) = GeoPoint::parse(Some(&lat), Some(&long)) {
                    prop_assert!(point.lat().is_finite() && (-90.0..=90.0).contains(&point.lat()));
                    prop_assert!(point.long().is_finite() && (-180.0..=180.0).contains(&point.long()));
                }
                let _ = GeoPoint::parse(Some(&lat), None);
                let _ = Location::new(None, Some(&lat), Some(&long));
            }
        }
    }
}
