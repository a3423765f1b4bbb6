//! `POST /staff/v1/uploads`: a photo staff take of the finished work, kept as an upload for the
//! photo pipeline; closing names it (`after_photo`) and the status page then shows it.

use crate::State;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use town311::domain::id::random_token;
use town311::domain::photo::{ImageKind, upload_key};
use town311::http::{self, ApiError};

pub const ROUTE: &str = "POST /staff/v1/uploads";

/// The largest photo staff send in one request body: Lambda takes at most 6 MB of (base64)
/// event, as for the citizens' multipart form.
pub const MAX_PHOTO_BYTES: usize = 4 * 1024 * 1024;

/// Keeps the body, a JPEG, PNG, WebP or HEIC photo, as an upload awaiting processing; an upload
/// no closing names expires like any other.
pub(crate) async fn answer(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let caller = http::caller(request)?;
    if !caller.admin && caller.departments.is_empty() {
        return Err(ApiError::Forbidden("your role may read tickets but not change them".into()));
    }
    let body = http::body_within(request, MAX_PHOTO_BYTES)?;
    let kind = ImageKind::sniff(body).ok_or_else(|| {
        ApiError::BadRequest("the body must be the photo itself: a JPEG, PNG, WebP or HEIC image".into())
    })?;
    let id = random_token(state.ids.as_ref()).map_err(|e| ApiError::Internal(Box::new(e)))?;
    state.photos.put(&upload_key(&id), body.to_vec(), kind.content_type()).await?;
    tracing::info!(user = %caller.user, upload = %id, bytes = body.len(), "after-photo received");
    http::json(StatusCode::CREATED, &serde_json::json!({ "upload_id": id }))
}
