//! The morning digest and "was it fixed?" on the local stack: requests filed over Open311 with
//! the functions' clock set, the digest run as `make digest` runs it (`POST /_town311/digest`),
//! and what it sent read from the emulator's outbox. The outbox is shared by every test on the
//! emulator, so mail is told apart by this test's ticket numbers and addresses.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};
use std::sync::Arc;
use town311::runtime::clock::{Clock as _, FixedClock};
use town311_tests::{Mail, TestStack, emails_to, outbox, spawn_at, unique_phone};

const DPW: &str = "publicworks@millbrook.example";
const SAN: &str = "sanitation@millbrook.example";
const CODE: &str = "codeenforcement@millbrook.example";
const PARKS: &str = "parks@millbrook.example";

/// Monday 2 November 2026, 9:00 in Millbrook.
fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 14, 0, 0).unwrap()
}

async fn file(stack: &TestStack, service: &str, email: Option<&str>) -> String {
    let mut fields =
        vec![("service_code", service), ("lat", "42.27"), ("long", "-71.80"), ("description", "digest test")];
    match service {
        "POTHOLE" => fields.push(("attribute[SIZE]", "large")),
        "MISSED_TRASH" => fields.push(("attribute[CARTS][]", "trash")),
        "GRAFFITI" => fields.push(("attribute[SURFACE]", "building")),
        _ => {}
    }
    if let Some(email) = email {
        fields.push(("email", email));
    }
    let answer = stack.post_form("/open311/v2/requests.json", &fields).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()[0]["service_request_id"].as_str().unwrap().to_owned()
}

async fn close(stack: &TestStack, id: &str) {
    stack.act(id, json!({"action": "set_status", "status": "closed", "resolution": "fixed"})).await;
}

/// One run, as `make digest` starts it; what it did.
async fn digest(stack: &TestStack) -> Value {
    let answer =
        reqwest::Client::new().post(stack.url("/_town311/digest")).send().await.expect("the digest runs");
    let status = answer.status().as_u16();
    let body: Value = answer.json().await.expect("a JSON report");
    assert_eq!(status, 200, "{body}");
    body
}

/// The digests in the outbox that list any of `ids`, by recipient.
async fn digests_listing(ids: &[&str]) -> Vec<Mail> {
    outbox()
        .await
        .emails
        .into_iter()
        .filter(|m| m.subject.contains("due today") && ids.iter().any(|id| m.body.contains(id)))
        .collect()
}

fn unique_email(what: &str) -> String {
    let (phone, _) = unique_phone();
    format!("{what}-{}@example.org", phone.trim_start_matches('+'))
}

#[tokio::test]
async fn the_digest_reaches_each_department_with_overdue_or_due_today_work_and_no_other() {
    let clock = Arc::new(FixedClock::at(monday()));
    let stack = spawn_at(clock.clone()).await;
    let pothole = file(&stack, "POTHOLE", None).await; // Public Works, three business days
    let trash = file(&stack, "MISSED_TRASH", None).await; // Sanitation, one business day
    let graffiti = file(&stack, "GRAFFITI", None).await; // Code Enforcement, five business days
    let ids = [pothole.as_str(), trash.as_str(), graffiti.as_str()];
    let due = |id: &str| {
        let stack = &stack;
        let id = id.to_owned();
        async move {
            let view = stack.ticket_when(&id, |v| !v["ticket"]["expected_at"].is_null()).await;
            let text = view["ticket"]["expected_at"].as_str().unwrap().to_owned();
            DateTime::parse_from_rfc3339(&text).unwrap().with_timezone(&Utc)
        }
    };
    let (pothole_due, trash_due, graffiti_due) =
        (due(&pothole).await, due(&trash).await, due(&graffiti).await);
    assert!(trash_due < pothole_due && pothole_due < graffiti_due);

    // The morning before anything is due: nothing to say, nothing sent.
    let before = trash_due - Duration::days(1);
    clock.set(before.date_naive().and_hms_opt(12, 0, 0).unwrap().and_utc());
    let report = digest(&stack).await;
    assert_eq!(report["departments"], json!([]), "{report}");
    assert!(digests_listing(&ids).await.is_empty());

    // The morning the pothole is due: the trash is overdue, the graffiti not yet due.
    clock.set(pothole_due.date_naive().and_hms_opt(12, 0, 0).unwrap().and_utc());
    assert!(graffiti_due > clock.now() + Duration::days(1), "graffiti is due another day");
    let report = digest(&stack).await;
    assert_eq!(report["departments"], json!(["DPW", "SAN"]), "{report}");
    let mails = digests_listing(&ids).await;
    let mut to: Vec<&str> = mails.iter().map(|m| m.to[0].as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, vec![DPW, SAN], "{mails:#?}");
    assert!(!mails.iter().any(|m| m.to.iter().any(|t| t == CODE || t == PARKS)));
    let public_works = mails.iter().find(|m| m.to[0] == DPW).unwrap();
    assert!(public_works.subject.contains("1 due today"), "{}", public_works.subject);
    assert!(public_works.body.contains(&format!("/admin?ticket={pothole}")), "{}", public_works.body);
    assert!(!public_works.body.contains(&graffiti));
    let sanitation = mails.iter().find(|m| m.to[0] == SAN).unwrap();
    assert!(sanitation.subject.contains("1 overdue"), "{}", sanitation.subject);
    assert!(sanitation.body.contains("Overdue (1):") && sanitation.body.contains(&trash));

    // Run again the same morning (a retry): nothing twice.
    let report = digest(&stack).await;
    assert_eq!(report["departments"], json!([]), "{report}");
    assert_eq!(digests_listing(&ids).await.len(), 2);
}

/// The "was it fixed?" link sent to `to`, waiting for it.
async fn question_link(to: &str) -> String {
    let mails = emails_to(to, |m| m.iter().any(|m| m.body.contains("/citizen/v1/fixed?token="))).await;
    let questions: Vec<&Mail> =
        mails.iter().filter(|m| m.body.contains("/citizen/v1/fixed?token=")).collect();
    assert_eq!(questions.len(), 1, "one question: {mails:#?}");
    let link = questions[0]
        .body
        .split_whitespace()
        .find(|w| w.contains("/citizen/v1/fixed?token=") && w.ends_with("&answer=no"))
        .unwrap();
    link.trim_end_matches("&answer=no").to_owned()
}

async fn answer(stack: &TestStack, link: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let answer = stack.client.post(link).form(fields).send().await.expect("the answer is taken");
    (answer.status().as_u16(), answer.text().await.unwrap_or_default())
}

#[tokio::test]
async fn reporters_are_asked_once_days_after_closing_and_not_fixed_reopens_and_tells_the_department() {
    let clock = Arc::new(FixedClock::at(monday()));
    let stack = spawn_at(clock.clone()).await;
    let (ana, bo) = (unique_email("ana"), unique_email("bo"));
    let broken = file(&stack, "POTHOLE", Some(&ana)).await;
    let fixed = file(&stack, "POTHOLE", Some(&bo)).await;
    clock.set(monday() + Duration::hours(2));
    close(&stack, &broken).await;
    close(&stack, &fixed).await;

    // Six days on: not yet.
    clock.set(monday() + Duration::days(6) + Duration::hours(3));
    assert_eq!(digest(&stack).await["questions"], 0);
    // Seven: each reporter once, however often the digest runs.
    clock.set(monday() + Duration::days(7) + Duration::hours(3));
    assert_eq!(digest(&stack).await["questions"], 2);
    assert_eq!(digest(&stack).await["questions"], 0);
    let (no_link, yes_link) = (question_link(&ana).await, question_link(&bo).await);

    // A forged link answers nothing.
    let forged = format!("{}/citizen/v1/fixed?token=0123456789abcdef0123456789abcdef", stack.stack.base_url);
    let (status, page) = answer(&stack, &forged, &[("answer", "no")]).await;
    assert_eq!(status, 404, "{page}");
    let (status, page) = answer(&stack, &no_link.replace("token=", "token=x"), &[("answer", "no")]).await;
    assert_eq!(status, 404, "{page}");

    // The page asks; "no" with a comment reopens the request and the department hears of it.
    let page = stack.client.get(format!("{no_link}&answer=no")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("value=\"no\" checked") && page.contains("<textarea"), "{page}");
    let (status, page) =
        answer(&stack, &no_link, &[("answer", "no"), ("comment", "Still a deep hole")]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("We reopened request"), "{page}");
    let view = stack.ticket_when(&broken, |v| v["ticket"]["status"] == "reopened").await;
    assert_eq!(view["ticket"]["status"], "reopened");
    let told =
        emails_to(DPW, |m| m.iter().any(|m| m.subject.contains(&format!("{broken} is not fixed")))).await;
    let told: Vec<&Mail> = told.iter().filter(|m| m.subject.contains(&broken)).collect();
    assert_eq!(told.len(), 1, "{told:#?}");
    assert!(!told[0].body.contains("Still a deep hole"), "the citizen's words stay on the ticket");
    let (status, _) = answer(&stack, &no_link, &[("answer", "no")]).await;
    assert_eq!(status, 409, "the request is open again: nothing to answer");

    // "Yes" is kept and counted; the request stays closed.
    let (status, page) = answer(&stack, &yes_link, &[("answer", "yes")]).await;
    assert_eq!(status, 200, "{page}");
    let (status, _) = answer(&stack, &yes_link, &[("answer", "no")]).await;
    assert_eq!(status, 409, "answered once");
    assert_eq!(stack.ticket_when(&fixed, |_| true).await["ticket"]["status"], "closed");
    let mut period = Value::Null;
    for _ in 0..60 {
        period = stack.get("/citizen/v1/stats").await.json()["period"].clone();
        if period["confirmed_fixed"] == 1 && period["not_fixed"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!((&period["confirmed_fixed"], &period["not_fixed"]), (&json!(1), &json!(1)), "{period}");
    assert_eq!(period["percent_confirmed_fixed"], 50, "{period}");
}
