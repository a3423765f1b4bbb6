//! Intake that turns no citizen away, over HTTP on the local stack: contacts kept as typed,
//! dates as people and browsers write them, questions without a place, stop-and-call answers,
//! private services, follow-up questions and the town's banner.

use serde_json::{Value, json};
use town311_tests::{TestStack, spawn, spawn_routed};

async fn report(stack: &TestStack, fields: &[(&str, &str)]) -> Value {
    let answer = stack.post_form("/open311/v2/requests.json", fields).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()[0].clone()
}

async fn refused(stack: &TestStack, format: &str, fields: &[(&str, &str)]) -> String {
    let answer = stack.post_form(&format!("/open311/v2/requests.{format}"), fields).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    answer.body
}

fn description(body: &str) -> String {
    let errors: Value = serde_json::from_str(body).unwrap_or_default();
    errors[0]["description"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_seven_digit_local_phone_is_kept_and_the_answer_says_how_updates_come() {
    let stack = spawn().await;
    let pothole = [
        ("service_code", "POTHOLE"),
        ("lat", "42.27"),
        ("long", "-71.80"),
        ("attribute[SIZE]", "medium"),
        ("phone", "555-0142"),
    ];
    let alone = report(&stack, &pothole).await;
    assert_eq!(alone["updates_by"], "none");
    let notice = alone["service_notice"].as_str().unwrap_or_default();
    assert!(notice.contains("look the request up by its number"), "{notice}");

    let with_email =
        report(&stack, &[&pothole[..], &[("email", "ana@example.org"), ("notify_by", "sms")]].concat()).await;
    assert_eq!(with_email["updates_by"], "email");
    assert!(with_email["service_notice"].as_str().unwrap_or_default().contains("Updates will come by email"));

    let id = with_email["service_request_id"].as_str().unwrap_or_default();
    let ticket = stack.ticket_when(id, |t| t["ticket"]["reporter"].is_object()).await;
    assert_eq!(ticket["ticket"]["reporter"]["phone_as_typed"], "555-0142", "kept for staff to call");
    assert_eq!(ticket["ticket"]["reporter"]["notify_by"], "email");
    let public = stack.get(&format!("/open311/v2/requests/{id}.json")).await;
    assert!(!public.body.contains("555-0142"), "{}", public.body);
}

#[tokio::test]
async fn every_usual_datetime_spelling_is_accepted_for_a_datetime_question() {
    let stack = spawn().await;
    for (typed, kept) in [
        ("2026-11-22T09:30", "2026-11-22T09:30:00-05:00"),
        ("2026-11-22", "2026-11-22T00:00:00-05:00"),
        ("2026-11-22 09:30:00", "2026-11-22T09:30:00-05:00"),
        ("2026-11-22T09:30:00-05:00", "2026-11-22T09:30:00-05:00"),
    ] {
        let created = report(
            &stack,
            &[
                ("service_code", "ABANDONED_VEHICLE"),
                ("address_string", "12 Main Street"),
                ("attribute[FIRST_SEEN]", typed),
            ],
        )
        .await;
        let id = created["service_request_id"].as_str().unwrap_or_default();
        let ticket = stack.ticket_when(id, |t| t["ticket"]["answers"].is_object()).await;
        assert_eq!(ticket["ticket"]["answers"]["FIRST_SEEN"], json!([kept]), "{typed}");
    }
    let body = refused(
        &stack,
        "json",
        &[
            ("service_code", "ABANDONED_VEHICLE"),
            ("address_string", "12 Main Street"),
            ("attribute[FIRST_SEEN]", "last week"),
        ],
    )
    .await;
    assert!(description(&body).starts_with("attribute[FIRST_SEEN] must be a date"), "{body}");
}

#[tokio::test]
async fn a_question_without_a_place_is_answered_with_the_department_and_a_date() {
    let stack = spawn_routed().await;
    let created = report(
        &stack,
        &[
            ("service_code", "PROGRAM_QUESTION"),
            ("attribute[PROGRAM]", "summer_camp"),
            ("description", "When does registration open?"),
            ("lat", "42.27"),
            ("long", "-71.80"),
        ],
    )
    .await;
    assert_eq!(created["department_name"], "Parks and Recreation");
    assert_eq!(created["department_phone"], "(555) 010-2300");
    assert!(created["expected_datetime"].as_str().is_some_and(|d| d.starts_with("20")), "{created}");
    let id = created["service_request_id"].as_str().unwrap_or_default();
    let ticket = stack.ticket_when(id, |t| t["ticket"]["department"].is_string()).await;
    assert_eq!(ticket["ticket"]["department"], "PARKS");
    assert_eq!(ticket["ticket"]["location"], json!({}), "a place sent with a question is not kept");

    let definition = stack.get("/open311/v2/services/PROGRAM_QUESTION.json").await.json();
    assert_eq!(definition["location"], "none");
    assert_eq!(definition["attributes"][1]["shown_if"], json!({"attribute": "PROGRAM", "values": ["other"]}));
    let body =
        refused(&stack, "json", &[("service_code", "PROGRAM_QUESTION"), ("attribute[PROGRAM]", "other")])
            .await;
    assert_eq!(description(&body), "attribute[OTHER_PROGRAM] is required");
}

#[tokio::test]
async fn a_stop_and_call_answer_is_refused_with_its_text_in_both_formats() {
    let stack = spawn().await;
    let services = stack.get("/open311/v2/services/STREETLIGHT.json").await.json();
    let wires = services["attributes"][0]["values"]
        .as_array()
        .and_then(|values| values.iter().find(|v| v["key"] == "wires_down"))
        .cloned()
        .unwrap_or_default();
    let text = wires["stop"]["text"].as_str().unwrap_or_default().to_owned();
    assert!(text.starts_with("Downed wires can kill."), "{wires}");
    let fields = [
        ("service_code", "STREETLIGHT"),
        ("lat", "42.27"),
        ("long", "-71.80"),
        ("attribute[PROBLEM]", "wires_down"),
    ];
    assert_eq!(description(&refused(&stack, "json", &fields).await), text);
    let xml = refused(&stack, "xml", &fields).await;
    assert!(xml.contains(&format!("<description>{text}</description>")), "{xml}");

    let gas = stack.get("/open311/v2/services.json").await.json();
    let gas = gas
        .as_array()
        .and_then(|s| s.iter().find(|s| s["service_code"] == "GAS_ODOR"))
        .cloned()
        .unwrap_or_default();
    let body =
        refused(&stack, "json", &[("service_code", "GAS_ODOR"), ("lat", "42.27"), ("long", "-71.80")]).await;
    assert_eq!(description(&body), gas["stop"]["text"].as_str().unwrap_or("a stop text"));
}

#[tokio::test]
async fn a_private_services_request_is_absent_from_public_lists_and_shows_its_status_only() {
    let stack = spawn().await;
    let created = report(
        &stack,
        &[
            ("service_code", "HOUSING"),
            ("address_string", "14 Elm Street, apartment 2"),
            ("attribute[PROBLEM][]", "no_heat"),
            ("description", "No heat since Friday, landlord does not answer"),
        ],
    )
    .await;
    let id = created["service_request_id"].as_str().unwrap_or_default().to_owned();
    let public = report(&stack, &[("service_code", "SIGN"), ("lat", "42.27"), ("long", "-71.80")]).await;
    let public_id = public["service_request_id"].as_str().unwrap_or_default().to_owned();
    // Both reach the stream and routing before the lists are read.
    stack.ticket_when(&id, |t| t["ticket"]["private"] == true).await;
    stack.ticket_when(&public_id, |t| t["ticket"]["version"].as_u64() >= Some(1)).await;

    let listed = stack.get("/open311/v2/requests.json").await;
    assert!(listed.body.contains(&public_id), "the public request is listed: {}", listed.body);
    assert!(!listed.body.contains(&id), "{}", listed.body);
    let by_service = stack.get("/open311/v2/requests.json?service_code=HOUSING").await.json();
    assert_eq!(by_service, json!([]));
    let updates = stack.get("/open311/v2/servicerequestupdates.json").await;
    assert!(!updates.body.contains(&id), "{}", updates.body);

    let one = stack.get(&format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(one.status, 200);
    let record = &one.json()[0];
    assert_eq!(record["status"], "open");
    for secret in ["Elm Street", "No heat", "landlord"] {
        assert!(!one.body.contains(secret), "{secret}: {}", one.body);
    }
    let xml = stack.get(&format!("/open311/v2/requests/{id}.xml?extensions=true")).await;
    assert!(!xml.body.contains("Elm Street") && !xml.body.contains("landlord"), "{}", xml.body);
}

#[tokio::test]
async fn an_admin_sets_the_banner_every_page_reads_and_takes_it_down() {
    let stack = spawn().await;
    assert_eq!(stack.get("/citizen/v1/banner").await.json(), json!({"banner": null}));
    let admin = stack.token("ada", &["admin"]).await;
    let clerk = stack.token("bo", &["dept-DPW"]).await;
    let storm = json!({"text": "Storm: no trash pickup today.", "text_es": "Tormenta: hoy no hay recogida."});
    let put = |token: String, body: Value| {
        let stack = &stack;
        async move { stack.staff(reqwest::Method::PUT, "/staff/v1/banner", Some(&token), &[], Some(body)).await }
    };
    assert_eq!(put(clerk, storm.clone()).await.status, 403);
    assert_eq!(put(admin.clone(), json!({"text": ""})).await.status, 400);
    let set = put(admin.clone(), storm).await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.json()["banner"]["set_by"], "ada");
    let shown = stack.get("/citizen/v1/banner").await;
    assert_eq!(
        shown.json(),
        json!({"banner": {"text": "Storm: no trash pickup today.", "text_es": "Tormenta: hoy no hay recogida.", "until": null}})
    );
    assert!(!shown.body.contains("ada"), "who set it is not public");
    let down = stack.staff(reqwest::Method::DELETE, "/staff/v1/banner", Some(&admin), &[], None).await;
    assert_eq!(down.status, 200);
    assert_eq!(stack.get("/citizen/v1/banner").await.json(), json!({"banner": null}));
}
