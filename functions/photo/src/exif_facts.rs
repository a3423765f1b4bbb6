//! The two things town311 reads from a photo's EXIF before dropping it: how the camera was held
//! (the orientation to apply to the pixels) and where the photo was taken (a location to suggest).

use exif::{In, Reader, Tag, Value};
use image::metadata::Orientation;

/// What the EXIF block says, or the defaults when there is none or it cannot be read: a broken
/// EXIF block does not make a photo unusable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ExifFacts {
    pub orientation: Orientation,
    /// Latitude and longitude in decimal degrees (south and west negative).
    pub gps: Option<(f64, f64)>,
}

impl ExifFacts {
    /// Reads the EXIF block of a JPEG, PNG (`eXIf`) or WebP (`EXIF`) file.
    pub fn read(bytes: &[u8]) -> Self {
        let exif = Reader::new()
            .continue_on_error(true)
            .read_from_container(&mut std::io::Cursor::new(bytes))
            .or_else(|error| error.distill_partial_result(|_ignored| {}));
        let Ok(exif) = exif else {
            return Self { orientation: Orientation::NoTransforms, gps: None };
        };
        let orientation = exif
            .get_field(Tag::Orientation, In::PRIMARY)
            .and_then(|field| field.value.get_uint(0))
            .and_then(|value| u8::try_from(value).ok())
            .and_then(Orientation::from_exif)
            .unwrap_or(Orientation::NoTransforms);
        let coordinate = |value: Tag, reference: Tag, positive: u8, negative: u8, limit: f64| {
            let degrees = degrees(&exif.get_field(value, In::PRIMARY)?.value)?;
            let sign = match first_letter(&exif.get_field(reference, In::PRIMARY)?.value)? {
                letter if letter == positive => 1.0,
                letter if letter == negative => -1.0,
                _ => return None,
            };
            (degrees <= limit).then_some(sign * degrees)
        };
        let latitude = coordinate(Tag::GPSLatitude, Tag::GPSLatitudeRef, b'N', b'S', 90.0);
        let longitude = coordinate(Tag::GPSLongitude, Tag::GPSLongitudeRef, b'E', b'W', 180.0);
        let gps = match (latitude, longitude) {
            // Some cameras write zeros when they had no fix: the middle of the ocean is no hint.
            (Some(lat), Some(long)) if (lat, long) != (0.0, 0.0) => Some((lat, long)),
            _ => None,
        };
        Self { orientation, gps }
    }
}

/// Degrees, minutes and seconds (three rationals) as decimal degrees.
fn degrees(value: &Value) -> Option<f64> {
    let Value::Rational(parts) = value else { return None };
    let [d, m, s] = parts.as_slice() else { return None };
    if [d, m, s].iter().any(|part| part.denom == 0) {
        return None;
    }
    let degrees = d.to_f64() + m.to_f64() / 60.0 + s.to_f64() / 3600.0;
    degrees.is_finite().then_some(degrees)
}

fn first_letter(value: &Value) -> Option<u8> {
    let Value::Ascii(strings) = value else { return None };
    strings.first()?.first().map(u8::to_ascii_uppercase)
}
