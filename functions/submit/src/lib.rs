//! The submit function: a citizen's new service request (Open311 `POST requests.{fmt}`, as a
//! form or multipart with photos) becomes a ticket, written with its first history entry.

use chrono::{DateTime, Duration, Utc};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use std::sync::Arc;
use town311::domain::api_key::{self, KeyPolicy};
use town311::domain::catalog::{Department, Service, ServiceType};
use town311::domain::id::{IdSource, TicketId, random_token};
use town311::domain::photo::{ImageKind, MAX_PHOTOS, upload_key};
use town311::domain::ticket::{Channel, NewRequest, Ticket};
use town311::http::{self, ApiError};
use town311::open311::Format;
use town311::open311::datetime::w3c;
use town311::open311::form::Form;
use town311::open311::multipart;
use town311::open311::records::CreatedRecord;
use town311::ports::{ApiKeys, Catalog, Idempotency, PhotoLinks, PhotoStore, StoreError, TicketStore};
use town311::runtime::clock::Clock;
use town311::runtime::config::Config;
use tracing::Instrument;

/// The time the function has for one event: its `Timeout` in template.yaml. Every AWS call is
/// bounded within it.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The largest form body accepted: a full description and answers fit many times over.
pub const MAX_FORM_BYTES: usize = 256 * 1024;
/// The largest multipart body accepted: Lambda takes at most 6 MB of (base64) event, so larger
/// photos go straight to S3 instead.
pub const MAX_MULTIPART_BYTES: usize = 4 * 1024 * 1024;
/// Parts a multipart body may have: every Open311 field, answers and photos.
const MAX_PARTS: usize = 200;

/// Tries at drawing a free ticket number before giving up (a clash is a one in a million event).
const ID_ATTEMPTS: usize = 3;

/// What the handler needs, built once per cold start.
pub struct State {
    pub config: Config,
    pub tickets: Arc<dyn TicketStore>,
    pub catalog: Arc<dyn Catalog>,
    pub keys: Arc<dyn ApiKeys>,
    pub photos: Arc<dyn PhotoStore>,
    /// Signs the forms browsers upload photos with.
    pub links: Arc<dyn PhotoLinks>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
}

impl From<&town311::adapters::aws::Adapters> for State {
    /// The production wiring: DynamoDB, S3, the clock and the random source.
    fn from(aws: &town311::adapters::aws::Adapters) -> Self {
        town311::wire!(aws, Self { config, tickets, catalog, keys, photos, links, clock, ids })
    }
}

/// A photo sent inside the request.
struct Photo<'a> {
    field: String,
    kind: ImageKind,
    data: &'a [u8],
}

/// Handles `POST /open311/v2/requests.{json,xml}` and staff's `POST /staff/v1/tickets`.
pub async fn handle(state: &State, request: Request) -> Result<Response<Body>, Error> {
    if http::route_key(&request) == Some(STAFF_ROUTE) {
        return Ok(http::respond(None, staff_submit(state, &request).await));
    }
    if http::route_key(&request) == Some(UPLOAD_ROUTE) {
        return Ok(http::respond(None, upload_form(state, &request).await));
    }
    let format = http::requested_format(&request);
    Ok(http::respond(format, submit(state, &request, format).await))
}

/// The route staff enter requests on, for callers on the phone, at the counter or by email.
pub const STAFF_ROUTE: &str = "POST /staff/v1/tickets";
/// How long a retried POST with the same `Idempotency-Key` finds its first ticket.
const IDEMPOTENCY_HOURS: i64 = 24;

/// A new ticket, or the first one of an earlier attempt with the same idempotency key.
enum Outcome {
    Created(Box<Ticket>, Option<String>),
    Replayed(Box<Ticket>, Option<String>),
}

async fn submit(
    state: &State,
    request: &Request,
    format: Option<Format>,
) -> Result<Response<Body>, ApiError> {
    let format = format.ok_or_else(|| ApiError::NotFound("unknown resource".into()))?;
    let (form, photos) = read_body(request)?;
    let jurisdiction =
        form.get("jurisdiction_id").or_else(|| http::query_parameter(request, "jurisdiction_id"));
    http::check_jurisdiction(state.config.jurisdiction_id.as_deref(), jurisdiction)?;
    let web_form = from_web_form(&state.config, request);
    let key = authorize(state, request, &form, web_form).await?;
    // Public retries are told apart by the app's key where there is one.
    let scope = format!("open311\u{0}{}", key.as_deref().unwrap_or_default());
    let channel = if web_form { Channel::Web } else { Channel::Open311 };
    let mut new_request = form.new_request(channel)?;
    new_request.uploads = uploads_named(&form, photos.len())?;
    let sent: Vec<&[u8]> = photos.iter().map(|p| p.data).collect();
    let idempotency = idempotency_key(request, &scope, &new_request.fingerprint(&sent))?;
    if let Some(outcome) = replayed(state, idempotency.as_ref()).await? {
        return answer(state, format, &outcome).await;
    }

    let service = offered(state, &new_request.service_code).await?;
    new_request.answers = service.check_answers(&new_request.answers)?;
    new_request.uploads.extend(store_photos(state, &photos).await?);
    let outcome = open_ticket(state, &service, new_request, idempotency.as_ref()).await?;
    if let (Some(hash), Outcome::Created(..)) = (&key, &outcome) {
        // The ticket is written; a failed bookkeeping write must not fail the citizen.
        if let Err(e) = state.keys.record_use(hash, state.clock.now()).await {
            tracing::warn!(error = %town311::runtime::chain(&e), "could not record the API key's use");
        }
    }
    answer(state, format, &outcome).await
}

/// A request staff enter on a caller's behalf: JSON with the Open311 fields, `attributes` as an
/// object and the `channel` it came by. Same ticket, same promises as any other.
async fn staff_submit(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
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
    let mut new_request = Form::from_json(&fields)?.new_request(channel)?;
    let service = offered(state, &new_request.service_code).await?;
    if !caller.can_write(&service.department) {
        return Err(ApiError::Forbidden(format!(
            "{} requests go to a department you do not work",
            service.code
        )));
    }
    let fingerprint = new_request.fingerprint(&[]);
    new_request.answers = service.check_answers(&new_request.answers)?;
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

async fn offered(state: &State, code: &str) -> Result<Service, ApiError> {
    state
        .catalog
        .service(code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("service_code '{code}' is not offered")))
}

/// A submission's `Idempotency-Key` and what was submitted with it.
struct Key {
    hash: String,
    fingerprint: String,
}

/// The `Idempotency-Key` header, hashed within `scope` (who is submitting): a client's retry of
/// the same POST carries the same key, and nobody else's key can lead to their ticket.
fn idempotency_key(request: &Request, scope: &str, fingerprint: &str) -> Result<Option<Key>, ApiError> {
    let Some(value) = request.headers().get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().map(str::trim).unwrap_or_default();
    if key.is_empty() || key.len() > 255 {
        return Err(ApiError::BadRequest("Idempotency-Key must be 1 to 255 visible characters".into()));
    }
    let hash = town311::domain::api_key::hash(&format!("{scope}\u{0}{key}"));
    Ok(Some(Key { hash, fingerprint: fingerprint.to_owned() }))
}

/// The outcome of an earlier attempt with this key, if there was one; a different request
/// under the same key is refused, never answered with another report's ticket.
async fn replayed(state: &State, key: Option<&Key>) -> Result<Option<Outcome>, ApiError> {
    let Some(key) = key else { return Ok(None) };
    let Some(replay) = state.tickets.replay(&key.hash, state.clock.now()).await? else { return Ok(None) };
    if !replay.matches(&key.fingerprint) {
        return Err(ApiError::IdempotencyKeyReused);
    }
    // The ticket is written with the record; a read that misses it is a moment early.
    let ticket = state.tickets.get(&replay.ticket_id).await?.ok_or_else(|| {
        ApiError::Unavailable(StoreError::unavailable("GetItem", "a replayed ticket is not readable yet"))
    })?;
    Ok(Some(Outcome::Replayed(Box::new(ticket), replay.token)))
}

/// Writes the ticket, its first history entry, its token and idempotency record together.
async fn open_ticket(
    state: &State,
    service: &Service,
    new_request: NewRequest,
    key: Option<&Key>,
) -> Result<Outcome, ApiError> {
    let token = match service.kind {
        ServiceType::Realtime => None,
        ServiceType::Batch | ServiceType::Blackbox => {
            Some(random_token(state.ids.as_ref()).map_err(internal)?)
        }
    };
    let now = state.clock.now();
    let expected_at = promise(state, service, now).await?;
    let department = department_for(state, service, &new_request).await?;
    let idempotency = key.map(|k| Idempotency {
        key_hash: k.hash.clone(),
        fingerprint: k.fingerprint.clone(),
        received_at: now,
        expires_at: now + Duration::hours(IDEMPOTENCY_HOURS),
    });
    let mut last = ApiError::Internal("no free ticket number after several draws".into());
    for _ in 0..ID_ATTEMPTS {
        let id = TicketId::generate(state.ids.as_ref()).map_err(internal)?;
        let (mut ticket, entry) = Ticket::open_in(id, service, &department, new_request.clone(), now);
        ticket.expected_at = expected_at;
        let span = tracing::info_span!("submit", ticket_id = %ticket.id, service_code = %service.code);
        match state
            .tickets
            .create(&ticket, &entry, token.as_deref(), idempotency.as_ref())
            .instrument(span.clone())
            .await
        {
            Ok(()) => {
                span.in_scope(|| {
                    tracing::info!(
                        channel = ticket.channel.as_str(),
                        photos = ticket.uploads.len(),
                        "ticket created"
                    )
                });
                return Ok(Outcome::Created(Box::new(ticket), token));
            }
            Err(StoreError::IdTaken) => {
                span.in_scope(|| tracing::warn!("ticket number taken, drawing another"))
            }
            Err(StoreError::Replayed) => {
                // A concurrent retry won the race: answer with its ticket. If its record is gone
                // already (it expired just now), the key is free: write again.
                if let Some(outcome) = replayed(state, key).await? {
                    return Ok(outcome);
                }
                span.in_scope(|| {
                    tracing::warn!("idempotency key taken, but by no live record; writing again")
                });
                last = ApiError::Unavailable(StoreError::unavailable(
                    "TransactWriteItems",
                    "the idempotency key stayed taken by no live record",
                ));
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(last)
}

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> ApiError {
    ApiError::Internal(Box::new(e))
}

/// The form fields and any photos, from a urlencoded or multipart body.
fn read_body(request: &Request) -> Result<(Form, Vec<Photo<'_>>), ApiError> {
    let media_type = http::media_type(request);
    match media_type.as_deref() {
        None | Some("application/x-www-form-urlencoded") => {
            Ok((Form::parse_urlencoded(http::body_within(request, MAX_FORM_BYTES)?)?, Vec::new()))
        }
        Some("multipart/form-data") => {
            let body = http::body_within(request, MAX_MULTIPART_BYTES)?;
            let header =
                request.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
            let boundary = multipart::boundary(header)
                .ok_or_else(|| ApiError::BadRequest("the multipart body has no boundary parameter".into()))?;
            let parts = multipart::parse(body, &boundary, MAX_PARTS)
                .map_err(|e| ApiError::BadRequest(e.to_string()))?;
            let mut fields = Vec::new();
            let mut photos = Vec::new();
            for part in parts {
                if part.filename.is_none() {
                    let value = String::from_utf8(part.data.to_vec())
                        .map_err(|_| ApiError::BadRequest(format!("{} is not UTF-8 text", part.name)))?;
                    fields.push((part.name, value));
                } else if !part.data.is_empty() {
                    // An image is recognised by its content; its name and declared type prove nothing.
                    let kind = ImageKind::sniff(part.data).ok_or_else(|| {
                        ApiError::BadRequest(format!("{} is not a JPEG, PNG, WebP or HEIC image", part.name))
                    })?;
                    photos.push(Photo { field: part.name, kind, data: part.data });
                }
            }
            if photos.len() > MAX_PHOTOS {
                return Err(ApiError::BadRequest(format!("at most {MAX_PHOTOS} photos may be sent")));
            }
            Ok((Form::from_pairs(fields), photos))
        }
        Some(other) => Err(ApiError::UnsupportedMediaType(format!(
            "requests are posted as application/x-www-form-urlencoded or multipart/form-data, not {other}"
        ))),
    }
}

/// Whether the request comes from the town's own web form (its `Origin`).
fn from_web_form(config: &Config, request: &Request) -> bool {
    let origin = request.headers().get("origin").and_then(|v| v.to_str().ok());
    matches!((origin, config.web_origin.as_deref()), (Some(o), Some(w)) if o.eq_ignore_ascii_case(w))
}

/// Checks the `api_key` the deployment's policy asks for; gives the key's hash to record its use.
async fn authorize(
    state: &State,
    request: &Request,
    form: &Form,
    web_form: bool,
) -> Result<Option<String>, ApiError> {
    match state.config.api_key_policy {
        KeyPolicy::Open => return Ok(None),
        KeyPolicy::RequiredExceptWebForm if web_form => return Ok(None),
        KeyPolicy::Required | KeyPolicy::RequiredExceptWebForm => {}
    }
    let given = form
        .get("api_key")
        .or_else(|| http::query_parameter(request, "api_key"))
        .ok_or_else(|| ApiError::Forbidden("api_key is required".into()))?;
    let hash = api_key::hash(given);
    match state.keys.key(&hash).await? {
        Some(key) if key.is_active() => Ok(Some(hash)),
        _ => Err(ApiError::Forbidden("api_key is not valid".into())),
    }
}

/// The uploads the request names (`upload`, one field per photo uploaded beforehand through
/// `POST /citizen/v1/uploads`), counted with the photos in the body.
fn uploads_named(form: &Form, photos_in_body: usize) -> Result<Vec<String>, ApiError> {
    let named: Vec<String> = form.all("upload").into_iter().map(|u| u.trim().to_owned()).collect();
    if let Some(bad) = named.iter().find(|u| !town311::domain::photo::is_upload_id(u)) {
        return Err(ApiError::BadRequest(format!("upload '{bad}' is not an upload id")));
    }
    if named.len() + photos_in_body > MAX_PHOTOS {
        return Err(ApiError::BadRequest(format!("at most {MAX_PHOTOS} photos may be sent")));
    }
    let mut unique = named.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != named.len() {
        return Err(ApiError::BadRequest("an upload is named twice".into()));
    }
    Ok(named)
}

/// Keeps each photo of the body as an upload awaiting processing (the photo function takes it
/// from there); unattached uploads expire on their own.
async fn store_photos(state: &State, photos: &[Photo<'_>]) -> Result<Vec<String>, ApiError> {
    let mut ids = Vec::with_capacity(photos.len());
    for photo in photos {
        let id = random_token(state.ids.as_ref()).map_err(internal)?;
        state.photos.put(&upload_key(&id), photo.data.to_vec(), photo.kind.content_type()).await?;
        tracing::debug!(field = %photo.field, upload = %id, "photo received");
        ids.push(id);
    }
    Ok(ids)
}

/// How long a browser has to post a photo once it was given the form.
const UPLOAD_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// `POST /citizen/v1/uploads` with `{"content_type": "image/jpeg"}`: a presigned form the
/// browser posts one photo with, straight to the bucket (at most 10 MB, JPEG, PNG or WebP);
/// the request then names the upload by its id.
async fn upload_form(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let fields: serde_json::Value = serde_json::from_slice(http::body_within(request, 4096)?)
        .map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?;
    let content_type = fields.get("content_type").and_then(|c| c.as_str()).unwrap_or_default();
    if !town311::adapters::aws::presign::UPLOAD_CONTENT_TYPES.contains(&content_type) {
        return Err(ApiError::BadRequest("content_type must be image/jpeg, image/png or image/webp".into()));
    }
    let id = random_token(state.ids.as_ref()).map_err(internal)?;
    let form =
        state.links.presigned_upload(&upload_key(&id), content_type, MAX_UPLOAD_BYTES, UPLOAD_WINDOW).await?;
    tracing::info!(upload = %id, "upload form handed out");
    http::json(
        StatusCode::CREATED,
        &serde_json::json!({
            "upload_id": id,
            "url": form.url,
            "fields": form.fields.iter().map(|(k, v)| serde_json::json!({"name": k, "value": v})).collect::<Vec<_>>(),
            "file_field": "file",
            "max_bytes": MAX_UPLOAD_BYTES,
            "expires_at": form.expires_at,
        }),
    )
}

/// The largest photo a browser may upload.
pub const MAX_UPLOAD_BYTES: u64 = 10 * 1024 * 1024;

/// The route handing out upload forms.
pub const UPLOAD_ROUTE: &str = "POST /citizen/v1/uploads";

/// The Open311 answer: the number (or token), the promise and the department's contact.
async fn answer(state: &State, format: Format, outcome: &Outcome) -> Result<Response<Body>, ApiError> {
    let (Outcome::Created(ticket, token) | Outcome::Replayed(ticket, token)) = outcome;
    let department = state.catalog.department(&ticket.department).await?;
    let created = [CreatedRecord {
        // Open311: a token or a number, never both.
        service_request_id: token.is_none().then_some(&ticket.id),
        token: token.as_deref(),
        service_notice: service_notice(state, department.as_ref(), ticket),
        account_id: None,
        expected_datetime: ticket.expected_at.map(|at| w3c(at, state.config.timezone)),
        department_name: department.as_ref().map(|d| d.name.as_str()),
        department_phone: department.as_ref().map(|d| d.phone.as_str()),
        department_email: department.as_ref().map(|d| d.email.as_str()),
    }];
    http::document(format, "service_requests", &created)
}

/// The department the routing rules send a request to, so the citizen hears at once who will
/// handle it (the route function binds the rest: the person, duplicates).
async fn department_for(state: &State, service: &Service, request: &NewRequest) -> Result<String, ApiError> {
    let Some(rules) = state.catalog.routing().await? else { return Ok(service.department.clone()) };
    Ok(rules.decide(request, &service.department, None).department)
}

/// When the town promises a response: the service's target on the town's business calendar.
async fn promise(
    state: &State,
    service: &Service,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(target) = service.target else { return Ok(None) };
    let Some(calendar) = state.catalog.calendar().await? else { return Ok(None) };
    Ok(calendar.due(now, target, state.config.timezone))
}

/// What the citizen is told at once: who handles the request, by when, and how to reach them.
fn service_notice(state: &State, department: Option<&Department>, ticket: &Ticket) -> String {
    let by = ticket
        .expected_at
        .map(|at| {
            format!(
                " Expected by {}.",
                at.with_timezone(&state.config.timezone).format("%a %b %-d, %-I:%M %p")
            )
        })
        .unwrap_or_default();
    match department {
        Some(d) => format!("{} handles this request.{by} Questions: {}, {}.", d.name, d.phone, d.email),
        None => format!("{} has received this request.{by}", state.config.town_name),
    }
}

#[cfg(test)]
mod tests;
