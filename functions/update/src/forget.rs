//! `POST /citizen/v1/requests/{id}/forget` (form field `contact`): a reporter or follower
//! removes their contact from one request, from the status page every text and email links
//! to, by giving the email or phone number they gave (texts carry no link of their own, which
//! would double their length). The answer is the same whether the contact was on the request
//! or not, so nobody learns from it whose number or address is.

use crate::State;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use town311::domain::follower::Contact;
use town311::domain::id::TicketId;
use town311::domain::rate::Route;
use town311::http::{self, ApiError};

pub const ROUTE: &str = "POST /citizen/v1/requests/{id}/forget";

/// The most the form may weigh.
const MAX_BODY_BYTES: usize = 1024;

pub async fn answer(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    crate::admit(state, request, Route::Forget).await?;
    let not_found = || ApiError::NotFound("no such request".into());
    let id =
        http::path_parameter(request, "id").and_then(|id| TicketId::parse(id).ok()).ok_or_else(not_found)?;
    let form = town311::open311::form::Form::parse_urlencoded(http::body_within(request, MAX_BODY_BYTES)?)?;
    let contact = form.get("contact").and_then(Contact::parse_any).ok_or_else(|| {
        ApiError::BadRequest("contact must be the email address or phone number you gave".into())
    })?;
    if state.tickets.get(&id).await?.is_none() {
        return Err(not_found());
    }
    let forgotten = state.privacy.forget_on(&id, &contact.key()).await?;
    tracing::info!(ticket_id = %id, forgotten, "a contact asked to be forgotten on a request");
    http::json(
        StatusCode::OK,
        &serde_json::json!({
            "service_request_id": id,
            "message": "If this contact was on the request, it has been removed; no more updates go to it.",
        }),
    )
}
