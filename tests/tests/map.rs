//! The public map on the local stack: requests filed over HTTP inside and outside a box, a
//! private one, one closed long ago and one closed lately; `GET /citizen/v1/map` must hold
//! exactly the open public ones in the box and the recently closed, with nothing personal; a bad
//! or too wide box is refused naming `bbox`. Requests stored before the map existed are put on it
//! by `town311-admin map reindex`.

use chrono::{Duration, TimeZone, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use town311::runtime::clock::FixedClock;
use town311_tests::{TestStack, spawn_at};

const ADMIN: (&str, &[&str]) = ("ada", &["admin"]);
/// The box the map is asked about: about 5.7 km by 6.7 km around the demo town's centre.
const BBOX: &str = "-71.84,42.24,-71.77,42.30";

async fn file(stack: &TestStack, service: &str, lat: f64, long: f64) -> String {
    let (lat, long) = (lat.to_string(), long.to_string());
    let mut fields = vec![
        ("service_code", service),
        ("lat", lat.as_str()),
        ("long", long.as_str()),
        ("address_string", "12 Elm Street"),
        ("description", "Deep crater next to Ana's driveway"),
        ("first_name", "Ana"),
        ("email", "ana.map@example.org"),
        ("phone", "5550101234"),
    ];
    match service {
        "POTHOLE" => fields.push(("attribute[SIZE]", "large")),
        "HOUSING" => fields.push(("attribute[PROBLEM][]", "no_heat")),
        _ => {}
    }
    let answer = stack.post_form("/open311/v2/requests.json", &fields).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()[0]["service_request_id"].as_str().unwrap().to_owned()
}

async fn close(stack: &TestStack, id: &str) {
    let token = stack.token(ADMIN.0, ADMIN.1).await;
    let path = format!("/staff/v1/tickets/{id}/actions");
    for _ in 0..5 {
        let view = stack.ticket_when(id, |_| true).await;
        let action = json!({
            "action": "set_status", "status": "closed", "resolution": "fixed",
            "version": view["ticket"]["version"].clone(),
        });
        let answer = stack.staff(Method::POST, &path, Some(&token), &[], Some(action)).await;
        match answer.status {
            200 => return,
            412 => continue,
            other => panic!("{other}: {}", answer.body),
        }
    }
    panic!("the ticket kept changing");
}

async fn map(stack: &TestStack, bbox: &str) -> (Value, BTreeSet<String>) {
    let answer = stack.get(&format!("/citizen/v1/map?bbox={bbox}")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/geo+json"), "{}", answer.content_type);
    let map = answer.json();
    let ids =
        map["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect();
    (map, ids)
}

#[tokio::test]
async fn the_map_shows_the_open_and_recently_closed_public_requests_in_view() {
    let now = Utc.with_ymd_and_hms(2026, 11, 2, 15, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::at(now - Duration::days(90)));
    let stack = spawn_at(clock.clone()).await;

    // Ninety days ago: one filed and closed the same week, one filed and left open.
    let closed_long_ago = file(&stack, "POTHOLE", 42.2651, -71.8051).await;
    let open_for_long = file(&stack, "SIGN", 42.2702, -71.8103).await;
    clock.set(now - Duration::days(85));
    close(&stack, &closed_long_ago).await;

    // Lately: open ones inside the box, one just outside each side, a private one inside, one
    // without a place, and one closed two days ago.
    clock.set(now - Duration::days(3));
    let inside = [
        file(&stack, "POTHOLE", 42.2500, -71.8300).await,
        file(&stack, "DRAIN", 42.2990, -71.7710).await,
        file(&stack, "POTHOLE", 42.2655, -71.8055).await,
    ];
    let closed_lately = file(&stack, "DRAIN", 42.2600, -71.8000).await;
    let outside = [
        file(&stack, "POTHOLE", 42.2350, -71.8000).await,
        file(&stack, "POTHOLE", 42.3050, -71.8000).await,
        file(&stack, "POTHOLE", 42.2600, -71.8450).await,
        file(&stack, "POTHOLE", 42.2600, -71.7650).await,
    ];
    let private = file(&stack, "HOUSING", 42.2660, -71.8060).await;
    clock.set(now - Duration::days(2));
    close(&stack, &closed_lately).await;
    clock.set(now);

    let (answer, ids) = map(&stack, BBOX).await;
    let mut expected: BTreeSet<String> = inside.iter().cloned().collect();
    expected.insert(open_for_long.clone());
    expected.insert(closed_lately.clone());
    assert_eq!(ids, expected, "open public ones in view and the recently closed: {answer}");
    assert!(!ids.contains(&private) && !ids.contains(&closed_long_ago));
    assert!(outside.iter().all(|id| !ids.contains(id)));
    assert_eq!(answer["type"], "FeatureCollection");
    assert_eq!(answer["truncated"], false);

    let text = answer.to_string();
    for personal in ["Ana", "ana.map", "555", "Elm", "crater", "driveway"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    for feature in answer["features"].as_array().unwrap() {
        let mut names: Vec<&str> =
            feature["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["id", "requested_datetime", "service_code", "service_name", "status"]);
        let status = feature["properties"]["status"].as_str().unwrap();
        let id = feature["id"].as_str().unwrap();
        assert_eq!(status == "closed", id == closed_lately, "{feature}");
        let [long, lat] = [0, 1].map(|i| feature["geometry"]["coordinates"][i].as_f64().unwrap());
        assert!((42.24..=42.30).contains(&lat) && (-71.84..=-71.77).contains(&long), "{feature}");
    }
    // Open ones first.
    let last = answer["features"].as_array().unwrap().last().unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(last, closed_lately);

    // A month after it was closed, the lately closed one is gone too.
    clock.set(now + Duration::days(29));
    let (_, ids) = map(&stack, BBOX).await;
    expected.remove(&closed_lately);
    assert_eq!(ids, expected);
    clock.set(now);

    // A box that holds one point only.
    let (_, ids) = map(&stack, "-71.8300,42.2500,-71.8300,42.2500").await;
    assert_eq!(ids, BTreeSet::from([inside[0].clone()]));

    for (bbox, why) in [
        ("", "required"),
        ("-71.84,42.24,-71.77", "four numbers"),
        ("-71.77,42.24,-71.84,42.30", "out of range"),
        ("-71.84,42.24,-71.77,95", "out of range"),
        ("-73,41,-70,43", "too wide"),
    ] {
        let answer = stack.get(&format!("/citizen/v1/map?bbox={bbox}")).await;
        assert_eq!(answer.status, 400, "{bbox}: {}", answer.body);
        let description = answer.json()[0]["description"].as_str().unwrap_or_default().to_owned();
        assert!(description.starts_with("bbox ") && description.contains(why), "{bbox}: {description}");
    }
}

#[tokio::test]
async fn requests_stored_before_the_map_are_put_on_it_by_reindex() {
    let now = Utc.with_ymd_and_hms(2026, 11, 2, 15, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::at(now - Duration::days(40)));
    let stack = spawn_at(clock.clone()).await;
    let old = file(&stack, "POTHOLE", 42.2651, -71.8051).await;
    clock.set(now);
    let fresh = file(&stack, "DRAIN", 42.2652, -71.8052).await;

    // As an item written before the map index was: without its keys.
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.stack.sdk);
    let table = stack.stack.config.table_name.clone();
    dynamo
        .update_item()
        .table_name(&table)
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("TICKET#{old}")))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("TICKET".into()))
        .update_expression("REMOVE gsi7pk, gsi7sk, pin")
        .send()
        .await
        .unwrap();
    let (_, ids) = map(&stack, BBOX).await;
    assert_eq!(ids, BTreeSet::from([fresh.clone()]), "the old one is not on the map yet");

    let store = town311::adapters::aws::DynamoTable::new(&stack.stack.sdk, &stack.stack.config);
    let done = town311_ops::map::reindex(&store, now - Duration::days(365), now).await.unwrap();
    assert_eq!((done.read, done.written, done.changed_meanwhile), (2, 2, 0));
    let (_, ids) = map(&stack, BBOX).await;
    assert_eq!(ids, BTreeSet::from([old.clone(), fresh.clone()]));
    let staff = stack.ticket_when(&old, |_| true).await;
    assert_eq!(staff["ticket"]["status"], "submitted", "written again as it was");
}
