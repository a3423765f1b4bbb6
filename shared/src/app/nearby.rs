//! Finding the open requests of a service near a point: the index cells a circle touches are
//! read, then narrowed down to the circle.

use crate::domain::geo;
use crate::domain::location::GeoPoint;
use crate::domain::nearby::{CELL_PRECISION, Nearby};
use crate::ports::{StoreError, TicketStore};

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
