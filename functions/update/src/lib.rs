//! The update function: staff changes to tickets. Its routes arrive with the ticket
//! lifecycle; until then every request it receives is answered as an unknown resource.

use lambda_http::{Body, Error, Request, Response};
use town311::config::Config;
use town311::http::{self, ApiError};

/// What the handler needs, built once per cold start.
pub struct State {
    pub config: Config,
}

/// Handles the routes template.yaml gives this function (none yet).
pub async fn handle(_state: &State, request: Request) -> Result<Response<Body>, Error> {
    let format = http::requested_format(&request);
    Ok(http::respond(format, Err(ApiError::NotFound("unknown resource".into()))))
}
