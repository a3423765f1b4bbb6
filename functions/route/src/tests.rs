use super::*;
use lambda_runtime::Context;
use serde_json::json;
use town311::events::EventType;
use town311::memory::RecordingPublisher;

fn history_image(id: &str, version: u64, change: serde_json::Value, public: bool) -> serde_json::Value {
    json!({
        "pk": {"S": format!("TICKET#{id}")}, "sk": {"S": format!("HISTORY#{version:010}")}, "entity": {"S": "history"},
        "ticket_id": {"S": id}, "version": {"N": version.to_string()}, "at": {"S": "2026-11-22T14:30:00Z"},
        "actor": {"M": {"kind": {"S": "reporter"}}}, "status": {"S": "submitted"},
        "service_code": {"S": "POTHOLE"}, "department": {"S": "DPW"},
        "change": change, "public": {"BOOL": public}
    })
}

fn submitted() -> serde_json::Value {
    json!({"M": {"type": {"S": "submitted"}, "channel": {"S": "web"}, "service_code": {"S": "POTHOLE"}, "department": {"S": "DPW"}}})
}

fn ticket_image(id: &str) -> serde_json::Value {
    json!({
        "pk": {"S": format!("TICKET#{id}")}, "sk": {"S": "TICKET"}, "entity": {"S": "ticket"},
        "id": {"S": id}, "service_code": {"S": "POTHOLE"}, "service_name": {"S": "Pothole"},
        "department": {"S": "DPW"}, "status": {"S": "submitted"},
        "location": {"M": {"address": {"S": "1 Main St"}}},
        "reporter": {"M": {}}, "channel": {"S": "open311"},
        "requested_at": {"S": "2026-11-22T14:30:00Z"}, "updated_at": {"S": "2026-11-22T14:30:00Z"},
        "version": {"N": "1"}
    })
}

fn record(sequence: &str, name: &str, image: serde_json::Value) -> serde_json::Value {
    json!({
        "eventID": format!("e{sequence}"), "eventName": name, "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
        "dynamodb": {"Keys": {}, "NewImage": image, "SequenceNumber": sequence, "SizeBytes": 1,
                     "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x"
    })
}

fn batch(records: Vec<serde_json::Value>) -> LambdaEvent<Event> {
    let event: Event = serde_json::from_value(json!({ "Records": records })).unwrap();
    LambdaEvent::new(event, Context::default())
}

#[tokio::test]
async fn a_submitted_entry_publishes_a_created_event() {
    let publisher = Arc::new(RecordingPublisher::default());
    let state = State { events: publisher.clone() };
    let records = vec![
        record("1", "INSERT", ticket_image("K7QM-3XPR")),
        record("2", "INSERT", history_image("K7QM-3XPR", 1, submitted(), true)),
    ];
    let response = handle(&state, batch(records)).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    let events = publisher.events();
    assert_eq!(events.len(), 1, "one event per change, not per item written");
    assert_eq!(events[0].event_type, EventType::Created);
    assert_eq!(events[0].event_id, "K7QM-3XPR/1/created");
    assert_eq!((events[0].department.as_str(), events[0].service_code.as_str()), ("DPW", "POTHOLE"));
    assert!(events[0].public);
}

#[tokio::test]
async fn every_change_becomes_its_event_without_its_text() {
    let publisher = Arc::new(RecordingPublisher::default());
    let state = State { events: publisher.clone() };
    let closed = json!({"M": {"type": {"S": "status_changed"}, "from": {"S": "in_progress"}, "to": {"S": "closed"}, "resolution": {"S": "fixed"}}});
    let internal = json!({"M": {"type": {"S": "noted"}, "text": {"S": "caller was rude"}}});
    let records = vec![
        record("3", "INSERT", history_image("K7QM-3XPR", 2, internal, false)),
        record("4", "INSERT", history_image("K7QM-3XPR", 3, closed, true)),
        record("5", "MODIFY", ticket_image("K7QM-3XPR")),
    ];
    assert!(handle(&state, batch(records)).await.unwrap().batch_item_failures.is_empty());
    let events = publisher.events();
    let kinds: Vec<EventType> = events.iter().map(|e| e.event_type).collect();
    assert_eq!(kinds, vec![EventType::InternalNote, EventType::Closed]);
    assert!(!events[0].public);
    assert!(!serde_json::to_string(&events).unwrap().contains("rude"));
}

#[tokio::test]
async fn a_failure_reports_its_record_and_stops_the_batch() {
    let publisher = Arc::new(RecordingPublisher::default());
    *publisher.down.lock().unwrap() = true;
    let state = State { events: publisher.clone() };
    let records = vec![
        record("7", "INSERT", history_image("K7QM-3XPR", 1, submitted(), true)),
        record("8", "INSERT", history_image("AAAA-BBBB", 1, submitted(), true)),
    ];
    let response = handle(&state, batch(records)).await.unwrap();
    let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    assert_eq!(failed, vec![Some("7".to_owned())]);
}

#[tokio::test]
async fn an_unreadable_entry_is_reported_not_skipped() {
    let publisher = Arc::new(RecordingPublisher::default());
    let state = State { events: publisher.clone() };
    let mut image = history_image("K7QM-3XPR", 1, submitted(), true);
    image["status"] = json!({"S": "exploded"});
    let response = handle(&state, batch(vec![record("3", "INSERT", image)])).await.unwrap();
    assert_eq!(response.batch_item_failures.len(), 1);
    assert!(publisher.events().is_empty());
}
