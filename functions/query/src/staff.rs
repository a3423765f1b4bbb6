//! The staff half of the query function: a ticket with everything, work queues, and a CSV
//! export. Every answer is limited to the departments the caller may read.

use crate::State;
use chrono::{Duration, SecondsFormat};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use town311::domain::dashboard::{AgeBand, QueueFilter, rest_of_today};
use town311::domain::follower::Follower;
use town311::domain::id::TicketId;
use town311::domain::listing::{Indexed, Queue, TicketFilter, Window};
use town311::domain::staff::Caller;
use town311::domain::status::Status;
use town311::domain::ticket::Ticket;
use town311::http::{self, ApiError};
use town311::open311::params;
use town311::ports::{StoreError, TicketStore};

/// The largest queue page.
pub const MAX_PAGE: usize = 200;
const DEFAULT_PAGE: usize = 50;
/// The most index pages one filtered queue page reads.
const MAX_FILTERED_READS: usize = 8;
/// The most rows one export holds (a 90-day window of a small town fits many times over).
pub const MAX_EXPORT_ROWS: usize = 10_000;

/// Routes `GET /staff/v1/…`.
pub async fn dispatch(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let caller = http::caller(request)?;
    match http::route_key(request).unwrap_or_default() {
        "GET /staff/v1/tickets/{id}" => ticket(state, request, &caller).await,
        "GET /staff/v1/tickets/{id}/followers" => followers(state, request, &caller).await,
        "GET /staff/v1/tickets" => queue(state, request, &caller).await,
        "GET /staff/v1/export.csv" => export(state, request, &caller).await,
        "GET /staff/v1/routing" => {
            let rules = state.catalog.routing().await?.unwrap_or_default();
            http::routing_rules(&rules)
        }
        crate::canned::ROUTE => crate::canned::answer(state, request, &caller).await,
        crate::directory::ROUTE => crate::directory::answer(state, request, &caller).await,
        _ => Err(ApiError::NotFound("unknown resource".into())),
    }
}

/// The ticket the path names, if the caller may read it.
async fn readable_ticket(state: &State, request: &Request, caller: &Caller) -> Result<Ticket, ApiError> {
    let not_found = || ApiError::NotFound("no such ticket".into());
    let id =
        http::path_parameter(request, "id").and_then(|id| TicketId::parse(id).ok()).ok_or_else(not_found)?;
    let ticket = state.tickets.get(&id).await?.ok_or_else(not_found)?;
    if !caller.can_read(&ticket.department) {
        return Err(ApiError::Forbidden(format!("ticket {id} belongs to a department you do not work")));
    }
    Ok(ticket)
}

async fn ticket(state: &State, request: &Request, caller: &Caller) -> Result<Response<Body>, ApiError> {
    let ticket = readable_ticket(state, request, caller).await?;
    let history = town311::app::history::as_of(state.tickets.as_ref(), &ticket).await?;
    // A ticket may have thousands of followers: the view shows the first page, the followers
    // resource the rest.
    let followers = state.tickets.followers_page(&ticket.id, None, DEFAULT_PAGE).await?;
    http::staff_ticket(StatusCode::OK, &ticket, &history, Some(&followers))
}

/// `limit`: how many a page holds (1 to `MAX_PAGE`, `DEFAULT_PAGE` when not given).
fn page_limit(request: &Request) -> Result<usize, ApiError> {
    let Some(limit) = http::query_parameter(request, "limit") else { return Ok(DEFAULT_PAGE) };
    limit
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_PAGE).contains(n))
        .ok_or_else(|| ApiError::BadRequest(format!("limit must be a whole number from 1 to {MAX_PAGE}")))
}

#[derive(Serialize)]
struct FollowersAnswer<'a> {
    followers: &'a [Follower],
    /// Pass as `after` for the next page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<&'a str>,
}

/// `GET /staff/v1/tickets/{id}/followers?after=&limit=`: one page of a ticket's followers.
async fn followers(state: &State, request: &Request, caller: &Caller) -> Result<Response<Body>, ApiError> {
    let limit = page_limit(request)?;
    let after = http::query_parameter(request, "after")
        .map(|a| {
            town311::domain::follower::cursor(a)
                .ok_or_else(|| ApiError::BadRequest("after must be the next of a previous page".into()))
        })
        .transpose()?;
    let ticket = readable_ticket(state, request, caller).await?;
    let page = state.tickets.followers_page(&ticket.id, after, limit).await?;
    http::json(StatusCode::OK, &FollowersAnswer { followers: &page.followers, next: page.next.as_deref() })
}

#[derive(Serialize)]
struct QueueAnswer<'a> {
    tickets: &'a [Ticket],
    /// Pass as `after` for the next page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

/// The department a request names, or the caller's only one; checked against what they may read.
pub(crate) fn department(request: &Request, caller: &Caller) -> Result<String, ApiError> {
    let department = match http::query_parameter(request, "department") {
        Some(d) => d.trim().to_owned(),
        None if caller.departments.len() == 1 => {
            caller.departments.iter().next().cloned().unwrap_or_default()
        }
        None => return Err(ApiError::BadRequest("name the department: department=<code>".into())),
    };
    if caller.can_read(&department) {
        Ok(department)
    } else {
        Err(ApiError::Forbidden(format!("you do not work department {department}")))
    }
}

async fn queue(state: &State, request: &Request, caller: &Caller) -> Result<Response<Body>, ApiError> {
    let limit = page_limit(request)?;
    let now = state.clock.now();
    if let Some(since) = http::query_parameter(request, "updated_since") {
        // Recently updated, across the departments the caller reads (or the one named).
        let from = params::date_parameter("updated_since", since, state.config.timezone)?;
        let window = Window::new(from, now, ("updated_since", "now"))
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let named =
            http::query_parameter(request, "department").map(|_| department(request, caller)).transpose()?;
        let filter = TicketFilter {
            index: Indexed::Updated(window),
            also_updated: None,
            service_codes: Vec::new(),
            statuses: Vec::new(),
            departments: None,
            limit: MAX_EXPORT_ROWS,
        };
        let tickets: Vec<Ticket> = state
            .tickets
            .list(&filter)
            .await?
            .into_iter()
            .filter(|t| caller.can_read(&t.department) && named.as_ref().is_none_or(|d| &t.department == d))
            .take(limit)
            .collect();
        return http::json(StatusCode::OK, &QueueAnswer { tickets: &tickets, next: None });
    }
    // One exact status (e.g. `scheduled`) narrows a queue; the index holds open and closed apart.
    let status = http::query_parameter(request, "status")
        .map(|name| {
            serde_json::from_value::<Status>(serde_json::Value::String(name.trim().to_owned())).map_err(|_| {
                ApiError::BadRequest(
                    "status must be submitted, acknowledged, assigned, scheduled, in_progress, reopened or closed".into(),
                )
            })
        })
        .transpose()?;
    let queue = if let Some(user) = http::query_parameter(request, "assignee") {
        Queue::Assignee { user: user.trim().to_owned() }
    } else if params::extensions(http::query_parameter(request, "overdue"))
        .map_err(|_| ApiError::BadRequest("overdue must be true or false".into()))?
    {
        Queue::Overdue { department: department(request, caller)?, now }
    } else if let Some(due) = http::query_parameter(request, "due") {
        if due.trim() != "today" {
            return Err(ApiError::BadRequest("due must be today".into()));
        }
        let (from, to) = rest_of_today(now, state.config.timezone);
        Queue::Due { department: department(request, caller)?, from, to }
    } else {
        let open = match (http::query_parameter(request, "state").map(str::trim), status) {
            (_, Some(status)) => status.is_open(),
            (None | Some("open"), None) => true,
            (Some("closed"), None) => false,
            _ => return Err(ApiError::BadRequest("state must be open or closed".into())),
        };
        Queue::Department { department: department(request, caller)?, open }
    };
    let filter = QueueFilter {
        status,
        service_code: http::query_parameter(request, "service_code").map(|code| code.trim().to_owned()),
        age: http::query_parameter(request, "age")
            .map(|age| {
                AgeBand::parse(age).ok_or_else(|| {
                    ApiError::BadRequest("age must be days from-to, like 2-7, or from-, like 31-".into())
                })
            })
            .transpose()?,
    };
    let mut after = http::query_parameter(request, "after").map(cursor).transpose()?.map(str::to_owned);
    // A filter the index does not hold is applied to what it reads: read on (a few pages at
    // most) until the page is full, so a narrowed queue is not a short page of a long one.
    let mut tickets: Vec<Ticket> = Vec::new();
    for _ in 0..MAX_FILTERED_READS {
        let page = state.tickets.queue(&queue, limit - tickets.len(), after.as_deref()).await?;
        // An assignee's queue may span departments; show only what the caller may read.
        tickets.extend(
            page.tickets.into_iter().filter(|t| caller.can_read(&t.department) && filter.matches(t, now)),
        );
        after = page.next;
        if after.is_none() || tickets.len() >= limit || !filter.narrows() {
            break;
        }
    }
    http::json(StatusCode::OK, &QueueAnswer { tickets: &tickets, next: after })
}

/// The `after` of a queue page: a `next` handed out before (`<timestamp>#<ticket>`). Anything
/// else is refused here, rather than sent on as a sort-key bound the table would refuse (503).
pub(crate) fn cursor(after: &str) -> Result<&str, ApiError> {
    let refused = || ApiError::BadRequest("after must be the next value of a previous page".into());
    let (at, id) = after.split_once('#').ok_or_else(refused)?;
    let readable = chrono::DateTime::parse_from_rfc3339(at).is_ok()
        && TicketId::parse(id).is_ok_and(|parsed| parsed.as_str() == id);
    if readable { Ok(after) } else { Err(refused()) }
}

/// Set on every export: `true` when it was cut at `MAX_EXPORT_ROWS` (its last row then says
/// so too), `false` when it holds every ticket of the window the caller may read.
pub const TRUNCATED_HEADER: &str = "x-export-truncated";

/// What a column holds, which decides whether a spreadsheet could be tricked by it.
#[derive(Clone, Copy)]
enum Kind {
    /// Typed by a person (a reporter, staff, an admin naming a service): guarded, since
    /// `=`, `+`, `-` or `@` at its start would make a spreadsheet run it as a formula.
    Text,
    /// Written by town311 itself (ids, times, codes of its own, numbers): left as is, so a
    /// longitude of -71.8 stays a number.
    Value,
}

/// The export's columns, in order.
const COLUMNS: [(&str, Kind); 15] = [
    ("ticket", Kind::Value),
    ("requested", Kind::Value),
    ("updated", Kind::Value),
    ("status", Kind::Value),
    ("resolution", Kind::Value),
    ("service_code", Kind::Text),
    ("service", Kind::Text),
    ("department", Kind::Text),
    ("assignee", Kind::Text),
    ("channel", Kind::Value),
    ("expected", Kind::Value),
    ("address", Kind::Text),
    ("lat", Kind::Value),
    ("long", Kind::Value),
    ("description", Kind::Text),
];

/// A CSV cell: quoted when needed; text never read as a formula by a spreadsheet.
fn cell(kind: Kind, value: &str) -> String {
    let value = match kind {
        Kind::Text if value.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{value}"),
        _ => value.to_owned(),
    };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

/// One CSV line of `cells`, in the order of `COLUMNS`.
fn line(cells: [String; COLUMNS.len()]) -> String {
    let cells: Vec<String> =
        COLUMNS.iter().zip(&cells).map(|((_, kind), value)| cell(*kind, value)).collect();
    format!("{}\r\n", cells.join(","))
}

/// The tickets of the window the caller may read, newest first, at most `cap`; `true` when
/// more were left out. Departments are left out by the store, before it counts to the cap.
async fn exported(
    tickets: &dyn TicketStore,
    window: Window,
    caller: &Caller,
    cap: usize,
) -> Result<(Vec<Ticket>, bool), StoreError> {
    let filter = TicketFilter {
        index: Indexed::Requested(window),
        also_updated: None,
        service_codes: Vec::new(),
        statuses: Vec::new(),
        departments: caller.readable_departments().cloned(),
        // One more than the cap tells a full export from a cut one.
        limit: cap.saturating_add(1),
    };
    let mut found = tickets.list(&filter).await?;
    found.retain(|t| caller.can_read(&t.department));
    let cut = found.len() > cap;
    found.truncate(cap);
    Ok((found, cut))
}

async fn export(state: &State, request: &Request, caller: &Caller) -> Result<Response<Body>, ApiError> {
    let now = state.clock.now();
    let get = |name: &str| http::query_parameter(request, name).map(str::to_owned);
    let window = params::window(&get, ("start_date", "end_date"), now, state.config.timezone)?.unwrap_or(
        Window::new(now - Duration::days(30), now, ("start_date", "end_date"))
            .map_err(|e| ApiError::BadRequest(e.to_string()))?,
    );
    let (tickets, cut) = exported(state.tickets.as_ref(), window, caller, MAX_EXPORT_ROWS).await?;
    let mut csv = COLUMNS.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(",");
    csv.push_str("\r\n");
    let time = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&state.config.timezone).to_rfc3339_opts(SecondsFormat::Secs, false)
    };
    for t in &tickets {
        let point = t.location.point();
        csv.push_str(&line([
            t.id.to_string(),
            time(t.requested_at),
            time(t.updated_at),
            t.status.as_str().to_owned(),
            t.resolution.map(|r| r.as_str().to_owned()).unwrap_or_default(),
            t.service_code.clone(),
            t.service_name.clone(),
            t.department.clone(),
            t.assignee.clone().unwrap_or_default(),
            t.channel.as_str().to_owned(),
            t.expected_at.map(time).unwrap_or_default(),
            t.location.address().unwrap_or_default().to_owned(),
            point.map(|p| p.lat().to_string()).unwrap_or_default(),
            point.map(|p| p.long().to_string()).unwrap_or_default(),
            t.description.as_ref().map(|d| d.as_str().to_owned()).unwrap_or_default(),
        ]));
    }
    if cut {
        // A row as wide as the others (strict CSV readers refuse ragged ones), its note in the
        // first column where a spreadsheet shows it; `#` lets tools that skip comments skip it.
        let mut note: [String; COLUMNS.len()] = Default::default();
        note[0] = format!(
            "# cut at {MAX_EXPORT_ROWS} rows (the newest); narrow start_date and end_date for the rest"
        );
        csv.push_str(&line(note));
    }
    let mut response = Response::new(Body::Text(csv));
    let headers = response.headers_mut();
    if let Ok(v) = "text/csv; charset=utf-8".parse() {
        headers.insert("content-type", v);
    }
    if let Ok(v) =
        format!("attachment; filename=\"tickets-{}.csv\"", window.from().format("%Y-%m-%d")).parse()
    {
        headers.insert("content-disposition", v);
    }
    headers.insert(
        TRUNCATED_HEADER,
        lambda_http::http::HeaderValue::from_static(if cut { "true" } else { "false" }),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cursors_of_earlier_pages_are_followed() {
        assert!(cursor("2026-11-22T14:30:00.000Z#K7QM-3XPR").is_ok());
        assert!(cursor("2026-11-22T14:30:00+00:00#K7QM-3XPR").is_ok());
        for hostile in
            ["", "#", "x#K7QM-3XPR", "2026-11-22T14:30:00Z#k7qm3xpr", "2026-11-22T14:30:00Z", "é#é"]
        {
            assert!(cursor(hostile).is_err(), "{hostile}");
        }
        assert!(cursor(&"9".repeat(5000)).is_err());
    }

    #[test]
    fn csv_cells_are_quoted_and_text_is_never_a_formula() {
        assert_eq!(cell(Kind::Text, "plain"), "plain");
        assert_eq!(cell(Kind::Text, "a,b"), "\"a,b\"");
        assert_eq!(cell(Kind::Text, "say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell(Kind::Text, "=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for formula in ["=1+1", "-2+3", "+1", "@SUM(A1)", "\t=1"] {
            assert_eq!(cell(Kind::Text, formula), format!("'{formula}"));
        }
        assert_eq!(cell(Kind::Value, "-71.8"), "-71.8");
        assert_eq!(cell(Kind::Value, "2026-11-22T09:30:00-05:00"), "2026-11-22T09:30:00-05:00");
    }

    #[tokio::test]
    async fn the_cap_counts_only_the_departments_the_caller_reads() {
        use chrono::{TimeZone, Utc};
        use std::collections::HashMap;
        use town311::adapters::memory::MemoryStore;
        use town311::ports::Catalog;
        let store = MemoryStore::with_demo_catalog().await;
        let service = store.service("POTHOLE").await.unwrap().unwrap();
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        // Oldest first: three DPW tickets, then five newer SAN ones.
        for n in 0..8u32 {
            let request = town311::adapters::memory::phone_request("POTHOLE", "1 Main St");
            let department = if n < 3 { "DPW" } else { "SAN" };
            let id = TicketId::parse(&format!("0000-000{n}")).unwrap();
            let at = start + Duration::hours(i64::from(n));
            let (ticket, entry) = Ticket::open_in(id, &service, department, request, at);
            store.create(&ticket, &entry, None, None).await.unwrap();
        }
        let window = Window::new(start, start + Duration::days(1), ("start_date", "end_date")).unwrap();
        let claims = |groups: &str| {
            HashMap::from([
                ("username".to_owned(), "bo".to_owned()),
                ("cognito:groups".to_owned(), groups.to_owned()),
            ])
        };
        let clerk = Caller::from_claims(&claims("[dept-DPW]")).unwrap();
        let ids = |tickets: &[Ticket]| tickets.iter().map(|t| t.id.to_string()).collect::<Vec<_>>();
        let (tickets, cut) = exported(&store, window, &clerk, 2).await.unwrap();
        assert_eq!((ids(&tickets), cut), (vec!["0000-0002".to_owned(), "0000-0001".to_owned()], true));
        let (tickets, cut) = exported(&store, window, &clerk, 3).await.unwrap();
        assert_eq!((tickets.len(), cut), (3, false));
        let viewer = Caller::from_claims(&claims("[viewer]")).unwrap();
        let (tickets, cut) = exported(&store, window, &viewer, 8).await.unwrap();
        assert_eq!((tickets.len(), cut), (8, false));
        let (tickets, cut) = exported(&store, window, &viewer, 7).await.unwrap();
        assert_eq!((tickets[0].id.to_string(), tickets.len(), cut), ("0000-0007".to_owned(), 7, true));
    }
}
