//! `GET /open311/v2/media/{photo}`: a photo's stable public URL (Open311 `media_url`). It
//! redirects to a short-lived link to the processed image (`?size=thumbnail` for the
//! thumbnail); the bucket itself is never public, and a hidden photo is no longer served.

use crate::State;
use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};
use std::time::Duration;
use town311::http::{self, ApiError};
use town311::runtime::config::Config;

pub const ROUTE: &str = "GET /open311/v2/media/{photo}";
/// How long the link a redirect leads to works.
const LINK_VALID_FOR: Duration = Duration::from_secs(300);

/// Where photos are served, for the records that link to them.
pub fn base(config: &Config) -> Option<String> {
    config.public_url.as_ref().map(|url| format!("{url}/open311/v2/media"))
}

pub async fn answer(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let not_found = || ApiError::NotFound("no such photo".into());
    let id = http::path_parameter(request, "photo").unwrap_or_default();
    if !town311::domain::photo::is_upload_id(id) {
        return Err(not_found());
    }
    let thumbnail = match http::query_parameter(request, "size") {
        None | Some("full") => false,
        Some("thumbnail") => true,
        Some(_) => return Err(ApiError::BadRequest("size must be full or thumbnail".into())),
    };
    let ticket_id = state.uploads.upload_ticket(id).await?.ok_or_else(not_found)?;
    let ticket = state.tickets.get(&ticket_id).await?.ok_or_else(not_found)?;
    let photo = ticket.photos.iter().find(|p| p.id == id && !p.hidden).ok_or_else(not_found)?;
    let key = if thumbnail { &photo.thumbnail_key } else { &photo.key };
    let link = state.links.presigned_get(key, LINK_VALID_FOR).await?;
    Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, link)
        // Short enough that hiding a photo takes effect within a minute everywhere.
        .header(header::CACHE_CONTROL, "public, max-age=60")
        .body(Body::Empty)
        .map_err(|e| ApiError::Internal(Box::new(e)))
}
