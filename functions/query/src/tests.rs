use super::*;
use chrono::{TimeZone, Utc};
use serde_json::Value;
use town311::adapters::memory::MemoryStore;
use town311::domain::catalog::Answers;
use town311::domain::contact::{Reporter, ReporterInput};
use town311::domain::description::Description;
use town311::domain::location::{GeoPoint, Location};
use town311::domain::ticket::{Channel, NewRequest, Ticket};
use town311::http::apigw::Invocation;

async fn state() -> (State, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::with_demo_catalog().await);
    let config = town311::adapters::memory::config(None);
    let clock = Arc::new(town311::runtime::clock::FixedClock::at(
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap(),
    ));
    let state = State {
        config,
        tickets: store.clone(),
        catalog: store.clone(),
        uploads: store.clone(),
        banners: store.clone(),
        templates: store.clone(),
        links: Arc::new(town311::adapters::memory::MemoryPhotos::default()),
        addresses: store.clone(),
        stats: store.clone(),
        directory: Arc::new(town311::adapters::memory::MemoryDirectory::of(&[
            ("bo", &["dept-DPW"]),
            ("ana", &["dept-DPW", "admin"]),
            ("sam", &["dept-SAN"]),
        ])),
        clock,
    };
    (state, store)
}

fn get(route: &str, document: &str) -> Request {
    let path = route.replace("{document}", document);
    Invocation::new("GET", &format!("GET {route}"), &path)
        .path_parameter("document", document)
        .into_request()
        .unwrap()
}

async fn call(state: &State, request: Request) -> (u16, String) {
    let response = handle(state, request).await.unwrap();
    let body = std::str::from_utf8(response.body().as_ref()).unwrap().to_owned();
    (response.status().as_u16(), body)
}

async fn stored_ticket(store: &MemoryStore) -> Ticket {
    let service = store.service("POTHOLE").await.unwrap().unwrap();
    let reporter = Reporter::parse(ReporterInput {
        first_name: Some("Ana"),
        email: Some("ana@example.org"),
        phone: Some("5551234567"),
        device_id: Some("device-1"),
        account_id: Some("acct-1"),
        ..Default::default()
    })
    .unwrap();
    let request = NewRequest {
        service_code: "POTHOLE".into(),
        location: Location::new(Some(GeoPoint::new(42.1, -72.5).unwrap()), Some("1 Main St"), None).unwrap(),
        description: Description::parse("Deep hole").unwrap(),
        answers: Answers::new(),
        media_urls: vec![],
        reporter,
        channel: Channel::Web,
        uploads: vec![],
    };
    let at = Utc.with_ymd_and_hms(2026, 11, 22, 14, 30, 0).unwrap();
    let (ticket, entry) = Ticket::open(TicketId::parse("K7QM-3XPR").unwrap(), &service, request, at);
    store.create(&ticket, &entry, None, None).await.unwrap();
    ticket
}

#[tokio::test]
async fn services_lists_the_catalog() {
    let (state, _) = state().await;
    let (status, body) = call(&state, get("/open311/v2/{document}", "services.json")).await;
    assert_eq!(status, 200);
    let services: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(services.as_array().unwrap().len(), 17);
    let pothole = services.as_array().unwrap().iter().find(|s| s["service_code"] == "POTHOLE").unwrap();
    assert_eq!(pothole["metadata"], true);
    assert_eq!(pothole["type"], "realtime");
    assert_eq!(pothole["group"], "Streets and Sidewalks");
    assert_eq!(pothole["keywords"], "road,street,pavement,asphalt");
}

#[tokio::test]
async fn a_service_definition_lists_its_questions_in_order() {
    let (state, _) = state().await;
    let (status, body) = call(&state, get("/open311/v2/services/{document}", "POTHOLE.json")).await;
    assert_eq!(status, 200);
    let definition: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(definition["service_code"], "POTHOLE");
    let attributes = definition["attributes"].as_array().unwrap();
    assert_eq!(attributes[0]["variable"], false);
    assert_eq!(attributes[1]["code"], "SIZE");
    assert_eq!(attributes[1]["values"][0]["key"], "small");
    let (status, _) = call(&state, get("/open311/v2/services/{document}", "UFO.json")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn one_request_is_a_one_element_list_without_personal_data() {
    let (state, store) = state().await;
    stored_ticket(&store).await;
    let (status, body) = call(&state, get("/open311/v2/requests/{document}", "k7qm-3xpr.json")).await;
    assert_eq!(status, 200);
    let list: Value = serde_json::from_str(&body).unwrap();
    let record = &list.as_array().unwrap()[0];
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(record["service_request_id"], "K7QM-3XPR");
    assert_eq!(record["status"], "open");
    assert_eq!(record["agency_responsible"], "Public Works");
    assert_eq!(record["requested_datetime"], "2026-11-22T09:30:00-05:00");
    assert_eq!((record["lat"].as_f64(), record["long"].as_f64()), (Some(42.1), Some(-72.5)));
    for secret in ["Ana", "ana@example.org", "5551234567", "device-1", "acct-1"] {
        assert!(!body.contains(secret), "{secret} leaked: {body}");
    }
}

#[tokio::test]
async fn unknown_requests_and_resources_are_404_lists() {
    let (state, store) = state().await;
    stored_ticket(&store).await;
    for (route, document) in [
        ("/open311/v2/requests/{document}", "ZZZZ-ZZZZ.json"),
        ("/open311/v2/requests/{document}", "not-an-id.json"),
        ("/open311/v2/requests/{document}", "K7QM-3XPR.html"),
        ("/open311/v2/{document}", "nothing.json"),
    ] {
        let (status, body) = call(&state, get(route, document)).await;
        assert_eq!(status, 404, "{document}");
        let errors: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(errors[0]["code"], 404, "{document}");
    }
}

#[tokio::test]
async fn xml_documents_use_open311_roots() {
    let (state, store) = state().await;
    stored_ticket(&store).await;
    let (_, body) = call(&state, get("/open311/v2/{document}", "services.xml")).await;
    assert!(body.contains("<services><service><service_code>"), "{body}");
    let (_, body) = call(&state, get("/open311/v2/requests/{document}", "K7QM-3XPR.xml")).await;
    assert!(body.contains("<service_requests><request><service_request_id>K7QM-3XPR<"), "{body}");
    let (status, body) = call(&state, get("/open311/v2/requests/{document}", "ZZZZ-ZZZZ.xml")).await;
    assert_eq!(status, 404);
    assert!(body.contains("<errors><error><code>404</code>"), "{body}");
}

#[tokio::test]
async fn a_photo_is_served_at_its_stable_url_until_it_is_hidden() {
    use town311::domain::photo::{Photo, Processing};
    let (state, store) = state().await;
    let service = store.service("POTHOLE").await.unwrap().unwrap();
    let (visible, hidden) = ("0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210");
    let mut request = town311::adapters::memory::phone_request("POTHOLE", "1 Main St");
    request.uploads = vec![visible.into(), hidden.into()];
    let at = Utc.with_ymd_and_hms(2026, 11, 22, 14, 30, 0).unwrap();
    let (mut ticket, entry) = Ticket::open(TicketId::parse("K7QM-3XPR").unwrap(), &service, request, at);
    store.create(&ticket, &entry, None, None).await.unwrap();
    for (id, hide) in [(visible, false), (hidden, true)] {
        let photo = Photo {
            id: id.into(),
            key: format!("photos/{id}/full.jpg"),
            thumbnail_key: format!("photos/{id}/thumb.jpg"),
            content_type: "image/jpeg".into(),
            width: 10,
            height: 10,
            hidden: false,
            after: false,
        };
        let (next, entry) = ticket.attach(&Processing::Processed { photo, gps: None }, at).unwrap();
        store.apply(&[(next.clone(), entry)]).await.unwrap();
        ticket = next;
        if hide {
            let action = town311::domain::lifecycle::Action::HidePhoto { photo: id.into(), hidden: true };
            let staff = town311::domain::ticket::Actor::Staff("ana".into());
            let change = ticket.apply(&action, staff, at, Default::default()).unwrap();
            store.apply(std::slice::from_ref(&change)).await.unwrap();
            ticket = change.0;
        }
    }
    let media = |id: &str, query: &str| {
        let mut request = Invocation::new("GET", media::ROUTE, &format!("/open311/v2/media/{id}"))
            .path_parameter("photo", id);
        if !query.is_empty() {
            request = request.query(&format!("size={query}"));
        }
        request.into_request().unwrap()
    };
    let response = handle(&state, media(visible, "")).await.unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], format!("memory://photos/{visible}/full.jpg"));
    let response = handle(&state, media(visible, "thumbnail")).await.unwrap();
    assert_eq!(response.headers()["location"], format!("memory://photos/{visible}/thumb.jpg"));
    assert_eq!(call(&state, media(hidden, "")).await.0, 404, "hidden from the public");
    assert_eq!(call(&state, media("nope", "")).await.0, 404);
    // The record names the visible photo only.
    let (_, body) = call(&state, get("/open311/v2/requests/{document}", "K7QM-3XPR.json")).await;
    let record: Value = serde_json::from_str(&body).unwrap();
    let url = format!("https://311.millbrook.example/open311/v2/media/{visible}");
    assert_eq!(record[0]["media_url"], url.as_str());
}

fn staff_ticket_get(route: &str, path: &str, id: &str, query: &str, groups: &str) -> Request {
    Invocation::new("GET", &format!("GET {route}"), path)
        .path_parameter("id", id)
        .query(query)
        .claims(&[("username", "ana"), ("cognito:groups", groups)])
        .into_request()
        .unwrap()
}

fn listing(document: &str, raw_query: &str) -> Request {
    Invocation::new("GET", "GET /open311/v2/{document}", &format!("/open311/v2/{document}"))
        .path_parameter("document", document)
        .query(raw_query)
        .into_request()
        .unwrap()
}

fn staff_get(route: &str, raw_query: &str) -> Request {
    Invocation::new("GET", &format!("GET {route}"), route)
        .claims(&[("username", "bo"), ("cognito:groups", "[dept-DPW]")])
        .query(raw_query)
        .into_request()
        .unwrap()
}

#[tokio::test]
async fn the_staff_view_shows_a_first_page_of_followers_and_the_followers_route_pages_the_rest() {
    let (state, store) = state().await;
    let ticket = stored_ticket(&store).await;
    for n in 0..120 {
        let contact =
            town311::domain::follower::Contact::choose(None, Some(&format!("f{n}@example.org")), None)
                .unwrap();
        let follower = town311::domain::follower::Follower {
            ticket_id: ticket.id.clone(),
            contact,
            language: Default::default(),
            since: Utc.with_ymd_and_hms(2026, 11, 22, 15, 0, 0).unwrap(),
            via: None,
            // Staff see pending follows too, marked.
            confirmed: n % 2 == 0,
        };
        store.follow(&follower).await.unwrap();
    }
    let id = ticket.id.to_string();
    let view_path = format!("/staff/v1/tickets/{id}");
    let (status, body) =
        call(&state, staff_ticket_get("/staff/v1/tickets/{id}", &view_path, &id, "", "admin")).await;
    assert_eq!(status, 200, "{body}");
    let view: Value = serde_json::from_str(&body).unwrap();
    let mut seen: Vec<String> =
        view["followers"].as_array().unwrap().iter().map(|f| f["contact"]["address"].to_string()).collect();
    assert_eq!(seen.len(), 50);
    let pending = view["followers"].as_array().unwrap().iter().filter(|f| f["confirmed"] == false).count();
    assert!(pending > 0 && pending < 50, "pending followers are listed as such: {pending}");
    let mut next = view["followers_next"].as_str().unwrap().to_owned();

    let route = "/staff/v1/tickets/{id}/followers";
    let path = format!("/staff/v1/tickets/{id}/followers");
    for (limit, expected, more) in [(60, 60, true), (200, 10, false)] {
        let query = format!("after={next}&limit={limit}");
        let (status, body) = call(&state, staff_ticket_get(route, &path, &id, &query, "viewer")).await;
        assert_eq!(status, 200, "{body}");
        let page: Value = serde_json::from_str(&body).unwrap();
        let followers = page["followers"].as_array().unwrap();
        assert_eq!(followers.len(), expected);
        seen.extend(followers.iter().map(|f| f["contact"]["address"].to_string()));
        assert_eq!(page.get("next").is_some(), more, "{body}");
        next = page["next"].as_str().unwrap_or_default().to_owned();
    }
    let total = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!((total, seen.len()), (120, 120), "every follower once");

    for query in ["limit=0", "limit=201", "limit=ten", "after=not-a-cursor"] {
        let (status, body) = call(&state, staff_ticket_get(route, &path, &id, query, "admin")).await;
        assert_eq!(status, 400, "{query}: {body}");
    }
    let (status, _) = call(&state, staff_ticket_get(route, &path, &id, "", "dept-SAN")).await;
    assert_eq!(status, 403, "another department's followers");
    let (status, _) = call(
        &state,
        staff_ticket_get(route, "/staff/v1/tickets/ZZZZ-ZZZZ/followers", "ZZZZ-ZZZZ", "", "admin"),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn dates_past_the_calendar_are_400_lists_naming_the_parameter() {
    let (state, _) = state().await;
    for (document, query, name) in [
        ("requests.json", "end_date=-262143-01-15", "end_date"),
        ("requests.json", "start_date=%2B262142-12-31", "start_date"),
        ("requests.json", "updated_after=%2B262142-12-31T23:59:59", "updated_after"),
        ("requests.json", "updated_before=-262143-01-15", "updated_before"),
        ("servicerequestupdates.json", "start_date=%2B262142-12-31", "start_date"),
        ("servicerequestupdates.json", "end_date=-262143-01-15", "end_date"),
    ] {
        let (status, body) = call(&state, listing(document, query)).await;
        assert_eq!(status, 400, "{query}: {body}");
        let errors: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(errors[0]["code"], 400);
        assert!(errors[0]["description"].as_str().unwrap().starts_with(name), "{body}");
    }
    let (status, body) = call(&state, listing("requests.xml", "end_date=-262143-01-15")).await;
    assert_eq!(status, 400);
    assert!(body.contains("<errors><error><code>400</code><description>end_date"), "{body}");
}

#[tokio::test]
async fn hostile_staff_queue_and_export_parameters_are_400() {
    let (state, _) = state().await;
    for (route, query) in [
        ("/staff/v1/tickets", "updated_since=-262143-01-15"),
        ("/staff/v1/tickets", "updated_since=%2B262142-12-31"),
        ("/staff/v1/tickets", "limit=18446744073709551616"),
        ("/staff/v1/tickets", "limit=-0"),
        ("/staff/v1/tickets", "after=%E2%80%A8%23%FF"),
        ("/staff/v1/tickets", "after=2026-11-22T00:00:00Z"),
        ("/staff/v1/tickets", "status=%F0%9F%92%A5"),
        ("/staff/v1/tickets", "overdue=NaN"),
        ("/staff/v1/tickets", "due=tomorrow"),
        ("/staff/v1/tickets", "age=9-3"),
        ("/staff/v1/tickets", "age=99999-"),
        ("/staff/v1/export.csv", "start_date=%2B262142-12-31"),
        ("/staff/v1/export.csv", "end_date=-262143-01-15"),
    ] {
        let (status, body) = call(&state, staff_get(route, query)).await;
        assert_eq!(status, 400, "{route}?{query}: {body}");
    }
    let (status, _) =
        call(&state, staff_get("/staff/v1/tickets", "after=2026-11-22T00:00:00.000Z%23K7QM-3XPR")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_narrowed_queue_reads_on_until_its_page_is_full_and_next_continues_it() {
    let (state, store) = state().await;
    let service = store.service("POTHOLE").await.unwrap().unwrap();
    let sign = store.service("SIGN").await.unwrap().unwrap();
    // Twelve open tickets an hour apart, every third a sign: the newest updated first are
    // potholes, so a page of two signs takes more than one page of the index.
    let start = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
    let mut signs = Vec::new();
    for n in 0..12u32 {
        let service = if n % 3 == 0 { &sign } else { &service };
        let request = NewRequest {
            service_code: service.code.clone(),
            location: Location::new(None, Some("1 Main St"), None).unwrap(),
            description: None,
            answers: Answers::new(),
            media_urls: vec![],
            reporter: Default::default(),
            channel: Channel::Phone,
            uploads: vec![],
        };
        let id = TicketId::parse(&format!("0000-00{n:02}")).unwrap();
        let (ticket, entry) =
            Ticket::open(id, service, request, start + chrono::Duration::hours(i64::from(n)));
        store.create(&ticket, &entry, None, None).await.unwrap();
        if n % 3 == 0 {
            signs.push(ticket.id.to_string());
        }
    }
    signs.reverse();
    let page = |query: String| {
        let state = &state;
        async move {
            let (status, body) = call(state, staff_get("/staff/v1/tickets", &query)).await;
            assert_eq!(status, 200, "{body}");
            let page: Value = serde_json::from_str(&body).unwrap();
            let ids: Vec<String> = page["tickets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_owned())
                .collect();
            (ids, page["next"].as_str().map(str::to_owned))
        }
    };
    let (first, next) = page("department=DPW&service_code=SIGN&limit=2".into()).await;
    assert_eq!(first, signs[..2]);
    let after = next.expect("more signs follow").replace('#', "%23").replace(':', "%3A");
    let (second, _) = page(format!("department=DPW&service_code=SIGN&limit=2&after={after}")).await;
    assert_eq!(second, signs[2..]);
    // Unnarrowed, a page is one page of the index, as before.
    let (all, _) = page("department=DPW&limit=5".into()).await;
    assert_eq!(all.len(), 5);
    // The age bands count whole days at the clock's now (23 November, noon).
    let (old, _) = page("department=DPW&age=3-&limit=50".into()).await;
    assert_eq!(old.len(), 5, "{old:?}");
}

#[tokio::test]
async fn hostile_nearby_points_and_radii_are_400() {
    let (state, _) = state().await;
    for query in [
        "service_code=POTHOLE&lat=NaN&long=0",
        "service_code=POTHOLE&lat=0&long=inf",
        "service_code=POTHOLE&lat=-inf&long=0",
        "service_code=POTHOLE&lat=1e400&long=0",
        "service_code=POTHOLE&lat=42&long=-72&radius=NaN",
        "service_code=POTHOLE&lat=42&long=-72&radius=4294967296",
        "service_code=POTHOLE&lat=42&long=-72&radius=-0",
    ] {
        let request = Invocation::new("GET", nearby::ROUTE, "/citizen/v1/nearby").query(query).into_request();
        let (status, body) = call(&state, request.unwrap()).await;
        assert_eq!(status, 400, "{query}: {body}");
    }
}

async fn with_addresses(store: &MemoryStore) -> Vec<town311::domain::address::AddressPoint> {
    use town311::domain::address::AddressPoint;
    use town311::ports::Addresses;
    let at = |lat, long| GeoPoint::new(lat, long).unwrap();
    let addresses = vec![
        AddressPoint::new("mb-1", "12 Main Street", None, at(42.2650, -71.8000)).unwrap(),
        AddressPoint::new("mb-2", "14 Main Street", Some("Apt 2"), at(42.2651, -71.8003)).unwrap(),
        AddressPoint::new("mb-3", "3 Oak Street", None, at(42.2700, -71.8100)).unwrap(),
    ];
    store.put_addresses(&addresses).await.unwrap();
    addresses
}

fn citizen_get(route: &str, query: &str) -> Request {
    let path = route.trim_start_matches("GET ");
    Invocation::new("GET", route, path).query(query).into_request().unwrap()
}

#[tokio::test]
async fn addresses_are_suggested_as_they_are_typed() {
    let (state, store) = state().await;
    with_addresses(&store).await;
    let (status, body) = call(&state, citizen_get(addresses::SEARCH_ROUTE, "q=12%20main%20st")).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer["addresses"],
        serde_json::json!([{"id": "mb-1", "address": "12 Main Street", "lat": 42.265, "long": -71.8}])
    );
    let (_, body) = call(&state, citizen_get(addresses::SEARCH_ROUTE, "q=Main")).await;
    let answer: Value = serde_json::from_str(&body).unwrap();
    let lines: Vec<&str> =
        answer["addresses"].as_array().unwrap().iter().map(|a| a["address"].as_str().unwrap()).collect();
    assert_eq!(lines, vec!["12 Main Street", "14 Main Street, Apt 2"]);
    // Two characters are too few to search: an empty list, not an error.
    let (status, body) = call(&state, citizen_get(addresses::SEARCH_ROUTE, "q=12")).await;
    assert_eq!((status, body.as_str()), (200, r#"{"addresses":[]}"#));
}

#[tokio::test]
async fn a_search_without_q_or_with_too_much_of_it_is_400_naming_q() {
    let (state, _) = state().await;
    let long = format!("q={}", "a".repeat(201));
    for query in ["", "q=", long.as_str()] {
        let (status, body) = call(&state, citizen_get(addresses::SEARCH_ROUTE, query)).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.contains("q is"), "{body}");
    }
}

#[tokio::test]
async fn the_address_under_a_pin_is_the_nearest_within_150_m() {
    let (state, store) = state().await;
    with_addresses(&store).await;
    let (status, body) =
        call(&state, citizen_get(addresses::NEAREST_ROUTE, "lat=42.26502&long=-71.80002")).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["address"]["id"], "mb-1");
    assert_eq!(answer["within_m"], 150);
    // A field outside town: no address, and that is an answer, not an error.
    let (status, body) = call(&state, citizen_get(addresses::NEAREST_ROUTE, "lat=42.2&long=-71.7")).await;
    assert_eq!((status, body.as_str()), (200, r#"{"within_m":150,"address":null}"#));
    for query in ["", "lat=42.2", "lat=north&long=-71.7", "lat=42&long=200"] {
        let (status, body) = call(&state, citizen_get(addresses::NEAREST_ROUTE, query)).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.contains("lat") || body.contains("long"), "{body}");
    }
}

#[tokio::test]
async fn an_address_store_that_is_down_is_503_not_a_crash() {
    let (state, store) = state().await;
    *store.down.lock().unwrap() = true;
    let (status, _) = call(&state, citizen_get(addresses::SEARCH_ROUTE, "q=12%20main")).await;
    assert_eq!(status, 503);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// What a query parameter may hold: any unicode, and the extreme values parsers meet.
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            prop::sample::select(vec![
                "NaN",
                "inf",
                "-inf",
                "-0",
                "1e400",
                "18446744073709551616",
                "-262143-01-15",
                "+262142-12-31",
                "+262142-12-31T23:59:59",
                "9999-12-31T23:59:59-23:59",
                "0000-01-01T00:00:00+23:59",
                "2026-11-22T00:00:00Z#K7QM-3XPR",
                "true",
                "open",
                "DPW",
                "POTHOLE",
            ])
            .prop_map(str::to_owned),
        ]
    }

    fn encoded(pairs: &[(&str, String)]) -> String {
        let encode = |text: &str| text.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
        pairs.iter().map(|(name, value)| format!("{name}={}", encode(value))).collect::<Vec<_>>().join("&")
    }

    /// Every route of this function, with the parameters it reads.
    const ROUTES: [(&str, &str, &[&str]); 9] = [
        (
            "GET /open311/v2/{document}",
            "requests.json",
            &["start_date", "end_date", "updated_after", "updated_before", "page", "page_size", "status"],
        ),
        ("GET /open311/v2/{document}", "servicerequestupdates.xml", &["start_date", "end_date"]),
        (
            "GET /staff/v1/tickets",
            "",
            &["limit", "after", "updated_since", "overdue", "status", "department", "state", "assignee"],
        ),
        ("GET /staff/v1/export.csv", "", &["start_date", "end_date"]),
        ("GET /citizen/v1/nearby", "", &["service_code", "lat", "long", "radius"]),
        ("GET /citizen/v1/addresses", "", &["q"]),
        ("GET /citizen/v1/addresses/nearest", "", &["lat", "long"]),
        ("GET /citizen/v1/banner", "", &["lang"]),
        ("GET /staff/v1/templates", "", &["ticket"]),
    ];

    proptest! {
        #[test]
        fn any_query_is_answered_without_a_server_error(
            route in 0..ROUTES.len(),
            values in prop::collection::vec(value(), 8),
            used in 0usize..=8,
        ) {
            let (key, document, names) = ROUTES[route];
            let pairs: Vec<(&str, String)> = names.iter().copied().zip(values).take(used).collect();
            let path = key.trim_start_matches("GET ").replace("{document}", document);
            let mut invocation = Invocation::new("GET", key, &path)
                .claims(&[("username", "bo"), ("cognito:groups", "[dept-DPW]")])
                .query(&encoded(&pairs));
            if !document.is_empty() {
                invocation = invocation.path_parameter("document", document);
            }
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let (status, body) = runtime.block_on(async {
                let (state, _) = state().await;
                call(&state, invocation.into_request().unwrap()).await
            });
            prop_assert!(status < 500, "{key} {pairs:?}: {status} {body}");
        }

        #[test]
        fn any_cursor_is_followed_or_refused(after in any::<String>()) {
            let _ = staff::cursor(&after);
        }
    }
}

/// A ticket of `department` requested `minutes` after the start of 22 November 2026.
async fn exported_ticket(
    store: &MemoryStore,
    n: u32,
    department: &str,
    point: Option<GeoPoint>,
    address: &str,
    description: &str,
) -> Ticket {
    let service = store.service("POTHOLE").await.unwrap().unwrap();
    let reporter =
        Reporter::parse(ReporterInput { email: Some("ana@example.org"), ..Default::default() }).unwrap();
    let request = NewRequest {
        service_code: "POTHOLE".into(),
        location: Location::new(point, Some(address), None).unwrap(),
        description: Description::parse(description).unwrap(),
        answers: Answers::new(),
        media_urls: vec![],
        reporter,
        channel: Channel::Phone,
        uploads: vec![],
    };
    let at = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap() + chrono::Duration::seconds(i64::from(n));
    let id = TicketId::parse(&format!("{:04}-{:04}", n / 10_000, n % 10_000)).unwrap();
    let (ticket, entry) = Ticket::open_in(id, &service, department, request, at);
    store.create(&ticket, &entry, None, None).await.unwrap();
    ticket
}

/// The export as `groups` see it: status, the truncation header, the body.
async fn export_as(state: &State, groups: &str) -> (u16, Option<String>, String) {
    let request = Invocation::new("GET", "GET /staff/v1/export.csv", "/staff/v1/export.csv")
        .claims(&[("username", "bo"), ("cognito:groups", groups)])
        .into_request()
        .unwrap();
    let response = handle(state, request).await.unwrap();
    let truncated = response.headers().get("x-export-truncated").map(|v| v.to_str().unwrap().to_owned());
    let body = std::str::from_utf8(response.body().as_ref()).unwrap().to_owned();
    (response.status().as_u16(), truncated, body)
}

#[tokio::test]
async fn export_guards_typed_text_against_formulas_but_leaves_numbers_numbers() {
    let (state, store) = state().await;
    let point = GeoPoint::new(42.3, -71.8).unwrap();
    exported_ticket(&store, 1, "DPW", Some(point), "=1+1", "-2+3").await;
    let (status, truncated, body) = export_as(&state, "[dept-DPW]").await;
    assert_eq!((status, truncated.as_deref()), (200, Some("false")), "{body}");
    let row = body.lines().nth(1).unwrap();
    assert!(row.ends_with(",'=1+1,42.3,-71.8,'-2+3"), "{row}");
}

#[tokio::test]
async fn a_department_export_is_capped_after_other_departments_are_left_out_and_says_when_cut() {
    let (state, store) = state().await;
    // The department's one ticket is older than a full export of another department's.
    exported_ticket(&store, 0, "DPW", None, "1 Main St", "Deep hole").await;
    for n in 1..=staff::MAX_EXPORT_ROWS as u32 {
        exported_ticket(&store, n, "SAN", None, "2 Elm St", "Bins").await;
    }
    let (status, truncated, body) = export_as(&state, "[dept-DPW]").await;
    assert_eq!((status, truncated.as_deref()), (200, Some("false")));
    let rows: Vec<&str> = body.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{body}");
    assert!(rows[0].starts_with("0000-0000,"), "{body}");

    let (status, truncated, body) = export_as(&state, "[admin]").await;
    assert_eq!((status, truncated.as_deref()), (200, Some("true")));
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 1 + staff::MAX_EXPORT_ROWS + 1);
    assert!(lines[1].starts_with("0001-0000,"), "newest first: {}", lines[1]);
    let last = lines[lines.len() - 1];
    assert!(last.starts_with("# cut at 10000 rows"), "{last}");
    assert_eq!(last.matches(',').count(), 14, "a row as wide as the others: {last}");
}

#[tokio::test]
async fn a_private_services_request_shows_its_status_only_and_is_never_listed() {
    let (state, store) = state().await;
    let service = store.service("HOUSING").await.unwrap().unwrap();
    assert!(service.private);
    let request = NewRequest {
        service_code: "HOUSING".into(),
        location: Location::new(None, Some("14 Elm Street, apt 2"), None).unwrap(),
        description: Description::parse("No heat since Friday").unwrap(),
        answers: Default::default(),
        media_urls: vec![],
        reporter: Reporter::default(),
        channel: Channel::Web,
        uploads: vec![],
    };
    let at = Utc.with_ymd_and_hms(2026, 11, 22, 14, 30, 0).unwrap();
    let (ticket, entry) = Ticket::open(TicketId::parse("P7QM-3XPR").unwrap(), &service, request, at);
    store.create(&ticket, &entry, None, None).await.unwrap();

    let (status, body) = call(&state, get("/open311/v2/requests/{document}", "P7QM-3XPR.json")).await;
    assert_eq!(status, 200);
    let record = &serde_json::from_str::<Value>(&body).unwrap()[0];
    assert_eq!((record["status"].as_str(), record["service_code"].as_str()), (Some("open"), Some("HOUSING")));
    for secret in ["Elm Street", "No heat"] {
        assert!(!body.contains(secret), "{secret} shown: {body}");
    }
    let (_, body) = call(&state, listing("requests.json", "service_code=HOUSING")).await;
    assert_eq!(body, "[]");
    let (_, body) = call(&state, listing("servicerequestupdates.json", "")).await;
    assert!(!body.contains("P7QM-3XPR"), "{body}");
}

#[tokio::test]
async fn staff_read_the_canned_responses_whole_or_filled_in_for_a_ticket() {
    use town311::ports::Templates;
    let (state, store) = state().await;
    let (status, body) = call(&state, staff_get("/staff/v1/templates", "")).await;
    assert_eq!(status, 200, "{body}");
    let none: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((none["version"].as_u64(), none["templates"].as_array().map(Vec::len)), (Some(0), Some(0)));

    let mut demo = town311::domain::canned::demo();
    demo.version = 1;
    store.put_templates(&demo).await.unwrap();
    let response = handle(&state, staff_get("/staff/v1/templates", "")).await.unwrap();
    assert_eq!(response.headers()["etag"], "\"1\"");
    let whole: Value = serde_json::from_slice(response.body().as_ref()).unwrap();
    assert_eq!(whole["templates"].as_array().map(Vec::len), Some(demo.templates.len()));

    let ticket = stored_ticket(&store).await;
    let (status, body) =
        call(&state, staff_get("/staff/v1/templates", &format!("ticket={}", ticket.id))).await;
    assert_eq!(status, 200, "{body}");
    let fitting: Value = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> =
        fitting["templates"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["which-side", "more-photos"],
        "a submitted pothole: neither the crew nor the streetlight's"
    );
    let side = &fitting["templates"][0];
    assert_eq!(side["use"], "message");
    assert!(
        side["message"].as_str().unwrap().starts_with("About request K7QM-3XPR (Pothole): which side"),
        "{side}"
    );
    assert!(side["text"].as_str().unwrap().contains("call Public Works at (555) 010-2100"), "{side}");

    let elsewhere = Invocation::new("GET", "GET /staff/v1/templates", "/staff/v1/templates")
        .claims(&[("username", "cy"), ("cognito:groups", "[dept-PARKS]")])
        .query(&format!("ticket={}", ticket.id))
        .into_request()
        .unwrap();
    assert_eq!(call(&state, elsewhere).await.0, 403, "another department's ticket");
    assert_eq!(call(&state, staff_get("/staff/v1/templates", "ticket=NOPE-NOPE")).await.0, 404);
    let nobody =
        Invocation::new("GET", "GET /staff/v1/templates", "/staff/v1/templates").into_request().unwrap();
    assert_eq!(call(&state, nobody).await.0, 401);
}

fn directory_get(raw_query: &str, groups: &str) -> Request {
    Invocation::new("GET", "GET /staff/v1/directory", "/staff/v1/directory")
        .claims(&[("username", "bo"), ("cognito:groups", groups)])
        .query(raw_query)
        .into_request()
        .unwrap()
}

#[tokio::test]
async fn the_directory_lists_who_works_the_departments_the_caller_reads() {
    let (state, _) = state().await;
    let (status, body) = call(&state, directory_get("", "[dept-DPW]")).await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    let departments = answer["departments"].as_array().unwrap();
    let dpw = departments.iter().find(|d| d["code"] == "DPW").unwrap();
    assert_eq!(dpw["name"], "Public Works");
    assert_eq!(dpw["members"], serde_json::json!([{"username": "ana"}, {"username": "bo"}]));
    let san = departments.iter().find(|d| d["code"] == "SAN").unwrap();
    assert!(san.get("members").is_none(), "a department the clerk does not work: its name only");
    assert_eq!(answer["admins"], serde_json::json!([{"username": "ana"}]));

    let (_, body) = call(&state, directory_get("", "[viewer]")).await;
    let answer: Value = serde_json::from_str(&body).unwrap();
    let san = answer["departments"].as_array().unwrap().iter().find(|d| d["code"] == "SAN").unwrap().clone();
    assert_eq!(san["members"], serde_json::json!([{"username": "sam"}]));

    let (_, body) = call(&state, directory_get("department=DPW", "[admin]")).await;
    let answer: Value = serde_json::from_str(&body).unwrap();
    let listed: Vec<&Value> =
        answer["departments"].as_array().unwrap().iter().filter(|d| d.get("members").is_some()).collect();
    assert_eq!(listed.len(), 1, "one department named: {body}");

    assert_eq!(call(&state, directory_get("department=SAN", "[dept-DPW]")).await.0, 403);
    assert_eq!(call(&state, directory_get("department=NOPE", "[admin]")).await.0, 404);
    let unsigned =
        Invocation::new("GET", "GET /staff/v1/directory", "/staff/v1/directory").into_request().unwrap();
    assert_eq!(call(&state, unsigned).await.0, 401);
}
