//! Redaction and hiding over HTTP against the local stack: staff replace a description and a
//! public note, or take a whole request off the public lists, and no public route shows the
//! removed words again, in JSON or XML, while staff see why (and the original, unless it was
//! personal data).

use reqwest::Method;
use serde_json::{Value, json};
use town311_tests::{TestStack, spawn};

const PHONE_IN_TEXT: &str = "555-867-5309";
const NOTE: &str = "Crew lead Marta Velasquez will look Tuesday";

/// Files a pothole with `description` at a place of its own (so routing flags no duplicate).
async fn pothole(stack: &TestStack, description: &str) -> (String, String) {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let lat = format!("{:.4}", 42.3 + f64::from(n) * 0.01);
    let answer = stack
        .post_form(
            "/open311/v2/requests.json",
            &[
                ("service_code", "POTHOLE"),
                ("attribute[SIZE]", "large"),
                ("lat", &lat),
                ("long", "-72.6"),
                ("description", description),
                ("email", "someone@example.org"),
            ],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    (answer.json()[0]["service_request_id"].as_str().unwrap().to_owned(), lat)
}

/// Every public route that could carry the request's words or show it at all.
fn public_paths(id: &str, lat: &str, window: &str) -> Vec<String> {
    vec![
        format!("/open311/v2/requests/{id}.json"),
        format!("/open311/v2/requests/{id}.xml"),
        format!("/open311/v2/requests/{id}.json?extensions=true"),
        format!("/open311/v2/requests/{id}.xml?extensions=true"),
        "/open311/v2/requests.json".to_owned(),
        "/open311/v2/requests.xml".to_owned(),
        "/open311/v2/requests.json?extensions=true".to_owned(),
        "/open311/v2/requests.xml?extensions=true".to_owned(),
        format!("/open311/v2/requests.json?service_request_id={id}&extensions=true"),
        format!("/open311/v2/requests.xml?service_request_id={id}&extensions=true"),
        format!("/open311/v2/servicerequestupdates.json?{window}"),
        format!("/open311/v2/servicerequestupdates.xml?{window}"),
        map(lat),
        format!("/citizen/v1/nearby?service_code=POTHOLE&lat={lat}&long=-72.6&radius=250"),
        format!("/status?id={id}"),
    ]
}

/// The public map around the request.
fn map(lat: &str) -> String {
    let lat: f64 = lat.parse().unwrap();
    format!("/citizen/v1/map?bbox=-72.61,{:.3},-72.59,{:.3}", lat - 0.01, lat + 0.01)
}

fn window() -> String {
    format!("start_date={}", (chrono::Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"))
}

async fn staff_view(stack: &TestStack, id: &str) -> Value {
    stack.ticket_when(id, |_| true).await
}

#[tokio::test]
async fn redacted_words_leave_every_public_route_and_staff_keep_only_what_they_may() {
    let stack = spawn().await;
    let description = format!("Deep hole, call me on {PHONE_IN_TEXT} any time");
    let (id, lat) = pothole(&stack, &description).await;
    stack.act(&id, json!({"action": "note", "text": NOTE, "public": true})).await;
    let window = window();
    let record = stack.get(&format!("/open311/v2/requests/{id}.json?extensions=true")).await.body;
    assert!(record.contains(PHONE_IN_TEXT) && record.contains(NOTE), "public before: {record}");
    let view = staff_view(&stack, &id).await;
    let note_entry = view["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["change"]["type"] == "noted")
        .and_then(|e| e["version"].as_u64())
        .expect("the note's entry");

    // A viewer may read but not redact.
    let viewer = stack.token("vi", &["viewer"]).await;
    let refused = stack
        .staff(
            Method::POST,
            &format!("/staff/v1/tickets/{id}/actions"),
            Some(&viewer),
            &[],
            Some(json!({"action": "redact", "target": "description", "reason": "personal_data",
                "version": view["ticket"]["version"]})),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    // A wrong reason is named.
    let admin = stack.token("ada", &["admin"]).await;
    let bad = stack
        .staff(
            Method::POST,
            &format!("/staff/v1/tickets/{id}/actions"),
            Some(&admin),
            &[],
            Some(json!({"action": "redact", "target": "description", "reason": "because",
                "version": view["ticket"]["version"]})),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("reason"), "{}", bad.body);

    stack
        .act(
            &id,
            json!({"action": "redact", "target": "description", "reason": "personal_data",
                "detail": "the reporter's own number"}),
        )
        .await;
    stack
        .act(
            &id,
            json!({"action": "redact", "target": "note", "entry": note_entry, "reason": "other",
                "text": "Note withdrawn", "detail": "names a crew member"}),
        )
        .await;

    for path in public_paths(&id, &lat, &window) {
        let answer = stack.get(&path).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        for gone in [PHONE_IN_TEXT, "Marta", "Velasquez"] {
            assert!(!answer.body.contains(gone), "{gone} still shows through {path}: {}", answer.body);
        }
    }
    let record = stack.get(&format!("/open311/v2/requests/{id}.json?extensions=true")).await.json();
    assert_eq!(record[0]["description"], "[removed by staff]");
    assert_eq!(record[0]["status_notes"], "Note withdrawn");
    let xml = stack.get(&format!("/open311/v2/requests/{id}.xml?extensions=true")).await.body;
    assert!(xml.contains("Note withdrawn") && xml.contains("[removed by staff]"), "{xml}");
    let updates = stack.get(&format!("/open311/v2/servicerequestupdates.json?{window}")).await.body;
    assert!(updates.contains("Note withdrawn"), "the feed shows the note's new words: {updates}");

    let view = staff_view(&stack, &id).await;
    let staff = view.to_string();
    assert!(!staff.contains(PHONE_IN_TEXT), "personal data is dropped, for staff too: {staff}");
    assert!(staff.contains(NOTE), "staff keep the original of a note redacted for another reason");
    let redactions: Vec<&Value> =
        view["history"].as_array().unwrap().iter().filter(|e| e["change"]["type"] == "redacted").collect();
    assert_eq!(redactions.len(), 2, "{view}");
    assert_eq!(redactions[0]["change"]["reason"], "personal_data");
    assert_eq!(redactions[0]["change"]["detail"], "the reporter's own number");
    assert_eq!(redactions[0]["change"].get("original"), None);
    assert_eq!(redactions[0]["actor"]["name"], "ada");
    assert_eq!(redactions[0]["public"], false);
    assert_eq!(redactions[1]["change"]["reason"], "other");
    assert_eq!(redactions[1]["change"]["original"], NOTE);
    assert_eq!(redactions[1]["change"]["entry"], note_entry);
}

#[tokio::test]
async fn a_hidden_request_leaves_every_public_list_and_shows_its_status_only() {
    let stack = spawn().await;
    let words = "Offensive words about the neighbours at number nine";
    let (id, lat) = pothole(&stack, words).await;
    stack.act(&id, json!({"action": "note", "text": "Crew sent out today", "public": true})).await;
    let window = window();
    let updates = stack.get(&format!("/open311/v2/servicerequestupdates.json?{window}")).await.body;
    assert!(updates.contains(&id), "in the feed before: {updates}");
    // Routing and the stream settle first, so the map and nearby lists hold it.
    stack.ticket_when(&id, |v| v["history"].as_array().is_some_and(|h| h.len() >= 2)).await;
    assert!(stack.get(&map(&lat)).await.body.contains(&id), "on the map before");
    let nearby = format!("/citizen/v1/nearby?service_code=POTHOLE&lat={lat}&long=-72.6&radius=250");
    assert!(stack.get(&nearby).await.body.contains(&id), "nearby before");

    stack.act(&id, json!({"action": "hide", "reason": "offensive", "detail": "slurs"})).await;

    for path in public_paths(&id, &lat, &window) {
        let answer = stack.get(&path).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        assert!(
            !answer.body.contains(words) && !answer.body.contains("Crew sent out"),
            "{path}: {}",
            answer.body
        );
        let listed = !path.contains(&id) && !path.starts_with("/status");
        if listed {
            assert!(!answer.body.contains(&id), "{id} still listed by {path}: {}", answer.body);
        }
    }
    let record = stack.get(&format!("/open311/v2/requests/{id}.json?extensions=true")).await.json();
    assert_eq!(record[0]["service_request_id"], id.as_str());
    assert_eq!(record[0]["status"], "open", "a lookup shows the status: {record}");
    assert_eq!(record[0]["description"], Value::Null, "and nothing else: {record}");
    assert_eq!(record[0]["lat"], Value::Null, "{record}");

    let view = staff_view(&stack, &id).await;
    assert_eq!(view["ticket"]["hidden"], json!({"reason": "offensive", "detail": "slurs"}));
    assert!(view.to_string().contains(words), "staff still read it");
    let hidden = view["history"].as_array().unwrap().iter().find(|e| e["change"]["type"] == "request_hidden");
    let hidden = hidden.expect("the hiding is in the history");
    assert_eq!((hidden["actor"]["name"].as_str(), hidden["public"].as_bool()), (Some("ada"), Some(false)));

    stack.act(&id, json!({"action": "unhide"})).await;
    let updates = stack.get(&format!("/open311/v2/servicerequestupdates.json?{window}")).await.body;
    assert!(updates.contains(&id), "back in the feed: {updates}");
    let record = stack.get(&format!("/open311/v2/requests/{id}.json")).await.json();
    assert_eq!(record[0]["description"], words);
}
