//! The public map: open and recently closed public requests in a bounding box. Backed by an
//! index of geohash-5 cells (about 4.9 km by 4.9 km, 3.6 km wide at 42°), never a scan: the
//! cells a box touches are read, at most [`MAX_CELLS`] of them, then narrowed down to the box.
//! A pin carries no personal data and no free text: the ticket's number, service, status, place
//! and times only.

use crate::domain::geo;
use crate::domain::id::TicketId;
use crate::domain::location::GeoPoint;
use crate::domain::status::Status;
use chrono::{DateTime, Duration, Utc};

/// Geohash precision of the map index cells.
pub const CELL_PRECISION: usize = 5;
/// The most cells one answer reads: a box touching more is refused as too wide (a city view at
/// zoom 13 on a desktop screen touches about 20 at 42°).
pub const MAX_CELLS: usize = 32;
/// The most pins one answer holds; more in view and the answer says it was cut short.
pub const MAX_PINS: usize = 500;
/// How long a closed request stays on the map after it was closed.
pub const RECENTLY_CLOSED_DAYS: i64 = 30;

/// The first instant a closed request must have been closed at to be on the map at `now`.
pub fn closed_since(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(RECENTLY_CLOSED_DAYS)
}

/// The time a request sorts by on the map: its last change while open, when it was closed
/// after (its last change, for one closed before that was kept).
pub fn sort_time(
    status: Status,
    updated_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    if status.is_open() { updated_at } else { closed_at.unwrap_or(updated_at) }
}

/// The index cell of a point.
pub fn cell(point: GeoPoint) -> String {
    geo::geohash(point, CELL_PRECISION)
}

/// Why a `bbox` was refused; each message names the parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoxError {
    #[error("bbox is required: minLong,minLat,maxLong,maxLat")]
    Missing,
    #[error("bbox must be four numbers separated by commas: minLong,minLat,maxLong,maxLat")]
    Malformed,
    #[error(
        "bbox is out of range: longitudes from -180 to 180, latitudes from -90 to 90, the minimums first"
    )]
    OutOfRange,
    #[error("bbox is too wide: it touches more than {MAX_CELLS} map cells of about 5 km; zoom in")]
    TooWide,
}

/// A longitude/latitude box, west to east and south to north (never across the antimeridian).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    west: f64,
    south: f64,
    east: f64,
    north: f64,
}

impl BoundingBox {
    pub fn new(west: f64, south: f64, east: f64, north: f64) -> Result<Self, BoxError> {
        let longs = -180.0..=180.0;
        let lats = -90.0..=90.0;
        let in_range =
            longs.contains(&west) && longs.contains(&east) && lats.contains(&south) && lats.contains(&north);
        if !in_range || west > east || south > north {
            return Err(BoxError::OutOfRange);
        }
        Ok(Self { west, south, east, north })
    }

    /// `minLong,minLat,maxLong,maxLat`, as GeoJSON and OGC write a bbox.
    pub fn parse(text: Option<&str>) -> Result<Self, BoxError> {
        let text = text.map(str::trim).filter(|t| !t.is_empty()).ok_or(BoxError::Missing)?;
        let numbers: Vec<f64> = text
            .split(',')
            .map(|part| part.trim().parse::<f64>().ok().filter(|n| n.is_finite()))
            .collect::<Option<_>>()
            .ok_or(BoxError::Malformed)?;
        match numbers[..] {
            [west, south, east, north] => Self::new(west, south, east, north),
            _ => Err(BoxError::Malformed),
        }
    }

    /// Whether the point is in the box (its edges included).
    pub fn contains(&self, point: GeoPoint) -> bool {
        (self.south..=self.north).contains(&point.lat()) && (self.west..=self.east).contains(&point.long())
    }

    /// The grid rows and columns of the index cells the box touches, inclusive.
    fn grid(&self) -> ((i64, i64), (i64, i64)) {
        let (step_lat, step_long) = geo::cell_degrees(CELL_PRECISION);
        let rows = (180.0 / step_lat).round() as i64;
        let columns = (360.0 / step_long).round() as i64;
        let row = |lat: f64| (((lat + 90.0) / step_lat).floor() as i64).clamp(0, rows - 1);
        let column = |long: f64| (((long + 180.0) / step_long).floor() as i64).clamp(0, columns - 1);
        ((row(self.south), row(self.north)), (column(self.west), column(self.east)))
    }

    /// Every index cell the box touches, south-west first, row by row; `TooWide` when that is
    /// more than [`MAX_CELLS`] (counted before any is listed).
    pub fn cells(&self) -> Result<Vec<String>, BoxError> {
        let ((first_row, last_row), (first_column, last_column)) = self.grid();
        let count = (last_row - first_row + 1).saturating_mul(last_column - first_column + 1);
        if count > MAX_CELLS as i64 {
            return Err(BoxError::TooWide);
        }
        let (step_lat, step_long) = geo::cell_degrees(CELL_PRECISION);
        let mut cells = Vec::with_capacity(count as usize);
        for row in first_row..=last_row {
            for column in first_column..=last_column {
                // The middle of the cell: its geohash is the cell's, with no rounding at an edge.
                let lat = -90.0 + (row as f64 + 0.5) * step_lat;
                let long = -180.0 + (column as f64 + 0.5) * step_long;
                if let Ok(point) = GeoPoint::new(lat, long) {
                    cells.push(cell(point));
                }
            }
        }
        Ok(cells)
    }
}

/// A public request as the map shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MapPin {
    pub id: TicketId,
    pub service_code: String,
    pub service_name: String,
    pub status: Status,
    pub point: GeoPoint,
    pub requested_at: DateTime<Utc>,
    /// The last change of an open request, or when a closed one was closed: the map's order.
    pub at: DateTime<Utc>,
}

/// What one look at the map finds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InView {
    /// Open ones first, then the recently closed, each newest change first.
    pub pins: Vec<MapPin>,
    /// More were in view than one answer holds ([`MAX_PINS`]).
    pub truncated: bool,
}

/// The pins of the cells narrowed down to `bbox`: open ones first, then those closed since
/// `since`, each newest change first, at most `limit`. `more` says the cells held more than
/// they gave.
pub fn in_view(
    bbox: &BoundingBox,
    found: Vec<MapPin>,
    since: DateTime<Utc>,
    limit: usize,
    more: bool,
) -> InView {
    let mut pins: Vec<MapPin> = found
        .into_iter()
        .filter(|p| bbox.contains(p.point) && (p.status.is_open() || p.at >= since))
        .collect();
    pins.sort_by(|a, b| {
        b.status
            .is_open()
            .cmp(&a.status.is_open())
            .then_with(|| b.at.cmp(&a.at))
            .then_with(|| a.id.cmp(&b.id))
    });
    pins.dedup_by(|a, b| a.id == b.id);
    let truncated = more || pins.len() > limit;
    pins.truncate(limit);
    InView { pins, truncated }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, long: f64) -> GeoPoint {
        GeoPoint::new(lat, long).unwrap()
    }

    #[test]
    fn a_bbox_is_read_as_min_long_min_lat_max_long_max_lat() {
        let bbox = BoundingBox::parse(Some(" -72.6, 42.3,-72.5,42.4 ")).unwrap();
        assert!(bbox.contains(p(42.35, -72.55)));
        assert!(bbox.contains(p(42.3, -72.6)), "edges are in");
        assert!(!bbox.contains(p(42.35, -72.45)));
        assert!(!bbox.contains(p(42.45, -72.55)));
    }

    #[test]
    fn a_bad_bbox_is_refused_naming_bbox() {
        for (text, error) in [
            (None, BoxError::Missing),
            (Some(""), BoxError::Missing),
            (Some("1,2,3"), BoxError::Malformed),
            (Some("1,2,3,4,5"), BoxError::Malformed),
            (Some("a,2,3,4"), BoxError::Malformed),
            (Some("NaN,2,3,4"), BoxError::Malformed),
            (Some("inf,2,3,4"), BoxError::Malformed),
            (Some("-72.5,42.3,-72.6,42.4"), BoxError::OutOfRange),
            (Some("-72.6,42.4,-72.5,42.3"), BoxError::OutOfRange),
            (Some("-181,42.3,-72.5,42.4"), BoxError::OutOfRange),
            (Some("-72.6,-91,-72.5,42.4"), BoxError::OutOfRange),
            (Some("-80,30,-60,50"), BoxError::TooWide),
        ] {
            let got = BoundingBox::parse(text).and_then(|b| b.cells());
            assert_eq!(got, Err(error.clone()), "{text:?}");
            assert!(error.to_string().starts_with("bbox "), "{error}");
        }
    }

    #[test]
    fn the_cells_cover_every_point_of_the_box() {
        let bbox = BoundingBox::parse(Some("-72.56,42.33,-72.49,42.39")).unwrap();
        let cells = bbox.cells().unwrap();
        assert!(!cells.is_empty() && cells.len() <= MAX_CELLS, "{cells:?}");
        let mut unique = cells.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), cells.len(), "no cell twice");
        assert!(cells.iter().all(|c| c.len() == CELL_PRECISION));
        for i in 0..=40 {
            for j in 0..=40 {
                let lat = 42.33 + 0.06 * f64::from(i) / 40.0;
                let long = -72.56 + 0.07 * f64::from(j) / 40.0;
                assert!(cells.contains(&cell(p(lat, long))), "{lat},{long} outside {cells:?}");
            }
        }
        // Nothing beyond: every cell holds a point of the box.
        let (step_lat, step_long) = geo::cell_degrees(CELL_PRECISION);
        assert!(
            cells.len() <= ((0.06 / step_lat).ceil() as usize + 1) * ((0.07 / step_long).ceil() as usize + 1)
        );
    }

    #[test]
    fn a_point_box_and_the_world_edges_have_their_cell() {
        let bbox = BoundingBox::new(-72.5, 42.3, -72.5, 42.3).unwrap();
        assert_eq!(bbox.cells().unwrap(), vec![cell(p(42.3, -72.5))]);
        let corner = BoundingBox::new(179.99, 89.99, 180.0, 90.0).unwrap();
        assert_eq!(corner.cells().unwrap(), vec![cell(p(90.0, 180.0))]);
        let corner = BoundingBox::new(-180.0, -90.0, -180.0, -90.0).unwrap();
        assert_eq!(corner.cells().unwrap(), vec!["00000".to_owned()]);
    }

    #[test]
    fn the_widest_box_allowed_is_a_city_view() {
        // About 15 km by 9 km at 42°: a desktop screen at zoom 13.
        let bbox = BoundingBox::new(-72.64, 42.30, -72.46, 42.38).unwrap();
        let cells = bbox.cells().unwrap();
        assert!(cells.len() <= MAX_CELLS, "{}", cells.len());
        let wider = BoundingBox::new(-72.9, 42.2, -72.3, 42.6).unwrap();
        assert_eq!(wider.cells(), Err(BoxError::TooWide));
    }

    fn pin(id: &str, lat: f64, status: Status, minutes_ago: i64, now: DateTime<Utc>) -> MapPin {
        MapPin {
            id: TicketId::parse(id).unwrap(),
            service_code: "POTHOLE".into(),
            service_name: "Pothole".into(),
            status,
            point: p(lat, -72.5),
            requested_at: now - Duration::days(90),
            at: now - Duration::minutes(minutes_ago),
        }
    }

    #[test]
    fn in_view_keeps_the_box_open_first_then_the_recently_closed() {
        let now = Utc::now();
        let bbox = BoundingBox::new(-72.6, 42.3, -72.4, 42.4).unwrap();
        let since = closed_since(now);
        let found = vec![
            pin("AAAA-AAAA", 42.35, Status::Closed, 10, now),
            pin("BBBB-BBBB", 42.35, Status::Submitted, 60 * 24 * 400, now),
            pin("CCCC-CCCC", 42.35, Status::InProgress, 5, now),
            pin("DDDD-DDDD", 42.35, Status::Closed, 60 * 24 * 31, now),
            pin("EEEE-EEEE", 42.45, Status::Submitted, 1, now),
            pin("CCCC-CCCC", 42.35, Status::InProgress, 5, now),
        ];
        let view = in_view(&bbox, found.clone(), since, 10, false);
        let ids: Vec<String> = view.pins.iter().map(|p| p.id.to_string()).collect();
        assert_eq!(ids, ["CCCC-CCCC", "BBBB-BBBB", "AAAA-AAAA"]);
        assert!(!view.truncated);
        let view = in_view(&bbox, found.clone(), since, 2, false);
        assert_eq!(view.pins.len(), 2);
        assert!(view.truncated);
        assert!(in_view(&bbox, found, since, 10, true).truncated);
    }
}
