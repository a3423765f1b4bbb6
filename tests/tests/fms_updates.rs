//! FixMyStreet's updates over HTTP against the local stack: mySociety's
//! `POST servicerequestupdates.{json,xml}` as FixMyStreet's `Open311.pm` builds it, the entry
//! staff see, the answer FixMyStreet reads, a retry that adds nothing, "still broken" on a closed
//! request, and errors as Open311 lists.

use reqwest::Method;
use serde_json::{Value, json};
use town311_tests::{Answer, TestStack, spawn};

const REPORTER: &str = "ana.fms@example.org";

/// A pothole sent by FixMyStreet (XML, as it posts requests), each a kilometre or so from the
/// last so that none is flagged as another's duplicate.
async fn reported(stack: &TestStack) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let lat = format!("{:.6}", 42.2 + f64::from(n) * 0.01);
    let answer = stack
        .post_form(
            "/open311/v2/requests.xml",
            &[
                ("service_code", "POTHOLE"),
                ("attribute[SIZE]", "large"),
                ("lat", &lat),
                ("long", "-72.500000"),
                ("email", REPORTER),
                ("first_name", "Ana"),
                ("last_name", "Diaz"),
                ("description", "Deep hole\r\nby the school"),
            ],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    element(&answer.body, "service_request_id")
}

/// The text of the first `<name>` element of an XML answer.
fn element(xml: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = xml.find(&open).unwrap_or_else(|| panic!("no <{name}> in {xml}")) + open.len();
    let end = xml[start..].find('<').unwrap_or_else(|| panic!("<{name}> does not end in {xml}"));
    xml[start..start + end].to_owned()
}

/// An update as FixMyStreet's `_populate_service_request_update_params` and `_request` build it.
async fn update(
    stack: &TestStack,
    format: &str,
    id: &str,
    update_id: &str,
    status: &str,
    email: &str,
) -> Answer {
    stack
        .post_form(
            &format!("/open311/v2/servicerequestupdates.{format}"),
            &[
                ("updated_datetime", &chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S+00:00").to_string()),
                ("service_request_id", id),
                ("status", status),
                ("description", "Still there,\r\nand deeper now"),
                ("last_name", "-"),
                ("first_name", "Ana"),
                ("email", email),
                ("update_id", update_id),
                ("media_url", "https://fms.example/photo/c/248.0.full.jpeg"),
            ],
        )
        .await
}

/// The staff view of a ticket, as an admin sees it.
async fn staff_view(stack: &TestStack, id: &str) -> Value {
    stack.ticket_when(id, |_| true).await
}

fn citizen_updates(view: &Value) -> Vec<Value> {
    view["history"]
        .as_array()
        .expect("a history")
        .iter()
        .filter(|e| e["change"]["type"] == "citizen_update")
        .cloned()
        .collect()
}

/// Closes the ticket as fixed, reading its version again if routing changed it meanwhile.
async fn close(stack: &TestStack, id: &str) {
    let token = stack.token("ada", &["admin"]).await;
    for _ in 0..10 {
        let version = staff_view(stack, id).await["ticket"]["version"].as_u64().expect("a version");
        let action =
            json!({"action": "set_status", "status": "closed", "resolution": "fixed", "version": version});
        let path = format!("/staff/v1/tickets/{id}/actions");
        let answer = stack.staff(Method::POST, &path, Some(&token), &[], Some(action)).await;
        if answer.status == 200 {
            return;
        }
        assert_eq!(answer.status, 412, "{}", answer.body);
    }
    panic!("ticket {id} could not be closed");
}

#[tokio::test]
async fn an_update_from_fixmystreet_reaches_staff_and_is_answered_as_fixmystreet_reads_it() {
    let stack = spawn().await;
    let id = reported(&stack).await;
    let answer = update(&stack, "xml", &id, "248", "OPEN", REPORTER).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.content_type.contains("xml"), "{}", answer.content_type);
    assert!(
        answer.body.contains("<service_request_updates><request_update><update_id>"),
        "FixMyStreet reads request_update[0].update_id: {}",
        answer.body
    );
    let update_id = element(&answer.body, "update_id");
    assert!(update_id.starts_with(&format!("{id}-")), "{update_id}");

    let view = staff_view(&stack, &id).await;
    let updates = citizen_updates(&view);
    assert_eq!(updates.len(), 1, "{view}");
    let entry = &updates[0];
    assert_eq!(entry["change"]["text"], "Still there,\nand deeper now");
    assert_eq!(entry["change"]["media_urls"], json!(["https://fms.example/photo/c/248.0.full.jpeg"]));
    assert_eq!(entry["actor"]["kind"], "reporter");
    assert_eq!(entry["public"], false);
    assert_eq!(format!("{id}-{}", entry["version"]), update_id);
    assert!(!entry.to_string().contains(REPORTER), "the update's contact is not kept: {entry}");
    assert_eq!(view["ticket"]["status"], "submitted", "an update leaves the status as it was");

    // Sent again (FixMyStreet retries until it has an id): nothing more, the same answer.
    let again = update(&stack, "xml", &id, "248", "OPEN", REPORTER).await;
    assert_eq!((again.status, &again.body), (200, &answer.body));
    assert_eq!(citizen_updates(&staff_view(&stack, &id).await).len(), 1);

    // JSON: a one-element list.
    let json_answer = update(&stack, "json", &id, "249", "OPEN", "someone.else@example.org").await;
    assert_eq!(json_answer.status, 200, "{}", json_answer.body);
    let listed = json_answer.json();
    assert!(listed[0]["update_id"].as_str().is_some_and(|u| u != update_id), "{listed}");
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    let view = staff_view(&stack, &id).await;
    assert_eq!(citizen_updates(&view)[1]["actor"]["kind"], "citizen");

    // The citizen's words stay with staff: not in the public feed FixMyStreet reads back, nor
    // in the request's public record.
    let feed = stack.get("/open311/v2/servicerequestupdates.json").await;
    assert_eq!(feed.status, 200, "{}", feed.body);
    assert!(!feed.body.contains("Still there") && !feed.body.contains(&update_id), "{}", feed.body);
    let public = stack.get(&format!("/open311/v2/requests/{id}.json?extensions=true")).await;
    assert!(!public.body.contains("Still there") && !public.body.contains(REPORTER), "{}", public.body);
}

#[tokio::test]
async fn still_broken_from_fixmystreet_reopens_a_closed_request() {
    let stack = spawn().await;
    let id = reported(&stack).await;
    close(&stack, &id).await;

    let answer = update(&stack, "xml", &id, "300", "OPEN", REPORTER).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let view = staff_view(&stack, &id).await;
    assert_eq!(view["ticket"]["status"], "reopened", "{view}");
    let updates = citizen_updates(&view);
    assert_eq!(updates.len(), 1);
    assert_eq!((&updates[0]["change"]["reopened"], &updates[0]["public"]), (&json!(true), &json!(true)));
    let update_id = element(&answer.body, "update_id");

    // The public feed says it reopened, under the id FixMyStreet keeps (so it does not take its
    // own update in again), and without the citizen's words.
    let feed = stack.get("/open311/v2/servicerequestupdates.json").await;
    let listed = feed.json();
    let entry = listed
        .as_array()
        .and_then(|all| all.iter().find(|u| u["update_id"] == update_id.as_str()))
        .unwrap_or_else(|| panic!("{update_id} is not in the feed: {listed}"));
    assert!(!entry.to_string().contains("Still there"), "{entry}");

    // Closed again, a citizen's CLOSED changes nothing and is recorded.
    close(&stack, &id).await;
    let other = update(&stack, "json", &id, "301", "CLOSED", REPORTER).await;
    assert_eq!(other.status, 200, "{}", other.body);
    let view = staff_view(&stack, &id).await;
    assert_eq!(view["ticket"]["status"], "closed");
    assert_eq!(citizen_updates(&view)[1]["change"]["status"], "CLOSED");
}

#[tokio::test]
async fn refused_updates_are_open311_error_lists() {
    let stack = spawn().await;
    let id = reported(&stack).await;
    let unknown = update(&stack, "xml", "ZZZZ-ZZZZ", "400", "OPEN", REPORTER).await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    assert!(unknown.body.contains("<errors><error><code>404</code>"), "{}", unknown.body);
    let unknown = update(&stack, "json", "ZZZZ-ZZZZ", "400", "OPEN", REPORTER).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()[0]["code"], 404);

    let nothing_said = stack
        .post_form(
            "/open311/v2/servicerequestupdates.json",
            &[("service_request_id", &id), ("email", REPORTER)],
        )
        .await;
    assert_eq!(nothing_said.status, 400, "{}", nothing_said.body);
    assert!(nothing_said.json()[0]["description"].as_str().is_some_and(|d| d.contains("description")));

    let no_request = stack.post_form("/open311/v2/servicerequestupdates.xml", &[("description", "hi")]).await;
    assert_eq!(no_request.status, 400, "{}", no_request.body);
    assert!(no_request.body.contains("service_request_id"), "{}", no_request.body);
    assert!(citizen_updates(&staff_view(&stack, &id).await).is_empty());
}
