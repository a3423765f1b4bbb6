//! The public routes' rate limits on the local stack: one client floods a route and is told to
//! wait, in the API's own error format, while the rest of the town is not held back.

use reqwest::Method;
use serde_json::{Value, json};
use town311_tests::{TestStack, spawn_with};

const LIMIT: usize = 3;

async fn limited() -> TestStack {
    spawn_with(&[("ClientWriteLimit", "3")]).await
}

async fn report(stack: &TestStack, path: &str) -> (u16, String, Option<String>) {
    let answer = stack
        .client
        .post(stack.url(path))
        .form(&[("service_code", "SIGN"), ("address_string", "1 Main St"), ("description", "Bent")])
        .send()
        .await
        .unwrap();
    let retry = answer.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (answer.status().as_u16(), answer.text().await.unwrap(), retry)
}

#[tokio::test]
async fn a_flood_of_follows_from_one_client_is_told_to_wait() {
    let stack = limited().await;
    let (status, body, _) = report(&stack, "/open311/v2/requests.json").await;
    assert_eq!(status, 200, "{body}");
    let id =
        serde_json::from_str::<Value>(&body).unwrap()[0]["service_request_id"].as_str().unwrap().to_owned();
    let path = format!("/citizen/v1/requests/{id}/follow");
    let mut answers = Vec::new();
    for n in 0..LIMIT + 2 {
        let body = json!({"email": format!("neighbour-{n}@example.org")});
        answers.push(stack.staff(Method::POST, &path, None, &[], Some(body)).await);
    }
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [201, 201, 201, 429, 429], "{:?}", answers.last().map(|a| &a.body));
    let refused = answers.last().unwrap().json();
    assert_eq!(refused[0]["code"], 429, "an Open311 error list: {refused}");
    assert!(refused[0]["description"].as_str().unwrap().contains("try again in"), "{refused}");
    let admin = stack.token("ada", &["admin"]).await;
    let followers =
        stack.staff(Method::GET, &format!("/staff/v1/tickets/{id}/followers"), Some(&admin), &[], None).await;
    assert_eq!(followers.json()["followers"].as_array().map(Vec::len), Some(LIMIT), "{}", followers.body);
    // The buckets are in the table's stream too: route passes them by, never to the dead letters.
    for _ in 0..3 {
        let dead = stack.dead_letters().await;
        assert!(dead.is_empty(), "dead letters: {dead:?}");
    }
}

#[tokio::test]
async fn reports_past_the_limit_wait_in_the_format_asked_and_other_routes_keep_their_own_count() {
    let stack = limited().await;
    for n in 0..LIMIT {
        let (status, body, _) = report(&stack, "/open311/v2/requests.json").await;
        assert_eq!(status, 200, "report {n}: {body}");
    }
    let (status, body, retry) = report(&stack, "/open311/v2/requests.xml").await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("<errors>") && body.contains("<code>429</code>"), "{body}");
    let seconds: u64 = retry.expect("a Retry-After header").parse().unwrap();
    assert!((1..=600).contains(&seconds), "{seconds}");
    // Staff entry is signed in, not counted; an upload form has a bucket of its own.
    let admin = stack.token("ada", &["admin"]).await;
    let entry = json!({"service_code": "SIGN", "address_string": "2 Elm St", "channel": "phone"});
    let entered = stack.staff(Method::POST, "/staff/v1/tickets", Some(&admin), &[], Some(entry)).await;
    assert_eq!(entered.status, 201, "{}", entered.body);
    let upload = stack
        .staff(Method::POST, "/citizen/v1/uploads", None, &[], Some(json!({"content_type": "image/jpeg"})))
        .await;
    assert_eq!(upload.status, 201, "{}", upload.body);
    let listed = stack.get("/open311/v2/requests.json").await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(LIMIT + 1), "nothing past the limit was filed");
}
