//! The staff API over HTTP against the local stack: sign-in and roles at every route, the
//! lifecycle end to end, queues and export, staff entry by channel, idempotent submissions, and
//! a walk of every public route proving internal notes and contact details never leave.

use reqwest::Method;
use serde_json::{Value, json};
use town311_tests::{Answer, TestStack, spawn};

const CLERK: (&str, &[&str]) = ("bo", &["dept-DPW"]);

/// Files a pothole, each one a kilometre or so from the last (so none is flagged as another's
/// duplicate, which would change its version under the test).
async fn pothole(stack: &TestStack) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let lat = format!("{:.4}", 42.1 + f64::from(n) * 0.01);
    let answer = stack
        .post_form(
            "/open311/v2/requests.json",
            &[
                ("service_code", "POTHOLE"),
                ("attribute[SIZE]", "large"),
                ("lat", &lat),
                ("long", "-72.5"),
                ("email", "reporter@example.org"),
                ("phone", "555-010-7777"),
                ("first_name", "Rosa"),
            ],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()[0]["service_request_id"].as_str().unwrap().to_owned()
}

async fn act(stack: &TestStack, token: &str, id: &str, version: u64, action: Value) -> Answer {
    let mut body = action;
    body["version"] = json!(version);
    stack.staff(Method::POST, &format!("/staff/v1/tickets/{id}/actions"), Some(token), &[], Some(body)).await
}

async fn version(stack: &TestStack, id: &str) -> u64 {
    let token = stack.token("admin", &["admin"]).await;
    let answer = stack.staff(Method::GET, &format!("/staff/v1/tickets/{id}"), Some(&token), &[], None).await;
    answer.json()["ticket"]["version"].as_u64().expect("a version")
}

#[tokio::test]
async fn every_staff_route_refuses_who_may_not_use_it_and_changes_nothing() {
    let stack = spawn().await;
    let id = pothole(&stack).await;
    // A token of the same pool, honestly signed, for another app client than the page's.
    let other_client = {
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(&stack.stack.sdk);
        let pool = &stack.stack.staff;
        let created = cognito
            .create_user_pool_client()
            .user_pool_id(&pool.pool_id)
            .client_name("another-app")
            .explicit_auth_flows(
                aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowUserPasswordAuth,
            )
            .send()
            .await
            .unwrap();
        let client = created.user_pool_client().and_then(|c| c.client_id()).unwrap().to_owned();
        stack.token("mallory", &["admin"]).await;
        stack.sign_in(&client, "mallory", town311_tests::TEST_PASSWORD).await
    };
    let other_department = stack.token("sam", &["dept-SAN"]).await;
    let viewer = stack.token("vi", &["viewer"]).await;
    let note = json!({"version": 1, "action": "note", "text": "x", "public": false});
    let entry = json!({"service_code": "SIGN", "address_string": "1 Main St", "channel": "phone"});
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/staff/v1/tickets?department=DPW".into(), None),
        (Method::GET, format!("/staff/v1/tickets/{id}"), None),
        (Method::GET, format!("/staff/v1/tickets/{id}/followers"), None),
        (Method::GET, "/staff/v1/export.csv".into(), None),
        (Method::POST, format!("/staff/v1/tickets/{id}/actions"), Some(note.clone())),
        (Method::POST, "/staff/v1/tickets".into(), Some(entry.clone())),
    ];
    for (method, path, body) in &routes {
        for (who, token, expected) in [
            ("no token", None, 401),
            ("another client's token", Some(other_client.as_str()), 401),
            ("garbage", Some("not.a.token"), 401),
        ] {
            let answer = stack.staff(method.clone(), path, token, &[], body.clone()).await;
            assert_eq!(answer.status, expected, "{who} on {method} {path}: {}", answer.body);
            assert_eq!(answer.json(), json!({"message": "Unauthorized"}));
        }
        let answer = stack.staff(method.clone(), path, Some(&other_department), &[], body.clone()).await;
        if path.contains("export") {
            // An export holds what the caller may read: here, none of DPW's tickets.
            assert_eq!(answer.status, 200);
            assert!(!answer.body.contains(&id), "another department's ticket exported: {}", answer.body);
        } else {
            assert_eq!(answer.status, 403, "another department on {method} {path}: {}", answer.body);
        }
        if *method == Method::POST {
            let answer = stack.staff(method.clone(), path, Some(&viewer), &[], body.clone()).await;
            assert_eq!(answer.status, 403, "viewer writing on {path}: {}", answer.body);
        } else if !path.contains("export") {
            let answer = stack.staff(method.clone(), path, Some(&viewer), &[], body.clone()).await;
            assert_eq!(answer.status, 200, "viewer reading {path}: {}", answer.body);
        }
    }
    assert_eq!(version(&stack, &id).await, 1, "nothing changed");
    let listed = stack.get("/open311/v2/requests.json").await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "no ticket was entered");
}

#[tokio::test]
async fn a_signed_in_user_in_no_staff_group_is_refused_at_every_staff_route() {
    let stack = spawn().await;
    let id = pothole(&stack).await;
    let nobody = stack.token("cit", &[]).await;
    let admin = stack.token("admin", &["admin"]).await;
    let rules = stack.staff(Method::GET, "/staff/v1/routing", Some(&admin), &[], None).await;
    assert_eq!(rules.status, 200, "{}", rules.body);
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/staff/v1/tickets?department=DPW".into(), None),
        (Method::GET, format!("/staff/v1/tickets/{id}"), None),
        (Method::GET, format!("/staff/v1/tickets/{id}/followers"), None),
        (Method::GET, "/staff/v1/export.csv".into(), None),
        (Method::GET, "/staff/v1/routing".into(), None),
        (Method::PUT, "/staff/v1/routing".into(), Some(rules.json())),
        (
            Method::POST,
            format!("/staff/v1/tickets/{id}/actions"),
            Some(json!({"version": 1, "action": "note", "text": "x", "public": false})),
        ),
        (
            Method::POST,
            "/staff/v1/tickets".into(),
            Some(json!({"service_code": "SIGN", "address_string": "1 Main St", "channel": "phone"})),
        ),
    ];
    for (method, path, body) in routes {
        let answer = stack.staff(method.clone(), &path, Some(&nobody), &[], body).await;
        assert_eq!(answer.status, 403, "no group on {method} {path}: {}", answer.body);
        assert!(!answer.body.contains("Rosa") && !answer.body.contains("reporter@"), "{}", answer.body);
    }
    assert_eq!(version(&stack, &id).await, 1, "nothing changed");
}

#[tokio::test]
async fn a_ticket_lives_its_life_and_the_public_sees_only_what_is_public() {
    let stack = spawn().await;
    let clerk = stack.token(CLERK.0, CLERK.1).await;
    let id = pothole(&stack).await;
    let steps = [
        json!({"action": "set_status", "status": "acknowledged"}),
        json!({"action": "assign", "assignee": "crew-7"}),
        json!({"action": "note", "text": "INTERNAL: caller was rude, do not call back", "public": false}),
        json!({"action": "schedule", "at": (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339()}),
        json!({"action": "set_status", "status": "in_progress"}),
        json!({"action": "note", "text": "Crew is patching the hole today.", "public": true}),
        json!({"action": "set_status", "status": "closed", "resolution": "fixed"}),
    ];
    for (n, step) in steps.iter().enumerate() {
        let answer = act(&stack, &clerk, &id, n as u64 + 1, step.clone()).await;
        assert_eq!(answer.status, 200, "{step}: {}", answer.body);
    }
    let stale = act(&stack, &clerk, &id, 3, json!({"action": "note", "text": "late"})).await;
    assert_eq!(stale.status, 412);
    let wrong = act(&stack, &clerk, &id, 8, json!({"action": "set_status", "status": "scheduled"})).await;
    assert_eq!(wrong.status, 409, "{}", wrong.body);

    let staff_view =
        stack.staff(Method::GET, &format!("/staff/v1/tickets/{id}"), Some(&clerk), &[], None).await;
    assert_eq!(staff_view.status, 200);
    let history = staff_view.json()["history"].as_array().cloned().unwrap_or_default();
    assert_eq!(history.len(), 8, "submitted + 7 changes");
    assert!(staff_view.body.contains("reporter@example.org"), "staff see the contact");
    assert!(staff_view.body.contains("INTERNAL: caller was rude"));
    // Each line carries its public summary as a code and parameters, and in English.
    let codes: Vec<&str> = history.iter().filter_map(|e| e["summary_code"].as_str()).collect();
    assert_eq!(
        codes,
        ["submitted", "status_changed", "assigned", "note", "scheduled", "status_changed", "note", "closed"]
    );
    assert_eq!(history[1]["summary_params"], json!({"status": "acknowledged"}));
    assert_eq!(history[2]["summary_params"], json!({}), "no staff name: {}", history[2]);
    assert_eq!(
        (&history[7]["summary"], &history[7]["summary_params"]),
        (&json!("Fixed"), &json!({"resolution": "fixed"}))
    );

    let record = &stack.get(&format!("/open311/v2/requests/{id}.json")).await.json()[0];
    assert_eq!(record["status"], "closed");
    assert_eq!(record["status_notes"], "Crew is patching the hole today.");
    let extended = stack.get(&format!("/open311/v2/requests/{id}.json?extensions=true")).await.json();
    let notes = extended[0]["extended_attributes"]["notes"].as_array().cloned().unwrap_or_default();
    let codes: Vec<&str> = notes.iter().filter_map(|n| n["summary_code"].as_str()).collect();
    assert_eq!(
        codes,
        ["submitted", "status_changed", "assigned", "scheduled", "status_changed", "note", "closed"]
    );
    assert_eq!(notes[4]["summary_params"], json!({"status": "in_progress"}));
    assert_eq!(notes[4]["summary"], "Status: in progress");
    let xml = stack.get(&format!("/open311/v2/requests/{id}.xml?extensions=true")).await.body;
    assert!(
        xml.contains("<summary_code>closed</summary_code><summary_params><resolution>fixed</resolution></summary_params>"),
        "{xml}"
    );
    let window = format!(
        "start_date={}",
        (chrono::Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    let updates = stack.get(&format!("/open311/v2/servicerequestupdates.json?{window}")).await.json();
    let statuses: Vec<&str> =
        updates.as_array().unwrap().iter().filter_map(|u| u["status"].as_str()).collect();
    assert!(statuses.contains(&"FIXED") && statuses.contains(&"ACTION_SCHEDULED"), "{statuses:?}");

    let public_paths = [
        format!("/open311/v2/requests/{id}.json?extensions=true"),
        format!("/open311/v2/requests/{id}.xml?extensions=true"),
        "/open311/v2/requests.json?extensions=true".to_owned(),
        "/open311/v2/requests.xml?extensions=true".to_owned(),
        format!("/open311/v2/requests.json?service_request_id={id}"),
        format!("/open311/v2/servicerequestupdates.json?{window}"),
        format!("/open311/v2/servicerequestupdates.xml?{window}"),
    ];
    let reopen = format!("/citizen/v1/requests/{id}/reopen");
    let stranger = stack.post_form(&reopen, &[("contact", "someone@example.org")]).await;
    assert_eq!(stranger.status, 403, "{}", stranger.body);
    assert_eq!(stack.post_form(&reopen, &[]).await.status, 403);
    let reopened = stack.post_form(&reopen, &[("contact", "(555) 010-7777")]).await;
    assert_eq!(reopened.status, 200, "the reporter's phone, however written: {}", reopened.body);
    assert_eq!(reopened.json()["status"], "open");
    let again = stack.post_form(&reopen, &[("contact", "REPORTER@example.org")]).await;
    assert_eq!(
        (again.status, again.body.clone()),
        (stranger.status, stranger.body.clone()),
        "already reopened, answered as a stranger is: the answer tells no one whose contact it is"
    );
    let queue = stack.staff(Method::GET, "/staff/v1/tickets", Some(&clerk), &[], None).await;
    assert!(queue.body.contains(&id), "back in the department's queue");
    for path in &public_paths {
        let answer = stack.get(path).await;
        assert_eq!(answer.status, 200, "{path}");
        for secret in ["INTERNAL", "rude", "crew-7", "reporter@example.org", "555", "Rosa", "bo"] {
            let leaked = if secret == "bo" {
                answer.body.contains("\"bo\"") || answer.body.contains(">bo<")
            } else {
                answer.body.contains(secret)
            };
            assert!(!leaked, "{secret} leaked through {path}: {}", answer.body);
        }
    }
}

#[tokio::test]
async fn queues_find_work_by_department_assignee_and_due_date() {
    let stack = spawn().await;
    let clerk = stack.token(CLERK.0, CLERK.1).await;
    let first = pothole(&stack).await;
    let second = pothole(&stack).await;
    assert_eq!(
        act(&stack, &clerk, &first, 1, json!({"action": "assign", "assignee": "crew-7"})).await.status,
        200
    );
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    assert_eq!(act(&stack, &clerk, &second, 1, json!({"action": "schedule", "at": soon})).await.status, 200);

    let queue = |path: &'static str| {
        let stack = &stack;
        let clerk = clerk.clone();
        async move { stack.staff(Method::GET, path, Some(&clerk), &[], None).await.json() }
    };
    let ids = |answer: &Value| -> Vec<String> {
        answer["tickets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["id"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        ids(&queue("/staff/v1/tickets").await),
        vec![second.clone(), first.clone()],
        "newest updated first"
    );
    let page = queue("/staff/v1/tickets?limit=1").await;
    assert_eq!(ids(&page), vec![second.clone()]);
    let after = page["next"].as_str().expect("a next page").to_owned();
    let rest = stack
        .staff(
            Method::GET,
            &format!("/staff/v1/tickets?limit=1&after={}", urlencode(&after)),
            Some(&clerk),
            &[],
            None,
        )
        .await
        .json();
    assert_eq!(ids(&rest), vec![first.clone()]);
    assert_eq!(ids(&queue("/staff/v1/tickets?assignee=crew-7").await), vec![first.clone()]);
    assert!(ids(&queue("/staff/v1/tickets?state=closed").await).is_empty());
    assert_eq!(ids(&queue("/staff/v1/tickets?status=scheduled").await), vec![second.clone()]);
    assert_eq!(ids(&queue("/staff/v1/tickets?status=assigned").await), vec![first.clone()]);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(ids(&queue("/staff/v1/tickets?overdue=true").await), vec![second.clone()]);
    let hour_ago = (chrono::Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let recent = stack
        .staff(Method::GET, &format!("/staff/v1/tickets?updated_since={hour_ago}"), Some(&clerk), &[], None)
        .await
        .json();
    assert_eq!(ids(&recent).len(), 2);
    let bad = stack.staff(Method::GET, "/staff/v1/tickets?limit=9999", Some(&clerk), &[], None).await;
    assert_eq!(bad.status, 400);
    let csv = stack.staff(Method::GET, "/staff/v1/export.csv", Some(&clerk), &[], None).await;
    assert_eq!((csv.status, csv.content_type.as_str()), (200, "text/csv; charset=utf-8"));
    assert_eq!(csv.body.lines().count(), 3, "header and two rows: {}", csv.body);
    assert!(csv.body.contains(&first) && !csv.body.contains("reporter@example.org"));
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn staff_enter_phone_requests_with_the_same_promises() {
    let stack = spawn().await;
    let clerk = stack.token(CLERK.0, CLERK.1).await;
    let body = json!({
        "service_code": "STREETLIGHT",
        "attributes": {"PROBLEM": "out", "POLE_NUMBER": "MB-1142"},
        "address_string": "Corner of Main and Elm",
        "description": "Caller says the light has been out for a week",
        "phone": "555-010-2222",
        "channel": "phone"
    });
    let answer = stack.staff(Method::POST, "/staff/v1/tickets", Some(&clerk), &[], Some(body.clone())).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let id = answer.json()["ticket"]["id"].as_str().unwrap().to_owned();
    assert_eq!(answer.json()["ticket"]["channel"], "phone");
    let public = stack.get(&format!("/open311/v2/requests/{id}.json?extensions=true")).await.json();
    assert_eq!(public[0]["agency_responsible"], "Public Works");
    assert_eq!(public[0]["extended_attributes"]["channel"], "phone");
    let mut no_channel = body.clone();
    no_channel.as_object_mut().unwrap().remove("channel");
    let refused = stack.staff(Method::POST, "/staff/v1/tickets", Some(&clerk), &[], Some(no_channel)).await;
    assert_eq!(refused.status, 400);
    let mut wrong = body;
    wrong["attributes"]["PROBLEM"] = json!("haunted");
    assert_eq!(
        stack.staff(Method::POST, "/staff/v1/tickets", Some(&clerk), &[], Some(wrong)).await.status,
        400
    );
}

#[tokio::test]
async fn a_retried_submission_returns_the_first_ticket() {
    let stack = spawn().await;
    let fields = [("service_code", "SIGN"), ("address_string", "5 Elm St")];
    let send = || {
        stack
            .client
            .post(stack.url("/open311/v2/requests.json"))
            .header("idempotency-key", "7d3c1f0e-retry")
            .form(&fields)
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let second_response = send().await.unwrap();
    assert_eq!(second_response.status().as_u16(), 200);
    let second: Value = second_response.json().await.unwrap();
    assert_eq!(first[0]["service_request_id"], second[0]["service_request_id"]);
    let listed = stack.get("/open311/v2/requests.json").await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "one ticket stored");
    let other = stack
        .client
        .post(stack.url("/open311/v2/requests.json"))
        .header("idempotency-key", "another-key")
        .form(&fields)
        .send()
        .await
        .unwrap();
    let other: Value = other.json().await.unwrap();
    assert_ne!(other[0]["service_request_id"], first[0]["service_request_id"]);
    // Someone else's retry key leads nowhere near the first submitter's ticket.
    let clerk = stack.token(CLERK.0, CLERK.1).await;
    let entry = json!({"service_code": "SIGN", "address_string": "5 Elm St", "channel": "phone"});
    let staff = stack
        .staff(
            Method::POST,
            "/staff/v1/tickets",
            Some(&clerk),
            &[("idempotency-key", "7d3c1f0e-retry")],
            Some(entry.clone()),
        )
        .await;
    assert_eq!(staff.status, 201, "a new ticket, not the citizen's: {}", staff.body);
    assert_ne!(staff.json()["ticket"]["id"], first[0]["service_request_id"]);
    let again = stack
        .staff(
            Method::POST,
            "/staff/v1/tickets",
            Some(&clerk),
            &[("idempotency-key", "7d3c1f0e-retry")],
            Some(entry),
        )
        .await;
    assert_eq!(again.status, 200, "the clerk's own retry replays");
    assert_eq!(again.json()["ticket"]["id"], staff.json()["ticket"]["id"]);
}
