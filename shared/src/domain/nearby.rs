//! Nearby open requests of a service: what the citizen form offers to follow instead of filing
//! again, and what routing flags as probable duplicates. Backed by an index of geohash cells,
//! never a scan: the cells a circle touches are read, then narrowed down to the circle.

use crate::domain::geo;
use crate::domain::location::GeoPoint;
use crate::domain::ticket::Ticket;

/// Geohash precision of the index cells: about 610 m by 900 m at 45° latitude, so a circle of
/// the largest radius touches at most four cells there.
pub const CELL_PRECISION: usize = 6;

/// The index cell of a point.
pub fn cell(point: GeoPoint) -> String {
    geo::geohash(point, CELL_PRECISION)
}

/// An open request near a point.
#[derive(Debug, Clone)]
pub struct Nearby {
    pub ticket: Ticket,
    pub distance_m: f64,
}
