//! Nearby open requests of a service: what the citizen form offers to follow instead of filing
//! again, and what routing flags as probable duplicates. Backed by an index of geohash cells,
//! never a scan: the cells a circle touches are read, then narrowed down to the circle.

use crate::geo;
use crate::location::GeoPoint;
use crate::ports::{StoreError, TicketStore};
use crate::ticket::Ticket;

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

/// Every open request of `service_code` within `radius_m` of `center`, nearest first.
pub async fn find(
    store: &dyn TicketStore,
    service_code: &str,
    center: GeoPoint,
    radius_m: f64,
) -> Result<Vec<Nearby>, StoreError> {
    let cells = geo::cells_around(center, radius_m, CELL_PRECISION);
    let mut found: Vec<Nearby> = store
        .in_cells(service_code, &cells)
        .await?
        .into_iter()
        .filter(|t| t.status.is_open() && t.service_code == service_code)
        .filter_map(|ticket| {
            let distance_m = geo::distance_m(center, ticket.location.point()?);
            (distance_m <= radius_m).then_some(Nearby { ticket, distance_m })
        })
        .collect();
    found.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then_with(|| a.ticket.id.cmp(&b.ticket.id)));
    Ok(found)
}
