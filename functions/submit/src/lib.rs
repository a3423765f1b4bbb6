//! The submit function: a citizen's new service request (Open311 `POST requests.{fmt}`)
//! becomes a ticket, written with its first history entry.

use lambda_http::{Body, Error, Request, Response};
use std::sync::Arc;
use town311::catalog::Service;
use town311::clock::{Clock, SystemClock};
use town311::config::Config;
use town311::http::{self, ApiError};
use town311::id::{IdSource, OsRandom, TicketId};
use town311::open311::Format;
use town311::open311::form::Form;
use town311::open311::records::CreatedRecord;
use town311::ports::{Catalog, StoreError, TicketStore};
use town311::ticket::{Channel, Ticket};
use tracing::Instrument;

/// The largest form body accepted: a full description and answers fit many times over.
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// Tries at drawing a free ticket number before giving up (a clash is a one in a million event).
const ID_ATTEMPTS: usize = 3;

/// What the handler needs, built once per cold start.
pub struct State {
    pub config: Config,
    pub tickets: Arc<dyn TicketStore>,
    pub catalog: Arc<dyn Catalog>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
}

impl State {
    /// The production wiring: DynamoDB, the system clock, the OS random source.
    pub fn from_aws(config: Config, sdk: &town311::aws::SdkConfig) -> Self {
        Self {
            tickets: Arc::new(town311::aws::DynamoTickets::new(sdk, &config)),
            catalog: Arc::new(town311::aws::DynamoCatalog::new(sdk, &config)),
            clock: Arc::new(SystemClock),
            ids: Arc::new(OsRandom),
            config,
        }
    }
}

/// Handles `POST /open311/v2/requests.{json,xml}`.
pub async fn handle(state: &State, request: Request) -> Result<Response<Body>, Error> {
    let format = http::requested_format(&request);
    Ok(http::respond(format, submit(state, &request, format).await))
}

async fn submit(
    state: &State,
    request: &Request,
    format: Option<Format>,
) -> Result<Response<Body>, ApiError> {
    let format = format.ok_or_else(|| ApiError::NotFound("unknown resource".into()))?;
    let body = http::body_within(request, MAX_FORM_BYTES)?;
    match http::media_type(request).as_deref() {
        None | Some("application/x-www-form-urlencoded") => {}
        Some(other) => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "requests are posted as application/x-www-form-urlencoded, not {other}"
            )));
        }
    }
    let form = Form::parse_urlencoded(body)?;
    let jurisdiction =
        form.get("jurisdiction_id").or_else(|| http::query_parameter(request, "jurisdiction_id"));
    http::check_jurisdiction(state.config.jurisdiction_id.as_deref(), jurisdiction)?;

    let mut new_request = form.new_request(Channel::Open311)?;
    let service = state.catalog.service(&new_request.service_code).await?.ok_or_else(|| {
        ApiError::NotFound(format!("service_code '{}' is not offered", new_request.service_code))
    })?;
    new_request.answers = service.check_answers(&new_request.answers)?;

    let now = state.clock.now();
    for _ in 0..ID_ATTEMPTS {
        let id = TicketId::generate(state.ids.as_ref()).map_err(|e| ApiError::Internal(Box::new(e)))?;
        let (ticket, entry) = Ticket::open(id, &service, new_request.clone(), now);
        let span = tracing::info_span!("submit", ticket_id = %ticket.id, service_code = %service.code);
        match state.tickets.create(&ticket, &entry).instrument(span.clone()).await {
            Ok(()) => {
                span.in_scope(|| tracing::info!(channel = ?ticket.channel, "ticket created"));
                let created = [CreatedRecord {
                    service_request_id: &ticket.id,
                    service_notice: service_notice(state, &service).await?,
                    account_id: None,
                }];
                return http::document(format, "service_requests", &created);
            }
            Err(StoreError::IdTaken) => {
                span.in_scope(|| tracing::warn!("ticket number taken, drawing another"))
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::Internal("no free ticket number after several draws".into()))
}

/// What the citizen is told at once: who handles the request and how to reach them.
async fn service_notice(state: &State, service: &Service) -> Result<String, ApiError> {
    Ok(match state.catalog.department(&service.department).await? {
        Some(d) => format!("{} handles this request. Questions: {}, {}.", d.name, d.phone, d.email),
        None => format!("{} has received this request.", state.config.town_name),
    })
}

#[cfg(test)]
mod tests;
