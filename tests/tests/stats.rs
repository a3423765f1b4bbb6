//! The town's public figures on the local stack: a scripted month and a half of requests, filed,
//! answered, closed and reopened with the functions' clock moved day by day; then
//! `GET /citizen/v1/stats` must say what the tickets themselves say, computed here from each
//! ticket's staff view, not from the figures route kept.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use town311::runtime::clock::FixedClock;
use town311_tests::{TestStack, spawn_at};

fn tz() -> town311::domain::zone::TownZone {
    town311::domain::zone::TownZone::named("America/New_York").unwrap()
}

async fn file(stack: &TestStack, service: &str, n: usize) -> String {
    let description = format!("report {n}");
    let mut fields = vec![
        ("service_code", service),
        ("lat", "42.27"),
        ("long", "-71.80"),
        ("description", description.as_str()),
    ];
    if service == "POTHOLE" {
        fields.push(("attribute[SIZE]", "large"));
    }
    let answer = stack.post_form("/open311/v2/requests.json", &fields).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()[0]["service_request_id"].as_str().unwrap().to_owned()
}

fn at(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap().with_timezone(&Utc)
}

/// The figures, as this test computes them from the tickets.
#[derive(Default, Debug)]
struct Expected {
    opened: u64,
    closed: u64,
    in_promise: u64,
    reopened: u64,
    close_days: Vec<i64>,
    response_hours: Vec<i64>,
}

impl Expected {
    fn median(values: &[i64]) -> Value {
        let mut values = values.to_vec();
        values.sort_unstable();
        if values.is_empty() { Value::Null } else { json!(values[values.len().div_ceil(2) - 1]) }
    }

    fn percent(&self) -> Value {
        (self.in_promise * 100 + self.closed / 2).checked_div(self.closed).map_or(Value::Null, |p| json!(p))
    }
}

fn month_of(instant: DateTime<Utc>) -> String {
    let local = instant.with_timezone(&tz());
    format!("{:04}-{:02}", local.year(), local.month())
}

#[tokio::test]
async fn the_public_figures_are_what_the_tickets_say() {
    let start = Utc.with_ymd_and_hms(2026, 9, 1, 14, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::at(start));
    let stack = spawn_at(clock.clone()).await;
    let services = ["POTHOLE", "SIGN", "DRAIN", "POTHOLE"];
    let mut filed: Vec<String> = Vec::new();
    let mut open: std::collections::VecDeque<String> = Default::default();
    let mut closed: Vec<String> = Vec::new();
    let mut yesterdays_first: Option<String> = None;
    // Forty-five days, a few hundred requests: four to six reports a day; staff answer the first
    // of each day the next day, close the two to four oldest open ones each day from the fourth
    // (so closings take longer as the backlog grows), and reopen the last one closed every ninth.
    for day in 0..45i64 {
        clock.set(start + Duration::days(day) + Duration::minutes(day * 7 % 300));
        if let Some(id) = yesterdays_first.take() {
            stack.act(&id, json!({"action": "assign", "assignee": "crew-1"})).await;
        }
        for _ in 0..if day >= 3 { 2 + day % 3 } else { 0 } {
            if let Some(id) = open.pop_front() {
                stack
                    .act(&id, json!({"action": "set_status", "status": "closed", "resolution": "fixed"}))
                    .await;
                closed.push(id);
            }
        }
        if day >= 9
            && day % 9 == 0
            && let Some(id) = closed.pop()
        {
            stack.act(&id, json!({"action": "set_status", "status": "reopened"})).await;
            open.push_back(id);
        }
        for k in 0..(4 + (day % 3) as usize) {
            let n = filed.len();
            let id = file(&stack, services[(n + k) % services.len()], n).await;
            if k == 0 {
                yesterdays_first = Some(id.clone());
            }
            open.push_back(id.clone());
            filed.push(id);
        }
    }
    clock.set(Utc.with_ymd_and_hms(2026, 11, 20, 17, 0, 0).unwrap());

    // What the tickets say.
    let mut period = Expected::default();
    let mut months: BTreeMap<String, Expected> = BTreeMap::new();
    let mut departments: BTreeMap<String, Expected> = BTreeMap::new();
    for id in &filed {
        let view = stack.ticket_when(id, |_| true).await;
        let ticket = &view["ticket"];
        let requested = at(&ticket["requested_at"]);
        let expected_at = ticket.get("expected_at").filter(|v| !v.is_null()).map(at);
        let department = ticket["department"].as_str().unwrap().to_owned();
        let mut staff_seen = false;
        for entry in view["history"].as_array().unwrap() {
            let when = at(&entry["at"]);
            let change = &entry["change"];
            let add = |e: &mut Expected| match change["type"].as_str() {
                Some("submitted") => e.opened += 1,
                Some("status_changed") if change["to"] == "closed" => {
                    e.closed += 1;
                    e.in_promise += u64::from(expected_at.is_some_and(|p| when <= p));
                    e.close_days.push(((when - requested).num_seconds() / 86_400).min(60));
                }
                Some("status_changed") if change["to"] == "reopened" => e.reopened += 1,
                _ => {}
            };
            add(&mut period);
            add(months.entry(month_of(when)).or_default());
            add(departments.entry(department.clone()).or_default());
            if entry["actor"]["kind"] == "staff" && !staff_seen {
                staff_seen = true;
                period.response_hours.push((when - requested).num_seconds() / 3_600);
            }
        }
    }
    assert!(filed.len() >= 200, "a few hundred requests: {}", filed.len());
    assert!(period.closed > 100 && period.reopened >= 3 && period.opened == filed.len() as u64, "{period:?}");

    let figures_match =
        |answer: &Value| {
            let p = &answer["period"];
            p["opened"] == period.opened
                && p["closed"] == period.closed
                && p["closed_in_promise"] == period.in_promise
                && p["reopened"] == period.reopened
                && p["median_days_to_close"] == Expected::median(&period.close_days)
                && p["percent_closed_in_promise"] == period.percent()
                && p["median_hours_to_first_response"] == Expected::median(&period.response_hours)
                && months.iter().all(|(month, e)| {
                    answer["months"].as_array().unwrap().iter().any(|m| {
                        m["month"] == month.as_str()
                            && m["opened"] == e.opened
                            && m["closed"] == e.closed
                            && m["reopened"] == e.reopened
                            && m["median_days_to_close"] == Expected::median(&e.close_days)
                    })
                })
                && departments.iter().all(|(code, e)| {
                    answer["departments"].as_array().unwrap().iter().any(|d| {
                        d["code"] == code.as_str() && d["opened"] == e.opened && d["closed"] == e.closed
                    })
                })
        };
    // The stream works in the background: the figures catch up, then hold what the tickets say.
    let mut answer = Value::Null;
    for _ in 0..120 {
        let got = stack.get("/citizen/v1/stats").await;
        assert_eq!(got.status, 200, "{}", got.body);
        answer = got.json();
        if figures_match(&answer) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        figures_match(&answer),
        "the figures never matched the tickets:\nexpected period {period:?}\nmonths {months:?}\ndepartments {departments:?}\ngot {answer:#}"
    );
    let months_listed: Vec<&str> =
        answer["months"].as_array().unwrap().iter().map(|m| m["month"].as_str().unwrap()).collect();
    assert_eq!(months_listed.len(), 12);
    assert_eq!(months_listed.last(), Some(&"2026-11"));
    assert!(!answer.to_string().contains("report "), "no free text");
}
