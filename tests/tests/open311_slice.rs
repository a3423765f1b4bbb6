//! A citizen submits an Open311 request and reads it back, over HTTP, through the handlers
//! Lambda runs, against the emulator.

use town311_tests::{TestStack, spawn, spawn_with};

const JSON: &str = "application/json; charset=utf-8";

fn assert_error_list(answer: &town311_tests::Answer, status: u16) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.content_type, JSON);
    let errors = answer.json();
    let errors = errors.as_array().expect("an error list");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["code"], status);
    assert!(!errors[0]["description"].as_str().unwrap_or_default().is_empty());
}

async fn submit_pothole(stack: &TestStack) -> String {
    let answer = stack
        .post_form(
            "/open311/v2/requests.json",
            &[
                ("service_code", "POTHOLE"),
                ("lat", "42.101234"),
                ("long", "-72.589876"),
                ("attribute[SIZE]", "medium"),
                ("description", "Deep hole in the eastbound lane\nnear the school"),
                ("first_name", "Ana"),
                ("last_name", ""),
                ("email", "ana@example.org"),
                ("phone", "(555) 123-4567"),
            ],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type, JSON);
    let created = answer.json();
    assert_eq!(created.as_array().map(Vec::len), Some(1));
    assert!(created[0].get("token").is_none());
    created[0]["service_request_id"].as_str().expect("a ticket number").to_owned()
}

#[tokio::test]
async fn services_json_lists_the_demo_catalog() {
    let stack = spawn().await;
    let answer = stack.get("/open311/v2/services.json").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type, JSON);
    let services = answer.json();
    let services = services.as_array().expect("a list");
    assert_eq!(services.len(), 17);
    for field in ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"] {
        assert!(services.iter().all(|s| s.get(field).is_some()), "every service has {field}");
    }
}

#[tokio::test]
async fn a_submitted_request_reads_back_with_what_was_sent() {
    let stack = spawn().await;
    let id = submit_pothole(&stack).await;
    let answer = stack.get(&format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let list = answer.json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "one request is a one-element list");
    let request = &list[0];
    assert_eq!(request["service_request_id"], id.as_str());
    assert_eq!(request["service_code"], "POTHOLE");
    assert_eq!(request["description"], "Deep hole in the eastbound lane\nnear the school");
    assert_eq!(request["lat"], 42.101234);
    assert_eq!(request["long"], -72.589876);
    assert_eq!(request["status"], "open");
    assert_eq!(request["agency_responsible"], "Public Works");
    let requested = request["requested_datetime"].as_str().unwrap_or_default();
    assert!(chrono::DateTime::parse_from_rfc3339(requested).is_ok(), "{requested}");
    assert!(requested.ends_with("-05:00") || requested.ends_with("-04:00"), "town offset: {requested}");
    let expected = request["expected_datetime"].as_str().expect("a promised date (POTHOLE: 3 business days)");
    let expected = chrono::DateTime::parse_from_rfc3339(expected).expect("a W3C datetime");
    assert!(expected > chrono::DateTime::parse_from_rfc3339(requested).unwrap());
    assert_eq!(expected.format("%H:%M").to_string(), "17:00", "at the close of a business day");
    for personal in ["Ana", "ana@example.org", "555", "first_name", "email", "phone"] {
        assert!(!answer.body.contains(personal), "{personal} leaked: {}", answer.body);
    }
}

#[tokio::test]
async fn a_ticket_number_reads_back_however_it_is_typed() {
    let stack = spawn().await;
    let id = submit_pothole(&stack).await;
    let typed = id.replace('-', "").to_lowercase();
    let answer = stack.get(&format!("/open311/v2/requests/{typed}.json")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()[0]["service_request_id"], id.as_str());
}

#[tokio::test]
async fn the_same_request_reads_back_in_xml() {
    let stack = spawn().await;
    let id = submit_pothole(&stack).await;
    let answer = stack.get(&format!("/open311/v2/requests/{id}.xml")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type, "text/xml; charset=utf-8");
    assert!(
        answer
            .body
            .contains(&format!("<service_requests><request><service_request_id>{id}</service_request_id>"))
    );
    assert!(answer.body.contains("<lat>42.101234</lat>"));
}

#[tokio::test]
async fn missing_service_code_is_a_400_error_list() {
    let stack = spawn().await;
    let answer = stack.post_form("/open311/v2/requests.json", &[("lat", "42.1"), ("long", "-72.5")]).await;
    assert_error_list(&answer, 400);
    let empty = stack
        .post_form("/open311/v2/requests.json", &[("service_code", ""), ("lat", "42.1"), ("long", "-72.5")])
        .await;
    assert_error_list(&empty, 400);
}

#[tokio::test]
async fn unknown_service_code_is_a_404_error_list() {
    let stack = spawn().await;
    let answer = stack
        .post_form(
            "/open311/v2/requests.json",
            &[("service_code", "UFO_SIGHTING"), ("lat", "42.1"), ("long", "-72.5")],
        )
        .await;
    assert_error_list(&answer, 404);
}

#[tokio::test]
async fn malformed_or_out_of_range_coordinates_are_400_error_lists() {
    let stack = spawn().await;
    for (lat, long) in [
        ("abc", "-72.5"),
        ("42.1", "west"),
        ("90.5", "-72.5"),
        ("42.1", "-180.01"),
        ("NaN", "1"),
        ("", "-72.5"),
    ] {
        let answer = stack
            .post_form("/open311/v2/requests.json", &[("service_code", "SIGN"), ("lat", lat), ("long", long)])
            .await;
        assert_error_list(&answer, 400);
    }
}

#[tokio::test]
async fn an_oversized_body_is_a_413_error_list() {
    let stack = spawn().await;
    let mut body = b"service_code=SIGN&lat=42.1&long=-72.5&description=".to_vec();
    body.extend(std::iter::repeat_n(b'a', 300 * 1024));
    let answer = stack.post_raw("/open311/v2/requests.json", "application/x-www-form-urlencoded", body).await;
    assert_error_list(&answer, 413);
}

#[tokio::test]
async fn an_unreadable_body_is_an_error_list_never_a_500() {
    let stack = spawn().await;
    let cases: [(&str, &[u8], u16); 3] = [
        ("application/x-www-form-urlencoded", b"service_code=SIGN&lat=%ZZ", 400),
        ("application/x-www-form-urlencoded", b"service_code=SIGN&description=%FF%FE&lat=1&long=1", 400),
        ("application/json", br#"{"service_code":"SIGN"}"#, 415),
    ];
    for (content_type, body, status) in cases {
        let answer = stack.post_raw("/open311/v2/requests.json", content_type, body.to_vec()).await;
        assert_error_list(&answer, status);
    }
}

#[tokio::test]
async fn unknown_requests_are_404_error_lists() {
    let stack = spawn().await;
    assert_error_list(&stack.get("/open311/v2/requests/ZZZZ-ZZZZ.json").await, 404);
    assert_error_list(&stack.get("/open311/v2/requests/robert'); DROP TABLE.json").await, 404);
}

#[tokio::test]
async fn routes_the_template_does_not_declare_get_api_gateways_404() {
    let stack = spawn().await;
    let answer = stack.get("/reports/dashboard").await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.json(), serde_json::json!({"message": "Not Found"}));
}

#[tokio::test]
async fn a_deployment_with_a_jurisdiction_refuses_others() {
    let stack = spawn_with(&[("JurisdictionId", "millbrook.example")]).await;
    let fields =
        [("service_code", "SIGN"), ("address_string", "1 Main St"), ("jurisdiction_id", "elsewhere.example")];
    assert_error_list(&stack.post_form("/open311/v2/requests.json", &fields).await, 404);
    let ok =
        [("service_code", "SIGN"), ("address_string", "1 Main St"), ("jurisdiction_id", "millbrook.example")];
    assert_eq!(stack.post_form("/open311/v2/requests.json", &ok).await.status, 200);
    assert_error_list(&stack.get("/open311/v2/services.json?jurisdiction_id=elsewhere.example").await, 404);
}
