//! `town311-admin map reindex --from DATE`: puts the requests stored before the public map
//! existed on it. Their items lack the map index's keys (gsi7); each public request with a
//! point is written again as it is, so the keys this version derives are added. Requests are
//! read through the time index by when they were requested (gsi1, month partitions, newest
//! first), never a scan; a private service's are not in that index, and never on the map.

use crate::OpsError;
use chrono::{DateTime, Duration, Utc};
use town311::domain::listing::{Indexed, MAX_RESULTS, TicketFilter, Window};
use town311::ports::TicketStore;

/// How much of the index one listing reads.
const WINDOW_DAYS: i64 = 30;

/// What a reindex did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reindexed {
    /// Public requests read from the time index.
    pub read: usize,
    /// Written again (those with a point).
    pub written: usize,
    /// Changed between the read and the write: that change wrote the keys already.
    pub changed_meanwhile: usize,
}

/// Writes again every public request with a point requested from `from` to `to`.
pub async fn reindex(
    tickets: &dyn TicketStore,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Reindexed, OpsError> {
    if to < from {
        return Err(OpsError::Usage("--from must be a date before today".into()));
    }
    let mut done = Reindexed::default();
    let mut end = to;
    // Each turn reads a window newest first; a full page moves its end back to the oldest
    // request read, which is read twice (writing it twice is harmless).
    while end >= from {
        let start = (end - Duration::days(WINDOW_DAYS)).max(from);
        let window = Window::new(start, end, ("from", "to")).map_err(|e| OpsError::Usage(e.to_string()))?;
        let filter = TicketFilter {
            index: Indexed::Requested(window),
            also_updated: None,
            service_codes: Vec::new(),
            statuses: Vec::new(),
            departments: None,
            limit: MAX_RESULTS,
        };
        let page = tickets.list(&filter).await?;
        for ticket in &page {
            done.read += 1;
            if ticket.private || ticket.location.point().is_none() {
                continue;
            }
            if tickets.reindex(ticket).await? {
                done.written += 1;
            } else {
                done.changed_meanwhile += 1;
            }
        }
        let oldest = page.last().map(|t| t.requested_at);
        end = match oldest {
            // More than a page at one instant cannot be told apart: the next millisecond back.
            Some(oldest) if page.len() >= MAX_RESULTS => oldest.min(end - Duration::milliseconds(1)),
            _ => start - Duration::milliseconds(1),
        };
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use town311::adapters::memory::MemoryStore;
    use town311::domain::catalog::Answers;
    use town311::domain::location::{GeoPoint, Location};
    use town311::domain::ticket::{Channel, NewRequest, Ticket};
    use town311::ports::Catalog;

    async fn file(store: &MemoryStore, service: &str, at: DateTime<Utc>, point: bool) -> Ticket {
        let service = store.service(service).await.unwrap().unwrap();
        let point = point.then(|| GeoPoint::new(42.3, -72.5).unwrap());
        let request = NewRequest {
            service_code: service.code.clone(),
            location: Location::new(point, Some("1 Main St"), None).unwrap(),
            description: None,
            answers: Answers::new(),
            media_urls: vec![],
            reporter: Default::default(),
            channel: Channel::Phone,
            uploads: vec![],
        };
        let id = town311::domain::id::TicketId::generate(&town311::domain::id::OsRandom).unwrap();
        let (ticket, entry) = Ticket::open(id, &service, request, at);
        store.create(&ticket, &entry, None, None).await.unwrap();
        ticket
    }

    #[tokio::test]
    async fn every_public_request_with_a_point_since_the_date_is_written_again() {
        let store = MemoryStore::with_demo_catalog().await;
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        for days in [1, 40, 200] {
            file(&store, "POTHOLE", now - Duration::days(days), true).await;
        }
        file(&store, "POTHOLE", now - Duration::days(2), false).await;
        file(&store, "HOUSING", now - Duration::days(3), true).await;
        file(&store, "POTHOLE", now - Duration::days(400), true).await;
        let done = reindex(&store, now - Duration::days(365), now).await.unwrap();
        assert_eq!(done, Reindexed { read: 4, written: 3, changed_meanwhile: 0 });
        assert!(reindex(&store, now, now - Duration::days(1)).await.is_err());
    }
}
