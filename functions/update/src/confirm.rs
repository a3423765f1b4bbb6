//! The link that confirms a follow. `POST /citizen/v1/requests/{id}/follow` writes a pending
//! follower; the table's stream brings that item to the route function, which leaves a
//! confirmation request (ticket and contact key, no address) on notify's queue; notify claims
//! the confirmation once per pending follow (`Deliveries::claim`), stores a random single-use
//! token for 48 hours (`Deliveries::issue_confirmation`) and sends the one message with this
//! link, by SMS or email, in the follower's language. Until the link is used, notify tells the
//! follower nothing else.
//!
//! Opening the link (`GET`) only shows a page with one button, so a mail scanner that fetches
//! links confirms nobody; the button (`POST`) uses the token up and confirms the follower. A
//! follow whose request was merged meanwhile is carried to the parent, confirmed.

use crate::State;
use crate::unsubscribe::page_with;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use town311::domain::follower::Follower;
use town311::http::{self, ApiError};

pub const ROUTE_GET: &str = "GET /citizen/v1/follow/confirm";
pub const ROUTE_POST: &str = "POST /citizen/v1/follow/confirm";

pub async fn answer(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let posted = http::route_key(request) == Some(ROUTE_POST);
    if posted {
        crate::admit(state, request, town311::domain::rate::Route::ConfirmFollow).await?;
    }
    let token = http::query_parameter(request, "token").map(str::trim).unwrap_or_default();
    let usable = !token.is_empty() && token.len() <= 128;
    let target = match (usable, posted) {
        (false, _) => None,
        (true, false) => state.deliveries.confirmation_target(token).await?,
        (true, true) => state.deliveries.redeem_confirmation(token).await?,
    };
    let expired = || {
        page_with(
            StatusCode::NOT_FOUND,
            "This link has expired",
            "It may be old, mistyped or used already. Follow the request again to get a new link.",
            None,
        )
    };
    let Some((ticket_id, contact_key)) = target else { return expired() };
    if !posted {
        return page_with(
            StatusCode::OK,
            "Get updates about this request?",
            &format!("Confirm to get a message each time request {ticket_id} changes."),
            Some((token, "Send me updates")),
        );
    }
    if !state.tickets.confirm_follower(&ticket_id, &contact_key).await? {
        return expired();
    }
    if let Some(parent) = state.tickets.get(&ticket_id).await?.and_then(|t| t.parent) {
        // Merged while the follow waited: the parent's updates are the ones that come.
        if let Some(follower) = state.tickets.follower(&ticket_id, &contact_key).await? {
            let carried = Follower { confirmed: true, ..follower.carried_to(&parent, &ticket_id) };
            state.tickets.follow(&carried).await?;
        }
    }
    tracing::info!(ticket_id = %ticket_id, contact_key = %contact_key, "follow confirmed");
    page_with(
        StatusCode::OK,
        "You will get updates",
        &format!("You will get a message each time request {ticket_id} changes."),
        None,
    )
}
