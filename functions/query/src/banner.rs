//! `GET /citizen/v1/banner`: the town-wide banner the citizen pages show, while it is shown.
//! Public: the words only, never who set it.

use crate::State;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use town311::http::{self, ApiError};
use town311::open311::datetime::w3c;

pub const ROUTE: &str = "GET /citizen/v1/banner";

#[derive(Serialize)]
struct PublicBanner<'a> {
    text: &'a str,
    text_es: Option<&'a str>,
    until: Option<String>,
}

#[derive(Serialize)]
struct Answer<'a> {
    banner: Option<PublicBanner<'a>>,
}

pub async fn answer(state: &State, _request: &Request) -> Result<Response<Body>, ApiError> {
    let now = state.clock.now();
    let banner = state.banners.banner().await?.filter(|b| b.shown(now));
    let shown = banner.as_ref().map(|b| PublicBanner {
        text: &b.text,
        text_es: b.text_es.as_deref(),
        until: b.until.map(|at| w3c(at, state.config.timezone)),
    });
    let mut response = http::json(StatusCode::OK, &Answer { banner: shown })?;
    // Every page asks; a minute's delay in seeing a new banner saves most of those reads.
    if let Ok(value) = "public, max-age=60".parse() {
        response.headers_mut().insert("cache-control", value);
    }
    Ok(response)
}
