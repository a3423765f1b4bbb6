use super::*;
use lambda_runtime::Context;
use serde_json::json;
use town311::memory::RecordingPublisher;

fn ticket_image(id: &str) -> serde_json::Value {
    json!({
        "pk": {"S": format!("TICKET#{id}")}, "sk": {"S": "TICKET"}, "entity": {"S": "ticket"},
        "gsi1pk": {"S": "REQUESTED#2026-11"}, "gsi1sk": {"S": format!("2026-11-22T14:30:00.000Z#{id}")},
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
async fn a_new_ticket_publishes_a_created_event() {
    let publisher = Arc::new(RecordingPublisher::default());
    let state = State { events: publisher.clone() };
    let response =
        handle(&state, batch(vec![record("1", "INSERT", ticket_image("K7QM-3XPR"))])).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    let events = publisher.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_type, EventType::Created);
    assert_eq!(events[0].ticket_id.as_str(), "K7QM-3XPR");
    assert_eq!(events[0].event_id, "K7QM-3XPR/1/created");
    assert_eq!(events[0].department, "DPW");
}

#[tokio::test]
async fn other_items_and_changes_publish_nothing() {
    let publisher = Arc::new(RecordingPublisher::default());
    let state = State { events: publisher.clone() };
    let history = json!({"pk": {"S": "TICKET#K7QM-3XPR"}, "sk": {"S": "HISTORY#0000000001"}, "entity": {"S": "history"},
        "ticket_id": {"S": "K7QM-3XPR"}, "version": {"N": "1"}, "at": {"S": "2026-11-22T14:30:00Z"},
        "actor": {"M": {"kind": {"S": "reporter"}}}, "status": {"S": "submitted"},
        "change": {"M": {"type": {"S": "submitted"}, "channel": {"S": "web"}, "service_code": {"S": "POTHOLE"}, "department": {"S": "DPW"}}},
        "public": {"BOOL": true}});
    let response = handle(
        &state,
        batch(vec![record("1", "INSERT", history), record("2", "MODIFY", ticket_image("K7QM-3XPR"))]),
    )
    .await
    .unwrap();
    assert!(response.batch_item_failures.is_empty());
    assert!(publisher.events().is_empty());
}

#[tokio::test]
async fn a_failure_reports_its_record_and_stops_the_batch() {
    let publisher = Arc::new(RecordingPublisher::default());
    *publisher.down.lock().unwrap() = true;
    let state = State { events: publisher.clone() };
    let records = vec![
        record("7", "INSERT", ticket_image("K7QM-3XPR")),
        record("8", "INSERT", ticket_image("AAAA-BBBB")),
    ];
    let response = handle(&state, batch(records)).await.unwrap();
    let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    assert_eq!(failed, vec![Some("7".to_owned())]);
}

#[tokio::test]
async fn an_unreadable_ticket_image_is_reported_not_skipped() {
    let publisher = Arc::new(RecordingPublisher::default());
    let state = State { events: publisher.clone() };
    let mut image = ticket_image("K7QM-3XPR");
    image["status"] = json!({"S": "exploded"});
    let response = handle(&state, batch(vec![record("3", "INSERT", image)])).await.unwrap();
    assert_eq!(response.batch_item_failures.len(), 1);
}
