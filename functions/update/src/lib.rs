//! The update function: staff change tickets — status with a resolution, assignment,
//! department, schedule, category, notes, merging a duplicate. Each change names the version it
//! saw; a stale one gets 412 and changes nothing.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use std::sync::Arc;
use town311::domain::contact::{Language, NotifyBy};
use town311::domain::follower::{Contact, Follower, MAX_FOLLOWS_PER_DAY, MAX_PER_TICKET};
use town311::domain::id::TicketId;
use town311::domain::lifecycle::{Action, Targets};
use town311::domain::rate::Route;
use town311::domain::routing::RoutingRules;
use town311::domain::staff::Caller;
use town311::domain::ticket::{Actor, Ticket};
use town311::http::{self, ApiError};
use town311::ports::{Banners, Catalog, Deliveries, RateLimits, StoreError, Templates, TicketStore};
use town311::runtime::clock::Clock;
use town311::runtime::config::Config;
use tracing::Instrument;

/// The time the function has for one event: its `Timeout` in template.yaml. Every AWS call is
/// bounded within it.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

mod after_photo;
mod banner;
mod canned;
mod confirm;
mod fixed;
mod forget;
mod privacy;
pub mod unsubscribe;

/// The largest action body accepted.
pub const MAX_ACTION_BYTES: usize = 16 * 1024;

/// What the handler needs, built once per cold start.
pub struct State {
    pub config: Config,
    pub tickets: Arc<dyn TicketStore>,
    pub catalog: Arc<dyn Catalog>,
    pub deliveries: Arc<dyn Deliveries>,
    /// Counts citizens' writes (follow, reopen, unsubscribe) per client.
    pub rates: Arc<dyn RateLimits>,
    /// The town-wide banner admins set.
    pub banners: Arc<dyn Banners>,
    /// The canned responses admins keep; some go out by themselves on a status change.
    pub templates: Arc<dyn Templates>,
    /// The town's address points, to place a request staff give an address.
    pub addresses: Arc<dyn town311::ports::Addresses>,
    /// Where the photos staff close a ticket with are kept for the photo pipeline.
    pub photos: Arc<dyn town311::ports::PhotoStore>,
    /// Draws the upload ids of those photos.
    pub ids: Arc<dyn town311::domain::id::IdSource>,
    pub clock: Arc<dyn Clock>,
    /// Contacts kept apart: forgotten on a request (the unsubscribe link), exported and erased.
    pub privacy: Arc<dyn town311::ports::Privacy>,
}

impl From<&town311::adapters::aws::Adapters> for State {
    /// The production wiring: DynamoDB and the clock. With no catalog cache to load (admins edit
    /// the catalog here), the table connects ahead itself.
    fn from(aws: &town311::adapters::aws::Adapters) -> Self {
        aws.connect_ahead();
        Self {
            config: aws.config(),
            tickets: aws.tickets(),
            catalog: aws.uncached_catalog(),
            deliveries: aws.deliveries(),
            rates: aws.rates(),
            banners: aws.banners(),
            templates: aws.templates(),
            addresses: aws.addresses(),
            photos: aws.photos(),
            ids: aws.ids(),
            clock: aws.clock(),
            privacy: aws.privacy(),
        }
    }
}

/// Handles `POST /staff/v1/tickets/{id}/actions`, `POST /staff/v1/uploads`, the admins' `PUT /staff/v1/routing`,
/// `PUT /staff/v1/templates` and `PUT`/`DELETE /staff/v1/banner`, and the
/// citizens' `POST /citizen/v1/requests/{id}/reopen` and `…/follow`, the links that confirm a
/// follow, the unsubscribe links, and the reporter's answer to "was it fixed?".
pub async fn handle(state: &State, request: Request) -> Result<Response<Body>, Error> {
    let outcome = match http::route_key(&request) {
        Some("POST /citizen/v1/requests/{id}/reopen") => reopen(state, &request).await,
        Some("POST /citizen/v1/requests/{id}/follow") => follow(state, &request).await,
        Some("POST /staff/v1/tickets/{id}/actions") => act(state, &request).await,
        Some(after_photo::ROUTE) => after_photo::answer(state, &request).await,
        Some("PUT /staff/v1/routing") => put_routing(state, &request).await,
        Some(banner::ROUTE_PUT | banner::ROUTE_DELETE) => banner::answer(state, &request).await,
        Some(canned::ROUTE_PUT) => canned::answer(state, &request).await,
        Some(unsubscribe::ROUTE_GET | unsubscribe::ROUTE_POST) => unsubscribe::answer(state, &request).await,
        Some(confirm::ROUTE_GET | confirm::ROUTE_POST) => confirm::answer(state, &request).await,
        Some(fixed::ROUTE_GET | fixed::ROUTE_POST) => fixed::answer(state, &request).await,
        Some(privacy::ROUTE) => privacy::answer(state, &request).await,
        Some(forget::ROUTE) => forget::answer(state, &request).await,
        _ => Err(ApiError::NotFound("unknown resource".into())),
    };
    Ok(http::respond(None, outcome))
}

/// One citizen write by the request's client, within the town's limit per client.
async fn admit(state: &State, request: &Request, route: Route) -> Result<(), ApiError> {
    http::admit(state.rates.as_ref(), request, route, state.config.client_write_limit, state.clock.now())
        .await
}

/// "Still broken": the reporter reopens their closed request within the reopen window, proving
/// who they are with the email or phone number they gave.
async fn reopen(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    admit(state, request, Route::Reopen).await?;
    let not_found = || ApiError::NotFound("no such request".into());
    let id =
        http::path_parameter(request, "id").and_then(|id| TicketId::parse(id).ok()).ok_or_else(not_found)?;
    let attempts = town311::domain::rate::REOPEN_ATTEMPTS_PER_REQUEST;
    town311::app::rate::admit(
        state.rates.as_ref(),
        Route::ReopenRequest,
        id.as_str(),
        attempts,
        state.clock.now(),
    )
    .await?;
    let form = town311::open311::form::Form::parse_urlencoded(http::body_within(request, MAX_ACTION_BYTES)?)?;
    let contact = form.get("contact").map(str::trim).unwrap_or_default();
    let ticket = state.tickets.get(&id).await?.ok_or_else(not_found)?;
    let reporter = &ticket.reporter;
    let by_email = reporter.email.as_ref().is_some_and(|e| e.as_str().eq_ignore_ascii_case(contact));
    let by_phone =
        town311::domain::contact::Phone::parse(contact).is_ok_and(|p| reporter.phone.as_ref() == Some(&p));
    let action = Action::SetStatus {
        status: town311::domain::status::Status::Reopened,
        resolution: None,
        referral: None,
        after_photo: None,
    };
    let change = (!contact.is_empty() && (by_email || by_phone))
        .then(|| ticket.apply(&action, Actor::Reporter, state.clock.now(), Targets::default()).ok())
        .flatten();
    // A wrong contact and a request that cannot be reopened get the same answer, so nobody
    // learns from it whether a number or an address is the reporter's.
    let Some(change) = change else {
        tracing::info!(ticket_id = %id, "reopen refused");
        return Err(ApiError::Forbidden(format!(
            "a request is reopened by its reporter, with the email or phone number they gave, within \
             {} days of its closing",
            town311::domain::lifecycle::REOPEN_WINDOW_DAYS
        )));
    };
    match state.tickets.apply(std::slice::from_ref(&change)).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(ApiError::Stale { seen: ticket.version }),
        Err(other) => return Err(other.into()),
    }
    tracing::info!(ticket_id = %id, "reopened by the reporter");
    http::json(
        StatusCode::OK,
        &serde_json::json!({ "service_request_id": id, "status": change.0.status.open311() }),
    )
}

/// What a citizen sends to follow a request.
#[derive(serde::Deserialize)]
struct FollowRequest {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    notify_by: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

/// Reads a follow request, naming the field that is wrong and never quoting what was typed
/// (it may be someone's number).
fn follow_request(body: &[u8]) -> Result<FollowRequest, ApiError> {
    // A syntax error names a line and column, never a value.
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?;
    let fields = value.as_object().ok_or_else(|| {
        ApiError::BadRequest("the body is not a follow request: it is not an object".into())
    })?;
    for name in ["email", "phone", "notify_by", "language"] {
        if fields.get(name).is_some_and(|v| !(v.is_string() || v.is_null())) {
            return Err(ApiError::BadRequest(format!("{name} must be a string")));
        }
    }
    serde_json::from_value(value).map_err(|_| ApiError::BadRequest("the body is not a follow request".into()))
}

/// "Follow this one instead": a citizen hears about an open request as its reporter does, once
/// they confirm it through the link sent to the contact they gave (the follow is pending until
/// then; the table's stream has the link sent, see `confirm`). A request merged into another is
/// followed through its parent. A ticket has at most `MAX_PER_TICKET` followers and one contact
/// starts at most `MAX_FOLLOWS_PER_DAY` follows a day; neither refusal names the contact.
async fn follow(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    admit(state, request, Route::Follow).await?;
    let not_found = || ApiError::NotFound("no such request".into());
    let id =
        http::path_parameter(request, "id").and_then(|id| TicketId::parse(id).ok()).ok_or_else(not_found)?;
    let body = follow_request(http::body_within(request, MAX_ACTION_BYTES)?)?;
    let notify_by = body
        .notify_by
        .as_deref()
        .map(|v| match NotifyBy::parse(v) {
            Some(choice @ (NotifyBy::Email | NotifyBy::Sms)) => Ok(choice),
            _ => Err(ApiError::BadRequest("notify_by must be email or sms".into())),
        })
        .transpose()?;
    let language = match body.language.as_deref() {
        None => Language::default(),
        Some(tag) => {
            Language::parse(tag).ok_or_else(|| ApiError::BadRequest("language must be en or es".into()))?
        }
    };
    let contact = Contact::choose(notify_by, body.email.as_deref(), body.phone.as_deref())?;
    if let Contact::Sms(phone) = &contact {
        if !state.config.sms_countries.allow(phone) {
            return Err(ApiError::BadRequest(format!(
                "phone: text messages go only to numbers in {}",
                state.config.sms_countries.codes()
            )));
        }
    }
    let mut ticket = state.tickets.get(&id).await?.ok_or_else(not_found)?;
    if let Some(parent) = ticket.parent.clone() {
        ticket = state.tickets.get(&parent).await?.ok_or_else(not_found)?;
    }
    // A private service's request is nobody else's business: followed by nobody, and the
    // answer is the one an unknown number gets.
    if ticket.private {
        return Err(not_found());
    }
    if !ticket.status.is_open() {
        return Err(ApiError::Conflict(format!(
            "request {} is closed; file a new request if the problem is back",
            ticket.id
        )));
    }
    let key = contact.key();
    let following = state.tickets.follower(&ticket.id, &key).await?;
    if following.is_none() {
        // Counting a page one past the cap is enough to know it is reached.
        let followers = state.tickets.followers_page(&ticket.id, None, MAX_PER_TICKET).await?;
        if followers.followers.len() >= MAX_PER_TICKET {
            tracing::info!(ticket_id = %ticket.id, "follow refused: the request has as many followers as it may");
            return Err(ApiError::Conflict(format!(
                "request {} has as many followers as it may have ({MAX_PER_TICKET}); check its status page instead",
                ticket.id
            )));
        }
        let now = state.clock.now();
        let bucket = town311::domain::rate::Bucket::follows_of(&key, now);
        town311::app::rate::admit_to(
            state.rates.as_ref(),
            &bucket,
            Route::FollowsOfContact.as_str(),
            MAX_FOLLOWS_PER_DAY,
            now,
        )
        .await
        .map_err(ApiError::FollowsPerDay)?;
    }
    let follower = Follower::pending(&ticket.id, contact, language, state.clock.now());
    state.tickets.follow(&follower).await?;
    tracing::info!(
        ticket_id = %ticket.id,
        channel = %follower.contact.channel(),
        contact_key = %key,
        again = following.is_some(),
        "followed"
    );
    // The same answer whether the contact followed before or not: it tells nobody whose it is.
    http::json(
        StatusCode::CREATED,
        &serde_json::json!({ "service_request_id": ticket.id, "following": true }),
    )
}

/// Admins replace the routing rules; the body is the whole rules document. `If-Match` with the
/// rules' ETag guards against overwriting someone else's edit.
async fn put_routing(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let caller = http::caller(request)?;
    if !caller.admin {
        return Err(ApiError::Forbidden("only admins change the routing rules".into()));
    }
    let expected = if_match(request, "the rules'")?;
    let body = http::body_within(request, town311::domain::routing::MAX_RULES_BYTES)?;
    let services = state.catalog.services().await?;
    let departments = state.catalog.departments().await?;
    let rules = RoutingRules::parse(body, &services, &departments)?;
    let stored = match town311::app::routing::replace(
        state.catalog.as_ref(),
        rules,
        &caller.user,
        state.clock.now(),
        expected,
    )
    .await
    {
        Ok(stored) => stored,
        Err(StoreError::Conflict) => {
            return Err(ApiError::RulesChanged { seen: expected.unwrap_or_default() });
        }
        Err(other) => return Err(other.into()),
    };
    tracing::info!(user = %caller.user, version = stored.version, rules = stored.rules.len(), "routing rules replaced");
    http::routing_rules(&stored)
}

async fn act(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let caller = http::caller(request)?;
    let not_found = || ApiError::NotFound("no such ticket".into());
    let id =
        http::path_parameter(request, "id").and_then(|id| TicketId::parse(id).ok()).ok_or_else(not_found)?;
    let body = http::body_within(request, MAX_ACTION_BYTES)?;
    let fields: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?;
    moderation_fields(&fields)?;
    let action: Action = serde_json::from_value(fields.clone())
        .map_err(|e| ApiError::BadRequest(format!("not an action this API knows: {e}")))?;
    let seen = seen_version(request, &fields)?;
    let span = tracing::info_span!("act", ticket_id = %id, user = %caller.user);
    change(state, &caller, &id, &action, seen).instrument(span).await
}

async fn change(
    state: &State,
    caller: &Caller,
    id: &TicketId,
    action: &Action,
    seen: u64,
) -> Result<Response<Body>, ApiError> {
    let not_found = || ApiError::NotFound("no such ticket".into());
    let ticket = state.tickets.get(id).await?.ok_or_else(not_found)?;
    allowed(caller, &ticket)?;
    if ticket.version != seen {
        return Err(ApiError::Stale { seen });
    }
    let now = state.clock.now();
    let actor = Actor::Staff(caller.user.clone());
    let mut changes = Vec::with_capacity(2);
    match action {
        Action::Recategorize { service_code } => {
            let service =
                state.catalog.service(service_code).await?.ok_or_else(|| {
                    ApiError::NotFound(format!("service_code '{service_code}' is not offered"))
                })?;
            let targets = Targets { service: Some(&service), ..Targets::default() };
            changes.push(ticket.apply(action, actor, now, targets)?);
        }
        Action::Locate { address_string: Some(address), lat: None, long: None } => {
            // An address the town knows gets its point, so routing places it by area.
            let point = match town311::domain::location::Location::new(None, Some(address), None) {
                Ok(location) => {
                    match town311::app::addresses::point_of(state.addresses.as_ref(), &location).await {
                        Ok(point) => point,
                        Err(e) => {
                            // The operation only: a cause could quote the address.
                            tracing::warn!(error = %e, "address lookup failed; placed without a point");
                            None
                        }
                    }
                }
                Err(_) => None,
            };
            let action = Action::Locate {
                address_string: Some(address.clone()),
                lat: point.map(|p| p.lat()),
                long: point.map(|p| p.long()),
            };
            changes.push(ticket.apply(&action, actor, now, Targets::default())?);
        }
        Action::Move { department } => {
            if state.catalog.department(department).await?.is_none() {
                return Err(ApiError::NotFound(format!("department '{department}' does not exist")));
            }
            changes.push(ticket.apply(action, actor, now, Targets::default())?);
        }
        Action::Merge { parent } => {
            let parent = state
                .tickets
                .get(parent)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("no ticket {parent} to merge into")))?;
            allowed(caller, &parent)?;
            changes.push(ticket.apply(action, actor.clone(), now, Targets::default())?);
            changes.push(parent.absorb(&ticket.id, actor, now)?);
        }
        Action::SetStatus { status, .. } => {
            let changed = ticket.apply(action, actor.clone(), now, Targets::default())?;
            // A canned response that goes out on this status is written with the change.
            let message = canned::automatic(state, &changed.0, *status, &actor).await;
            changes.push(changed);
            changes.extend(message);
        }
        Action::Redact(_) | Action::Hide(_) | Action::Unhide => {
            let history = town311::app::history::as_of(state.tickets.as_ref(), &ticket).await?;
            let change =
                ticket.apply(action, actor, now, Targets { history: &history, ..Targets::default() })?;
            let rewritten = town311::domain::lifecycle::rewrites(&change.1, &history);
            match state.tickets.apply_rewriting(&change, &rewritten).await {
                Ok(()) => {}
                Err(StoreError::Conflict) => return Err(ApiError::Stale { seen }),
                Err(other) => return Err(other.into()),
            }
            // Never the words: they may be the personal data being removed.
            tracing::info!(change = change.1.change.kind(), rewritten = rewritten.len(), "ticket moderated");
            let history = town311::app::history::as_of(state.tickets.as_ref(), &change.0).await?;
            return http::staff_ticket(StatusCode::OK, &change.0, &history, None);
        }
        _ => changes.push(ticket.apply(action, actor, now, Targets::default())?),
    }
    match state.tickets.apply(&changes).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(ApiError::Stale { seen }),
        Err(other) => return Err(other.into()),
    }
    let kind = changes[0].1.change.kind();
    // The ticket as this request left it: after its automatic message, if one went out.
    let (changed, _) = changes.iter().rev().find(|(t, _)| t.id == *id).unwrap_or(&changes[0]);
    tracing::info!(change = kind, version = changed.version, "ticket changed");
    let history = town311::app::history::as_of(state.tickets.as_ref(), changed).await?;
    http::staff_ticket(StatusCode::OK, changed, &history, None)
}

/// Names the field a redact or hide action gets wrong (serde would name only the value).
fn moderation_fields(fields: &serde_json::Value) -> Result<(), ApiError> {
    let action = fields.get("action").and_then(|a| a.as_str());
    if !matches!(action, Some("redact" | "hide")) {
        return Ok(());
    }
    let reason = fields.get("reason").and_then(|r| r.as_str());
    if !matches!(reason, Some("personal_data" | "offensive" | "other")) {
        return Err(ApiError::BadRequest("reason must be personal_data, offensive or other".into()));
    }
    let target = fields.get("target").and_then(|t| t.as_str());
    if action == Some("redact") && !matches!(target, Some("description" | "note")) {
        return Err(ApiError::BadRequest("target must be description or note".into()));
    }
    for name in ["text", "detail"] {
        if fields.get(name).is_some_and(|v| !(v.is_string() || v.is_null())) {
            return Err(ApiError::BadRequest(format!("{name} must be a string")));
        }
    }
    if fields.get("entry").is_some_and(|v| !v.is_u64()) {
        return Err(ApiError::BadRequest("entry must be a whole number".into()));
    }
    Ok(())
}

/// Staff act only on their departments' tickets; viewers act on none.
fn allowed(caller: &Caller, ticket: &Ticket) -> Result<(), ApiError> {
    if caller.can_write(&ticket.department) {
        Ok(())
    } else if caller.can_read(&ticket.department) {
        Err(ApiError::Forbidden("your role may read this ticket but not change it".into()))
    } else {
        Err(ApiError::Forbidden(format!("ticket {} belongs to a department you do not work", ticket.id)))
    }
}

/// The version the writer saw: `If-Match: "7"` or `"version": 7` in the body.
/// The version an `If-Match` header names (`"3"`, or weak `W/"3"`), if one is sent; `whose` says
/// whose ETag it must be, for the error.
pub(crate) fn if_match(request: &Request, whose: &str) -> Result<Option<u64>, ApiError> {
    let Some(value) = request.headers().get("if-match").and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let version = value.trim().trim_start_matches("W/").trim_matches('"').parse::<u64>();
    version.map(Some).map_err(|_| ApiError::BadRequest(format!("If-Match must be {whose} ETag, like \"3\"")))
}

fn seen_version(request: &Request, fields: &serde_json::Value) -> Result<u64, ApiError> {
    let header = request.headers().get("if-match").and_then(|v| v.to_str().ok());
    let from_header = header.map(|v| v.trim().trim_start_matches("W/").trim_matches('"').parse::<u64>());
    match (from_header, fields.get("version")) {
        (Some(Ok(version)), _) => Ok(version),
        (Some(Err(_)), _) => {
            Err(ApiError::BadRequest("If-Match must be the ticket's ETag, like \"3\"".into()))
        }
        (None, Some(version)) => {
            version.as_u64().ok_or_else(|| ApiError::BadRequest("version must be a whole number".into()))
        }
        (None, None) => Err(ApiError::BadRequest(
            "name the version you saw: an If-Match header with the ticket's ETag, or a version field".into(),
        )),
    }
}

#[cfg(test)]
mod tests;
