//! Open311 `POST requests.{json,xml}`: a form or multipart body with photos, from any Open311
//! app or the town's own web form, checked against the deployment's key policy.

use crate::ticket::{Outcome, idempotency_key, offered, open_ticket, replayed, take_in};
use crate::{MAX_FORM_BYTES, MAX_MULTIPART_BYTES, State, internal};
use lambda_http::{Body, Request, Response};
use town311::domain::api_key::{self, KeyPolicy};
use town311::domain::catalog::Department;
use town311::domain::contact::NotifyBy;
use town311::domain::id::random_token;
use town311::domain::photo::{ImageKind, MAX_PHOTOS, upload_key};
use town311::domain::rate::Route;
use town311::domain::ticket::{Channel, Ticket};
use town311::http::{self, ApiError};
use town311::open311::Format;
use town311::open311::datetime::w3c;
use town311::open311::form::Form;
use town311::open311::multipart;
use town311::open311::records::CreatedRecord;

/// Parts a multipart body may have: every Open311 field, answers and photos.
const MAX_PARTS: usize = 200;

/// A photo sent inside the request.
pub(crate) struct Photo<'a> {
    field: String,
    kind: ImageKind,
    data: &'a [u8],
}

pub(crate) async fn submit(
    state: &State,
    request: &Request,
    format: Option<Format>,
) -> Result<Response<Body>, ApiError> {
    let format = format.ok_or_else(|| ApiError::NotFound("unknown resource".into()))?;
    let Admitted { form, photos, submitter, key } = admit(state, request).await?;
    // Public retries are told apart by the app's key where there is one.
    let scope = format!("open311\u{0}{}", key.as_deref().unwrap_or_default());
    let channel = if submitter == Submitter::TownForm { Channel::Web } else { Channel::Open311 };
    let mut new_request = form.new_request(channel)?;
    new_request.uploads = uploads_named(&form, photos.len())?;
    let sent: Vec<&[u8]> = photos.iter().map(|p| p.data).collect();
    let idempotency = idempotency_key(request, &scope, &new_request.fingerprint(&sent))?;
    if let Some(outcome) = replayed(state, idempotency.as_ref()).await? {
        return answer(state, format, &outcome).await;
    }

    let service = offered(state, &new_request.service_code).await?;
    let mut new_request = take_in(state, &service, new_request)?;
    // After the service's intake: a request that is not about a place is not looked up.
    crate::locate::point(state, &mut new_request).await;
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

/// An Open311 POST let in: its fields and photos, who sent it, and the app's key hash if any.
pub(crate) struct Admitted<'a> {
    pub(crate) form: Form,
    pub(crate) photos: Vec<Photo<'a>>,
    pub(crate) submitter: Submitter,
    pub(crate) key: Option<String>,
}

/// What every Open311 POST passes first: a readable body, the jurisdiction, the deployment's
/// key policy, and (for everyone without a key) the limit of writes per client.
pub(crate) async fn admit<'a>(state: &State, request: &'a Request) -> Result<Admitted<'a>, ApiError> {
    let (form, photos) = read_body(request)?;
    let jurisdiction =
        form.get("jurisdiction_id").or_else(|| http::query_parameter(request, "jurisdiction_id"));
    http::check_jurisdiction(state.config.jurisdiction_id.as_deref(), jurisdiction)?;
    let submitter = authorize(state, request, &form).await?;
    let key = match &submitter {
        Submitter::App(hash) => Some(hash.clone()),
        Submitter::Anyone | Submitter::TownForm => None,
    };
    // An app with a key answers for its own traffic; everyone else is counted by address.
    if key.is_none() {
        let most = state.config.client_write_limit;
        http::admit(state.rates.as_ref(), request, Route::Submit, most, state.clock.now()).await?;
    }
    Ok(Admitted { form, photos, submitter, key })
}

/// The form fields and any photos, from a urlencoded or multipart body.
pub(crate) fn read_body(request: &Request) -> Result<(Form, Vec<Photo<'_>>), ApiError> {
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

/// Who may submit: an app with an active `api_key`, or the town's own form with a valid
/// `form_token`, as the deployment's policy asks.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Submitter {
    /// Nothing was asked (or checked).
    Anyone,
    /// An app, by its key's hash (to record its use).
    App(String),
    /// The town's form, by its token.
    TownForm,
}

/// Checks the `api_key` (or, where allowed, the `form_token`) the deployment's policy asks for.
/// A valid form token marks the town's own form under every policy; only where the policy asks
/// for a key is an invalid one refused.
pub(crate) async fn authorize(state: &State, request: &Request, form: &Form) -> Result<Submitter, ApiError> {
    let token = form.get("form_token").filter(|t| !t.trim().is_empty());
    let from_town_form = || match (token, &state.config.form_key) {
        (Some(token), Some(key)) => match key.verify(token, state.clock.now().timestamp()) {
            Ok(_) => true,
            Err(e) => {
                tracing::info!(reason = %e, "form token refused");
                false
            }
        },
        (Some(_), None) => {
            tracing::warn!("a form token was sent but no FORM_SECRET is set");
            false
        }
        (None, _) => false,
    };
    let given = form.get("api_key").or_else(|| http::query_parameter(request, "api_key"));
    match state.config.api_key_policy {
        KeyPolicy::Open if from_town_form() => Ok(Submitter::TownForm),
        KeyPolicy::Open => Ok(Submitter::Anyone),
        KeyPolicy::Required => {
            let given = given.ok_or_else(|| ApiError::Forbidden("api_key is required".into()))?;
            app(state, given).await?.ok_or_else(|| ApiError::Forbidden("api_key is not valid".into()))
        }
        KeyPolicy::RequiredExceptWebForm => {
            if let Some(given) = given {
                if let Some(app) = app(state, given).await? {
                    return Ok(app);
                }
            }
            if from_town_form() {
                return Ok(Submitter::TownForm);
            }
            Err(ApiError::Forbidden(match (given, token) {
                (Some(_), _) => "api_key is not valid".into(),
                (None, Some(_)) => {
                    "form_token is not valid (reload the form) and no api_key was given".into()
                }
                (None, None) => "api_key is required (or the town's form_token)".into(),
            }))
        }
    }
}

/// The app whose active key `given` is.
async fn app(state: &State, given: &str) -> Result<Option<Submitter>, ApiError> {
    let hash = api_key::hash(given);
    Ok(match state.keys.key(&hash).await? {
        Some(key) if key.is_active() => Some(Submitter::App(hash)),
        _ => None,
    })
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
        updates_by: ticket.reporter.notify_by.map(|by| by.as_key()),
    }];
    http::document(format, "service_requests", &created)
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
    let handled = match department {
        Some(d) => format!("{} handles this request.{by} Questions: {}, {}.", d.name, d.phone, d.email),
        None => format!("{} has received this request.{by}", state.config.town_name),
    };
    let countries = &state.config.sms_countries;
    let unusable = ticket.reporter.has_unusable_contact(|phone| countries.allow(phone));
    let updates = match (ticket.reporter.notify_by, unusable) {
        (None, _) => "",
        (Some(NotifyBy::Email), false) => " Updates will come by email.",
        (Some(NotifyBy::Sms), false) => " Updates will come by text message.",
        (Some(NotifyBy::Email), true) => {
            " The phone number you gave cannot be texted; staff may use it to call you. Updates will come by email."
        }
        (Some(NotifyBy::Sms), true) => {
            " The email you gave cannot be used for updates; staff may use it to reach you. Updates will come by text message."
        }
        (Some(NotifyBy::None), true) => {
            " Updates cannot be sent to the contact you gave (staff may use it to call you): look the request up by its number."
        }
        (Some(NotifyBy::None), false) => " No updates will be sent: look the request up by its number.",
    };
    format!("{handled}{updates}")
}
