//! `GET /staff/v1/stats?department=`: a department's dashboard. The open backlog by status, age
//! and service (read from the department's open queue), what is overdue and what is due for the
//! rest of today (from its due-date index), and twelve months of its figures (opened, closed,
//! days to close, hours to a first response) from the figures route keeps. Every count is what
//! the queue shows for the same filter; each queue is read up to [`MAX_COUNTED`] tickets, and an
//! answer that stopped there says so (`capped`).

use crate::State;
use crate::staff::{MAX_PAGE, department};
use crate::stats::Month;
use chrono::SecondsFormat;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use town311::domain::dashboard::{Backlog, rest_of_today};
use town311::domain::listing::Queue;
use town311::domain::stats::{Figures, MONTHS, local_day, months_to, report};
use town311::domain::ticket::Ticket;
use town311::http::{self, ApiError};
use town311::ports::{StoreError, TicketStore};

pub const ROUTE: &str = "GET /staff/v1/stats";

/// The most tickets one count reads (at most `MAX_COUNTED / MAX_PAGE` Queries per queue).
pub const MAX_COUNTED: usize = 2000;

/// A count, and whether it stopped at [`MAX_COUNTED`] (then it is "at least").
#[derive(Serialize)]
struct Count {
    count: usize,
    capped: bool,
}

#[derive(Serialize)]
struct Answer {
    department: String,
    name: String,
    as_of: String,
    /// Where "due today" ends: the town's next midnight.
    due_today_until: String,
    /// The most tickets a count reads.
    cap: usize,
    #[serde(flatten)]
    backlog: Backlog,
    /// Whether the backlog stopped at `cap`.
    capped: bool,
    overdue: Count,
    due_today: Count,
    /// The department's months, oldest first (public requests only, as the town's figures).
    months: Vec<Month>,
    /// The twelve months together.
    period: Figures,
}

/// Every ticket of a queue, up to `cap`; `true` when more were left.
async fn read_all(
    tickets: &dyn TicketStore,
    queue: &Queue,
    cap: usize,
) -> Result<(Vec<Ticket>, bool), StoreError> {
    let mut found = Vec::new();
    let mut after: Option<String> = None;
    // One more than the cap tells a full queue from a longer one.
    while found.len() <= cap {
        let page = tickets.queue(queue, MAX_PAGE.min(cap + 1 - found.len()), after.as_deref()).await?;
        found.extend(page.tickets);
        after = page.next;
        if after.is_none() {
            break;
        }
    }
    let capped = found.len() > cap;
    found.truncate(cap);
    Ok((found, capped))
}

async fn counted(tickets: &dyn TicketStore, queue: &Queue) -> Result<Count, StoreError> {
    let (found, capped) = read_all(tickets, queue, MAX_COUNTED).await?;
    Ok(Count { count: found.len(), capped })
}

pub async fn answer(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let caller = http::caller(request)?;
    let department = department(request, &caller)?;
    let now = state.clock.now();
    let timezone = state.config.timezone;
    let store = state.tickets.as_ref();
    let (open, capped) =
        read_all(store, &Queue::Department { department: department.clone(), open: true }, MAX_COUNTED)
            .await?;
    let overdue = counted(store, &Queue::Overdue { department: department.clone(), now }).await?;
    let (from, to) = rest_of_today(now, timezone);
    let due_today = counted(store, &Queue::Due { department: department.clone(), from, to }).await?;
    let mut months = Vec::with_capacity(MONTHS);
    for (year, month) in months_to(local_day(now, timezone), MONTHS) {
        let mut tallies = state.stats.month(year, month).await?;
        tallies.retain(|t| t.department == department);
        months.push(((year, month), tallies));
    }
    let figures = report(&months);
    let name = state.catalog.department(&department).await?.map_or_else(|| department.clone(), |d| d.name);
    let time = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&timezone).to_rfc3339_opts(SecondsFormat::Secs, false)
    };
    let answer = Answer {
        department,
        name,
        as_of: time(now),
        due_today_until: time(to),
        cap: MAX_COUNTED,
        backlog: Backlog::of(&open, now),
        capped,
        overdue,
        due_today,
        months: Month::all(figures.months),
        period: figures.period,
    };
    let mut response = http::json(StatusCode::OK, &answer)?;
    if let Ok(value) = "private, no-store".parse() {
        response.headers_mut().insert("cache-control", value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};
    use town311::adapters::memory::MemoryStore;
    use town311::domain::id::TicketId;
    use town311::ports::Catalog;

    #[tokio::test]
    async fn counts_stop_at_their_cap_and_say_so() {
        let store = MemoryStore::with_demo_catalog().await;
        let service = store.service("POTHOLE").await.unwrap().unwrap();
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        for n in 0..5u32 {
            let request = town311::adapters::memory::phone_request("POTHOLE", "1 Main St");
            let id = TicketId::parse(&format!("0000-000{n}")).unwrap();
            let (ticket, entry) =
                Ticket::open_in(id, &service, "DPW", request, start + Duration::hours(i64::from(n)));
            store.create(&ticket, &entry, None, None).await.unwrap();
        }
        let queue = Queue::Department { department: "DPW".into(), open: true };
        let (all, capped) = read_all(&store, &queue, 5).await.unwrap();
        assert_eq!((all.len(), capped), (5, false));
        let (some, capped) = read_all(&store, &queue, 3).await.unwrap();
        assert_eq!((some.len(), capped), (3, true));
        let (all, capped) = read_all(&store, &queue, 50).await.unwrap();
        assert_eq!((all.len(), capped), (5, false));
    }
}
