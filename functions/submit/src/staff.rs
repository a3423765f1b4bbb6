//! `POST /staff/v1/tickets`: a request staff enter for a caller on the phone, at the counter
//! or by email. Same ticket, same promises as any other.

use crate::ticket::{Outcome, idempotency_key, offered, open_ticket, replayed, take_in};
use crate::{MAX_FORM_BYTES, State};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use town311::domain::ticket::Channel;
use town311::http::{self, ApiError};
use town311::open311::form::Form;

/// The route staff enter requests on, for callers on the phone, at the counter or by email.
pub const STAFF_ROUTE: &str = "POST /staff/v1/tickets";
/// A request staff enter on a caller's behalf: JSON with the Open311 fields, `attributes` as an
/// object and the `channel` it came by. Same ticket, same promises as any other.
pub(crate) async fn submit(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let caller = http::caller(request)?;
    let body = http::body_within(request, MAX_FORM_BYTES)?;
    let fields: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?;
    let channel =
        fields.get("channel").cloned().and_then(|c| serde_json::from_value::<Channel>(c).ok()).ok_or_else(
            || {
                ApiError::BadRequest(
                    "channel must be one of web, phone, walk_in, email, sms, mobile_app, open311".into(),
                )
            },
        )?;
    let new_request = Form::from_json(&fields)?.new_request(channel)?;
    let service = offered(state, &new_request.service_code).await?;
    if !caller.can_write(&service.department) {
        return Err(ApiError::Forbidden(format!(
            "{} requests go to a department you do not work",
            service.code
        )));
    }
    let fingerprint = new_request.fingerprint(&[]);
    let mut new_request = take_in(state, &service, new_request)?;
    crate::locate::point(state, &mut new_request).await;
    let idempotency = idempotency_key(request, &format!("staff\u{0}{}", caller.user), &fingerprint)?;
    let outcome = match replayed(state, idempotency.as_ref()).await? {
        Some(outcome) => outcome,
        None => open_ticket(state, &service, new_request, idempotency.as_ref()).await?,
    };
    let (Outcome::Created(ticket, _) | Outcome::Replayed(ticket, _)) = &outcome;
    tracing::info!(ticket_id = %ticket.id, user = %caller.user, channel = ticket.channel.as_str(), "entered by staff");
    let history = state.tickets.history(&ticket.id).await?;
    let status = if matches!(outcome, Outcome::Created(..)) { StatusCode::CREATED } else { StatusCode::OK };
    http::staff_ticket(status, ticket, &history, None)
}
