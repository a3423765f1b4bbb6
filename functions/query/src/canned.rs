//! `GET /staff/v1/templates`: the town's canned responses, for any staff. The whole document
//! with its version as the `ETag` (what an admin edits); with `?ticket=<id>`, the templates that
//! fit that ticket's service and status, filled in from it, for the clerk to pick from.

use crate::State;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use town311::domain::canned::{Facts, Use, render};
use town311::domain::catalog::Department;
use town311::domain::contact::Language;
use town311::domain::id::TicketId;
use town311::domain::staff::Caller;
use town311::http::{self, ApiError};

pub const ROUTE: &str = "GET /staff/v1/templates";

/// One template filled in for one ticket.
#[derive(Serialize)]
struct Filled<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(rename = "use")]
    use_for: Use,
    /// In English, as a note is written.
    text: String,
    /// In the reporter's language, as the message reaches them.
    message: String,
}

#[derive(Serialize)]
struct ForTicket<'a> {
    ticket: &'a TicketId,
    /// The reporter's language, which `message` is in.
    language: Language,
    templates: Vec<Filled<'a>>,
}

pub async fn answer(state: &State, request: &Request, caller: &Caller) -> Result<Response<Body>, ApiError> {
    let templates = state.templates.templates().await?.unwrap_or_default();
    let Some(id) = http::query_parameter(request, "ticket") else {
        return http::canned_responses(&templates);
    };
    let not_found = || ApiError::NotFound("no such ticket".into());
    let id = TicketId::parse(id).map_err(|_| not_found())?;
    let ticket = state.tickets.get(&id).await?.ok_or_else(not_found)?;
    if !caller.can_read(&ticket.department) {
        return Err(ApiError::Forbidden(format!("ticket {id} belongs to a department you do not work")));
    }
    let department = state.catalog.department(&ticket.department).await?.unwrap_or_else(|| Department {
        code: ticket.department.clone(),
        name: ticket.department.clone(),
        phone: String::new(),
        email: String::new(),
    });
    let language = ticket.reporter.language;
    let facts = |language| Facts::of(&ticket, &department, state.config.timezone, language);
    let filled = templates
        .fitting(&ticket.service_code, ticket.status)
        .map(|t| Filled {
            id: &t.id,
            name: &t.name,
            use_for: t.use_for,
            text: render(&t.text, &facts(Language::En)),
            message: render(t.text_in(language), &facts(language)),
        })
        .collect();
    http::json(StatusCode::OK, &ForTicket { ticket: &ticket.id, language, templates: filled })
}
