//! `GET /citizen/v1/nearby`: open requests of a service around a point, nearest first, for the
//! citizen form's "is it one of these? follow it instead". Public: no personal data, no
//! free text.

use crate::State;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use town311::domain::id::TicketId;
use town311::domain::location::GeoPoint;
use town311::domain::routing::{DEFAULT_DUPLICATE_RADIUS_M, RADIUS_RANGE_M};
use town311::http::{self, ApiError};
use town311::open311::datetime::w3c;

pub const ROUTE: &str = "GET /citizen/v1/nearby";
/// The most requests one answer lists.
pub const MAX_NEARBY: usize = 50;

#[derive(Serialize)]
struct NearbyRequest<'a> {
    service_request_id: &'a TicketId,
    status: &'static str,
    service_code: &'a str,
    service_name: &'a str,
    address: Option<&'a str>,
    lat: f64,
    long: f64,
    /// Whole metres from the point asked about.
    distance_m: u32,
    requested_datetime: String,
}

#[derive(Serialize)]
struct NearbyAnswer<'a> {
    radius_m: u32,
    requests: Vec<NearbyRequest<'a>>,
}

pub async fn answer(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let service_code = http::query_parameter(request, "service_code")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::BadRequest("service_code is required".into()))?;
    let center =
        GeoPoint::parse(http::query_parameter(request, "lat"), http::query_parameter(request, "long"))
            .map_err(|e| ApiError::BadRequest(e.to_string()))?
            .ok_or_else(|| ApiError::BadRequest("lat and long are required".into()))?;
    let radius_m = match http::query_parameter(request, "radius") {
        Some(radius) => {
            radius.trim().parse::<u32>().ok().filter(|r| RADIUS_RANGE_M.contains(r)).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "radius must be a whole number of metres from {} to {}",
                    RADIUS_RANGE_M.start(),
                    RADIUS_RANGE_M.end()
                ))
            })?
        }
        None => state.catalog.routing().await?.map_or(DEFAULT_DUPLICATE_RADIUS_M, |r| r.duplicate_radius_m),
    };
    if state.catalog.service(service_code).await?.is_none() {
        return Err(ApiError::NotFound(format!("service_code '{service_code}' is not offered")));
    }
    let found =
        town311::app::nearby::find(state.tickets.as_ref(), service_code, center, f64::from(radius_m)).await?;
    let requests = found
        .iter()
        .take(MAX_NEARBY)
        .filter_map(|n| {
            let point = n.ticket.location.point()?;
            Some(NearbyRequest {
                service_request_id: &n.ticket.id,
                status: n.ticket.status.open311(),
                service_code: &n.ticket.service_code,
                service_name: &n.ticket.service_name,
                address: n.ticket.location.address(),
                lat: point.lat(),
                long: point.long(),
                distance_m: n.distance_m.round() as u32,
                requested_datetime: w3c(n.ticket.requested_at, state.config.timezone),
            })
        })
        .collect();
    http::json(StatusCode::OK, &NearbyAnswer { radius_m, requests })
}
