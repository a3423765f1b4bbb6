//! Where a request given only an address is: its `address_id` in the town's address points, or
//! the address its `address_string` names. The point then routes it by area and finds its
//! duplicates as a pin on the map would. Locating never refuses a report: an address not found,
//! or an address store that fails, leaves the request as the citizen sent it.
//!
//! Called once the submission's fingerprint is taken, so a retry is recognised by what was
//! sent, whatever the address points said at the time.

use crate::State;
use town311::domain::address::{MAX_SUGGESTIONS, best_match};
use town311::domain::location::{GeoPoint, Location};
use town311::domain::ticket::NewRequest;
use town311::ports::{Addresses, StoreError};

/// Gives a request without a point the point of the address it names, where one is found.
pub(crate) async fn point(state: &State, request: &mut NewRequest) {
    if request.location.point().is_some() {
        return;
    }
    match find(state.addresses.as_ref(), &request.location).await {
        Ok(Some(point)) => {
            request.location = request.location.clone().with_point(point);
            tracing::info!("located by address");
        }
        Ok(None) => tracing::info!("address not among the town's address points; kept without a point"),
        // Only the failed operation is logged: a cause could quote the address.
        Err(e) => tracing::warn!(error = %e, "address lookup failed; kept without a point"),
    }
}

async fn find(addresses: &dyn Addresses, location: &Location) -> Result<Option<GeoPoint>, StoreError> {
    if let Some(id) = location.address_id() {
        if let Some(found) = addresses.address(id).await? {
            return Ok(Some(found.point));
        }
    }
    let Some(text) = location.address() else { return Ok(None) };
    // "12 Main Street, Millbrook, MA": the line before the town is the address.
    let mut candidates = vec![text];
    if let Some((line, _)) = text.split_once(',') {
        candidates.push(line);
    }
    for candidate in candidates {
        let found = addresses.search(candidate, MAX_SUGGESTIONS).await?;
        if let Some(address) = best_match(candidate, &found) {
            return Ok(Some(address.point));
        }
    }
    Ok(None)
}
