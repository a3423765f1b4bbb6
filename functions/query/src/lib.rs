//! The query function: the public, read-only Open311 resources (the catalog and requests).

use lambda_http::{Body, Error, Request, Response};
use std::sync::Arc;
use town311::config::Config;
use town311::http::{self, ApiError};
use town311::id::TicketId;
use town311::open311::Format;
use town311::open311::records::{ServiceDefinition, ServiceRecord, ServiceRequestRecord};
use town311::ports::{Catalog, TicketStore};

/// What the handler needs, built once per cold start.
pub struct State {
    pub config: Config,
    pub tickets: Arc<dyn TicketStore>,
    pub catalog: Arc<dyn Catalog>,
}

impl State {
    /// The production wiring: DynamoDB.
    pub fn from_aws(config: Config, sdk: &town311::aws::SdkConfig) -> Self {
        Self {
            tickets: Arc::new(town311::aws::DynamoTickets::new(sdk, &config)),
            catalog: Arc::new(town311::aws::DynamoCatalog::new(sdk, &config)),
            config,
        }
    }
}

/// Handles the `GET /open311/v2/…` routes template.yaml gives this function.
pub async fn handle(state: &State, request: Request) -> Result<Response<Body>, Error> {
    let format = http::requested_format(&request);
    Ok(http::respond(format, dispatch(state, &request, format).await))
}

async fn dispatch(
    state: &State,
    request: &Request,
    format: Option<Format>,
) -> Result<Response<Body>, ApiError> {
    let unknown = || ApiError::NotFound("unknown resource".into());
    let format = format.ok_or_else(unknown)?;
    http::check_jurisdiction(
        state.config.jurisdiction_id.as_deref(),
        http::query_parameter(request, "jurisdiction_id"),
    )?;
    let document = http::path_parameter(request, "document").unwrap_or_default();
    let (stem, _) = Format::split(document).ok_or_else(unknown)?;
    match (http::route_key(request).unwrap_or_default(), stem) {
        ("GET /open311/v2/{document}", "services") => services(state, format).await,
        ("GET /open311/v2/services/{document}", code) => definition(state, format, code).await,
        ("GET /open311/v2/requests/{document}", id) => one_request(state, format, id).await,
        _ => Err(unknown()),
    }
}

async fn services(state: &State, format: Format) -> Result<Response<Body>, ApiError> {
    let services = state.catalog.services().await?;
    let records: Vec<ServiceRecord<'_>> = services.iter().map(ServiceRecord::from).collect();
    http::document(format, "services", &records)
}

async fn definition(state: &State, format: Format, code: &str) -> Result<Response<Body>, ApiError> {
    let service = state
        .catalog
        .service(code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("service_code '{code}' is not offered")))?;
    http::document(format, "service_definition", &ServiceDefinition::from(&service))
}

#[tracing::instrument(skip(state, format))]
async fn one_request(state: &State, format: Format, id: &str) -> Result<Response<Body>, ApiError> {
    let not_found = || ApiError::NotFound(format!("service request '{id}' was not found"));
    let id = TicketId::parse(id).map_err(|_| not_found())?;
    let ticket = state.tickets.get(&id).await?.ok_or_else(not_found)?;
    let department = state.catalog.department(&ticket.department).await?;
    let record = ServiceRequestRecord::new(&ticket, department.as_ref(), state.config.timezone);
    http::document(format, "service_requests", &[record])
}

#[cfg(test)]
mod tests;
