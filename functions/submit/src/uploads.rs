//! `POST /citizen/v1/uploads`: the presigned form a browser posts one photo with, straight to
//! the bucket; the request then names the upload by its id.

use crate::{State, internal};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use town311::domain::id::random_token;
use town311::domain::photo::upload_key;
use town311::domain::rate::Route;
use town311::http::{self, ApiError};

/// How long a browser has to post a photo once it was given the form.
const UPLOAD_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// `POST /citizen/v1/uploads` with `{"content_type": "image/jpeg"}`: a presigned form the
/// browser posts one photo with, straight to the bucket (at most 10 MB, JPEG, PNG or WebP);
/// the request then names the upload by its id.
pub(crate) async fn form(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let most = state.config.client_write_limit;
    http::admit(state.rates.as_ref(), request, Route::Upload, most, state.clock.now()).await?;
    let fields: serde_json::Value = serde_json::from_slice(http::body_within(request, 4096)?)
        .map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?;
    let content_type = fields.get("content_type").and_then(|c| c.as_str()).unwrap_or_default();
    if !town311::adapters::aws::presign::UPLOAD_CONTENT_TYPES.contains(&content_type) {
        return Err(ApiError::BadRequest("content_type must be image/jpeg, image/png or image/webp".into()));
    }
    let id = random_token(state.ids.as_ref()).map_err(internal)?;
    let form =
        state.links.presigned_upload(&upload_key(&id), content_type, MAX_UPLOAD_BYTES, UPLOAD_WINDOW).await?;
    tracing::info!(upload = %id, "upload form handed out");
    http::json(
        StatusCode::CREATED,
        &serde_json::json!({
            "upload_id": id,
            "url": form.url,
            "fields": form.fields.iter().map(|(k, v)| serde_json::json!({"name": k, "value": v})).collect::<Vec<_>>(),
            "file_field": "file",
            "max_bytes": MAX_UPLOAD_BYTES,
            "expires_at": form.expires_at,
        }),
    )
}

/// The largest photo a browser may upload.
pub const MAX_UPLOAD_BYTES: u64 = 10 * 1024 * 1024;

/// The route handing out upload forms.
pub const UPLOAD_ROUTE: &str = "POST /citizen/v1/uploads";
