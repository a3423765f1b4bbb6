//! Opening a ticket, the same for every route a request comes in by: the promise, the
//! department the rules send it to, a fresh number, and the `Idempotency-Key` that makes a
//! retry safe.

use crate::{State, internal};
use chrono::{DateTime, Duration, Utc};
use lambda_http::Request;
use town311::domain::catalog::{Service, ServiceType};
use town311::domain::id::{TicketId, random_token};
use town311::domain::ticket::{NewRequest, Ticket};
use town311::http::ApiError;
use town311::ports::{Idempotency, StoreError};
use tracing::Instrument;

/// Tries at drawing a free ticket number before giving up (a clash is a one in a million event).
const ID_ATTEMPTS: usize = 3;

/// How long a retried POST with the same `Idempotency-Key` finds its first ticket.
const IDEMPOTENCY_HOURS: i64 = 24;

/// A new ticket, or the first one of an earlier attempt with the same idempotency key.
pub(crate) enum Outcome {
    Created(Box<Ticket>, Option<String>),
    Replayed(Box<Ticket>, Option<String>),
}

pub(crate) async fn offered(state: &State, code: &str) -> Result<Service, ApiError> {
    state
        .catalog
        .service(code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("service_code '{code}' is not offered")))
}

/// The request as its service takes it (stop-and-call, place, answers), with updates settled
/// on a channel the town can use.
pub(crate) fn take_in(state: &State, service: &Service, request: NewRequest) -> Result<NewRequest, ApiError> {
    let mut request = service.take_in(request, state.config.timezone)?;
    let countries = &state.config.sms_countries;
    request.reporter.settle_channel(|phone| countries.allow(phone));
    Ok(request)
}

/// A submission's `Idempotency-Key` and what was submitted with it.
pub(crate) struct Key {
    hash: String,
    fingerprint: String,
}

/// The `Idempotency-Key` header, hashed within `scope` (who is submitting): a client's retry of
/// the same POST carries the same key, and nobody else's key can lead to their ticket.
pub(crate) fn idempotency_key(
    request: &Request,
    scope: &str,
    fingerprint: &str,
) -> Result<Option<Key>, ApiError> {
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
pub(crate) async fn replayed(state: &State, key: Option<&Key>) -> Result<Option<Outcome>, ApiError> {
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

/// Writes the ticket, routed, with its first history entries, its token and idempotency record
/// together.
pub(crate) async fn open_ticket(
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
    let rules = state.catalog.routing().await?.unwrap_or_default();
    let department = rules.decide(&new_request, &service.department, None).department;
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
        // Routed before it is written (its person, its probable duplicates), so the ticket is
        // written once with both entries; route stands down when the stream brings them. If
        // routing cannot be read now, the report is written as it came and route routes it.
        let routed = match town311::app::routing::route(
            state.catalog.as_ref(),
            state.tickets.as_ref(),
            &rules,
            &ticket,
            None,
            true,
            now,
        )
        .instrument(span.clone())
        .await
        {
            Ok(routed) => routed.map(|(routed, entry, _)| (routed, entry)),
            Err(error) => {
                span.in_scope(
                    || tracing::warn!(error = %error, "routing at intake failed; route will route it"),
                );
                None
            }
        };
        let created = (ticket.clone(), entry.clone());
        let written = match &routed {
            Some(routed) => {
                state.tickets.create_routed(&created, routed, token.as_deref(), idempotency.as_ref())
            }
            None => state.tickets.create(&ticket, &entry, token.as_deref(), idempotency.as_ref()),
        };
        match written.instrument(span.clone()).await {
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
