//! Submissions while DynamoDB is unavailable, over HTTP against the local stack: the citizen's
//! app is told to come back (503, `Retry-After`, an Open311 error list in its format), and its
//! retry with the same `Idempotency-Key` makes exactly one ticket. The emulator answers 503 to
//! every DynamoDB request naming the stack's table while the fault is set.

use reqwest::Method;
use serde_json::{Value, json};
use town311_tests::{TestStack, fault, spawn};

const FIELDS: [(&str, &str); 4] = [
    ("service_code", "POTHOLE"),
    ("attribute[SIZE]", "large"),
    ("address_string", "12 Elm St"),
    ("description", "Deep hole"),
];

/// The answer to an Open311 POST with an `Idempotency-Key`: status, `Retry-After`, body.
async fn submit(
    stack: &TestStack,
    document: &str,
    key: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let response = stack
        .client
        .post(stack.url(&format!("/open311/v2/{document}")))
        .header("idempotency-key", key)
        .form(fields)
        .send()
        .await
        .expect("answered");
    let status = response.status().as_u16();
    let retry_after =
        response.headers().get("retry-after").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, retry_after, response.text().await.unwrap_or_default())
}

fn ticket_id(body: &str) -> String {
    let created: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    created[0]["service_request_id"].as_str().unwrap_or_else(|| panic!("no id: {body}")).to_owned()
}

#[tokio::test]
async fn a_submission_during_a_table_outage_is_told_to_retry_and_its_retry_makes_one_ticket() {
    let stack = spawn().await;
    let table = stack.stack.provisioned.table.clone();
    let clerk = stack.token("ada", &["admin"]).await;
    let entry = json!({"service_code": "SIGN", "address_string": "5 Elm St", "channel": "phone"});

    fault("dynamodb", &table, true).await;
    let json_answer = submit(&stack, "requests.json", "outage-1", &FIELDS).await;
    let xml_answer = submit(&stack, "requests.xml", "outage-2", &FIELDS).await;
    let staff_answer = stack
        .client
        .request(Method::POST, stack.url("/staff/v1/tickets"))
        .bearer_auth(&clerk)
        .header("idempotency-key", "outage-3")
        .header("content-type", "application/json")
        .body(entry.to_string())
        .send()
        .await
        .expect("answered");
    let staff_status = staff_answer.status().as_u16();
    let staff_retry = staff_answer.headers().get("retry-after").cloned();
    fault("dynamodb", &table, false).await;

    let (status, retry_after, body) = json_answer;
    assert_eq!((status, retry_after.as_str()), (503, "5"), "{body}");
    let errors: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    assert_eq!(errors[0]["code"], 503, "{body}");
    assert!(!errors[0]["description"].as_str().unwrap_or_default().is_empty());
    let (status, retry_after, body) = xml_answer;
    assert_eq!((status, retry_after.as_str()), (503, "5"), "{body}");
    assert!(body.contains("<errors><error><code>503</code>"), "{body}");
    assert_eq!(staff_status, 503);
    assert_eq!(staff_retry.as_ref().and_then(|v| v.to_str().ok()), Some("5"));

    // The app comes back with the same key: one ticket, however often it asks.
    let (status, _, body) = submit(&stack, "requests.json", "outage-1", &FIELDS).await;
    assert_eq!(status, 200, "{body}");
    let id = ticket_id(&body);
    let (status, _, body) = submit(&stack, "requests.json", "outage-1", &FIELDS).await;
    assert_eq!((status, ticket_id(&body)), (200, id.clone()));
    let stored = stack.get(&format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(stored.status, 200, "{}", stored.body);
    assert_eq!(stored.json()[0]["service_request_id"], id.as_str());

    // The same key with another report is refused, never answered with the first one's ticket.
    let mut other = FIELDS.to_vec();
    other[3] = ("description", "A different hole, across town");
    let (status, retry_after, body) = submit(&stack, "requests.json", "outage-1", &other).await;
    assert_eq!((status, retry_after.as_str()), (422, ""), "{body}");
    assert!(body.contains("Idempotency-Key") && !body.contains(&id), "{body}");
}

#[tokio::test]
async fn staff_reusing_a_key_for_another_caller_is_refused_with_422() {
    let stack = spawn().await;
    let clerk = stack.token("ada", &["admin"]).await;
    let entry = json!({"service_code": "SIGN", "address_string": "5 Elm St", "channel": "phone"});
    let post = |body: Value| {
        stack.staff(
            Method::POST,
            "/staff/v1/tickets",
            Some(&clerk),
            &[("idempotency-key", "call-17")],
            Some(body),
        )
    };
    let first = post(entry.clone()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = post(entry).await;
    assert_eq!((again.status, &again.json()["ticket"]["id"]), (200, &first.json()["ticket"]["id"]));
    let other = post(json!({"service_code": "SIGN", "address_string": "9 Oak St", "channel": "phone"})).await;
    assert_eq!(other.status, 422, "{}", other.body);
    assert!(other.json()[0]["description"].as_str().unwrap_or_default().contains("Idempotency-Key"));
}
