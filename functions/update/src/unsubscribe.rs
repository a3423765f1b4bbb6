//! The unsubscribe link every notification email carries. Opening it (`GET`) shows a page with
//! one button, so a mail scanner that fetches links unsubscribes nobody; the button and mail
//! clients' one-click unsubscribe (RFC 8058: `POST` with `List-Unsubscribe=One-Click`) stop
//! updates about that request to that address, and the town forgets the address for that
//! request: the reporter's contact, or the follower, is removed (the public record stays).

use crate::State;
use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};
use town311::http::{self, ApiError};

pub const ROUTE_GET: &str = "GET /citizen/v1/unsubscribe";
pub const ROUTE_POST: &str = "POST /citizen/v1/unsubscribe";

/// The HTML page: a heading, a paragraph, and optionally the confirming form.
fn page(
    status: StatusCode,
    title: &str,
    text: &str,
    form_for: Option<&str>,
) -> Result<Response<Body>, ApiError> {
    page_with(status, title, text, form_for.map(|token| (token, "Stop emails and forget my contact")))
}

/// The HTML page of a link: a heading, a paragraph, and optionally a form with one button that
/// posts the link's token back (`(token, button label)`).
pub(crate) fn page_with(
    status: StatusCode,
    title: &str,
    text: &str,
    form_for: Option<(&str, &str)>,
) -> Result<Response<Body>, ApiError> {
    let escape =
        |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let form = form_for
        .map(|(token, button)| {
            format!(
                "<form method=\"post\" action=\"?token={}\"><button type=\"submit\">{}</button></form>",
                escape(token),
                escape(button)
            )
        })
        .unwrap_or_default();
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title></head>\
         <body><main><h1>{}</h1><p>{}</p>{form}</main></body></html>",
        escape(title),
        escape(title),
        escape(text)
    );
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .header("content-security-policy", "default-src 'none'; form-action 'self'")
        .body(Body::from(html))
        .map_err(|e| ApiError::Internal(Box::new(e)))
}

pub async fn answer(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    if http::route_key(request) == Some(ROUTE_POST) {
        crate::admit(state, request, town311::domain::rate::Route::Unsubscribe).await?;
    }
    let token = http::query_parameter(request, "token").map(str::trim).unwrap_or_default();
    let target = if token.is_empty() || token.len() > 128 {
        None
    } else {
        state.deliveries.unsubscribe_target(token).await?
    };
    let Some((ticket_id, contact_key)) = target else {
        return page(
            StatusCode::NOT_FOUND,
            "This link has expired",
            "It may be old or mistyped. Reply to any update email, or call the town, to stop updates.",
            None,
        );
    };
    if http::route_key(request) == Some(ROUTE_GET) {
        return page(
            StatusCode::OK,
            "Stop emails about this request and forget your contact?",
            &format!(
                "You will no longer get emails about request {ticket_id}, and the town removes your \
                 contact details from it. The public record of the request stays."
            ),
            Some(token),
        );
    }
    // Forgotten already (a second click, or the mail client's one-click and then the button):
    // the same answer.
    let forgotten = state.privacy.forget_on(&ticket_id, &contact_key).await?;
    tracing::info!(ticket_id = %ticket_id, forgotten, "unsubscribed and forgotten on a request");
    page(
        StatusCode::OK,
        "You are unsubscribed",
        &format!(
            "You will no longer get emails about request {ticket_id}, and your contact details are \
             removed from it."
        ),
        None,
    )
}
