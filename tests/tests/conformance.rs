//! Open311 GeoReport v2 conformance, over HTTP against the local stack: every resource in both
//! formats, the filters and extensions, the error lists, and the habits of real clients
//! (FixMyStreet, GeoReporter, Code for America's libraries).

use chrono::{Duration, Utc};
use serde_json::Value;
use town311::adapters::aws::DynamoTable;
use town311::domain::form_token;
use town311::domain::id::OsRandom;
use town311_tests::{Answer, BOUNDARY, JPEG_BYTES, Part, TestStack, multipart, spawn, spawn_with};

const XML: &str = "text/xml; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

fn xml_text<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.match_indices(&open)
        .filter_map(|(i, _)| {
            let rest = &xml[i + open.len()..];
            rest.find(&close).map(|end| &rest[..end])
        })
        .collect()
}

async fn create(stack: &TestStack, fields: &[(&str, &str)]) -> String {
    let answer = stack.post_form("/open311/v2/requests.json", fields).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()[0]["service_request_id"].as_str().expect("an id").to_owned()
}

fn ids(answer: &Answer) -> Vec<String> {
    answer
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["service_request_id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn discovery_describes_the_endpoint_in_both_formats() {
    let stack = spawn().await;
    let json = stack.get("/open311/v2/discovery.json").await;
    assert_eq!((json.status, json.content_type.as_str()), (200, JSON));
    let discovery = json.json();
    let endpoint = &discovery["endpoints"][0];
    assert_eq!(endpoint["specification"], "http://wiki.open311.org/GeoReport_v2");
    assert_eq!(endpoint["url"], format!("{}/open311/v2/", stack.stack.base_url));
    assert_eq!(endpoint["type"], "production");
    assert_eq!(endpoint["formats"], serde_json::json!(["text/xml", "application/json"]));
    assert!(discovery["changeset"].as_str().is_some_and(|c| chrono::DateTime::parse_from_rfc3339(c).is_ok()));
    let xml = stack.get("/open311/v2/discovery.xml").await;
    assert_eq!((xml.status, xml.content_type.as_str()), (200, XML));
    assert!(xml.body.contains("<discovery><changeset>"), "{}", xml.body);
    assert!(xml.body.contains(
        "<endpoints><endpoint><specification>http://wiki.open311.org/GeoReport_v2</specification>"
    ));
    assert!(
        xml.body.contains("<formats><format>text/xml</format><format>application/json</format></formats>")
    );
}

#[tokio::test]
async fn services_and_definitions_in_xml_follow_the_spark_convention() {
    let stack = spawn().await;
    let services = stack.get("/open311/v2/services.xml").await;
    assert_eq!((services.status, services.content_type.as_str()), (200, XML));
    assert!(services.body.starts_with("<?xml"));
    assert_eq!(xml_text(&services.body, "service_code").len(), 17);
    let metadata = xml_text(&services.body, "metadata");
    assert!(metadata.iter().all(|m| *m == "true" || *m == "false"), "{metadata:?}");
    let definition = stack.get("/open311/v2/services/POTHOLE.xml").await;
    assert_eq!(definition.status, 200);
    assert!(
        definition
            .body
            .contains("<service_definition><service_code>POTHOLE</service_code><attributes><attribute>")
    );
    assert!(definition.body.contains("<values><value><key>small</key>"));
    let mut seen = std::collections::BTreeSet::new();
    for code in ["POTHOLE", "STREETLIGHT", "MISSED_TRASH", "ABANDONED_VEHICLE"] {
        let answer = stack.get(&format!("/open311/v2/services/{code}.json")).await;
        for attribute in answer.json()["attributes"].as_array().expect("attributes") {
            seen.insert(attribute["datatype"].as_str().unwrap_or_default().to_owned());
            assert!(attribute["order"].as_u64().is_some_and(|o| o > 0));
            assert!(attribute["variable"].is_boolean() && attribute["required"].is_boolean());
        }
    }
    assert_eq!(seen.len(), 6, "all six datatypes: {seen:?}");
}

#[tokio::test]
async fn fixmystreet_posts_and_pulls_back_in_xml() {
    let stack = spawn_with(&[("JurisdictionId", "millbrook.example")]).await;
    let base = format!("{}/open311/v2/", stack.stack.base_url);
    let before = Utc::now() - Duration::minutes(1);
    let fields = [
        ("jurisdiction_id", "millbrook.example"),
        ("api_key", "ignored-when-keys-are-not-required"),
        ("service_code", "POTHOLE"),
        ("lat", "42.101235"),
        ("long", "-72.589877"),
        ("first_name", "Ana"),
        ("last_name", ""),
        ("email", "ana@example.org"),
        ("description", "Pothole outside number 12\r\n\r\nDeep enough to damage a tyre."),
        ("attribute[SIZE]", "large"),
        ("attribute[DEPTH]", ""),
        ("attribute[uprn]", "100023336956"),
        ("media_url", "https://fms.example/photo/1.jpeg"),
        ("media_url", "https://fms.example/photo/2.jpeg"),
        ("deviceid", "fms-device"),
    ];
    let response = stack.client.post(format!("{base}requests.xml")).form(&fields).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().await.unwrap();
    assert!(body.contains("<service_requests><request><service_request_id>"), "{body}");
    let id = xml_text(&body, "service_request_id")[0].to_owned();

    let by_id = stack
        .get(&format!("/open311/v2/requests.xml?jurisdiction_id=millbrook.example&service_request_id={id}"))
        .await;
    assert_eq!(by_id.status, 200);
    assert_eq!(xml_text(&by_id.body, "service_request_id"), vec![id.as_str()]);
    assert_eq!(xml_text(&by_id.body, "lat"), vec!["42.101235"]);
    assert_eq!(xml_text(&by_id.body, "media_url"), vec!["https://fms.example/photo/1.jpeg"]);
    let updated = xml_text(&by_id.body, "updated_datetime")[0];
    assert!(chrono::DateTime::parse_from_rfc3339(updated).is_ok(), "{updated}");
    for personal in ["Ana", "ana@example.org", "fms-device"] {
        assert!(!by_id.body.contains(personal), "{personal} leaked");
    }

    let window = format!(
        "start_date={}&end_date={}",
        before.format("%Y-%m-%dT%H:%M:%SZ"),
        (before + Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    let listed =
        stack.get(&format!("/open311/v2/requests.xml?jurisdiction_id=millbrook.example&{window}")).await;
    assert!(xml_text(&listed.body, "service_request_id").contains(&id.as_str()), "{}", listed.body);
    let updates = stack.get(&format!("/open311/v2/servicerequestupdates.xml?{window}")).await;
    assert_eq!(updates.status, 200);
    assert!(updates.body.contains("<service_requests_updates><request_update>"), "{}", updates.body);
    assert!(xml_text(&updates.body, "service_request_id").contains(&id.as_str()));
    assert!(xml_text(&updates.body, "status").contains(&"OPEN"));
}

#[tokio::test]
async fn fixmystreet_multipart_photos_are_accepted() {
    let stack = spawn().await;
    let body = multipart(&[
        Part::Field("service_code", "SIGN"),
        Part::Field("lat", "42.1"),
        Part::Field("long", "-72.5"),
        Part::Field("last_name", ""),
        Part::Field("description", "Stop sign knocked over"),
        Part::File { name: "photo1", filename: "sign.jpeg", content_type: "image/jpeg", data: JPEG_BYTES },
    ]);
    let answer = stack
        .post_raw("/open311/v2/requests.xml", &format!("multipart/form-data; boundary={BOUNDARY}"), body)
        .await;
    assert_eq!((answer.status, answer.content_type.as_str()), (200, XML), "{}", answer.body);
    assert_eq!(xml_text(&answer.body, "service_request_id").len(), 1);
}

#[tokio::test]
async fn georeporter_multipart_with_media_and_list_answers_gets_exactly_200() {
    let stack = spawn().await;
    let body = multipart(&[
        Part::Field("service_code", "MISSED_TRASH"),
        Part::Field("address_string", "12 Elm St"),
        Part::Field("attribute[CARTS][]", "trash"),
        Part::Field("attribute[CARTS][]", "recycling"),
        Part::Field("attribute[SET_OUT]", "2026-11-22T06:30:00-05:00"),
        Part::File { name: "media", filename: "IMG_0001.jpg", content_type: "image/jpeg", data: JPEG_BYTES },
    ]);
    let answer = stack
        .post_raw("/open311/v2/requests.json", &format!("multipart/form-data; boundary={BOUNDARY}"), body)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.json()[0]["service_request_id"].is_string());
}

#[tokio::test]
async fn a_bad_photo_or_a_bad_answer_is_named_in_the_error() {
    let stack = spawn().await;
    let body = multipart(&[
        Part::Field("service_code", "SIGN"),
        Part::Field("address_string", "1 Main St"),
        Part::File {
            name: "photo1",
            filename: "evil.jpg",
            content_type: "image/jpeg",
            data: b"<script>alert(1)</script>",
        },
    ]);
    let answer = stack
        .post_raw("/open311/v2/requests.json", &format!("multipart/form-data; boundary={BOUNDARY}"), body)
        .await;
    assert_eq!(answer.status, 400);
    assert!(answer.json()[0]["description"].as_str().unwrap_or_default().contains("photo1"));
    for (code, value, fragment) in
        [("CARTS", "compost", "attribute[CARTS]"), ("SET_OUT", "last tuesday", "attribute[SET_OUT]")]
    {
        let key = format!("attribute[{code}]");
        let fields = [
            ("service_code", "MISSED_TRASH"),
            ("address_string", "1 Main St"),
            ("attribute[CARTS]", "trash"),
            (key.as_str(), value),
        ];
        let answer = stack.post_form("/open311/v2/requests.xml", &fields).await;
        assert_eq!((answer.status, answer.content_type.as_str()), (400, XML));
        assert!(answer.body.starts_with("<?xml") && answer.body.contains("<errors><error><code>400</code>"));
        assert!(answer.body.contains(fragment), "{}", answer.body);
    }
    let depth = [
        ("service_code", "POTHOLE"),
        ("address_string", "x"),
        ("attribute[SIZE]", "small"),
        ("attribute[DEPTH]", "deep"),
    ];
    assert_eq!(stack.post_form("/open311/v2/requests.json", &depth).await.status, 400);
}

#[tokio::test]
async fn listings_filter_page_and_bound_their_window() {
    let stack = spawn().await;
    let pothole = create(
        &stack,
        &[("service_code", "POTHOLE"), ("attribute[SIZE]", "small"), ("lat", "42.1"), ("long", "-72.5")],
    )
    .await;
    let sign = create(&stack, &[("service_code", "SIGN"), ("address_string", "Main and Elm")]).await;
    let graffiti = create(
        &stack,
        &[("service_code", "GRAFFITI"), ("attribute[SURFACE]", "bridge"), ("address_string", "x")],
    )
    .await;
    let all = stack.get("/open311/v2/requests.json").await;
    assert_eq!(all.status, 200);
    assert_eq!(ids(&all), vec![graffiti.clone(), sign.clone(), pothole.clone()], "newest first");
    assert_eq!(
        ids(&stack.get("/open311/v2/requests.json?service_code=SIGN,GRAFFITI").await),
        vec![graffiti.clone(), sign.clone()]
    );
    assert_eq!(ids(&stack.get("/open311/v2/requests.json?status=open").await).len(), 3);
    assert!(ids(&stack.get("/open311/v2/requests.json?status=closed").await).is_empty());
    assert_eq!(ids(&stack.get("/open311/v2/requests.json?page_size=2&page=2").await), vec![pothole.clone()]);
    let hour_ago = (Utc::now() - Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
    assert_eq!(
        ids(&stack.get(&format!("/open311/v2/requests.json?updated_after={hour_ago}")).await).len(),
        3
    );
    let named = stack
        .get(&format!(
            "/open311/v2/requests.json?service_request_id={pothole},ZZZZ-ZZZZ,{sign}&status=closed"
        ))
        .await;
    assert_eq!(
        ids(&named),
        vec![pothole.clone(), sign.clone()],
        "ids override other filters, in the order asked"
    );
    for query in [
        "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
        "start_date=last+week",
        "status=pending",
        "page_size=0",
        "page=abc",
        "extensions=maybe",
    ] {
        let answer = stack.get(&format!("/open311/v2/requests.json?{query}")).await;
        assert_eq!(answer.status, 400, "{query}: {}", answer.body);
        assert_eq!(answer.json()[0]["code"], 400);
    }
}

#[tokio::test]
async fn extensions_add_channel_and_public_notes_but_nothing_personal() {
    let stack = spawn().await;
    let id = create(
        &stack,
        &[
            ("service_code", "SIGN"),
            ("address_string", "1 Main St"),
            ("phone", "555-010-9999"),
            ("first_name", "Ana"),
        ],
    )
    .await;
    let plain = stack.get(&format!("/open311/v2/requests/{id}.json")).await.json();
    assert!(plain[0].get("extended_attributes").is_none());
    let one = stack.get(&format!("/open311/v2/requests/{id}.json?extensions=true")).await;
    let extended = &one.json()[0]["extended_attributes"];
    assert_eq!(extended["channel"], "open311");
    assert_eq!(extended["duplicate"], false);
    assert_eq!(extended["parent_service_request_id"], Value::Null);
    assert_eq!(extended["notes"][0]["type"], "submitted");
    assert!(extended["photos"].as_array().is_some_and(Vec::is_empty));
    let listed = stack.get("/open311/v2/requests.xml?extensions=true").await;
    assert!(listed.body.contains("<extended_attributes><channel>open311</channel>"), "{}", listed.body);
    assert!(listed.body.contains("<notes><note><datetime>"));
    for body in [&one.body, &listed.body] {
        assert!(!body.contains("555") && !body.contains("Ana"), "personal data leaked: {body}");
    }
}

#[tokio::test]
async fn a_batch_service_answers_with_a_token_that_leads_to_the_request() {
    let stack = spawn().await;
    let answer = stack
        .post_form(
            "/open311/v2/requests.json",
            &[
                ("service_code", "BULK_PICKUP"),
                ("address_string", "3 Oak St"),
                ("attribute[ITEMS]", "sofa, two chairs"),
            ],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let created = answer.json();
    assert!(created[0].get("service_request_id").is_none(), "a token or an id, never both");
    let token = created[0]["token"].as_str().expect("a token").to_owned();
    let lookup = stack.get(&format!("/open311/v2/tokens/{token}.json")).await;
    assert_eq!(lookup.status, 200);
    let id = lookup.json()[0]["service_request_id"].as_str().expect("an id").to_owned();
    assert_eq!(lookup.json()[0]["token"], token.as_str());
    assert_eq!(
        stack.get(&format!("/open311/v2/requests/{id}.json")).await.json()[0]["service_code"],
        "BULK_PICKUP"
    );
    let xml = stack.get(&format!("/open311/v2/tokens/{token}.xml")).await;
    assert_eq!(xml_text(&xml.body, "service_request_id"), vec![id.as_str()]);
    let unknown = stack.get("/open311/v2/tokens/0000.json").await;
    assert_eq!((unknown.status, unknown.json()[0]["code"].as_u64()), (404, Some(404)));
}

#[tokio::test]
async fn api_keys_are_required_checked_recorded_and_revocable() {
    let stack = spawn_with(&[("ApiKeyPolicy", "required")]).await;
    let keys = DynamoTable::new(&stack.stack.sdk, &stack.stack.config);
    let (secret, key) = town311_ops::issue(&keys, &OsRandom, "FixMyStreet", Utc::now()).await.unwrap();
    let sign = [("service_code", "SIGN"), ("address_string", "1 Main St")];
    let missing = stack.post_form("/open311/v2/requests.xml", &sign).await;
    assert_eq!((missing.status, missing.content_type.as_str()), (403, XML));
    assert!(missing.body.contains("<code>403</code>"));
    let wrong = [("service_code", "SIGN"), ("address_string", "1 Main St"), ("api_key", "t311_guess")];
    assert_eq!(stack.post_form("/open311/v2/requests.json", &wrong).await.status, 403);
    let good = [("service_code", "SIGN"), ("address_string", "1 Main St"), ("api_key", secret.as_str())];
    assert_eq!(stack.post_form("/open311/v2/requests.json", &good).await.status, 200);
    assert_eq!(
        stack.post_form(&format!("/open311/v2/requests.json?api_key={secret}"), &sign).await.status,
        200
    );
    let listed = town311_ops::list(&keys).await.unwrap();
    assert!(
        listed[0].contains(&key.id) && listed[0].contains("active") && !listed[0].contains("last used -"),
        "{listed:?}"
    );
    town311_ops::revoke(&keys, &key.id, Utc::now()).await.unwrap();
    assert_eq!(stack.post_form("/open311/v2/requests.json", &good).await.status, 403);
    assert_eq!(stack.get("/open311/v2/services.json").await.status, 200, "reading needs no key");
}

#[tokio::test]
async fn the_towns_form_needs_the_token_its_page_was_served_with_not_an_origin() {
    let stack = spawn_with(&[("ApiKeyPolicy", "required-except-web-form")]).await;
    let report = |extra: &[(&'static str, String)]| {
        let mut fields =
            vec![("service_code", "SIGN".to_owned()), ("address_string", "1 Main St".to_owned())];
        fields.extend_from_slice(extra);
        // As a script elsewhere can: the town's own origin, claimed.
        stack
            .client
            .post(stack.url("/open311/v2/requests.json"))
            .header("origin", stack.stack.base_url.as_str())
            .form(&fields)
            .send()
    };
    let forged = report(&[]).await.unwrap();
    assert_eq!(forged.status(), 403);
    let errors: Value = forged.json().await.unwrap();
    assert_eq!(errors[0]["code"], 403);
    assert_eq!(errors[0]["description"], "api_key is required (or the town's form_token)");

    // The token the page's settings carry, as the form sends it.
    let script = stack.get("/assets/config.js").await;
    assert_eq!(script.status, 200);
    let settings: Value = serde_json::from_str(
        script.body.trim().strip_prefix("window.TOWN311_CONFIG = ").unwrap().strip_suffix(';').unwrap(),
    )
    .unwrap();
    let token = settings["form_token"].as_str().expect("a form token").to_owned();
    let answer = report(&[("form_token", token.clone())]).await.unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    let again = stack.get("/assets/config.js").await;
    assert!(again.body.contains("\"form_token\":\""), "a token each time: {}", again.body);

    let now = Utc::now().timestamp();
    let key = stack.stack.config.form_key.as_ref().expect("the local stack makes a form secret");
    let expired = key.mint(now - form_token::LIFETIME_SECONDS - 1);
    let (expiry, signature) = token.split_once('.').unwrap();
    let altered = format!("{}.{signature}", expiry.parse::<i64>().unwrap() + 60);
    let other_secret = form_token::FormKey::new(&[7; 32]).unwrap().mint(now);
    for bad in [expired, altered, other_secret] {
        let answer = report(&[("form_token", bad.clone())]).await.unwrap();
        assert_eq!(answer.status(), 403, "{bad}");
    }

    let keys = DynamoTable::new(&stack.stack.sdk, &stack.stack.config);
    let (secret, _) = town311_ops::issue(&keys, &OsRandom, "FixMyStreet", Utc::now()).await.unwrap();
    assert_eq!(report(&[("api_key", secret)]).await.unwrap().status(), 200);
}

#[tokio::test]
async fn xml_errors_and_unknown_resources() {
    let stack = spawn().await;
    let answer = stack
        .post_form("/open311/v2/requests.xml", &[("service_code", "NOPE"), ("address_string", "x")])
        .await;
    assert_eq!((answer.status, answer.content_type.as_str()), (404, XML));
    assert!(answer.body.contains("<errors><error><code>404</code><description>"));
    for path in [
        "/open311/v2/requests/ZZZZ-ZZZZ.xml",
        "/open311/v2/services/NOPE.xml",
        "/open311/v2/nothing.xml",
        "/open311/v2/tokens/nope.xml",
    ] {
        let answer = stack.get(path).await;
        assert_eq!((answer.status, answer.content_type.as_str()), (404, XML), "{path}");
    }
    let long = "Z".repeat(3000);
    for path in [format!("/open311/v2/tokens/{long}.json"), format!("/open311/v2/services/{long}.json")] {
        let answer = stack.get(&path).await;
        assert_eq!(answer.status, 404, "a name longer than any key names nothing");
    }
    let fields = [("service_code", long.as_str()), ("address_string", "x")];
    assert_eq!(stack.post_form("/open311/v2/requests.json", &fields).await.status, 404);
    let too_big = vec![b'a'; 5 * 1024 * 1024];
    let answer = stack
        .post_raw("/open311/v2/requests.json", &format!("multipart/form-data; boundary={BOUNDARY}"), too_big)
        .await;
    assert_eq!(answer.status, 413);
}
