//! Routing a ticket by the town's rules (where it goes, to whom, and the probable duplicates
//! nearby), and replacing those rules: versioned, so two editors cannot overwrite each other.

use crate::domain::id::TicketId;
use crate::domain::routing::{Routing, RoutingRules};
use crate::domain::ticket::{HistoryEntry, Ticket};
use crate::ports::{Catalog, StoreError, TicketStore};
use chrono::{DateTime, Utc};

/// At most this many probable duplicates are flagged on a ticket, nearest first.
const MAX_DUPLICATES: usize = 5;

/// The routing of `ticket` by the town's `rules` (within department `within`, if named), with
/// its probable duplicates when `find_duplicates`: the routed ticket and the routing's entry,
/// at `now`, or `None` when routing changes nothing. Submit routes a new request this way
/// before writing it, route every other ticket the stream brings.
pub async fn route(
    catalog: &dyn Catalog,
    tickets: &dyn TicketStore,
    rules: &RoutingRules,
    ticket: &Ticket,
    within: Option<&str>,
    find_duplicates: bool,
    now: DateTime<Utc>,
) -> Result<Option<(Ticket, HistoryEntry, Routing)>, StoreError> {
    let fallback = match catalog.service(&ticket.service_code).await? {
        Some(service) => service.department,
        None => ticket.department.clone(),
    };
    let mut routing = rules.decide(ticket, &fallback, within);
    if routing.department != ticket.department && catalog.department(&routing.department).await?.is_none() {
        tracing::warn!(department = %routing.department, "a rule names a department no longer in the catalog");
        routing = Routing { department: ticket.department.clone(), assignee: None, rule: None };
    }
    let duplicates = if find_duplicates {
        probable_duplicates(tickets, ticket, f64::from(rules.duplicate_radius_m)).await?
    } else {
        Vec::new()
    };
    Ok(ticket.route(&routing, duplicates, now).map(|(routed, entry)| (routed, entry, routing)))
}

/// Older open requests of the same service within the radius.
async fn probable_duplicates(
    tickets: &dyn TicketStore,
    ticket: &Ticket,
    radius_m: f64,
) -> Result<Vec<TicketId>, StoreError> {
    let Some(point) = ticket.location.point() else { return Ok(Vec::new()) };
    let nearby = super::nearby::find(tickets, &ticket.service_code, point, radius_m).await?;
    Ok(nearby
        .into_iter()
        .filter(|n| n.ticket.id != ticket.id && n.ticket.requested_at <= ticket.requested_at)
        .take(MAX_DUPLICATES)
        .map(|n| n.ticket.id)
        .collect())
}

/// Puts `rules` in place of the stored ones, as the next version, recording who and when.
/// With `expected`, only if the stored rules are still that version (`Conflict` otherwise).
pub async fn replace(
    catalog: &dyn Catalog,
    mut rules: RoutingRules,
    by: &str,
    now: DateTime<Utc>,
    expected: Option<u64>,
) -> Result<RoutingRules, StoreError> {
    let current = catalog.routing().await?.map_or(0, |r| r.version);
    if expected.is_some_and(|v| v != current) {
        return Err(StoreError::Conflict);
    }
    rules.version = current + 1;
    rules.updated_at = Some(now);
    rules.updated_by = Some(by.to_owned());
    catalog.put_routing(&rules).await?;
    Ok(rules)
}
