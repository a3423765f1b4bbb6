//! The admins' `PUT /staff/v1/templates`: the town's canned responses, the whole document,
//! versioned like the routing rules. And the message a template sends by itself when staff move
//! a ticket to its status.

use crate::State;
use lambda_http::{Body, Request, Response};
use town311::domain::canned::{CannedResponses, Facts, MAX_TEMPLATES_BYTES, render};
use town311::domain::contact::NotifyBy;
use town311::domain::lifecycle::{Action, Targets};
use town311::domain::status::Status;
use town311::domain::ticket::{Actor, Audience, HistoryEntry, Ticket};
use town311::http::{self, ApiError};
use town311::ports::StoreError;

pub const ROUTE_PUT: &str = "PUT /staff/v1/templates";

/// Admins replace the canned responses; the body is the whole document. `If-Match` with the
/// document's ETag guards against overwriting someone else's edit.
pub async fn answer(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let caller = http::caller(request)?;
    if !caller.admin {
        return Err(ApiError::Forbidden("only admins change the canned responses".into()));
    }
    let expected = crate::if_match(request, "the templates'")?;
    let body = http::body_within(request, MAX_TEMPLATES_BYTES)?;
    let services = state.catalog.services().await?;
    let templates = CannedResponses::parse(body, &services)?;
    let stored = match town311::app::canned::replace(
        state.templates.as_ref(),
        templates,
        &caller.user,
        state.clock.now(),
        expected,
    )
    .await
    {
        Ok(stored) => stored,
        Err(StoreError::Conflict) => {
            return Err(ApiError::TemplatesChanged { seen: expected.unwrap_or_default() });
        }
        Err(other) => return Err(other.into()),
    };
    tracing::info!(
        user = %caller.user,
        version = stored.version,
        templates = stored.templates.len(),
        "canned responses replaced"
    );
    http::canned_responses(&stored)
}

/// The message a canned response sends to the reporter when `ticket` (as the status change to
/// `status` left it) reached that status, as the next change by `actor` at the same time; none when no template
/// goes out on it or the reporter gave no way to reach them. Reading the templates or the
/// department may fail: the status change then goes without it, never fails for it.
pub async fn automatic(
    state: &State,
    ticket: &Ticket,
    status: Status,
    actor: &Actor,
) -> Option<(Ticket, HistoryEntry)> {
    if !matches!(ticket.reporter.notify_by, Some(NotifyBy::Email | NotifyBy::Sms)) {
        return None;
    }
    let templates = match state.templates.templates().await {
        Ok(templates) => templates?,
        Err(e) => {
            let error = town311::runtime::chain(&e);
            tracing::warn!(%error, "canned responses unreadable: the status change goes without its message");
            return None;
        }
    };
    let template = templates.automatic(&ticket.service_code, status)?;
    let department = match state.catalog.department(&ticket.department).await {
        Ok(department) => department?,
        Err(e) => {
            let error = town311::runtime::chain(&e);
            tracing::warn!(%error, "department unreadable: the status change goes without its message");
            return None;
        }
    };
    let language = ticket.reporter.language;
    let facts = Facts::of(ticket, &department, state.config.timezone, language);
    let text = render(template.text_in(language), &facts);
    let message = Action::Message { text, to: Audience::Reporter, public: false };
    match ticket.apply(&message, actor.clone(), ticket.updated_at, Targets::default()) {
        Ok(change) => {
            tracing::info!(template = %template.id, "canned response goes out with the status change");
            Some(change)
        }
        Err(e) => {
            tracing::warn!(template = %template.id, error = %e, "canned response cannot be sent");
            None
        }
    }
}
