//! Hostile query parameters over HTTP against the local stack: dates at the ends of chrono's
//! calendar, non-numbers where numbers go, and made-up cursors are refused with an error list
//! naming the parameter, in the format asked for, and the stack keeps answering.

use reqwest::Method;
use serde_json::Value;
use town311_tests::{Answer, TestStack, spawn};

fn assert_open311_400(answer: &Answer, parameter: &str) {
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/json"), "{}", answer.content_type);
    let errors = answer.json();
    let errors = errors.as_array().expect("an error list");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["code"], 400);
    let description = errors[0]["description"].as_str().expect("a description");
    assert!(description.starts_with(parameter), "{description}");
}

async fn still_answers(stack: &TestStack) {
    let answer = stack.get("/open311/v2/requests.json").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn listing_dates_past_the_calendar_are_400_naming_the_parameter() {
    let stack = spawn().await;
    for (query, parameter) in [
        ("end_date=-262143-01-15", "end_date"),
        ("start_date=%2B262142-12-31", "start_date"),
        ("start_date=%2B262142-12-31T23:59:59", "start_date"),
        ("updated_after=%2B262142-12-31", "updated_after"),
        ("updated_before=-262143-01-15", "updated_before"),
        ("start_date=1969-12-31T23:59:59Z", "start_date"),
        ("end_date=9999-12-31T23:59:59-23:59", "end_date"),
    ] {
        let answer = stack.get(&format!("/open311/v2/requests.json?{query}")).await;
        assert_open311_400(&answer, parameter);
    }
    still_answers(&stack).await;
}

#[tokio::test]
async fn update_windows_past_the_calendar_are_400_naming_the_parameter() {
    let stack = spawn().await;
    for (query, parameter) in
        [("start_date=%2B262142-12-31", "start_date"), ("end_date=-262143-01-15", "end_date")]
    {
        let answer = stack.get(&format!("/open311/v2/servicerequestupdates.json?{query}")).await;
        assert_open311_400(&answer, parameter);
    }
    still_answers(&stack).await;
}

#[tokio::test]
async fn errors_come_as_xml_when_xml_is_asked_for() {
    let stack = spawn().await;
    for path in [
        "/open311/v2/requests.xml?end_date=-262143-01-15",
        "/open311/v2/servicerequestupdates.xml?start_date=%2B262142-12-31",
    ] {
        let answer = stack.get(path).await;
        assert_eq!(answer.status, 400, "{}", answer.body);
        assert!(answer.content_type.starts_with("text/xml"), "{}", answer.content_type);
        let parameter = if path.contains("end_date") { "end_date" } else { "start_date" };
        assert!(
            answer.body.contains(&format!("<errors><error><code>400</code><description>{parameter}")),
            "{}",
            answer.body
        );
    }
}

#[tokio::test]
async fn nonsense_numbers_and_points_are_400() {
    let stack = spawn().await;
    for path in [
        "/open311/v2/requests.json?page=18446744073709551616",
        "/open311/v2/requests.json?page_size=NaN",
        "/open311/v2/requests.json?page=-0",
    ] {
        let answer = stack.get(path).await;
        assert_open311_400(&answer, "page");
    }
    for query in ["lat=NaN&long=0", "lat=0&long=inf", "lat=1e400&long=0", "lat=42.1&long=-72.5&radius=NaN"] {
        let answer = stack.get(&format!("/citizen/v1/nearby?service_code=POTHOLE&{query}")).await;
        assert_eq!(answer.status, 400, "{query}: {}", answer.body);
    }
    still_answers(&stack).await;
}

#[tokio::test]
async fn staff_queue_refuses_made_up_cursors_and_dates() {
    let stack = spawn().await;
    let clerk = stack.token("bo", &["dept-DPW"]).await;
    for query in [
        "after=%E2%80%A8%23%FF",
        "after=2026-11-22T00:00:00Z",
        "updated_since=-262143-01-15",
        "updated_since=%2B262142-12-31",
        "limit=18446744073709551616",
    ] {
        let answer =
            stack.staff(Method::GET, &format!("/staff/v1/tickets?{query}"), Some(&clerk), &[], None).await;
        assert_eq!(answer.status, 400, "{query}: {}", answer.body);
        let errors: Value = answer.json();
        assert_eq!(errors[0]["code"], 400, "{errors}");
    }
    for query in ["start_date=%2B262142-12-31", "end_date=-262143-01-15"] {
        let answer =
            stack.staff(Method::GET, &format!("/staff/v1/export.csv?{query}"), Some(&clerk), &[], None).await;
        assert_eq!(answer.status, 400, "{query}: {}", answer.body);
    }
    still_answers(&stack).await;
}
