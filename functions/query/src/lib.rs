//! The query function: the public, read-only Open311 resources — discovery, the catalog,
//! requests (one, by ids, or listed through the time indexes), tokens, mySociety's
//! `servicerequestupdates`, and the OpenAPI description of it all.

use lambda_http::{Body, Error, Request, Response};
use std::collections::HashMap;
use std::sync::Arc;
use town311::domain::catalog::Department;
use town311::domain::id::TicketId;
use town311::domain::listing::{MAX_RESULTS, Window};
use town311::domain::ticket::{HistoryEntry, Ticket};
use town311::http::{self, ApiError};
use town311::open311::params::{self, Selection};
use town311::open311::records::{
    Discovery, DiscoveryEndpoint, ExtendedAttributes, ServiceDefinition, ServiceRecord, ServiceRequestRecord,
    TokenRecord, UpdateRecord,
};
use town311::open311::{CHANGESET, Format};
use town311::ports::{Addresses, Banners, Catalog, PhotoLinks, Templates, TicketStore, Uploads};
use town311::runtime::clock::Clock;
use town311::runtime::config::Config;

/// The time the function has for one event: its `Timeout` in template.yaml. Every AWS call is
/// bounded within it.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The OpenAPI 3.1 description of the public API.
pub const OPENAPI: &str = include_str!("../../../shared/openapi.json");

/// What the handler needs, built once per cold start.
pub struct State {
    pub config: Config,
    pub tickets: Arc<dyn TicketStore>,
    pub catalog: Arc<dyn Catalog>,
    /// Signs the links photos are shown through.
    pub links: Arc<dyn PhotoLinks>,
    pub uploads: Arc<dyn Uploads>,
    pub banners: Arc<dyn Banners>,
    /// The town's address points, for suggestions and the address under a pin.
    pub addresses: Arc<dyn Addresses>,
    /// The canned responses staff pick from.
    pub templates: Arc<dyn Templates>,
    /// The town's figures, kept by the route function.
    pub stats: Arc<dyn town311::ports::Stats>,
    /// Who works where, for the staff pickers.
    pub directory: Arc<dyn town311::ports::StaffDirectory>,
    pub clock: Arc<dyn Clock>,
}

impl From<&town311::adapters::aws::Adapters> for State {
    /// The production wiring: DynamoDB, the photo bucket's links and the clock.
    fn from(aws: &town311::adapters::aws::Adapters) -> Self {
        town311::wire!(
            aws,
            Self {
                config,
                tickets,
                catalog,
                links,
                uploads,
                banners,
                addresses,
                templates,
                stats,
                directory,
                clock
            }
        )
    }
}

pub mod addresses;
pub mod banner;
pub mod canned;
pub mod dashboard;
pub mod directory;
pub mod map;
pub mod media;
pub mod nearby;
pub mod staff;
pub mod stats;

/// Handles the `GET /open311/v2/…`, `GET /citizen/v1/…` and `GET /staff/v1/…` routes
/// template.yaml gives this function.
pub async fn handle(state: &State, request: Request) -> Result<Response<Body>, Error> {
    match http::route_key(&request) {
        // Before the other staff routes: the dashboard reads the queues as staff.rs does.
        Some(dashboard::ROUTE) => return Ok(http::respond(None, dashboard::answer(state, &request).await)),
        Some(key) if key.starts_with("GET /staff/") => {
            return Ok(http::respond(None, staff::dispatch(state, &request).await));
        }
        Some(nearby::ROUTE) => return Ok(http::respond(None, nearby::answer(state, &request).await)),
        Some(map::ROUTE) => return Ok(http::respond(None, map::answer(state, &request).await)),
        Some(media::ROUTE) => return Ok(http::respond(None, media::answer(state, &request).await)),
        Some(banner::ROUTE) => return Ok(http::respond(None, banner::answer(state, &request).await)),
        Some(stats::ROUTE) => return Ok(http::respond(None, stats::answer(state, &request).await)),
        Some(addresses::SEARCH_ROUTE) => {
            return Ok(http::respond(None, addresses::search(state, &request).await));
        }
        Some(addresses::NEAREST_ROUTE) => {
            return Ok(http::respond(None, addresses::nearest(state, &request).await));
        }
        _ => {}
    }
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
        ("GET /open311/v2/{document}", "discovery") => discovery(state, request, format),
        ("GET /open311/v2/{document}", "services") => services(state, format).await,
        ("GET /open311/v2/{document}", "requests") => requests(state, request, format).await,
        ("GET /open311/v2/{document}", "servicerequestupdates") => updates(state, request, format).await,
        ("GET /open311/v2/{document}", "openapi") if format == Format::Json => Ok(openapi()),
        ("GET /open311/v2/services/{document}", code) => definition(state, format, code).await,
        ("GET /open311/v2/requests/{document}", id) => one_request(state, request, format, id).await,
        ("GET /open311/v2/tokens/{document}", token) => token_lookup(state, format, token).await,
        _ => Err(unknown()),
    }
}

/// A query parameter reader for the listing parsers (empty counts as absent).
fn query(request: &Request) -> impl Fn(&str) -> Option<String> + '_ {
    move |name| http::query_parameter(request, name).map(str::to_owned)
}

fn discovery(state: &State, request: &Request, format: Format) -> Result<Response<Body>, ApiError> {
    let headers = request.headers();
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    let scheme = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).unwrap_or("http");
    let key_service = match state.config.api_key_policy {
        town311::domain::api_key::KeyPolicy::Open => "No API key is needed to submit requests.".to_owned(),
        _ => format!("Apps need an API key to submit requests: ask {} for one.", state.config.town_name),
    };
    let discovery = Discovery {
        changeset: CHANGESET.to_owned(),
        contact: format!("{} 311 service requests", state.config.town_name),
        key_service,
        endpoints: vec![DiscoveryEndpoint {
            specification: "http://wiki.open311.org/GeoReport_v2",
            url: format!("{scheme}://{host}/open311/v2/"),
            changeset: CHANGESET.to_owned(),
            kind: "production",
            formats: ["text/xml", "application/json"],
        }],
    };
    http::document(format, "discovery", &discovery)
}

fn openapi() -> Response<Body> {
    let mut response = Response::new(Body::Text(OPENAPI.to_owned()));
    if let Ok(value) = "application/json; charset=utf-8".parse() {
        response.headers_mut().insert("content-type", value);
    }
    response
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

#[tracing::instrument(skip(state, request, format))]
async fn one_request(
    state: &State,
    request: &Request,
    format: Format,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    let not_found = || ApiError::NotFound(format!("service request '{id}' was not found"));
    let extensions = params::extensions(http::query_parameter(request, "extensions"))?;
    let id = TicketId::parse(id).map_err(|_| not_found())?;
    let ticket = state.tickets.get(&id).await?.ok_or_else(not_found)?;
    public_records(state, format, &[ticket], extensions).await
}

async fn requests(state: &State, request: &Request, format: Format) -> Result<Response<Body>, ApiError> {
    let listing = params::requests_listing(&query(request), state.clock.now(), state.config.timezone)?;
    let found = match &listing.selection {
        Selection::Ids(ids) => state.tickets.get_many(ids).await?,
        Selection::Filtered(filter) => state.tickets.list(filter).await?,
    };
    let page: Vec<Ticket> =
        found.into_iter().skip((listing.page - 1) * listing.page_size).take(listing.page_size).collect();
    public_records(state, format, &page, listing.extensions).await
}

/// Tickets as the public may see them, with their departments' names and, when asked, their
/// public history.
async fn public_records(
    state: &State,
    format: Format,
    tickets: &[Ticket],
    extensions: bool,
) -> Result<Response<Body>, ApiError> {
    let mut departments: HashMap<&str, Option<Department>> = HashMap::new();
    for ticket in tickets {
        if !departments.contains_key(ticket.department.as_str()) {
            let department = state.catalog.department(&ticket.department).await?;
            departments.insert(&ticket.department, department);
        }
    }
    // A private service's request shows its status only: no history either.
    // One ticket's history is one Query; a listing's are read together, in batches.
    let mut histories: Vec<Option<Vec<HistoryEntry>>> = Vec::new();
    if extensions {
        let public: Vec<&Ticket> = tickets.iter().filter(|t| !t.private).collect();
        let mut read = match public.as_slice() {
            [] => Vec::new(),
            [one] => vec![town311::app::history::as_of(state.tickets.as_ref(), one).await?],
            many => town311::app::history::as_of_each(state.tickets.as_ref(), many).await?,
        }
        .into_iter();
        histories = tickets.iter().map(|t| if t.private { None } else { read.next() }).collect();
    }
    let timezone = state.config.timezone;
    let media_base = media::base(&state.config);
    let records: Vec<ServiceRequestRecord<'_>> = tickets
        .iter()
        .enumerate()
        .map(|(i, ticket)| {
            let department = departments.get(ticket.department.as_str()).and_then(Option::as_ref);
            let mut record = ServiceRequestRecord::new(ticket, department, timezone, media_base.as_deref());
            if let Some(Some(history)) = histories.get(i) {
                record.extended_attributes =
                    Some(ExtendedAttributes::new(ticket, history, timezone, media_base.as_deref()));
            }
            record
        })
        .collect();
    http::document(format, "service_requests", &records)
}

async fn token_lookup(state: &State, format: Format, token: &str) -> Result<Response<Body>, ApiError> {
    let id = state
        .tickets
        .ticket_for_token(token)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("token '{token}' was not found")))?;
    http::document(format, "service_requests", &[TokenRecord { service_request_id: &id, token }])
}

async fn updates(state: &State, request: &Request, format: Format) -> Result<Response<Body>, ApiError> {
    let now = state.clock.now();
    let window = params::window(&query(request), ("start_date", "end_date"), now, state.config.timezone)?
        .unwrap_or_else(|| Window::last_90_days(now));
    let entries = state.tickets.public_updates(window, MAX_RESULTS).await?;
    let records: Vec<UpdateRecord<'_>> =
        entries.iter().map(|e| UpdateRecord::new(e, state.config.timezone)).collect();
    http::document(format, "service_requests_updates", &records)
}

#[cfg(test)]
mod tests;
