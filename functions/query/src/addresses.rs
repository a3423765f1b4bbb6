//! `GET /citizen/v1/addresses?q=` and `GET /citizen/v1/addresses/nearest?lat=&long=`: the
//! town's addresses as the citizen form suggests them while an address is typed, and the
//! address under a dropped pin. Public: the town's address points are public records.

use crate::State;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use town311::domain::address::{AddressPoint, MAX_SUGGESTIONS, NEAREST_WITHIN_M};
use town311::domain::location::GeoPoint;
use town311::http::{self, ApiError};

pub const SEARCH_ROUTE: &str = "GET /citizen/v1/addresses";
pub const NEAREST_ROUTE: &str = "GET /citizen/v1/addresses/nearest";
/// The longest text a search takes: longer than any address line.
pub const MAX_QUERY_CHARS: usize = 200;

/// One address as the form shows it.
#[derive(Serialize)]
struct Suggestion<'a> {
    id: &'a str,
    /// The line with its unit, as it goes in the address field.
    address: String,
    lat: f64,
    long: f64,
}

impl<'a> From<&'a AddressPoint> for Suggestion<'a> {
    fn from(a: &'a AddressPoint) -> Self {
        Self { id: &a.id, address: a.label(), lat: a.point.lat(), long: a.point.long() }
    }
}

#[derive(Serialize)]
struct Suggestions<'a> {
    addresses: Vec<Suggestion<'a>>,
}

#[derive(Serialize)]
struct Nearest<'a> {
    within_m: u32,
    /// `null` when no address is within `within_m`.
    address: Option<Suggestion<'a>>,
}

/// Addresses starting with `q` (at most ten); none while `q` is under three characters.
pub async fn search(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let q =
        http::query_parameter(request, "q").ok_or_else(|| ApiError::BadRequest("q is required".into()))?;
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::BadRequest(format!("q is too long (at most {MAX_QUERY_CHARS} characters)")));
    }
    let found = state.addresses.search(q, MAX_SUGGESTIONS).await?;
    http::json(StatusCode::OK, &Suggestions { addresses: found.iter().map(Suggestion::from).collect() })
}

/// The address nearest `lat`/`long` within 150 m; `address` is `null` when there is none.
pub async fn nearest(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let point =
        GeoPoint::parse(http::query_parameter(request, "lat"), http::query_parameter(request, "long"))
            .map_err(|e| ApiError::BadRequest(e.to_string()))?
            .ok_or_else(|| ApiError::BadRequest("lat and long are required".into()))?;
    let found = state.addresses.nearest(point).await?;
    let answer = Nearest { within_m: NEAREST_WITHIN_M as u32, address: found.as_ref().map(Suggestion::from) };
    http::json(StatusCode::OK, &answer)
}
