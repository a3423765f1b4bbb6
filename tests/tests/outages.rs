//! Submissions while DynamoDB is unavailable, over HTTP against the local stack: the citizen's
//! app is told to come back (503, `Retry-After`, an Open311 error list in its format), and its
//! retry with the same `Idempotency-Key` makes exactly one ticket. The emulator answers 503 to
//! every DynamoDB request naming the stack's table while the fault is set.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use town311_tests::{TestStack, fault, outbox, spawn, spawn_routed_retrying, unique_phone};

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

/// Lambda retries a failed asynchronous invocation about a minute after it failed, then two
/// minutes after that: a mail service down for a few seconds delays a reporter's notices, and
/// never spends their retries. The local stack keeps that order (here 4 s, then 8 s).
#[tokio::test]
async fn notices_that_fail_during_a_short_mail_outage_go_out_on_a_retry_after_it() {
    let stack = spawn_routed_retrying(Duration::from_secs(4)).await;
    let events = stack.subscribe("mail-outage").await;
    let (_, digits) = unique_phone();
    let email = format!("outage-{}@example.org", digits.replace('-', ""));
    fault("ses", &email, true).await;
    let mut fields = FIELDS.to_vec();
    fields.push(("email", email.as_str()));
    let answer = stack.post_form("/open311/v2/requests.json", &fields).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // The events are out, so notify is invoked with them now, and SES refuses it for a while.
    let created = |d: &[town311_tests::Delivered]| d.iter().any(|e| e.event["event_type"] == "created");
    assert!(created(&events.receive_until(30, created).await), "the created event was published");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        outbox().await.emails.iter().all(|m| !m.to.contains(&email)),
        "nothing went out during the outage"
    );
    fault("ses", &email, false).await;

    let mut sent = 0;
    for _ in 0..60 {
        sent = outbox().await.emails.iter().filter(|m| m.to.contains(&email)).count();
        if sent > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(sent > 0, "the reporter was told once the mail service was back");
    let dead = stack.dead_letters().await;
    assert!(dead.is_empty(), "no notice spent its retries: {dead:?}");
}
