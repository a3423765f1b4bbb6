use super::*;
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use town311::adapters::memory::MemoryStore;
use town311::http::apigw::Invocation;
use town311::runtime::clock::FixedClock;

async fn state() -> (State, Arc<MemoryStore>) {
    let clock = Arc::new(FixedClock::at(Utc.with_ymd_and_hms(2026, 11, 23, 15, 0, 0).unwrap()));
    let store = Arc::new(MemoryStore::with_demo_catalog().await.with_clock(clock.clone()));
    let state = State {
        config: town311::adapters::memory::config(None),
        tickets: store.clone(),
        catalog: store.clone(),
        deliveries: store.clone(),
        rates: store.clone(),
        banners: store.clone(),
        templates: store.clone(),
        addresses: store.clone(),
        photos: Arc::new(town311::adapters::memory::MemoryPhotos::default()),
        ids: Arc::new(town311::domain::id::OsRandom),
        clock,
        privacy: store.clone(),
    };
    (state, store)
}

async fn ticket(store: &MemoryStore, id: &str, service_code: &str) -> TicketId {
    let service = store.service(service_code).await.unwrap().unwrap();
    let request = town311::adapters::memory::phone_request(service_code, "1 Main St");
    let at = Utc.with_ymd_and_hms(2026, 11, 22, 14, 0, 0).unwrap();
    let (ticket, entry) = Ticket::open(TicketId::parse(id).unwrap(), &service, request, at);
    store.create(&ticket, &entry, None, None).await.unwrap();
    ticket.id
}

const DPW_CLERK: &[(&str, &str)] = &[("username", "bo"), ("cognito:groups", "[dept-DPW]")];

fn act(id: &TicketId, claims: Option<&[(&str, &str)]>, if_match: Option<&str>, body: Value) -> Request {
    let path = format!("/staff/v1/tickets/{id}/actions");
    let mut invocation = Invocation::new("POST", "POST /staff/v1/tickets/{id}/actions", &path)
        .path_parameter("id", id.as_str())
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(claims) = claims {
        invocation = invocation.claims(claims);
    }
    if let Some(etag) = if_match {
        invocation = invocation.header("if-match", etag);
    }
    invocation.into_request().unwrap()
}

async fn call(state: &State, request: Request) -> (u16, Value, Option<String>) {
    let response = handle(state, request).await.unwrap();
    let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (response.status().as_u16(), body, etag)
}

#[tokio::test]
async fn a_clerk_moves_a_ticket_along_and_every_step_is_history() {
    let (state, store) = state().await;
    let id = ticket(&store, "AAAA-0001", "POTHOLE").await;
    let (status, body, etag) = call(
        &state,
        act(&id, Some(DPW_CLERK), Some("\"1\""), json!({"action": "assign", "assignee": "crew-7"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(etag.as_deref(), Some("\"2\""));
    assert_eq!(body["ticket"]["status"], "assigned");
    assert_eq!(body["history"].as_array().map(Vec::len), Some(2));
    assert_eq!(body["history"][1]["actor"], json!({"kind": "staff", "name": "bo"}));
    let (status, body, _) = call(
        &state,
        act(
            &id,
            Some(DPW_CLERK),
            None,
            json!({"version": 2, "action": "set_status", "status": "closed", "resolution": "fixed"}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["ticket"]["status"].as_str(), body["ticket"]["resolution"].as_str()),
        (Some("closed"), Some("fixed"))
    );
    assert_eq!(store.history().len(), 3);
}

#[tokio::test]
async fn a_stale_write_gets_412_and_changes_nothing() {
    let (state, store) = state().await;
    let id = ticket(&store, "AAAA-0001", "POTHOLE").await;
    let note = json!({"action": "note", "text": "called back", "public": false});
    assert_eq!(call(&state, act(&id, Some(DPW_CLERK), Some("\"1\""), note.clone())).await.0, 200);
    let (status, body, _) = call(&state, act(&id, Some(DPW_CLERK), Some("\"1\""), note)).await;
    assert_eq!(status, 412);
    assert_eq!(body[0]["code"], 412);
    assert_eq!(store.get(&id).await.unwrap().unwrap().version, 2);
    assert_eq!(store.history().len(), 2);
}

#[tokio::test]
async fn a_second_writer_holding_an_old_version_loses() {
    let (state, store) = state().await;
    let id = ticket(&store, "AAAA-0001", "POTHOLE").await;
    let first = act(&id, Some(DPW_CLERK), Some("\"1\""), json!({"action": "assign", "assignee": "crew-1"}));
    let second = act(&id, Some(DPW_CLERK), Some("\"1\""), json!({"action": "assign", "assignee": "crew-2"}));
    let (a, b) = tokio::join!(call(&state, first), call(&state, second));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 412]);
    let entries: Vec<_> = store.history().into_iter().filter(|e| e.version == 2).collect();
    assert_eq!(entries.len(), 1, "exactly one history entry for version 2");
}

#[tokio::test]
async fn who_may_do_what() {
    let (state, store) = state().await;
    let id = ticket(&store, "AAAA-0001", "POTHOLE").await;
    type Claims<'a> = Option<&'a [(&'a str, &'a str)]>;
    let cases: [(Claims, u16); 5] = [
        (None, 401),
        (Some(&[("cognito:groups", "[admin]")]), 401),
        (Some(&[("username", "sa"), ("cognito:groups", "[dept-SAN]")]), 403),
        (Some(&[("username", "vi"), ("cognito:groups", "[viewer]")]), 403),
        (Some(&[("username", "ad"), ("cognito:groups", "[admin]")]), 200),
    ];
    for (claims, expected) in cases {
        let before = store.get(&id).await.unwrap().unwrap().version;
        let (status, body, _) =
            call(&state, act(&id, claims, None, json!({"version": before, "action": "note", "text": "x"})))
                .await;
        assert_eq!(status, expected, "{claims:?}: {body}");
        if expected != 200 {
            assert_eq!(
                store.get(&id).await.unwrap().unwrap().version,
                before,
                "nothing changed for {claims:?}"
            );
        }
    }
}

#[tokio::test]
async fn refused_transitions_and_bad_actions_are_explained() {
    let (state, store) = state().await;
    let id = ticket(&store, "AAAA-0001", "POTHOLE").await;
    let cases = [
        (json!({"version": 1, "action": "set_status", "status": "reopened"}), 409),
        (json!({"version": 1, "action": "set_status", "status": "closed"}), 400),
        (json!({"version": 1, "action": "assign", "assignee": "x".repeat(129)}), 400),
        (json!({"version": 1, "action": "note", "text": "y".repeat(4001)}), 400),
        (json!({"version": 1, "action": "explode"}), 400),
        (json!({"action": "note", "text": "no version"}), 400),
        (json!({"version": 1, "action": "move", "department": "NOPE"}), 404),
        (json!({"version": 1, "action": "recategorize", "service_code": "NOPE"}), 404),
        (json!({"version": 1, "action": "merge", "parent": "ZZZZ-ZZZZ"}), 404),
    ];
    for (body, expected) in cases {
        let (status, answer, _) = call(&state, act(&id, Some(DPW_CLERK), None, body.clone())).await;
        assert_eq!(status, expected, "{body}: {answer}");
        assert!(answer[0]["description"].as_str().is_some_and(|d| !d.is_empty()));
    }
    assert_eq!(store.history().len(), 1);
}

#[tokio::test]
async fn merging_writes_both_tickets_or_neither() {
    let (state, store) = state().await;
    let child = ticket(&store, "AAAA-0001", "POTHOLE").await;
    let parent = ticket(&store, "AAAA-0002", "POTHOLE").await;
    let other = ticket(&store, "AAAA-0003", "GRAFFITI").await;
    let merge = |parent: &TicketId| json!({"version": 1, "action": "merge", "parent": parent.as_str()});
    let (status, _, _) = call(&state, act(&child, Some(DPW_CLERK), None, merge(&other))).await;
    assert_eq!(status, 403, "the parent is another department's");
    let (status, body, _) = call(&state, act(&child, Some(DPW_CLERK), None, merge(&parent))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ticket"]["resolution"], "duplicate");
    assert_eq!(body["ticket"]["parent"], parent.as_str());
    let parent_history = store.history().into_iter().filter(|e| e.ticket_id == parent).count();
    assert_eq!(parent_history, 2);
}

#[tokio::test]
async fn schedules_at_the_ends_of_the_calendar_are_400() {
    let (state, store) = state().await;
    let id = ticket(&store, "AAAA-0002", "POTHOLE").await;
    for at in [
        "+262142-12-31T23:59:59Z",
        "-262143-01-01T00:00:00Z",
        "9999-12-31T23:59:59-23:59",
        "0000-01-01T00:00:00+23:59",
        "2026-13-45T99:99:99Z",
        "NaN",
    ] {
        let body = json!({"action": "schedule", "at": at, "version": 1});
        let (status, answer, _) = call(&state, act(&id, Some(DPW_CLERK), None, body)).await;
        assert_eq!(status, 400, "{at}: {answer}");
        assert_eq!(answer[0]["code"], 400, "{at}: {answer}");
    }
}

#[tokio::test]
async fn a_follow_that_cannot_be_read_names_the_field_and_never_echoes_the_number() {
    let (state, store) = state().await;
    let id = ticket(&store, "AAAA-0001", "POTHOLE").await;
    let path = format!("/citizen/v1/requests/{id}/follow");
    for (body, field) in [
        (r#"{"phone": 5550107777, "notify_by": "sms"}"#, "phone"),
        (r#"{"email": ["rosa@example.org"]}"#, "email"),
        (r#"{"phone": "5550107777", "language": 5550107777}"#, "language"),
    ] {
        let request = Invocation::new("POST", "POST /citizen/v1/requests/{id}/follow", &path)
            .path_parameter("id", id.as_str())
            .header("content-type", "application/json")
            .body(body.to_owned())
            .into_request()
            .unwrap();
        let (status, answer, _) = call(&state, request).await;
        assert_eq!(status, 400, "{answer}");
        let text = answer.to_string();
        assert!(text.contains(&format!("{field} must be a string")), "{text}");
        assert!(
            !text.contains("0107777") && !text.contains("rosa@"),
            "the answer quotes the contact: {text}"
        );
    }
    assert!(store.followers(&id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_request_takes_a_few_reopen_attempts_from_everyone_together() {
    let (state, store) = state().await;
    let id = ticket(&store, "AAAA-0001", "POTHOLE").await;
    let path = format!("/citizen/v1/requests/{id}/reopen");
    let attempt = |n: usize, contact: &str| {
        let mut invocation = Invocation::new("POST", "POST /citizen/v1/requests/{id}/reopen", &path)
            .path_parameter("id", id.as_str())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("contact={contact}"));
        // Each guess from another address: the per-client limit never applies.
        invocation.source_ip = format!("198.51.100.{n}");
        invocation.into_request().unwrap()
    };
    let attempts = town311::domain::rate::REOPEN_ATTEMPTS_PER_REQUEST as usize;
    for n in 0..attempts {
        let (status, body, _) = call(&state, attempt(n, &format!("555010{n:04}"))).await;
        assert_eq!(status, 403, "guess {n}: {body}");
    }
    let (status, body, _) = call(&state, attempt(attempts, "555-010-0000")).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body[0]["code"], 429);
}

fn follow_request(id: &TicketId, body: Value) -> Request {
    let path = format!("/citizen/v1/requests/{id}/follow");
    Invocation::new("POST", "POST /citizen/v1/requests/{id}/follow", &path)
        .path_parameter("id", id.as_str())
        .header("content-type", "application/json")
        .body(body.to_string())
        .into_request()
        .unwrap()
}

/// The confirmation link's page (`GET`) or its button (`POST`): status and HTML.
async fn open_link(state: &State, method: &str, token: &str) -> (u16, String) {
    let route = format!("{method} /citizen/v1/follow/confirm");
    let request = Invocation::new(method, &route, "/citizen/v1/follow/confirm")
        .query(&format!("token={token}"))
        .into_request()
        .unwrap();
    let response = handle(state, request).await.unwrap();
    (response.status().as_u16(), String::from_utf8_lossy(response.body().as_ref()).into_owned())
}

#[tokio::test]
async fn a_follow_waits_for_its_contact_to_confirm_through_the_link() {
    let (state, store) = state().await;
    let id = ticket(&store, "AAAA-0001", "POTHOLE").await;
    let (status, answer, _) =
        call(&state, follow_request(&id, json!({"phone": "555-010-4444", "language": "es"}))).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer, json!({"service_request_id": "AAAA-0001", "following": true}));
    let followers = store.followers(&id).await.unwrap();
    assert_eq!(followers.len(), 1);
    assert!(!followers[0].confirmed, "pending until the contact confirms");
    let key = followers[0].contact.key();

    // Notify issues the link; opening it shows a button and changes nothing.
    let until = state.clock.now() + chrono::Duration::hours(48);
    store.issue_confirmation("t0ken-for-the-test", &id, &key, until).await.unwrap();
    let (status, page) = open_link(&state, "GET", "t0ken-for-the-test").await;
    assert_eq!(status, 200);
    assert!(page.contains("method=\"post\"") && page.contains("AAAA-0001"), "{page}");
    assert!(!store.followers(&id).await.unwrap()[0].confirmed, "a link opened confirms nothing");
    let (status, page) = open_link(&state, "POST", "t0ken-for-the-test").await;
    assert_eq!(status, 200, "{page}");
    assert!(store.followers(&id).await.unwrap()[0].confirmed);
    // The link is used up; following again keeps the follower confirmed.
    let (status, page) = open_link(&state, "POST", "t0ken-for-the-test").await;
    assert_eq!(status, 404, "{page}");
    assert_eq!(open_link(&state, "GET", "t0ken-for-the-test").await.0, 404);
    assert_eq!(open_link(&state, "GET", "never-issued").await.0, 404);
    call(&state, follow_request(&id, json!({"phone": "555-010-4444"}))).await;
    assert!(store.followers(&id).await.unwrap()[0].confirmed);
}

#[tokio::test]
async fn a_follow_confirmed_after_its_request_was_merged_follows_the_parent() {
    let (state, store) = state().await;
    let parent = ticket(&store, "AAAA-0001", "POTHOLE").await;
    let child = ticket(&store, "AAAA-0002", "POTHOLE").await;
    call(&state, follow_request(&child, json!({"email": "kim@example.org"}))).await;
    let seen = store.get(&child).await.unwrap().unwrap().version;
    let merge =
        act(&child, Some(DPW_CLERK), None, json!({"action": "merge", "parent": parent, "version": seen}));
    assert_eq!(call(&state, merge).await.0, 200);
    let key = store.followers(&child).await.unwrap()[0].contact.key();
    let until = state.clock.now() + chrono::Duration::hours(48);
    store.issue_confirmation("merged-t0ken", &child, &key, until).await.unwrap();
    assert_eq!(open_link(&state, "POST", "merged-t0ken").await.0, 200);
    let carried = store.follower(&parent, &key).await.unwrap().unwrap();
    assert!(carried.confirmed && carried.via == Some(child));
}

#[tokio::test]
async fn follows_are_capped_per_ticket_and_per_contact_a_day_naming_no_contact() {
    let (state, store) = state().await;
    let full = ticket(&store, "AAAA-0001", "POTHOLE").await;
    let now = state.clock.now();
    for n in 0..town311::domain::follower::MAX_PER_TICKET {
        let contact = Contact::choose(None, Some(&format!("f{n}@example.org")), None).unwrap();
        store.follow(&Follower::pending(&full, contact, Language::En, now)).await.unwrap();
    }
    let (status, answer, _) = call(&state, follow_request(&full, json!({"email": "late@example.org"}))).await;
    assert_eq!(status, 409, "{answer}");
    assert!(answer.to_string().contains("as many followers"), "{answer}");
    assert!(!answer.to_string().contains("late@"), "{answer}");
    // Someone following already may follow again (a new language).
    let again =
        call(&state, follow_request(&full, json!({"email": "f3@example.org", "language": "es"}))).await;
    assert_eq!(again.0, 201);

    let mut tickets = Vec::new();
    for n in 0..=town311::domain::follower::MAX_FOLLOWS_PER_DAY {
        tickets.push(ticket(&store, &format!("BBBB-00{n:02}"), "POTHOLE").await);
    }
    for id in &tickets[..10] {
        let (status, answer, _) = call(&state, follow_request(id, json!({"phone": "555-010-9999"}))).await;
        assert_eq!(status, 201, "{answer}");
    }
    let last = follow_request(&tickets[10], json!({"phone": "555-010-9999"}));
    let response = handle(&state, last).await.unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers().get("retry-after").is_some());
    let text = String::from_utf8_lossy(response.body().as_ref()).into_owned();
    assert!(text.contains("today") && !text.contains("9999"), "{text}");
    assert!(store.followers(&tickets[10]).await.unwrap().is_empty());
    // Another contact is not held back by it.
    let other = call(&state, follow_request(&tickets[10], json!({"phone": "555-010-1212"}))).await;
    assert_eq!(other.0, 201);
}

fn banner(method: &str, claims: &[(&str, &str)], body: Value) -> Request {
    Invocation::new(method, &format!("{method} /staff/v1/banner"), "/staff/v1/banner")
        .header("content-type", "application/json")
        .body(body.to_string())
        .claims(claims)
        .into_request()
        .unwrap()
}

#[tokio::test]
async fn admins_set_and_take_down_the_banner_and_nobody_else_does() {
    use town311::ports::Banners;
    let (state, store) = state().await;
    let admin: &[(&str, &str)] = &[("username", "ad"), ("cognito:groups", "[admin]")];
    let storm = json!({"text": "Storm: no pickup today", "text_es": "Tormenta: hoy no hay recogida",
        "until": "2026-11-24T17:00:00-05:00"});
    let (status, _, _) = call(&state, banner("PUT", DPW_CLERK, storm.clone())).await;
    assert_eq!(status, 403);
    assert_eq!(store.banner().await.unwrap(), None);

    let (status, body, _) = call(&state, banner("PUT", admin, storm)).await;
    assert_eq!(status, 200, "{body}");
    let kept = store.banner().await.unwrap().unwrap();
    assert_eq!((kept.text.as_str(), kept.set_by.as_str()), ("Storm: no pickup today", "ad"));

    let (status, body, _) = call(&state, banner("PUT", admin, json!({"text": "x", "until": "soon"}))).await;
    assert_eq!(status, 400);
    assert!(body[0]["description"].as_str().unwrap_or_default().starts_with("until"), "{body}");
    let (status, _, _) = call(&state, banner("PUT", admin, json!({"text": "x", "colour": "red"}))).await;
    assert_eq!(status, 400, "an unknown field is refused, not ignored");

    let (status, _, _) = call(&state, banner("DELETE", admin, Value::Null)).await;
    assert_eq!(status, 200);
    assert_eq!(store.banner().await.unwrap(), None);
}

#[tokio::test]
async fn a_private_services_request_cannot_be_followed_and_says_no_more_than_an_unknown_number() {
    let (state, store) = state().await;
    let id = ticket(&store, "PRIV-0001", "HOUSING").await;
    let body = json!({"email": "neighbour@example.org", "notify_by": "email"});
    let (status, answer, _) = call(&state, follow_request(&id, body.clone())).await;
    let unknown = TicketId::parse("NONE-0001").unwrap();
    let (unknown_status, unknown_answer, _) = call(&state, follow_request(&unknown, body)).await;
    assert_eq!((status, &answer), (unknown_status, &unknown_answer));
    assert_eq!(status, 404);
    assert!(store.followers(&id).await.unwrap().is_empty());
}

fn templates_put(claims: &[(&str, &str)], if_match: Option<&str>, body: Value) -> Request {
    let mut invocation = Invocation::new("PUT", "PUT /staff/v1/templates", "/staff/v1/templates")
        .header("content-type", "application/json")
        .body(body.to_string())
        .claims(claims);
    if let Some(etag) = if_match {
        invocation = invocation.header("if-match", etag);
    }
    invocation.into_request().unwrap()
}

const ADMIN: &[(&str, &str)] = &[("username", "ad"), ("cognito:groups", "[admin]")];

fn thanks() -> Value {
    json!({"templates": [
        {"id": "thanks", "name": "Thank you", "use": "message", "services": ["POTHOLE"],
         "auto_on_status": "closed",
         "text": "Request {ticket} is {status}. Thank you! {department}: {department_phone}",
         "text_es": "La solicitud {ticket} está {status}. ¡Gracias! {department}: {department_phone}"},
        {"id": "side", "name": "Which side?", "text": "Which side of the street?"}
    ]})
}

/// A pothole reported by someone who reads Spanish and asked for email.
async fn reported_in_spanish(store: &MemoryStore, id: &str) -> TicketId {
    use town311::domain::contact::{Language, NotifyBy, Reporter, ReporterInput};
    let service = store.service("POTHOLE").await.unwrap().unwrap();
    let mut request = town311::adapters::memory::phone_request("POTHOLE", "1 Main St");
    request.reporter = Reporter::parse(ReporterInput {
        email: Some("lucia@example.org"),
        notify_by: Some(NotifyBy::Email),
        language: Some(Language::Es),
        ..ReporterInput::default()
    })
    .unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 22, 14, 0, 0).unwrap();
    let (ticket, entry) = Ticket::open(TicketId::parse(id).unwrap(), &service, request, at);
    store.create(&ticket, &entry, None, None).await.unwrap();
    ticket.id
}

#[tokio::test]
async fn admins_replace_the_templates_one_version_at_a_time_and_nobody_else_does() {
    use town311::ports::Templates;
    let (state, store) = state().await;
    let (status, _, _) = call(&state, templates_put(DPW_CLERK, None, thanks())).await;
    assert_eq!(status, 403);
    assert_eq!(store.templates().await.unwrap(), None);

    let (status, body, etag) = call(&state, templates_put(ADMIN, Some("\"0\""), thanks())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(etag.as_deref(), Some("\"1\""));
    assert_eq!((body["version"].as_u64(), body["updated_by"].as_str()), (Some(1), Some("ad")));
    assert_eq!(body["templates"][0]["auto_on_status"], "closed");

    let (status, body, _) = call(&state, templates_put(ADMIN, Some("\"0\""), thanks())).await;
    assert_eq!(status, 412, "another admin saw version 0 too: {body}");
    let (status, _, etag) = call(&state, templates_put(ADMIN, Some("\"1\""), thanks())).await;
    assert_eq!((status, etag.as_deref()), (200, Some("\"2\"")));

    let unknown = json!({"templates": [{"id": "hi", "name": "Hi", "text": "Dear {name}"}]});
    let (status, body, _) = call(&state, templates_put(ADMIN, None, unknown)).await;
    assert_eq!(status, 400);
    let said = body[0]["description"].as_str().unwrap_or_default();
    assert!(said.starts_with("template hi: text: unknown placeholder {name}"), "{said}");
    let (status, _, _) = call(&state, templates_put(ADMIN, Some("soon"), thanks())).await;
    assert_eq!(status, 400);
    assert_eq!(store.templates().await.unwrap().unwrap().version, 2, "refusals change nothing");
}

#[tokio::test]
async fn closing_a_ticket_sends_its_canned_thanks_in_the_reporters_language_in_the_same_write() {
    let (state, store) = state().await;
    assert_eq!(call(&state, templates_put(ADMIN, None, thanks())).await.0, 200);
    let id = reported_in_spanish(&store, "AAAA-0002").await;
    let close = json!({"action": "set_status", "status": "closed", "resolution": "fixed"});
    let (status, body, etag) = call(&state, act(&id, Some(DPW_CLERK), Some("\"1\""), close)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(etag.as_deref(), Some("\"3\""), "the answer is the ticket after its message");
    let history = store.history();
    let kinds: Vec<_> = history.iter().map(|e| (e.version, e.change.kind())).collect();
    assert_eq!(kinds, [(1, "submitted"), (2, "status_changed"), (3, "message")]);
    let message = &history[2];
    assert_eq!(message.actor, Actor::Staff("bo".into()));
    assert!(!message.public, "to the reporter, not on the public record");
    assert_eq!(
        message.change,
        town311::domain::ticket::Change::Messaged {
            text: "La solicitud AAAA-0002 está cerrada. ¡Gracias! Public Works: (555) 010-2100".into(),
            to: town311::domain::ticket::Audience::Reporter,
        }
    );
    assert_eq!(message.at, history[1].at);

    // Other statuses, services and reporters without a contact hear nothing more.
    let other = reported_in_spanish(&store, "AAAA-0003").await;
    let start = json!({"action": "set_status", "status": "in_progress"});
    assert_eq!(call(&state, act(&other, Some(DPW_CLERK), Some("\"1\""), start)).await.0, 200);
    let silent = ticket(&store, "AAAA-0004", "POTHOLE").await;
    let close = json!({"action": "set_status", "status": "closed", "resolution": "fixed"});
    assert_eq!(call(&state, act(&silent, Some(DPW_CLERK), Some("\"1\""), close)).await.0, 200);
    assert_eq!(store.history().iter().filter(|e| e.change.kind() == "message").count(), 1);
}

/// Templates that cannot be read.
struct Unreadable;

type Answer<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, StoreError>> + Send + 'a>>;

impl Templates for Unreadable {
    fn templates<'a, 'f>(&'a self) -> Answer<'f, Option<town311::domain::canned::CannedResponses>>
    where
        'a: 'f,
    {
        Box::pin(async { Err(StoreError::unavailable("GetItem", "the table is down")) })
    }
    fn put_templates<'a, 'b, 'f>(&'a self, _: &'b town311::domain::canned::CannedResponses) -> Answer<'f, ()>
    where
        'a: 'f,
        'b: 'f,
    {
        Box::pin(async { Err(StoreError::unavailable("PutItem", "the table is down")) })
    }
}

#[tokio::test]
async fn a_status_change_goes_through_when_the_templates_cannot_be_read() {
    let (state, store) = state().await;
    let state = State { templates: Arc::new(Unreadable), ..state };
    let id = reported_in_spanish(&store, "AAAA-0002").await;
    let close = json!({"action": "set_status", "status": "closed", "resolution": "fixed"});
    let (status, body, etag) = call(&state, act(&id, Some(DPW_CLERK), Some("\"1\""), close)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(etag.as_deref(), Some("\"2\""));
    assert_eq!(store.history().len(), 2);
}

#[tokio::test]
async fn a_clerk_places_a_request_by_an_address_the_town_knows() {
    use town311::domain::address::AddressPoint;
    use town311::domain::location::GeoPoint;
    let (state, store) = state().await;
    let point = GeoPoint::new(42.2651, -71.8023).unwrap();
    let oak = AddressPoint { id: "a-40-oak".into(), address: "40 Oak Street".into(), unit: None, point };
    town311::ports::Addresses::put_addresses(store.as_ref(), &[oak]).await.unwrap();
    let id = ticket(&store, "AAAA-0001", "POTHOLE").await;
    let locate = json!({"version": 1, "action": "locate", "address_string": "40 Oak Street"});
    let (status, body, _) = call(&state, act(&id, Some(DPW_CLERK), None, locate)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ticket"]["location"]["address"], "40 Oak Street");
    assert_eq!(body["ticket"]["location"]["point"]["lat"], 42.2651, "{body}");
    assert_eq!(body["history"][1]["change"]["type"], "located");
    let unknown = json!({"version": 2, "action": "locate", "address_string": "1 Nowhere Lane"});
    let (status, body, _) = call(&state, act(&id, Some(DPW_CLERK), None, unknown)).await;
    assert_eq!(status, 200, "an address the town does not know is kept without a point: {body}");
    assert!(body["ticket"]["location"].get("point").is_none(), "{body}");
    let nothing = json!({"version": 3, "action": "locate"});
    let (status, body, _) = call(&state, act(&id, Some(DPW_CLERK), None, nothing)).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("address_string"), "{body}");
}

fn photo_upload(claims: &[(&str, &str)], bytes: &[u8]) -> Request {
    Invocation::new("POST", "POST /staff/v1/uploads", "/staff/v1/uploads")
        .header("content-type", "image/jpeg")
        .claims(claims)
        .body(bytes.to_vec())
        .into_request()
        .unwrap()
}

#[tokio::test]
async fn staff_close_with_a_photo_of_the_finished_work() {
    let (state, store) = state().await;
    let id = ticket(&store, "AAAA-0001", "POTHOLE").await;
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];
    let (status, body, _) = call(&state, photo_upload(DPW_CLERK, &jpeg)).await;
    assert_eq!(status, 201, "{body}");
    let upload = body["upload_id"].as_str().unwrap().to_owned();
    let kept = state.photos.get(&town311::domain::photo::upload_key(&upload)).await.unwrap();
    assert_eq!(kept.as_deref(), Some(&jpeg[..]), "kept for the photo pipeline");

    let close = |after: &str| json!({"action": "set_status", "status": "closed", "resolution": "fixed", "after_photo": after});
    let (status, body, _) = call(&state, act(&id, Some(DPW_CLERK), Some("\"1\""), close(&upload))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ticket"]["status"], "closed");
    assert_eq!(body["ticket"]["after_uploads"], json!([upload]));
    let linked = town311::ports::Uploads::upload_ticket(store.as_ref(), &upload).await.unwrap();
    assert_eq!(linked, Some(id.clone()), "linked with the change");

    // Not a photo; a viewer; an after-photo on anything but a closing.
    let (status, body, _) = call(&state, photo_upload(DPW_CLERK, b"%PDF-1.7")).await;
    assert_eq!(status, 400, "{body}");
    let viewer: &[(&str, &str)] = &[("username", "vi"), ("cognito:groups", "[viewer]")];
    assert_eq!(call(&state, photo_upload(viewer, &jpeg)).await.0, 403);
    let other = ticket(&store, "AAAA-0002", "POTHOLE").await;
    let (status, body, _) = call(
        &state,
        act(
            &other,
            Some(DPW_CLERK),
            Some("\"1\""),
            json!({"action": "set_status", "status": "in_progress", "after_photo": upload}),
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body[0]["description"].as_str().unwrap().contains("after_photo"), "{body}");
}

/// The "was it fixed?" page (`GET`) or the answer (`POST`, form fields): status and HTML.
async fn fixed_link(state: &State, method: &str, query: &str, form: Option<&str>) -> (u16, String) {
    let route = format!("{method} /citizen/v1/fixed");
    let mut invocation = Invocation::new(method, &route, "/citizen/v1/fixed").query(query);
    if let Some(form) = form {
        invocation =
            invocation.header("content-type", "application/x-www-form-urlencoded").body(form.to_owned());
    }
    let response = handle(state, invocation.into_request().unwrap()).await.unwrap();
    (response.status().as_u16(), String::from_utf8_lossy(response.body().as_ref()).into_owned())
}

/// Closes a ticket as staff, and issues the question's link for it.
async fn closed_and_asked(state: &State, store: &MemoryStore, id: &TicketId, token: &str) {
    let (status, body, _) = call(
        state,
        act(
            id,
            Some(DPW_CLERK),
            Some("\"1\""),
            json!({"action": "set_status", "status": "closed", "resolution": "fixed"}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let until = state.clock.now() + chrono::Duration::days(30);
    store.issue_fix_check(token, id, "contact", until).await.unwrap();
}

#[tokio::test]
async fn the_reporter_says_it_is_fixed_once_in_their_language_and_a_forged_link_says_nothing() {
    let (state, store) = state().await;
    let id = reported_in_spanish(&store, "AAAA-0001").await;
    closed_and_asked(&state, &store, &id, "t0k").await;
    let (status, page) = fixed_link(&state, "GET", "token=t0k&answer=yes", None).await;
    assert_eq!(status, 200);
    assert!(page.contains("lang=\"es\"") && page.contains("¿Se resolvió la solicitud AAAA-0001?"), "{page}");
    assert!(page.contains("value=\"yes\" required checked"), "{page}");
    let (status, page) = fixed_link(&state, "POST", "token=t0k", Some("answer=yes&comment=Gracias")).await;
    assert_eq!(status, 200, "{page}");
    let ticket = store.get(&id).await.unwrap().unwrap();
    assert_eq!(ticket.status, town311::domain::status::Status::Closed);
    let history = TicketStore::history(store.as_ref(), &id).await.unwrap();
    assert_eq!(town311::domain::fix_check::answer_of(history.last().unwrap()), Some(true));
    let (status, _) = fixed_link(&state, "POST", "token=t0k", Some("answer=no")).await;
    assert_eq!(status, 409, "answered once");
    let (status, page) = fixed_link(&state, "POST", "token=forged", Some("answer=no")).await;
    assert_eq!(status, 404);
    assert!(page.contains("This link has expired"), "{page}");
    let (status, _) = fixed_link(&state, "POST", "token=t0k", Some("answer=maybe")).await;
    assert_eq!(status, 400, "neither yes nor no");
    assert_eq!(TicketStore::history(store.as_ref(), &id).await.unwrap().len(), history.len());
}

#[tokio::test]
async fn not_fixed_reopens_the_request() {
    let (state, store) = state().await;
    let id = reported_in_spanish(&store, "AAAA-0001").await;
    closed_and_asked(&state, &store, &id, "t0k").await;
    let (status, page) = fixed_link(&state, "POST", "token=t0k", Some("answer=")).await;
    assert_eq!(status, 400, "{page}");
    let (status, page) = fixed_link(&state, "POST", "token=t0k", Some("answer=no&comment=Sigue+igual")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Reabrimos la solicitud AAAA-0001"), "{page}");
    assert_eq!(store.get(&id).await.unwrap().unwrap().status, town311::domain::status::Status::Reopened);
}
