//! The submit function: a citizen's new service request becomes a ticket, written with its
//! first history entry. One module per route: `open311` (Open311 `POST requests.{fmt}`, a form
//! or multipart with photos), `updates` (a citizen's update on a request, as FixMyStreet sends
//! it), `staff` (a request staff enter for a caller), `uploads` (the
//! presigned form a browser posts a photo with); `ticket` opens the ticket for the first two.

use lambda_http::{Body, Error, Request, Response};
use std::sync::Arc;
use town311::domain::id::IdSource;
use town311::http::{self, ApiError};
use town311::ports::{Addresses, ApiKeys, Catalog, PhotoLinks, PhotoStore, RateLimits, TicketStore};
use town311::runtime::clock::Clock;
use town311::runtime::config::Config;

mod locate;
mod open311;
mod staff;
mod ticket;
mod updates;
mod uploads;

pub use staff::STAFF_ROUTE;
pub use updates::ROUTES as UPDATE_ROUTES;
pub use uploads::{MAX_UPLOAD_BYTES, UPLOAD_ROUTE};

/// The time the function has for one event: its `Timeout` in template.yaml. Every AWS call is
/// bounded within it.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The largest form body accepted: a full description and answers fit many times over.
pub const MAX_FORM_BYTES: usize = 256 * 1024;
/// The largest multipart body accepted: Lambda takes at most 6 MB of (base64) event, so larger
/// photos go straight to S3 instead.
pub const MAX_MULTIPART_BYTES: usize = 4 * 1024 * 1024;

/// What the handler needs, built once per cold start.
pub struct State {
    pub config: Config,
    pub tickets: Arc<dyn TicketStore>,
    pub catalog: Arc<dyn Catalog>,
    pub keys: Arc<dyn ApiKeys>,
    pub photos: Arc<dyn PhotoStore>,
    /// Signs the forms browsers upload photos with.
    pub links: Arc<dyn PhotoLinks>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    /// Counts writes without an API key (reports, upload forms) per client.
    pub rates: Arc<dyn RateLimits>,
    /// The town's address points: where a request given only an address is.
    pub addresses: Arc<dyn Addresses>,
}

impl From<&town311::adapters::aws::Adapters> for State {
    /// The production wiring: DynamoDB, S3, the clock and the random source.
    fn from(aws: &town311::adapters::aws::Adapters) -> Self {
        town311::wire!(
            aws,
            Self { config, tickets, catalog, keys, photos, links, clock, ids, rates, addresses }
        )
    }
}

/// Handles `POST /open311/v2/requests.{json,xml}`, mySociety's
/// `POST /open311/v2/servicerequestupdates.{json,xml}`, staff's `POST /staff/v1/tickets` and
/// `POST /citizen/v1/uploads`.
pub async fn handle(state: &State, request: Request) -> Result<Response<Body>, Error> {
    if http::route_key(&request) == Some(STAFF_ROUTE) {
        return Ok(http::respond(None, staff::submit(state, &request).await));
    }
    if http::route_key(&request) == Some(UPLOAD_ROUTE) {
        return Ok(http::respond(None, uploads::form(state, &request).await));
    }
    let format = http::requested_format(&request);
    if http::route_key(&request).is_some_and(|key| UPDATE_ROUTES.contains(&key)) {
        return Ok(http::respond(format, updates::post(state, &request, format).await));
    }
    Ok(http::respond(format, open311::submit(state, &request, format).await))
}

pub(crate) fn internal(e: impl std::error::Error + Send + Sync + 'static) -> ApiError {
    ApiError::Internal(Box::new(e))
}

#[cfg(test)]
mod tests;
