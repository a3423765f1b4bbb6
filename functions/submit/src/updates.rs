//! mySociety's `POST servicerequestupdates.{json,xml}`: a citizen's update on a request, as
//! FixMyStreet sends it to the council it reported to. The update becomes one history entry for
//! staff; "still broken" from the reporter reopens a closed request, under the rules of the
//! reporter's own reopen. FixMyStreet keeps the `update_id` it is answered with and sends the same
//! update again until it has one, so a retry finds the entry it made and gets the same id.

use crate::State;
use crate::open311::{Admitted, admit};
use lambda_http::{Body, Request, Response};
use town311::domain::contact::Phone;
use town311::domain::description::Description;
use town311::domain::id::TicketId;
use town311::domain::lifecycle::CitizenUpdate;
use town311::domain::rate::{REOPEN_ATTEMPTS_PER_REQUEST, Route};
use town311::domain::status::Status;
use town311::domain::ticket::{Change, HistoryEntry, Ticket};
use town311::http::{self, ApiError};
use town311::open311::Format;
use town311::open311::form::Form;
use town311::ports::StoreError;

/// The two routes, one per format.
pub const ROUTES: [&str; 2] =
    ["POST /open311/v2/servicerequestupdates.json", "POST /open311/v2/servicerequestupdates.xml"];

/// Tries at writing the update while staff change the ticket at the same moment.
const ATTEMPTS: usize = 3;

/// The longest status word an app may send (`NOT_COUNCILS_RESPONSIBILITY` is 27).
const MAX_STATUS_CHARS: usize = 40;

/// The contact an update came with: compared with the reporter's, then dropped (never stored
/// nor logged).
struct Sender<'a> {
    email: Option<&'a str>,
    phone: Option<Phone>,
}

impl Sender<'_> {
    fn is_reporter_of(&self, ticket: &Ticket) -> bool {
        let reporter = &ticket.reporter;
        let by_email = self.email.is_some_and(|e| {
            reporter.email.as_ref().is_some_and(|r| r.as_str().eq_ignore_ascii_case(e.trim()))
        });
        let by_phone = self.phone.as_ref().is_some_and(|p| reporter.phone.as_ref() == Some(p));
        by_email || by_phone
    }
}

pub(crate) async fn post(
    state: &State,
    request: &Request,
    format: Option<Format>,
) -> Result<Response<Body>, ApiError> {
    let format = format.ok_or_else(|| ApiError::NotFound("unknown resource".into()))?;
    let Admitted { form, photos, key, .. } = admit(state, request).await?;
    let named = form
        .get("service_request_id")
        .map(str::trim)
        .ok_or_else(|| ApiError::BadRequest("service_request_id is required".into()))?;
    let mut update = citizen_update(state, request, &form, key.as_deref().unwrap_or_default())?;
    let sender =
        Sender { email: form.get("email"), phone: form.get("phone").and_then(|p| Phone::parse(p).ok()) };
    if !photos.is_empty() {
        // FixMyStreet sends each photo's link as `media_url` too; those are kept.
        tracing::info!(photos = photos.len(), "photos in an update's body are not kept; their links are");
    }
    let not_found = || ApiError::NotFound("service_request_id names no request here".into());
    let named = TicketId::parse(named).map_err(|_| not_found())?;

    for _ in 0..ATTEMPTS {
        let ticket = state.tickets.get(&named).await?.ok_or_else(not_found)?;
        // A request merged into another is followed through its parent, and so are its updates.
        let target = match &ticket.parent {
            Some(parent) => state.tickets.get(parent).await?.ok_or_else(not_found)?,
            None => ticket.clone(),
        };
        // A private service's request answers as an unknown number does.
        if ticket.private || target.private {
            return Err(not_found());
        }
        if let Some(receipt) = &update.receipt {
            if let Some(entry) = earlier(state, receipt, &target, &ticket).await? {
                tracing::info!(ticket_id = %entry.ticket_id, version = entry.version, "update sent again; answered as before");
                return answer(format, &entry);
            }
        }
        update.by_reporter = sender.is_reporter_of(&ticket) || sender.is_reporter_of(&target);
        let now = state.clock.now();
        // Every "still broken" on a closed request counts towards the request's reopen attempts,
        // the reporter's or not, as the reporter's own reopen does; past them it is only recorded.
        let asks = update.says_open() && target.status == Status::Closed;
        let admitted = asks
            && town311::app::rate::admit(
                state.rates.as_ref(),
                Route::ReopenRequest,
                target.id.as_str(),
                REOPEN_ATTEMPTS_PER_REQUEST,
                now,
            )
            .await
            .is_ok();
        let reopen = admitted && target.reopened_by(&update, now);
        let change = target.take_update(&update, reopen, now)?;
        match state.tickets.apply(std::slice::from_ref(&change)).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                tracing::info!(ticket_id = %target.id, "the ticket changed while the update was written; reading it again");
                continue;
            }
            Err(other) => return Err(other.into()),
        }
        let (_, entry) = &change;
        tracing::info!(
            ticket_id = %entry.ticket_id,
            version = entry.version,
            by_reporter = update.by_reporter,
            asked_to_reopen = asks,
            reopened = entry.public,
            "citizen update recorded"
        );
        if let Some(hash) = &key {
            if let Err(e) = state.keys.record_use(hash, now).await {
                tracing::warn!(error = %town311::runtime::chain(&e), "could not record the API key's use");
            }
        }
        return answer(format, entry);
    }
    Err(ApiError::Unavailable(StoreError::unavailable(
        "TransactWriteItems",
        "the ticket kept changing while the update was written",
    )))
}

/// The update as sent, checked field by field; bad input is refused by the field's name.
fn citizen_update(
    state: &State,
    request: &Request,
    form: &Form,
    scope: &str,
) -> Result<CitizenUpdate, ApiError> {
    let text = Description::parse(form.get("description").unwrap_or_default())
        .map_err(|e| ApiError::BadRequest(e.to_string()))?
        .map(|d| d.as_str().to_owned());
    let status = form.get("status").map(status_word).transpose()?;
    if text.is_none() && status.is_none() {
        return Err(ApiError::BadRequest("description is required (or a status)".into()));
    }
    let written_at = form
        .get("updated_datetime")
        .map(|at| town311::open311::params::date_parameter("updated_datetime", at, state.config.timezone))
        .transpose()?;
    Ok(CitizenUpdate {
        text,
        media_urls: form.media_urls()?,
        status,
        by_reporter: false,
        written_at,
        receipt: receipt(request, form, scope)?,
    })
}

/// A status word as apps send it (`OPEN`, `closed`, `In progress`), upper-cased with
/// underscores.
fn status_word(given: &str) -> Result<String, ApiError> {
    let word: String = given.trim().chars().map(|c| if c == ' ' || c == '-' { '_' } else { c }).collect();
    let word = word.to_ascii_uppercase();
    if word.chars().count() > MAX_STATUS_CHARS || !word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(ApiError::BadRequest("status must be a status word such as OPEN or CLOSED".into()));
    }
    Ok(word)
}

/// What finds the update again: the app's `update_id` (Bromley's FixMyStreet sends
/// `update_id_ext` instead), or an `Idempotency-Key`, hashed with the app's key so that nobody
/// else's id can stand for its update.
fn receipt(request: &Request, form: &Form, scope: &str) -> Result<Option<String>, ApiError> {
    let header =
        request.headers().get("idempotency-key").map(|v| v.to_str().map(str::trim).unwrap_or_default());
    let id = match form.get("update_id").or_else(|| form.get("update_id_ext")) {
        Some(id) => id.trim(),
        None => match header {
            None => return Ok(None),
            Some(key) if key.is_empty() || key.len() > 255 => {
                return Err(ApiError::BadRequest(
                    "Idempotency-Key must be 1 to 255 visible characters".into(),
                ));
            }
            Some(key) => key,
        },
    };
    if id.chars().count() > 255 {
        return Err(ApiError::BadRequest("update_id must be at most 255 characters".into()));
    }
    Ok(Some(town311::domain::api_key::hash(&format!("update\u{0}{scope}\u{0}{id}"))))
}

/// The entry an earlier attempt of the same update made: on the request it went to, or on the
/// one FixMyStreet named when that has been merged since.
async fn earlier(
    state: &State,
    receipt: &str,
    target: &Ticket,
    named: &Ticket,
) -> Result<Option<HistoryEntry>, ApiError> {
    let mut tickets = vec![&target.id];
    if named.id != target.id {
        tickets.push(&named.id);
    }
    for id in tickets {
        let history = state.tickets.history(id).await?;
        let found = history.into_iter().find(
            |e| matches!(&e.change, Change::CitizenUpdate { receipt: Some(r), .. } if r.as_str() == receipt),
        );
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The entry's id as the public feed names entries (`<request>-<version>`): when the update
/// reopened the request, FixMyStreet finds that entry in the feed under the id it keeps and
/// does not take it in twice.
fn answer(format: Format, entry: &HistoryEntry) -> Result<Response<Body>, ApiError> {
    // One element: FixMyStreet reads `request_update[0].update_id`.
    let update_id = format!("{}-{}", entry.ticket_id, entry.version);
    http::document(format, "service_request_updates", &serde_json::json!([{ "update_id": update_id }]))
}

#[cfg(test)]
mod tests;
