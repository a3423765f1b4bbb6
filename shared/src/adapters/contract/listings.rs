//! Reading many: listings, public updates, staff queues page by page, nearby cells, followers.

use super::Ports;
use super::fixtures::{
    changed, fresh_code, fresh_hex, fresh_id, fresh_instant_in_2001, ids, minutes, now, ok, point, ticket,
    ticket_at,
};
use crate::domain::contact::{Email, Language};
use crate::domain::follower::{Contact, Follower};
use crate::domain::id::TicketId;
use crate::domain::listing::{Indexed, Queue, StatusFilter, TicketFilter, Window};
use crate::domain::status::Status;
use crate::domain::ticket::Ticket;
use crate::ports::TicketStore;
use chrono::Duration;

fn window(from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>) -> Window {
    ok(Window::new(from, to, ("from", "to")), "a window")
}

pub async fn listings_run_newest_first_within_their_window(ports: &Ports) {
    let store = &ports.tickets;
    let (service, department) = (fresh_code("SVC"), fresh_code("DEPT"));
    let base = now();
    let mut made = Vec::new();
    for hours in [3, 1, 2, 24 * 30] {
        let (t, entry) = ticket(&service, &department, base - Duration::hours(hours));
        ok(store.create(&t, &entry, None, None).await, "create");
        made.push(t);
    }
    let (closed, entry) = changed(&made[2], base - minutes(1), |t| t.status = Status::Closed);
    ok(store.apply(&[(closed, entry)]).await, "apply");
    let requested = Indexed::Requested(window(base - Duration::hours(5), base));
    let filter = |index, statuses: Vec<StatusFilter>, limit| TicketFilter {
        index,
        also_updated: None,
        service_codes: vec![service.clone()],
        statuses,
        departments: None,
        limit,
    };
    let (three_h, one_h, two_h) = (made[0].id.clone(), made[1].id.clone(), made[2].id.clone());
    let listed = ok(store.list(&filter(requested, vec![], 10)).await, "list");
    assert_eq!(
        ids(&listed),
        vec![one_h.clone(), two_h.clone(), three_h.clone()],
        "newest first, in the window"
    );
    let listed = ok(store.list(&filter(requested, vec![], 2)).await, "list");
    assert_eq!(ids(&listed), vec![one_h.clone(), two_h.clone()]);
    let listed = ok(store.list(&filter(requested, vec![StatusFilter::Open], 10)).await, "list");
    assert_eq!(ids(&listed), vec![one_h.clone(), three_h.clone()]);
    let updated = Indexed::Updated(window(base - Duration::hours(5), base));
    let listed = ok(store.list(&filter(updated, vec![], 10)).await, "list");
    assert_eq!(ids(&listed), vec![two_h, one_h, three_h], "by the time of the last change");
}

pub async fn public_updates_run_newest_first_within_their_window(ports: &Ports) {
    let store = &ports.tickets;
    let (service, department) = (fresh_code("SVC"), fresh_code("DEPT"));
    let base = fresh_instant_in_2001();
    let mut entries = Vec::new();
    for seconds in [0, 1, 1, 30] {
        let (t, entry) = ticket(&service, &department, base + Duration::seconds(seconds));
        ok(store.create(&t, &entry, None, None).await, "create");
        entries.push((t, entry));
    }
    // An internal change is no public update.
    let (first, _) = &entries[0];
    let (internal, internal_entry) = changed(first, base + Duration::seconds(2), |_| {});
    ok(store.apply(&[(internal, internal_entry)]).await, "apply");
    let (late, _) = &entries[3];
    let (public, mut public_entry) = changed(late, base + Duration::seconds(3), |_| {});
    public_entry.public = true;
    ok(store.apply(&[(public, public_entry.clone())]).await, "apply");

    let mut expected: Vec<_> = entries.iter().take(3).map(|(_, e)| e.clone()).chain([public_entry]).collect();
    // Newest first; at the same instant, by ticket number, highest first.
    expected.sort_by(|a, b| (b.at, &b.ticket_id).cmp(&(a.at, &a.ticket_id)));
    let span = window(base - Duration::seconds(1), base + Duration::seconds(10));
    assert_eq!(ok(store.public_updates(span, 10).await, "public_updates"), expected);
    assert_eq!(ok(store.public_updates(span, 2).await, "public_updates"), expected[..2].to_vec());
}

/// Every ticket of a queue, page by page; checks each page on the way.
async fn walk(store: &dyn TicketStore, queue: &Queue, limit: usize) -> Vec<TicketId> {
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..20 {
        let page = ok(store.queue(queue, limit, after.as_deref()).await, "queue");
        assert!(page.tickets.len() <= limit, "a page of {} for a limit of {limit}", page.tickets.len());
        seen.extend(ids(&page.tickets));
        match page.next {
            Some(next) => {
                assert_eq!(page.tickets.len(), limit, "only a full page continues");
                after = Some(next);
            }
            None => return seen,
        }
    }
    panic!("the queue {queue:?} never ended");
}

pub async fn queues_page_through_their_index(ports: &Ports) {
    let store = &ports.tickets;
    let (service, department, user) = (fresh_code("SVC"), fresh_code("DEPT"), fresh_code("user"));
    let base = now();
    let mut open: Vec<Ticket> = Vec::new();
    // Five open tickets, changed a minute apart; the first three are due, two of them overdue,
    // and the second and fourth are assigned.
    let due =
        [Some(base - Duration::hours(2)), Some(base - Duration::hours(3)), Some(base + Duration::hours(1))];
    for (i, minute) in (0..5usize).zip(0i64..) {
        let (t, entry) = ticket(&service, &department, base - Duration::hours(4));
        ok(store.create(&t, &entry, None, None).await, "create");
        let (t, entry) = changed(&t, base - minutes(10 - minute), |t| {
            t.expected_at = due.get(i).copied().flatten();
            t.assignee = (i % 2 == 1).then(|| user.clone());
        });
        ok(store.apply(&[(t.clone(), entry)]).await, "apply");
        open.push(t);
    }
    // A sixth, assigned, overdue and closed: in no queue but the closed one.
    let (closing, entry) = ticket(&service, &department, base - Duration::hours(4));
    ok(store.create(&closing, &entry, None, None).await, "create");
    let (closed, entry) = changed(&closing, base - minutes(1), |t| {
        t.status = Status::Closed;
        t.assignee = Some(user.clone());
        t.expected_at = Some(base - Duration::hours(5));
    });
    ok(store.apply(&[(closed.clone(), entry)]).await, "apply");

    let newest_first: Vec<TicketId> = open.iter().rev().map(|t| t.id.clone()).collect();
    let department_queue = Queue::Department { department: department.clone(), open: true };
    assert_eq!(walk(store.as_ref(), &department_queue, 2).await, newest_first);
    assert_eq!(walk(store.as_ref(), &department_queue, 10).await, newest_first);
    let closed_queue = Queue::Department { department: department.clone(), open: false };
    assert_eq!(walk(store.as_ref(), &closed_queue, 2).await, vec![closed.id.clone()]);
    let assigned = Queue::Assignee { user };
    assert_eq!(walk(store.as_ref(), &assigned, 1).await, vec![open[3].id.clone(), open[1].id.clone()]);
    let overdue = Queue::Overdue { department: department.clone(), now: base };
    assert_eq!(walk(store.as_ref(), &overdue, 1).await, vec![open[1].id.clone(), open[0].id.clone()]);
    // Due within a range: its start included, its end not, soonest first.
    let due_between = |from: Duration, to: Duration| Queue::Due {
        department: department.clone(),
        from: base + from,
        to: base + to,
    };
    let soon = due_between(Duration::hours(-2), Duration::hours(2));
    assert_eq!(walk(store.as_ref(), &soon, 1).await, vec![open[0].id.clone(), open[2].id.clone()]);
    let to_the_due = due_between(Duration::hours(-3) - Duration::seconds(1), Duration::hours(-2));
    assert_eq!(walk(store.as_ref(), &to_the_due, 5).await, vec![open[1].id.clone()]);
    assert_eq!(walk(store.as_ref(), &due_between(Duration::hours(1), Duration::hours(1)), 5).await, vec![]);
    let elsewhere = Queue::Department { department: fresh_code("DEPT"), open: true };
    assert_eq!(walk(store.as_ref(), &elsewhere, 2).await, vec![]);
}

pub async fn cells_hold_the_open_tickets_of_their_service(ports: &Ports) {
    let store = &ports.tickets;
    let (service, department) = (fresh_code("SVC"), fresh_code("DEPT"));
    let (here, near, far) = (point(42.3601, -72.5301), point(42.3602, -72.5300), point(43.3601, -72.5301));
    let cell = crate::domain::nearby::cell;
    assert_eq!(cell(here), cell(near));
    let base = now();
    let make = |service: String, at| {
        let (t, entry) = ticket_at(&service, &department, base, Some(at), Vec::new());
        async move {
            ok(store.create(&t, &entry, None, None).await, "create");
            t
        }
    };
    let (a, b) = (make(service.clone(), here).await, make(service.clone(), near).await);
    let d = make(service.clone(), far).await;
    let closing = make(service.clone(), here).await;
    let other = make(fresh_code("SVC"), here).await;
    let (closed, entry) = changed(&closing, base, |t| t.status = Status::Closed);
    ok(store.apply(&[(closed, entry)]).await, "apply");

    // Within a cell, in the order of the point's finer geohash.
    let key = |t: &Ticket| {
        let p = t.location.point().unwrap_or(here);
        format!("{}#{}", crate::domain::geo::geohash(p, 9), t.id)
    };
    let mut in_here = vec![a, b];
    in_here.sort_by_key(key);
    let found = ok(store.in_cells(&service, &[cell(here)]).await, "in_cells");
    assert_eq!(ids(&found), ids(&in_here));
    let found = ok(store.in_cells(&service, &[cell(far), cell(here)]).await, "in_cells");
    assert_eq!(ids(&found), [vec![d.id.clone()], ids(&in_here)].concat(), "cell by cell as asked");
    assert!(ok(store.in_cells(&service, &[]).await, "in_cells").is_empty());
    let other_found = ok(store.in_cells(&other.service_code, &[cell(here)]).await, "in_cells");
    assert_eq!(ids(&other_found), vec![other.id]);
}

pub async fn followers_page_in_contact_key_order(ports: &Ports) {
    let store = &ports.tickets;
    let (ticket_id, since) = (fresh_id(), now());
    let follower = |language| {
        let email = ok(Email::parse(&format!("{}@example.org", fresh_hex())), "an email");
        Follower {
            ticket_id: ticket_id.clone(),
            contact: Contact::Email(email),
            language,
            since,
            via: None,
            confirmed: true,
        }
    };
    let mut followers: Vec<Follower> = (0..5).map(|_| follower(Language::En)).collect();
    for f in &followers {
        ok(store.follow(f).await, "follow");
    }
    // Following again changes the language, and makes no second follower.
    followers[0].language = Language::Es;
    ok(store.follow(&followers[0]).await, "follow");
    followers.sort_by_key(|f| f.contact.key());
    assert_eq!(ok(store.followers(&ticket_id).await, "followers"), followers);

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..10 {
        let page = ok(store.followers_page(&ticket_id, after.as_deref(), 2).await, "followers_page");
        assert!(page.followers.len() <= 2);
        seen.extend(page.followers.clone());
        match page.next {
            Some(next) => {
                assert_eq!(page.followers.last().map(|f| f.contact.key()), Some(next.clone()));
                after = Some(next);
            }
            None => break,
        }
    }
    assert_eq!(seen, followers, "pages of two, then one, and the last says so");
    let whole = ok(store.followers_page(&ticket_id, None, 5).await, "followers_page");
    assert_eq!((whole.followers, whole.next), (followers.clone(), None));
    let short = ok(store.followers_page(&ticket_id, None, 4).await, "followers_page");
    assert_eq!(short.next, Some(followers[3].contact.key()));
    assert!(ok(store.followers(&fresh_id()).await, "followers").is_empty());
}

pub async fn a_private_request_stays_out_of_every_public_read(ports: &Ports) {
    let store = &ports.tickets;
    let (service, department) = (fresh_code("SVC"), fresh_code("DEPT"));
    let (base, here) = (fresh_instant_in_2001(), point(41.3601, -73.5301));
    let (mut t, mut entry) = ticket_at(&service, &department, base, Some(here), Vec::new());
    t.private = true;
    entry.private_request = true;
    ok(store.create(&t, &entry, None, None).await, "create");
    let (noted, mut note) = changed(&t, base + Duration::seconds(1), |_| {});
    note.public = true;
    assert!(note.private_request, "a private request's changes are private requests' too");
    ok(store.apply(&[(noted, note)]).await, "apply");

    let read = ok(store.get(&t.id).await, "get").map(|t| t.private);
    assert_eq!(read, Some(true), "the ticket itself is read back, private");
    let filter = |index| TicketFilter {
        index,
        also_updated: None,
        service_codes: vec![service.clone()],
        statuses: vec![],
        departments: None,
        limit: 10,
    };
    let span = window(base - Duration::seconds(1), base + Duration::seconds(10));
    assert!(ok(store.list(&filter(Indexed::Requested(span))).await, "list").is_empty());
    assert!(ok(store.list(&filter(Indexed::Updated(span))).await, "list").is_empty());
    let updates = ok(store.public_updates(span, 100).await, "public_updates");
    assert!(!updates.iter().any(|e| e.ticket_id == t.id), "no public update of a private request");
    let near = ok(store.in_cells(&service, &[crate::domain::nearby::cell(here)]).await, "in_cells");
    assert!(near.is_empty(), "a private request is nobody's neighbour");
    let queue = Queue::Department { department: department.clone(), open: true };
    let page = ok(store.queue(&queue, 10, None).await, "queue");
    assert_eq!(ids(&page.tickets), vec![t.id.clone()], "staff still see it in their queue");
}

/// A point no other check uses: somewhere between 60°S and 60°N, drawn afresh.
fn fresh_point() -> crate::domain::location::GeoPoint {
    let digits = u64::from_str_radix(&fresh_hex()[..12], 16).unwrap_or_default();
    let lat = -60.0 + (digits % 120_000) as f64 / 1000.0;
    let long = -170.0 + ((digits / 120_000) % 340_000) as f64 / 1000.0;
    point(lat, long)
}

pub async fn map_cells_hold_the_open_and_recently_closed_public_requests(ports: &Ports) {
    use crate::domain::map::cell;
    let store = &ports.tickets;
    let (service, department) = (fresh_code("SVC"), fresh_code("DEPT"));
    let base = now();
    let here = fresh_point();
    let far = point((here.lat() + 1.0).min(89.0), here.long());
    let make =
        |at: chrono::DateTime<chrono::Utc>, where_: crate::domain::location::GeoPoint, private: bool| {
            let (mut t, mut entry) = ticket_at(&service, &department, at, Some(where_), Vec::new());
            t.private = private;
            entry.private_request = private;
            async move {
                ok(store.create(&t, &entry, None, None).await, "create");
                t
            }
        };
    let older = make(base - Duration::days(400), here, false).await;
    let newer = make(base - minutes(5), here, false).await;
    let closing = make(base - Duration::days(3), here, false).await;
    let long_closed = make(base - Duration::days(60), here, false).await;
    let private = make(base - minutes(1), here, true).await;
    let away = make(base - minutes(2), far, false).await;
    let close = |t: &Ticket, at| {
        changed(t, at, |t| {
            t.status = Status::Closed;
            t.closed_at = Some(at);
        })
    };
    ok(store.apply(&[close(&closing, base - minutes(30))]).await, "apply");
    let (was_closed, entry) = close(&long_closed, base - Duration::days(40));
    ok(store.apply(&[(was_closed.clone(), entry)]).await, "apply");

    let mine = [&older, &newer, &closing, &long_closed, &private, &away].map(|t| t.id.clone());
    let mine = &mine;
    let since = crate::domain::map::closed_since(base);
    let read = |cells: Vec<String>, limit| async move {
        let (pins, more) = ok(store.in_map_cells(&cells, since, limit).await, "in_map_cells");
        let ids: Vec<TicketId> = pins.iter().map(|p| p.id.clone()).filter(|id| mine.contains(id)).collect();
        (pins, ids, more)
    };
    let (pins, found, more) = read(vec![cell(here)], 10).await;
    assert_eq!(
        found,
        vec![newer.id.clone(), older.id.clone(), closing.id.clone()],
        "open newest first, then the recently closed"
    );
    assert!(!more);
    let pin = pins
        .iter()
        .find(|p| p.id == newer.id)
        .map(|p| (p.service_code.clone(), p.service_name.clone(), p.status, p.point, p.requested_at));
    assert_eq!(
        pin,
        Some((service.clone(), newer.service_name.clone(), newer.status, here, newer.requested_at))
    );
    let closed_pin = pins.iter().find(|p| p.id == closing.id).map(|p| (p.status, p.at));
    assert_eq!(
        closed_pin,
        Some((Status::Closed, base - minutes(30))),
        "a closed one sorts by when it was closed"
    );

    let (_, found, _) = read(vec![cell(far), cell(here)], 10).await;
    assert_eq!(
        found,
        vec![away.id.clone(), newer.id.clone(), older.id.clone(), closing.id.clone()],
        "cell by cell as asked"
    );
    let (pins, _, more) = read(vec![cell(here)], 1).await;
    assert_eq!((pins.len(), more), (1, true), "at most the limit of a cell, and more said");
    let (_, found, more) = read(vec![], 10).await;
    assert!(found.is_empty() && !more);

    // Reopened, it is open again; taken off the map by nothing else.
    let (reopened, entry) = changed(&was_closed, base - minutes(1), |t| t.status = Status::Reopened);
    ok(store.apply(&[(reopened, entry)]).await, "apply");
    let (_, found, _) = read(vec![cell(here)], 10).await;
    assert_eq!(found, vec![long_closed.id.clone(), newer.id.clone(), older.id.clone(), closing.id.clone()]);
}

pub async fn reindexing_writes_a_ticket_again_only_at_its_version(ports: &Ports) {
    let store = &ports.tickets;
    let (service, department) = (fresh_code("SVC"), fresh_code("DEPT"));
    let (base, here) = (now(), fresh_point());
    let (t, entry) = ticket_at(&service, &department, base, Some(here), Vec::new());
    ok(store.create(&t, &entry, None, None).await, "create");
    assert!(ok(store.reindex(&t).await, "reindex"), "the stored version is written again");
    assert_eq!(ok(store.get(&t.id).await, "get"), Some(t.clone()), "as it was");
    let (next, entry) = changed(&t, base + minutes(1), |t| t.status = Status::InProgress);
    ok(store.apply(&[(next.clone(), entry)]).await, "apply");
    assert!(!ok(store.reindex(&t).await, "reindex"), "a version changed meanwhile is left alone");
    assert_eq!(ok(store.get(&t.id).await, "get"), Some(next));
    assert!(
        !ok(store.reindex(&ticket(&service, &department, base).0).await, "reindex"),
        "nor one never stored"
    );
    let (pins, _) = ok(store.in_map_cells(&[crate::domain::map::cell(here)], base, 10).await, "in_map_cells");
    assert_eq!(pins.iter().filter(|p| p.id == t.id).count(), 1);
}
