//! What the checks write: fresh numbers and codes, tickets and their changes.

use crate::domain::catalog::{Answers, Service, ServiceType};
use crate::domain::id::{IdSource, OsRandom, TicketId, random_token};
use crate::domain::location::{GeoPoint, Location};
use crate::domain::ticket::{Actor, Change, Channel, HistoryEntry, NewRequest, Ticket};
use chrono::{DateTime, Duration, Utc};
use std::fmt::Debug;

/// The value of a call the check needs to succeed.
pub fn ok<T, E: Debug>(result: Result<T, E>, call: &str) -> T {
    result.unwrap_or_else(|e| panic!("{call} failed: {e:?}"))
}

/// A ticket number no other check draws.
pub fn fresh_id() -> TicketId {
    ok(TicketId::generate(&OsRandom), "drawing a ticket number")
}

/// 32 fresh hex digits (an upload id, a token, a contact key).
pub fn fresh_hex() -> String {
    ok(random_token(&OsRandom), "drawing a token")
}

/// A code no other check uses, starting with `prefix`.
pub fn fresh_code(prefix: &str) -> String {
    format!("{prefix}-{}", &fresh_hex()[..12])
}

/// Now, to the second (expiry is kept in seconds).
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_default()
}

/// A second of 2001 no other check draws: a time partition of its own.
pub fn fresh_instant_in_2001() -> DateTime<Utc> {
    let mut bytes = [0u8; 4];
    ok(OsRandom.fill(&mut bytes), "drawing an instant");
    let offset = i64::from(u32::from_be_bytes(bytes) % (360 * 24 * 3600));
    DateTime::from_timestamp(978_307_200 + offset, 0).unwrap_or_default()
}

pub fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

pub fn service(code: &str, department: &str) -> Service {
    Service {
        code: code.to_owned(),
        name: format!("Service {code}"),
        description: "Checked by the port contract".to_owned(),
        group: "Contract".to_owned(),
        keywords: Vec::new(),
        department: department.to_owned(),
        kind: ServiceType::Realtime,
        attributes: Vec::new(),
        target: None,
        location: Default::default(),
        private: false,
        stop: None,
    }
}

pub fn point(lat: f64, long: f64) -> GeoPoint {
    ok(GeoPoint::new(lat, long), "a point")
}

/// A new ticket of `service_code` in `department`, requested at `at`.
pub fn ticket(service_code: &str, department: &str, at: DateTime<Utc>) -> (Ticket, HistoryEntry) {
    ticket_at(service_code, department, at, None, Vec::new())
}

/// A new ticket with a point and uploads.
pub fn ticket_at(
    service_code: &str,
    department: &str,
    at: DateTime<Utc>,
    point: Option<GeoPoint>,
    uploads: Vec<String>,
) -> (Ticket, HistoryEntry) {
    let request = NewRequest {
        service_code: service_code.to_owned(),
        location: ok(Location::new(point, Some("1 Main St"), None), "a location"),
        description: None,
        answers: Answers::new(),
        media_urls: Vec::new(),
        reporter: crate::domain::contact::Reporter::default(),
        channel: Channel::Phone,
        uploads,
    };
    Ticket::open(fresh_id(), &service(service_code, department), request, at)
}

/// The next version of `ticket`, changed by `change` at `at`, with its history entry.
pub fn changed(
    ticket: &Ticket,
    at: DateTime<Utc>,
    change: impl FnOnce(&mut Ticket),
) -> (Ticket, HistoryEntry) {
    let mut next = ticket.clone();
    change(&mut next);
    next.version = ticket.version + 1;
    next.updated_at = at;
    let entry = HistoryEntry {
        ticket_id: next.id.clone(),
        version: next.version,
        at,
        actor: Actor::Staff("contract".to_owned()),
        status: next.status,
        service_code: next.service_code.clone(),
        department: next.department.clone(),
        channel: Some(next.channel),
        change: Change::Noted { text: format!("version {}", next.version) },
        public: false,
        private_request: next.private,
    };
    (next, entry)
}

/// The ticket numbers of `tickets`, in order.
pub fn ids(tickets: &[Ticket]) -> Vec<TicketId> {
    tickets.iter().map(|t| t.id.clone()).collect()
}
