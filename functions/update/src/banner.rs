//! The admins' `PUT /staff/v1/banner` (`{"text", "text_es"?, "until"?}`) and
//! `DELETE /staff/v1/banner`: the town-wide words every citizen page shows.

use crate::State;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use town311::domain::banner::{Banner, BannerInput};
use town311::http::{self, ApiError};

pub const ROUTE_PUT: &str = "PUT /staff/v1/banner";
pub const ROUTE_DELETE: &str = "DELETE /staff/v1/banner";

/// The most a banner's JSON body may weigh.
const MAX_BODY_BYTES: usize = 4 * 1024;

pub async fn answer(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let caller = http::caller(request)?;
    if !caller.admin {
        return Err(ApiError::Forbidden("only admins set the town's banner".into()));
    }
    if request.method() == "DELETE" {
        state.banners.put_banner(None).await?;
        tracing::info!(user = %caller.user, "banner taken down");
        return http::json(StatusCode::OK, &serde_json::json!({ "banner": null }));
    }
    let body = http::body_within(request, MAX_BODY_BYTES)?;
    let input: BannerInput = serde_json::from_slice(body).map_err(|e| {
        ApiError::BadRequest(format!("the body must be {{\"text\", \"text_es\", \"until\"}} as JSON: {e}"))
    })?;
    let banner = Banner::parse(input, &caller.user, state.clock.now())?;
    state.banners.put_banner(Some(&banner)).await?;
    tracing::info!(user = %caller.user, until = ?banner.until, "banner set");
    http::json(StatusCode::OK, &serde_json::json!({ "banner": banner }))
}
