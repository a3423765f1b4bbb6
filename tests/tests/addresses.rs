//! The town's address points on the local stack, over HTTP: a report given only an address
//! (as a caller gives it, or as the form sends a chosen suggestion) comes back with the point
//! of that address and is routed by its ward; the form's suggestions and the address under a
//! pin answer as documented; an address the town does not know is still accepted, without a
//! point.

use serde_json::Value;
use town311::domain::address::AddressPoint;
use town311::domain::address::file::AddressFile;
use town311_tests::{TestStack, spawn_addressed};

/// The demo town's address with this id, as the stack loaded it.
fn seed(id: &str) -> AddressPoint {
    let file =
        AddressFile::parse(include_str!("../../infra/seed/addresses.csv")).expect("the seed file reads");
    file.addresses.into_iter().find(|a| a.id == id).unwrap_or_else(|| panic!("no seed address {id}"))
}

async fn pothole(stack: &TestStack, location: &[(&str, &str)]) -> String {
    let mut fields = vec![("service_code", "POTHOLE"), ("attribute[SIZE]", "large")];
    fields.extend_from_slice(location);
    let answer = stack.post_form("/open311/v2/requests.json", &fields).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()[0]["service_request_id"].as_str().expect("a ticket number").to_owned()
}

async fn public(stack: &TestStack, id: &str) -> Value {
    let answer = stack.get(&format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()[0].clone()
}

#[tokio::test]
async fn an_address_only_report_takes_the_point_of_that_address_and_is_routed_by_its_ward() {
    let stack = spawn_addressed().await;
    // 12 Oak Street is in ward 1, whose potholes go to Ana; the caller says "St".
    let oak = seed("MB-0084");
    assert_eq!(oak.label(), "12 Oak Street");
    let id = pothole(&stack, &[("address_string", "12 Oak St")]).await;
    let record = public(&stack, &id).await;
    assert_eq!(
        (record["lat"].as_f64(), record["long"].as_f64()),
        (Some(oak.point.lat()), Some(oak.point.long()))
    );
    assert_eq!(record["address"], "12 Oak St", "the address as given");
    let view = stack.ticket_when(&id, |t| t["ticket"]["assignee"] == "ana").await;
    assert_eq!(view["history"][1]["change"]["rule"], "potholes-ward-1");

    // A suggestion chosen on the form comes as its id: 1 Water Street, ward 3, Carla's.
    let water = seed("MB-0311");
    let id = pothole(&stack, &[("address_id", "MB-0311"), ("address_string", "1 Water Street")]).await;
    let record = public(&stack, &id).await;
    assert_eq!(
        (record["lat"].as_f64(), record["long"].as_f64()),
        (Some(water.point.lat()), Some(water.point.long()))
    );
    let view = stack.ticket_when(&id, |t| t["ticket"]["assignee"] == "carla").await;
    assert_eq!(view["history"][1]["change"]["rule"], "potholes-ward-3");

    // An address the town does not know: accepted as it is, with no point and no area rule.
    let id = pothole(&stack, &[("address_string", "999 Nowhere Lane")]).await;
    let record = public(&stack, &id).await;
    assert!(record.get("lat").is_none_or(Value::is_null), "{record}");
    assert_eq!(record["address"], "999 Nowhere Lane");
    let view = stack.ticket_when(&id, |t| t["ticket"]["version"] == 1).await;
    assert!(view["ticket"]["assignee"].is_null(), "{view}");
}

#[tokio::test]
async fn suggestions_and_the_address_under_a_pin_answer_over_http() {
    let stack = spawn_addressed().await;
    let answer = stack.get("/citizen/v1/addresses?q=12%20oak%20st").await;
    assert_eq!(
        (answer.status, answer.content_type.starts_with("application/json")),
        (200, true),
        "{}",
        answer.body
    );
    let oak = seed("MB-0084");
    assert_eq!(
        answer.json()["addresses"],
        serde_json::json!([{"id": "MB-0084", "address": "12 Oak Street", "lat": oak.point.lat(), "long": oak.point.long()}])
    );
    // The street alone: a bounded few, Oak Street's, in order.
    let found = stack.get("/citizen/v1/addresses?q=Oak%20Street").await.json();
    let lines: Vec<&str> =
        found["addresses"].as_array().unwrap().iter().filter_map(|a| a["address"].as_str()).collect();
    assert_eq!(lines.len(), 10, "{lines:?}");
    assert!(lines.iter().all(|l| l.ends_with(" Oak Street")), "{lines:?}");
    assert_eq!(lines[..3], ["1 Oak Street", "10 Oak Street", "11 Oak Street"]);
    let short = stack.get("/citizen/v1/addresses?q=12").await;
    assert_eq!((short.status, short.json()), (200, serde_json::json!({"addresses": []})));
    let missing = stack.get("/citizen/v1/addresses").await;
    assert_eq!(missing.status, 400);
    assert!(missing.body.contains("q is required"), "{}", missing.body);

    // A pin dropped a few metres from 12 Oak Street.
    let pin =
        format!("/citizen/v1/addresses/nearest?lat={}&long={}", oak.point.lat() + 0.00003, oak.point.long());
    let nearest = stack.get(&pin).await;
    assert_eq!(nearest.status, 200, "{}", nearest.body);
    assert_eq!(nearest.json()["address"]["id"], "MB-0084");
    let nowhere = stack.get("/citizen/v1/addresses/nearest?lat=42.2&long=-71.6").await;
    assert_eq!(
        (nowhere.status, nowhere.json()),
        (200, serde_json::json!({"within_m": 150, "address": null}))
    );
    let bad = stack.get("/citizen/v1/addresses/nearest?lat=north&long=-71.8").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("lat"), "{}", bad.body);
}

/// Registers places in the emulator's stand-in for an Amazon Location place index.
async fn place_index(name: &str, places: Value) {
    let emulator = std::env::var("EMULATOR_URL").expect("EMULATOR_URL");
    let response = reqwest::Client::new()
        .post(format!("{emulator}/_town311/places"))
        .json(&serde_json::json!({"index": name, "places": places}))
        .send()
        .await
        .expect("the emulator answers");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn with_address_source_location_the_place_index_suggests_places_and_locates_reports() {
    let index = format!("millbrook-{}", std::process::id());
    place_index(
        &index,
        serde_json::json!([
            {"PlaceId": "place-12-elm", "Label": "12 Elm St, Millbrook, MA, USA", "AddressNumber": "12",
             "Street": "Elm St", "Point": [-71.7950, 42.2500]},
            {"PlaceId": "place-14-elm", "Label": "14 Elm St, Millbrook, MA, USA", "AddressNumber": "14",
             "Street": "Elm St", "Point": [-71.7940, 42.2501]},
            {"Label": "Town Common, Millbrook, MA, USA", "Point": [-71.8020, 42.2630]}
        ]),
    )
    .await;
    let stack = town311_tests::spawn_with(&[("AddressSource", "location"), ("PlaceIndexName", &index)]).await;

    let found = stack.get("/citizen/v1/addresses?q=12%20elm").await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(
        found.json()["addresses"],
        serde_json::json!([{"id": "place-12-elm", "address": "12 Elm St", "lat": 42.25, "long": -71.795}])
    );
    let nearest = stack.get("/citizen/v1/addresses/nearest?lat=42.26302&long=-71.80201").await.json();
    assert_eq!(nearest["address"]["address"], "Town Common, Millbrook, MA, USA");
    assert_eq!(nearest["address"]["id"], "town-common-millbrook-ma-usa", "no place id: one from the text");
    let far = stack.get("/citizen/v1/addresses/nearest?lat=42.30&long=-71.70").await.json();
    assert!(far["address"].is_null(), "{far}");

    // A report by the place's id, and one by its words: both placed by the index.
    let by_id = pothole(&stack, &[("address_id", "place-14-elm"), ("address_string", "14 Elm St")]).await;
    let record = public(&stack, &by_id).await;
    assert_eq!((record["lat"].as_f64(), record["long"].as_f64()), (Some(42.2501), Some(-71.794)));
    let by_text = pothole(&stack, &[("address_string", "12 Elm St, Millbrook")]).await;
    let record = public(&stack, &by_text).await;
    assert_eq!((record["lat"].as_f64(), record["long"].as_f64()), (Some(42.25), Some(-71.795)));
    // An id the index does not know falls back to the words.
    let stale = pothole(&stack, &[("address_id", "gone"), ("address_string", "14 Elm")]).await;
    assert_eq!(public(&stack, &stale).await["lat"].as_f64(), Some(42.2501));
}
