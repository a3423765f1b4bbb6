//! Where a request given only an address is: its `address_id` in the town's address points, or
//! the address its `address_string` names. The point then routes it by area and finds its
//! duplicates as a pin on the map would. Locating never refuses a report: an address not found,
//! or an address store that fails, leaves the request as the citizen sent it.
//!
//! Called once the submission's fingerprint is taken, so a retry is recognised by what was
//! sent, whatever the address points said at the time.

use crate::State;
use town311::domain::ticket::NewRequest;

/// Gives a request without a point the point of the address it names, where one is found.
pub(crate) async fn point(state: &State, request: &mut NewRequest) {
    if request.location.point().is_some() {
        return;
    }
    match town311::app::addresses::point_of(state.addresses.as_ref(), &request.location).await {
        Ok(Some(point)) => {
            request.location = request.location.clone().with_point(point);
            tracing::info!("located by address");
        }
        Ok(None) => tracing::info!("address not among the town's address points; kept without a point"),
        // Only the failed operation is logged: a cause could quote the address.
        Err(e) => tracing::warn!(error = %e, "address lookup failed; kept without a point"),
    }
}
