//! A department's dashboard on the local stack: tickets filed over six weeks in two departments,
//! worked into every open status, some overdue, some due today, one closed; then every number of
//! `GET /staff/v1/stats` must be the count of the queue `GET /staff/v1/tickets` shows for the
//! same filter, paged through, and another department's tickets must count nowhere.

use chrono::{Duration, TimeZone, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use town311::runtime::clock::FixedClock;
use town311_tests::{TestStack, spawn_at};

const ADMIN: (&str, &[&str]) = ("ada", &["admin"]);

async fn file(stack: &TestStack, service: &str, n: u32) -> String {
    // A kilometre or so apart, so none is flagged as another's duplicate.
    let lat = format!("{:.4}", 42.1 + f64::from(n) * 0.01);
    let mut fields = vec![("service_code", service), ("lat", lat.as_str()), ("long", "-72.5")];
    if service == "POTHOLE" {
        fields.push(("attribute[SIZE]", "large"));
    }
    let answer = stack.post_form("/open311/v2/requests.json", &fields).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()[0]["service_request_id"].as_str().unwrap().to_owned()
}

/// Every ticket of a queue, two a page (so filtered pages read on and `next` is followed).
async fn queue(stack: &TestStack, token: &str, filter: &str) -> Vec<Value> {
    let mut tickets = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..100 {
        let mut query = format!("{filter}&limit=2");
        if let Some(after) = &after {
            let escaped =
                after.replace('%', "%25").replace('#', "%23").replace('+', "%2B").replace(':', "%3A");
            query.push_str(&format!("&after={escaped}"));
        }
        let answer =
            stack.staff(Method::GET, &format!("/staff/v1/tickets?{query}"), Some(token), &[], None).await;
        assert_eq!(answer.status, 200, "{filter}: {}", answer.body);
        let page = answer.json();
        tickets.extend(page["tickets"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return tickets,
        }
    }
    panic!("the queue {filter} never ended");
}

async fn dashboard(stack: &TestStack, token: &str, query: &str) -> (u16, Value) {
    let answer = stack.staff(Method::GET, &format!("/staff/v1/stats{query}"), Some(token), &[], None).await;
    (answer.status, answer.json())
}

/// Each number of a dashboard against its queue; the queue's tickets are all the department's.
async fn check_against_queues(stack: &TestStack, token: &str, board: &Value) {
    let department = board["department"].as_str().unwrap();
    let mut checks: Vec<(String, u64)> = vec![
        ("state=open".into(), board["open"].as_u64().unwrap()),
        ("overdue=true".into(), board["overdue"]["count"].as_u64().unwrap()),
        ("due=today".into(), board["due_today"]["count"].as_u64().unwrap()),
    ];
    for (list, filter) in
        [("by_status", "status"), ("by_age", "state=open&age"), ("by_service", "state=open&service_code")]
    {
        for counted in board[list].as_array().unwrap() {
            checks.push((
                format!("{filter}={}", counted["key"].as_str().unwrap()),
                counted["count"].as_u64().unwrap(),
            ));
        }
    }
    for (filter, count) in checks {
        let filter = format!("department={department}&{filter}");
        let shown = queue(stack, token, &filter).await;
        assert_eq!(
            shown.len() as u64,
            count,
            "{filter}: the dashboard says {count}, the queue shows {shown:#?}"
        );
        assert!(shown.iter().all(|t| t["department"] == department), "{filter}");
        assert!(shown.iter().all(|t| t["status"] != "closed"), "{filter}");
    }
}

#[tokio::test]
async fn the_dashboard_counts_match_the_queue() {
    // The last moment is a Tuesday, 09:00 in the town (New York).
    let now = Utc.with_ymd_and_hms(2026, 12, 15, 14, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::at(now - Duration::days(40)));
    let stack = &spawn_at(clock.clone()).await;
    // Public works: two of each age band; sanitation: one in three of them. Services chosen so
    // that no promise made at filing falls due today.
    let (mut dpw, mut san, mut n) = (Vec::new(), Vec::new(), 0);
    for (ago, dpw_services, san_service) in [
        (Duration::days(40), ["POTHOLE", "SIGN"], Some("DUMPING")),
        (Duration::days(12), ["DRAIN", "POTHOLE"], Some("DUMPING")),
        (Duration::days(4), ["POTHOLE", "POTHOLE"], None),
        (Duration::hours(20), ["DRAIN", "SIGN"], Some("DUMPING")),
    ] {
        clock.set(now - ago);
        for service in dpw_services {
            n += 1;
            dpw.push(file(stack, service, n).await);
        }
        if let Some(service) = san_service {
            n += 1;
            san.push(file(stack, service, n).await);
        }
    }
    // Worked an hour before the last moment: into every open status, one closed; two public
    // works tickets and one of sanitation's due this afternoon, one tomorrow.
    clock.set(now - Duration::hours(1));
    let this_afternoon = (now + Duration::hours(5)).to_rfc3339();
    let tomorrow = (now + Duration::days(1)).to_rfc3339();
    stack.act(&dpw[0], json!({"action": "set_status", "status": "acknowledged"})).await;
    stack.act(&dpw[1], json!({"action": "assign", "assignee": "crew-1"})).await;
    stack.act(&dpw[2], json!({"action": "set_status", "status": "in_progress"})).await;
    stack.act(&dpw[3], json!({"action": "schedule", "at": this_afternoon})).await;
    stack.act(&dpw[5], json!({"action": "schedule", "at": this_afternoon})).await;
    stack.act(&dpw[6], json!({"action": "schedule", "at": tomorrow})).await;
    stack.act(&dpw[7], json!({"action": "set_status", "status": "closed", "resolution": "fixed"})).await;
    stack.act(&san[0], json!({"action": "schedule", "at": this_afternoon})).await;
    clock.set(now);

    let clerk = stack.token("bo", &["dept-DPW"]).await;
    // The clerk's own department, without naming it; as the queue shows it.
    let (status, board) = dashboard(stack, &clerk, "").await;
    assert_eq!(status, 200, "{board}");
    assert_eq!(board["department"], "DPW");
    check_against_queues(stack, &clerk, &board).await;
    // And as the tickets say: seven open, each band two (one closed of the youngest).
    assert_eq!(board["open"], 7, "{board:#}");
    assert_eq!(board["capped"], false);
    let ages: Vec<u64> =
        board["by_age"].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).collect();
    assert_eq!(ages, vec![1, 2, 2, 2], "{board:#}");
    let of = |list: &str, key: &str| {
        board[list].as_array().unwrap().iter().find(|c| c["key"] == key).map(|c| c["count"].as_u64().unwrap())
    };
    assert_eq!(of("by_status", "scheduled"), Some(3));
    assert_eq!(of("by_status", "acknowledged"), Some(1));
    assert_eq!(of("by_status", "assigned"), Some(1));
    assert_eq!(of("by_status", "in_progress"), Some(1));
    assert_eq!(of("by_status", "submitted"), Some(1));
    assert_eq!(board["due_today"]["count"], 2, "{board:#}");
    // The two oldest are weeks past their promise; the twelve-day-old ones too (one scheduled).
    assert!(board["overdue"]["count"].as_u64().unwrap() >= 2, "{board:#}");
    assert_eq!(of("by_service", "DUMPING"), None);

    // Sanitation's dashboard holds its three, and its ticket due this afternoon.
    let sam = stack.token("sam", &["dept-SAN"]).await;
    let (status, theirs) = dashboard(stack, &sam, "").await;
    assert_eq!(status, 200, "{theirs}");
    check_against_queues(stack, &sam, &theirs).await;
    assert_eq!((theirs["open"].as_u64(), theirs["due_today"]["count"].as_u64()), (Some(3), Some(1)));
    assert_eq!(theirs["by_service"], json!([{"key": "DUMPING", "count": 3}]));

    // An admin names the department; a clerk may not read another's; the trends follow the
    // figures route keeps (public works' eight reports, not sanitation's).
    let admin = stack.token(ADMIN.0, ADMIN.1).await;
    assert_eq!(dashboard(stack, &admin, "").await.0, 400);
    assert_eq!(dashboard(stack, &sam, "?department=DPW").await.0, 403);
    let mut last = Value::Null;
    for _ in 0..100 {
        let (status, board) = dashboard(stack, &admin, "?department=DPW").await;
        assert_eq!(status, 200, "{board}");
        if board["period"]["opened"] == 8 && board["period"]["closed"] == 1 {
            last = board;
            break;
        }
        last = board;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        (last["period"]["opened"].as_u64(), last["period"]["closed"].as_u64()),
        (Some(8), Some(1)),
        "{last:#}"
    );
    assert_eq!(last["months"].as_array().unwrap().len(), 12);
    assert!(last["period"]["median_hours_to_first_response"].is_u64(), "{last:#}");
    assert_eq!(last["open"], 7);

    // Bad filters get a clear answer.
    for bad in ["age=7-2", "age=old", "due=tomorrow"] {
        let answer = stack
            .staff(Method::GET, &format!("/staff/v1/tickets?department=DPW&{bad}"), Some(&clerk), &[], None)
            .await;
        assert_eq!(answer.status, 400, "{bad}: {}", answer.body);
    }
}
