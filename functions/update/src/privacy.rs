//! The admins' `POST /staff/v1/privacy` (`{"contact", "erase"?}`): every stored item holding a
//! person's email or phone, to answer a request for access, and with `"erase": true` their
//! removal, to answer a request to be forgotten. The contact comes in the body, never the
//! address, so it reaches no access log.

use crate::State;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use town311::domain::follower::Contact;
use town311::http::{self, ApiError};

pub const ROUTE: &str = "POST /staff/v1/privacy";

/// The most the JSON body may weigh.
const MAX_BODY_BYTES: usize = 1024;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PrivacyRequest {
    contact: String,
    #[serde(default)]
    erase: bool,
}

pub async fn answer(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let caller = http::caller(request)?;
    if !caller.admin {
        return Err(ApiError::Forbidden("only admins export or erase a person's data".into()));
    }
    let body = http::body_within(request, MAX_BODY_BYTES)?;
    // Never quotes the body: it holds someone's contact.
    let input: PrivacyRequest = serde_json::from_slice(body).map_err(|_| {
        ApiError::BadRequest("the body must be {\"contact\": \"…\", \"erase\": false} as JSON".into())
    })?;
    let contact = Contact::parse_any(&input.contact)
        .ok_or_else(|| ApiError::BadRequest("contact must be an email address or a phone number".into()))?;
    let key = contact.key();
    let items = state.privacy.holding(&key).await?;
    if !input.erase {
        tracing::info!(user = %caller.user, items = items.len(), "personal data exported");
        return http::json(StatusCode::OK, &serde_json::json!({ "items": items }));
    }
    let erased = state.privacy.erase(&key).await?;
    tracing::info!(user = %caller.user, erased, "personal data erased");
    http::json(StatusCode::OK, &serde_json::json!({ "erased": erased, "items": items.len() }))
}
