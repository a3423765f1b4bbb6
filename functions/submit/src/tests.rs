use super::*;
use chrono::{TimeZone, Utc};
use serde_json::Value;
use town311::adapters::memory::{MemoryPhotos, MemoryStore};
use town311::domain::api_key::{ApiKey, KeyPolicy};
use town311::domain::form_token::{self, FormKey};
use town311::domain::id::{OsRandom, TicketId};
use town311::domain::ticket::Channel;
use town311::http::apigw::Invocation;
use town311::ports::ApiKeys;
use town311::runtime::clock::FixedClock;

async fn state() -> (State, Arc<MemoryStore>) {
    let (state, store, _) = state_with_photos().await;
    (state, store)
}

async fn state_with_photos() -> (State, Arc<MemoryStore>, Arc<MemoryPhotos>) {
    let store = Arc::new(MemoryStore::with_demo_catalog().await);
    let config = town311::adapters::memory::config(Some("millbrook.example"));
    let photos = Arc::new(MemoryPhotos::default());
    let state = State {
        config,
        tickets: store.clone(),
        catalog: store.clone(),
        keys: store.clone(),
        photos: photos.clone(),
        links: photos.clone(),
        clock: Arc::new(FixedClock::at(Utc.with_ymd_and_hms(2026, 11, 22, 14, 30, 0).unwrap())),
        ids: Arc::new(OsRandom),
        rates: store.clone(),
        addresses: store.clone(),
    };
    (state, store, photos)
}

fn post(document: &str, content_type: &str, body: &str) -> Request {
    let path = format!("/open311/v2/{document}");
    Invocation::new("POST", &format!("POST {path}"), &path)
        .header("content-type", content_type)
        .body(body)
        .into_request()
        .unwrap()
}

fn form(body: &str) -> Request {
    post("requests.json", "application/x-www-form-urlencoded", body)
}

async fn call(state: &State, request: Request) -> (u16, String) {
    let response = handle(state, request).await.unwrap();
    let body = std::str::from_utf8(response.body().as_ref()).unwrap().to_owned();
    (response.status().as_u16(), body)
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

const POTHOLE: &str =
    "service_code=POTHOLE&lat=42.1&long=-72.5&attribute%5BSIZE%5D=large&description=Deep+hole";

#[tokio::test]
async fn submit_creates_a_ticket_and_answers_with_its_number() {
    let (state, store) = state().await;
    let (status, body) = call(&state, form(POTHOLE)).await;
    assert_eq!(status, 200, "{body}");
    let answer = json(&body);
    let id = answer[0]["service_request_id"].as_str().unwrap();
    // Sunday Nov 22 09:30 in Millbrook; POTHOLE promises 3 business days: Mon, Tue, Wed
    // (Thanksgiving falls after), so by Wednesday Nov 25 at 17:00.
    let notice = answer[0]["service_notice"].as_str().unwrap();
    assert!(
        notice.contains("Public Works") && notice.contains("Expected by Wed Nov 25, 5:00 PM"),
        "{notice}"
    );
    assert!(answer[0].get("token").is_none());
    let ticket = store.get(&TicketId::parse(id).unwrap()).await.unwrap().unwrap();
    assert_eq!(ticket.service_code, "POTHOLE");
    assert_eq!(ticket.department, "DPW");
    assert_eq!(ticket.answers["SIZE"], vec!["large"]);
    assert_eq!(store.history().len(), 1);
    assert_eq!(ticket.expected_at, Some(Utc.with_ymd_and_hms(2026, 11, 25, 22, 0, 0).unwrap()));
    // The confirmation's parts, one field each.
    assert_eq!(answer[0]["expected_datetime"], "2026-11-25T17:00:00-05:00");
    assert_eq!(answer[0]["department_name"], "Public Works");
    assert_eq!(answer[0]["department_phone"], "(555) 010-2100");
    assert_eq!(answer[0]["department_email"], "publicworks@millbrook.example");
}

#[tokio::test]
async fn the_routing_rules_decide_the_department_the_citizen_is_told_of() {
    let store = Arc::new(MemoryStore::with_demo_routing().await);
    let (mut state, _) = state().await;
    state.tickets = store.clone();
    state.catalog = store.clone();
    // A fallen tree blocking a road is Public Works' job, not Parks'.
    let body = "service_code=TREE_DOWN&lat=42.28&long=-71.8&description=Tree+blocking+the+road";
    let (status, body) = call(&state, form(body)).await;
    assert_eq!(status, 200, "{body}");
    let answer = json(&body);
    assert_eq!(answer[0]["department_name"], "Public Works");
    let id = TicketId::parse(answer[0]["service_request_id"].as_str().unwrap()).unwrap();
    assert_eq!(store.get(&id).await.unwrap().unwrap().department, "DPW");
    let (_, body) =
        call(&state, form("service_code=TREE_DOWN&lat=42.28&long=-71.8&description=In+the+park")).await;
    assert_eq!(json(&body)[0]["department_name"], "Parks and Recreation");
}

#[tokio::test]
async fn submit_answers_in_xml_when_asked() {
    let (state, _) = state().await;
    let response =
        handle(&state, post("requests.xml", "application/x-www-form-urlencoded", POTHOLE)).await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/xml; charset=utf-8");
    let body = std::str::from_utf8(response.body().as_ref()).unwrap();
    assert!(body.contains("<service_requests><request><service_request_id>"), "{body}");
}

#[tokio::test]
async fn submit_returns_400_when_service_code_is_missing() {
    let (state, store) = state().await;
    let (status, body) = call(&state, form("lat=42.1&long=-72.5")).await;
    assert_eq!(status, 400);
    assert_eq!(json(&body), serde_json::json!([{"code": 400, "description": "service_code is required"}]));
    assert!(store.history().is_empty());
}

#[tokio::test]
async fn submit_returns_404_when_service_code_is_unknown() {
    let (state, _) = state().await;
    let (status, body) = call(&state, form("service_code=UFO&lat=42.1&long=-72.5")).await;
    assert_eq!(status, 404);
    assert_eq!(json(&body)[0]["code"], 404);
}

#[tokio::test]
async fn submit_returns_400_for_malformed_or_out_of_range_coordinates() {
    let (state, _) = state().await;
    for body in [
        "service_code=SIGN&lat=abc&long=-72.5",
        "service_code=SIGN&lat=91&long=-72.5",
        "service_code=SIGN&lat=42&long=-181",
        "service_code=SIGN&lat=42",
        "service_code=SIGN",
    ] {
        let (status, answer) = call(&state, form(body)).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(json(&answer)[0]["code"], 400, "{body}");
    }
}

#[tokio::test]
async fn submit_returns_400_naming_the_attribute_that_is_wrong() {
    let (state, _) = state().await;
    let (status, body) = call(&state, form("service_code=POTHOLE&lat=42.1&long=-72.5")).await;
    assert_eq!(status, 400);
    assert!(json(&body)[0]["description"].as_str().unwrap().contains("attribute[SIZE]"));
}

#[tokio::test]
async fn submit_returns_413_for_an_oversized_body() {
    let (state, store) = state().await;
    let big = format!("{POTHOLE}&x={}", "a".repeat(MAX_FORM_BYTES));
    let (status, body) = call(&state, form(&big)).await;
    assert_eq!(status, 413);
    assert_eq!(json(&body)[0]["code"], 413);
    assert!(store.history().is_empty());
}

#[tokio::test]
async fn submit_returns_415_for_a_body_it_cannot_read() {
    let (state, _) = state().await;
    let (status, body) = call(&state, post("requests.json", "application/json", "{}")).await;
    assert_eq!(status, 415);
    assert_eq!(json(&body)[0]["code"], 415);
}

#[tokio::test]
async fn submit_returns_404_for_another_jurisdiction() {
    let (state, _) = state().await;
    let (status, _) = call(&state, form(&format!("{POTHOLE}&jurisdiction_id=elsewhere.example"))).await;
    assert_eq!(status, 404);
    let (status, _) = call(&state, form(&format!("{POTHOLE}&jurisdiction_id=millbrook.example"))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn submit_returns_503_without_losing_the_cause_when_the_store_is_down() {
    let (state, store) = state().await;
    *store.down.lock().unwrap() = true;
    let (status, body) = call(&state, form(POTHOLE)).await;
    assert_eq!(status, 503);
    let description = json(&body)[0]["description"].as_str().unwrap().to_owned();
    assert!(!description.contains("memory"), "internal causes stay in the logs: {description}");
}

fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Request {
    let mut body = Vec::new();
    for (name, filename, data) in parts {
        body.extend_from_slice(b"--XyZ\r\n");
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--XyZ--\r\n");
    Invocation::new("POST", "POST /open311/v2/requests.json", "/open311/v2/requests.json")
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body(body)
        .into_request()
        .unwrap()
}

const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\r\n--Xy-not-the-boundary\xFF\xD9";

#[tokio::test]
async fn multipart_submissions_keep_their_photos_as_uploads() {
    let (state, store, photos) = state_with_photos().await;
    let request = multipart(&[
        ("service_code", None, b"SIGN"),
        ("address_string", None, b"1 Main St"),
        ("photo1", Some("a.jpg"), JPEG),
        ("media", Some("b.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
    ]);
    let (status, body) = call(&state, request).await;
    assert_eq!(status, 200, "{body}");
    let id = json(&body)[0]["service_request_id"].as_str().unwrap().to_owned();
    let ticket = store.get(&TicketId::parse(&id).unwrap()).await.unwrap().unwrap();
    assert_eq!(ticket.uploads.len(), 2);
    assert!(ticket.uploads.iter().all(|id| town311::domain::photo::is_upload_id(id)));
    let stored = photos.stored();
    assert!(stored.contains(&(format!("uploads/{}", ticket.uploads[0]), "image/jpeg".into())), "{stored:?}");
    assert!(stored.contains(&(format!("uploads/{}", ticket.uploads[1]), "image/png".into())), "{stored:?}");
}

#[tokio::test]
async fn a_request_names_photos_uploaded_beforehand_each_once() {
    let (state, store, _) = state_with_photos().await;
    let upload = "0123456789abcdef0123456789abcdef";
    let body = format!("service_code=SIGN&address_string=1+Main+St&upload={upload}");
    let (status, answer) = call(&state, form(&body)).await;
    assert_eq!(status, 200, "{answer}");
    let id = json(&answer)[0]["service_request_id"].as_str().unwrap().to_owned();
    let ticket = store.get(&TicketId::parse(&id).unwrap()).await.unwrap().unwrap();
    assert_eq!(ticket.uploads, vec![upload.to_owned()]);
    // Another request cannot take the same upload.
    let (status, answer) = call(&state, form(&body)).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("another request"), "{answer}");
    for bad in ["upload=../etc/passwd", "upload=a&upload=b", &format!("upload={upload}&upload={upload}")] {
        let (status, _) = call(&state, form(&format!("service_code=SIGN&address_string=x&{bad}"))).await;
        assert_eq!(status, 400, "{bad}");
    }
}

#[tokio::test]
async fn browsers_get_a_form_to_upload_one_photo_straight_to_the_bucket() {
    let (state, _, _) = state_with_photos().await;
    let request = Invocation::new("POST", UPLOAD_ROUTE, "/citizen/v1/uploads")
        .header("content-type", "application/json")
        .body(r#"{"content_type": "image/jpeg"}"#)
        .into_request()
        .unwrap();
    let (status, body) = call(&state, request).await;
    assert_eq!(status, 201, "{body}");
    let answer = json(&body);
    let id = answer["upload_id"].as_str().unwrap();
    assert!(town311::domain::photo::is_upload_id(id));
    assert_eq!(answer["fields"][0], serde_json::json!({"name": "key", "value": format!("uploads/{id}")}));
    let request = Invocation::new("POST", UPLOAD_ROUTE, "/citizen/v1/uploads")
        .body(r#"{"content_type": "text/html"}"#)
        .into_request()
        .unwrap();
    assert_eq!(call(&state, request).await.0, 400);
}

#[tokio::test]
async fn a_file_that_is_not_an_image_is_refused_by_content() {
    let (state, store, photos) = state_with_photos().await;
    let request = multipart(&[
        ("service_code", None, b"SIGN"),
        ("address_string", None, b"x"),
        ("photo1", Some("a.jpg"), b"just text"),
    ]);
    let (status, body) = call(&state, request).await;
    assert_eq!(status, 400);
    assert!(json(&body)[0]["description"].as_str().unwrap().contains("photo1"));
    assert!(store.history().is_empty() && photos.stored().is_empty());
}

#[tokio::test]
async fn a_batch_service_answers_with_a_token_only() {
    let (state, _) = state().await;
    let (status, body) =
        call(&state, form("service_code=BULK_PICKUP&address_string=1+Main+St&attribute%5BITEMS%5D=sofa"))
            .await;
    assert_eq!(status, 200, "{body}");
    let answer = json(&body);
    assert!(answer[0]["token"].as_str().is_some_and(|t| t.len() == 32));
    assert!(answer[0].get("service_request_id").is_none());
    let token = answer[0]["token"].as_str().unwrap();
    assert!(state.tickets.ticket_for_token(token).await.unwrap().is_some());
}

#[tokio::test]
async fn a_required_api_key_must_be_given_and_active() {
    let (mut state, store) = state().await;
    state.config.api_key_policy = KeyPolicy::Required;
    let (secret, key) = ApiKey::issue("FixMyStreet", [9; 32], Utc::now());
    store.put_key(&key).await.unwrap();
    let (status, body) = call(&state, form(POTHOLE)).await;
    assert_eq!((status, json(&body)[0]["code"].as_u64()), (403, Some(403)));
    let (status, _) = call(&state, form(&format!("{POTHOLE}&api_key=t311_wrong"))).await;
    assert_eq!(status, 403);
    let (status, _) = call(&state, form(&format!("{POTHOLE}&api_key={secret}"))).await;
    assert_eq!(status, 200);
    assert!(store.key(&key.hash).await.unwrap().unwrap().last_used_at.is_some());
    let mut revoked = key.clone();
    revoked.revoked_at = Some(Utc::now());
    store.put_key(&revoked).await.unwrap();
    let (status, _) = call(&state, form(&format!("{POTHOLE}&api_key={secret}"))).await;
    assert_eq!(status, 403);
}

const FORM_SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

/// A state under `policy` whose form tokens are signed with [`FORM_SECRET`], with an active key.
async fn under(policy: KeyPolicy) -> (State, Arc<MemoryStore>, String) {
    let (mut state, store) = state().await;
    state.config.api_key_policy = policy;
    state.config.form_key = Some(FormKey::new(FORM_SECRET).unwrap());
    let (secret, key) = ApiKey::issue("FixMyStreet", [9; 32], Utc::now());
    store.put_key(&key).await.unwrap();
    (state, store, secret)
}

/// The state's current time, in seconds since the epoch.
fn now(state: &State) -> i64 {
    state.clock.now().timestamp()
}

/// Submits `extra` after a pothole report, as the town's form does (with its site's `Origin`).
async fn report(state: &State, extra: &str) -> (u16, String) {
    let request = Invocation::new("POST", "POST /open311/v2/requests.json", "/open311/v2/requests.json")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://www.millbrook.example")
        .body(format!("{POTHOLE}{extra}"))
        .into_request()
        .unwrap();
    call(state, request).await
}

async fn channel_of(store: &MemoryStore, body: &str) -> Channel {
    let id = json(body)[0]["service_request_id"].as_str().unwrap().to_owned();
    store.get(&TicketId::parse(&id).unwrap()).await.unwrap().unwrap().channel
}

#[tokio::test]
async fn the_towns_form_posts_without_a_key_with_its_token_and_an_origin_proves_nothing() {
    let (state, store, secret) = under(KeyPolicy::RequiredExceptWebForm).await;
    let token = FormKey::new(FORM_SECRET).unwrap().mint(now(&state));
    let (status, body) = report(&state, &format!("&form_token={token}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(channel_of(&store, &body).await, Channel::Web);

    // The town website's Origin alone is what any script can send.
    let (status, body) = report(&state, "").await;
    assert_eq!((status, json(&body)[0]["code"].as_u64()), (403, Some(403)));
    assert_eq!(json(&body)[0]["description"], "api_key is required (or the town's form_token)");

    let expired = FormKey::new(FORM_SECRET).unwrap().mint(now(&state) - form_token::LIFETIME_SECONDS);
    let (expiry, signature) = token.split_once('.').unwrap();
    let later = expiry.parse::<i64>().unwrap() + 1;
    let forged = FormKey::new(&[7; 32]).unwrap().mint(now(&state));
    let too_far = FormKey::new(FORM_SECRET).unwrap().mint(now(&state) + 3600);
    for bad in [expired, format!("{later}.{signature}"), forged, too_far, "1.x".into()] {
        let (status, body) = report(&state, &format!("&form_token={bad}")).await;
        assert_eq!(status, 403, "{bad}: {body}");
        assert!(json(&body)[0]["description"].as_str().unwrap().contains("form_token"), "{body}");
    }

    // An app's key still does; it files as an Open311 app.
    let (status, body) = report(&state, &format!("&api_key={secret}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(channel_of(&store, &body).await, Channel::Open311);
    let (status, _) = report(&state, "&api_key=t311_wrong").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn without_a_form_secret_no_token_passes() {
    let (mut state, _, _) = under(KeyPolicy::RequiredExceptWebForm).await;
    let token = FormKey::new(FORM_SECRET).unwrap().mint(now(&state));
    state.config.form_key = None;
    assert_eq!(report(&state, &format!("&form_token={token}")).await.0, 403);
}

#[tokio::test]
async fn a_required_key_is_not_replaced_by_a_form_token() {
    let (state, _, secret) = under(KeyPolicy::Required).await;
    let token = FormKey::new(FORM_SECRET).unwrap().mint(now(&state));
    let (status, body) = report(&state, &format!("&form_token={token}")).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(json(&body)[0]["description"], "api_key is required");
    assert_eq!(report(&state, &format!("&form_token={token}&api_key={secret}")).await.0, 200);
}

#[tokio::test]
async fn an_open_deployment_checks_nothing_and_ignores_a_bad_token() {
    let (state, store, _) = under(KeyPolicy::Open).await;
    let (status, body) = report(&state, "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(channel_of(&store, &body).await, Channel::Open311);
    let (status, body) = report(&state, "&form_token=1.forged").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(channel_of(&store, &body).await, Channel::Open311);
    // The town's form is still told apart.
    let token = FormKey::new(FORM_SECRET).unwrap().mint(now(&state));
    let (status, body) = report(&state, &format!("&form_token={token}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(channel_of(&store, &body).await, Channel::Web);
}

fn with_key(body: &str, key: &str) -> Request {
    let path = "/open311/v2/requests.json";
    Invocation::new("POST", &format!("POST {path}"), path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("idempotency-key", key)
        .body(body)
        .into_request()
        .unwrap()
}

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_answers_with_the_first_ticket() {
    let (state, store) = state().await;
    let (first, body) = call(&state, with_key(POTHOLE, "retry-1")).await;
    assert_eq!(first, 200, "{body}");
    let (again, replayed) = call(&state, with_key(POTHOLE, "retry-1")).await;
    assert_eq!(again, 200, "{replayed}");
    assert_eq!(json(&body)[0]["service_request_id"], json(&replayed)[0]["service_request_id"]);
    assert_eq!(store.history().len(), 1, "one ticket");
}

#[tokio::test]
async fn the_same_key_with_another_report_is_refused_with_422() {
    let (state, store) = state().await;
    assert_eq!(call(&state, with_key(POTHOLE, "retry-1")).await.0, 200);
    let other = POTHOLE.replace("Deep+hole", "Another+hole+down+the+street");
    let (status, body) = call(&state, with_key(&other, "retry-1")).await;
    assert_eq!(status, 422, "{body}");
    assert!(json(&body)[0]["description"].as_str().unwrap().contains("Idempotency-Key"), "{body}");
    assert_eq!(store.history().len(), 1, "nothing written");
}

#[tokio::test]
async fn a_key_past_its_expiry_is_free_again_even_before_the_store_removes_it() {
    let (mut state, store) = state().await;
    let clock = Arc::new(FixedClock::at(Utc.with_ymd_and_hms(2026, 11, 22, 14, 30, 0).unwrap()));
    state.clock = clock.clone();
    let (_, first) = call(&state, with_key(POTHOLE, "retry-1")).await;
    clock.set(Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap());
    // A new report under the old key: the old record is expired, not a reason to refuse or fail.
    let other = POTHOLE.replace("Deep+hole", "Another+hole");
    let (status, second) = call(&state, with_key(&other, "retry-1")).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(json(&first)[0]["service_request_id"], json(&second)[0]["service_request_id"]);
    let (again, third) = call(&state, with_key(&other, "retry-1")).await;
    assert_eq!(
        (again, json(&third)[0]["service_request_id"].clone()),
        (200, json(&second)[0]["service_request_id"].clone())
    );
    // Two tickets (the second also flagged as a probable duplicate of the first as it is routed).
    assert_eq!(store.history().iter().filter(|e| e.version == 1).count(), 2);
}

#[tokio::test]
async fn an_outage_answers_503_with_retry_after_and_the_retry_makes_one_ticket() {
    let (state, store) = state().await;
    *store.down.lock().unwrap() = true;
    let response = handle(&state, with_key(POTHOLE, "retry-1")).await.unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    *store.down.lock().unwrap() = false;
    let (first, body) = call(&state, with_key(POTHOLE, "retry-1")).await;
    let (again, replayed) = call(&state, with_key(POTHOLE, "retry-1")).await;
    assert_eq!((first, again), (200, 200));
    assert_eq!(json(&body)[0]["service_request_id"], json(&replayed)[0]["service_request_id"]);
    assert_eq!(store.history().len(), 1);
}

#[tokio::test]
async fn a_local_phone_that_cannot_be_texted_is_kept_and_the_answer_says_how_updates_come() {
    let (state, store) = state().await;
    let (status, body) =
        call(&state, form(&format!("{POTHOLE}&phone=555-0142&email=ana%40example.org"))).await;
    assert_eq!(status, 200, "{body}");
    let created = &json(&body)[0];
    assert_eq!(created["updates_by"], "email");
    let notice = created["service_notice"].as_str().unwrap();
    assert!(notice.contains("cannot be texted") && notice.contains("Updates will come by email"), "{notice}");
    let id = TicketId::parse(created["service_request_id"].as_str().unwrap()).unwrap();
    let ticket = store.get(&id).await.unwrap().unwrap();
    assert_eq!(ticket.reporter.phone_as_typed.as_deref(), Some("555-0142"));

    let (status, body) = call(&state, form(&format!("{POTHOLE}&phone=555-0142&notify_by=sms"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)[0]["updates_by"], "none");
    assert!(json(&body)[0]["service_notice"].as_str().unwrap().contains("look the request up by its number"));
}

#[tokio::test]
async fn a_question_without_a_place_gets_a_number_a_promise_and_a_contact() {
    let (state, store) = state().await;
    let body =
        "service_code=PROGRAM_QUESTION&attribute%5BPROGRAM%5D=Summer+camp&description=When+does+it+start";
    let (status, answer) = call(&state, form(body)).await;
    assert_eq!(status, 200, "{answer}");
    let created = &json(&answer)[0];
    assert_eq!(created["department_name"], "Parks and Recreation");
    assert!(created["expected_datetime"].is_string(), "{answer}");
    let id = TicketId::parse(created["service_request_id"].as_str().unwrap()).unwrap();
    let ticket = store.get(&id).await.unwrap().unwrap();
    assert!(ticket.location.is_empty());
    assert_eq!(ticket.answers["PROGRAM"], vec!["summer_camp"], "a choice named by its name is kept by key");

    let (status, body) = call(&state, form("service_code=POTHOLE&attribute%5BSIZE%5D=large")).await;
    assert_eq!(
        (status, json(&body)[0]["description"].as_str()),
        (400, Some("a location is required: lat and long, address_string or address_id"))
    );
}

#[tokio::test]
async fn a_follow_up_question_is_asked_only_when_its_answer_says_so() {
    let (state, _) = state().await;
    let (status, body) =
        call(&state, form("service_code=PROGRAM_QUESTION&attribute%5BPROGRAM%5D=other")).await;
    assert_eq!(status, 400);
    assert!(json(&body)[0]["description"].as_str().unwrap().contains("attribute[OTHER_PROGRAM]"));
    let (status, _) = call(
        &state,
        form("service_code=PROGRAM_QUESTION&attribute%5BPROGRAM%5D=other&attribute%5BOTHER_PROGRAM%5D=Chess"),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn stop_and_call_services_and_answers_are_refused_with_the_towns_words() {
    let (state, store) = state().await;
    let gas = store.service("GAS_ODOR").await.unwrap().unwrap().stop.unwrap();
    let (status, body) = call(&state, form("service_code=GAS_ODOR&lat=42.1&long=-72.5")).await;
    assert_eq!((status, json(&body)[0]["description"].as_str()), (400, Some(gas.text.as_str())));
    let (status, body) =
        call(&state, form("service_code=STREETLIGHT&lat=42.1&long=-72.5&attribute%5BPROBLEM%5D=wires_down"))
            .await;
    assert_eq!(status, 400);
    assert!(json(&body)[0]["description"].as_str().unwrap().starts_with("Downed wires can kill."), "{body}");
}

#[tokio::test]
async fn datetime_answers_are_read_in_every_usual_spelling_in_the_towns_zone() {
    let (state, store) = state().await;
    for (typed, kept) in [
        ("2026-11-21T07:30", "2026-11-21T07:30:00-05:00"),
        ("2026-11-21", "2026-11-21T00:00:00-05:00"),
        ("2026-11-21+07%3A30%3A00", "2026-11-21T07:30:00-05:00"),
        ("2026-11-21T07%3A30%3A00-05%3A00", "2026-11-21T07:30:00-05:00"),
    ] {
        let body = format!(
            "service_code=MISSED_TRASH&lat=42.1&long=-72.5&attribute%5BCARTS%5D%5B%5D=trash&attribute%5BSET_OUT%5D={typed}"
        );
        let (status, answer) = call(&state, form(&body)).await;
        assert_eq!(status, 200, "{typed}: {answer}");
        let id = TicketId::parse(json(&answer)[0]["service_request_id"].as_str().unwrap()).unwrap();
        assert_eq!(store.get(&id).await.unwrap().unwrap().answers["SET_OUT"], vec![kept], "{typed}");
    }
}

mod addresses {
    use super::*;
    use town311::domain::address::AddressPoint;
    use town311::domain::location::GeoPoint;
    use town311::ports::{Addresses, Catalog};

    /// Three of Millbrook's addresses: two in ward 1, one in ward 3.
    async fn millbrook(store: &MemoryStore) -> Vec<AddressPoint> {
        let at = |lat, long| GeoPoint::new(lat, long).unwrap();
        let addresses = vec![
            AddressPoint::new("mb-12-main", "12 Main Street", None, at(42.2680, -71.8000)).unwrap(),
            AddressPoint::new("mb-120-main", "120 Main Street", None, at(42.2700, -71.7900)).unwrap(),
            AddressPoint::new("mb-3-elm", "3 Elm Street", None, at(42.2500, -71.7900)).unwrap(),
        ];
        store.put_addresses(&addresses).await.unwrap();
        addresses
    }

    async fn stored(store: &MemoryStore, body: &str) -> town311::domain::ticket::Ticket {
        let id = json(body)[0]["service_request_id"].as_str().unwrap().to_owned();
        store.get(&TicketId::parse(&id).unwrap()).await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn an_address_only_report_gets_the_point_of_the_town_address_it_names() {
        let (state, store) = state().await;
        let addresses = millbrook(&store).await;
        let (status, body) = call(&state, form("service_code=SIGN&address_string=12+main+st.")).await;
        assert_eq!(status, 200, "{body}");
        let ticket = stored(&store, &body).await;
        assert_eq!(ticket.location.point(), Some(addresses[0].point), "12, not 120");
        assert_eq!(ticket.location.address(), Some("12 main st."), "the address as the citizen wrote it");
        // With the town after a comma, as people write it.
        let (_, body) =
            call(&state, form("service_code=SIGN&address_string=3+Elm+St%2C+Millbrook%2C+MA")).await;
        assert_eq!(stored(&store, &body).await.location.point(), Some(addresses[2].point));
    }

    #[tokio::test]
    async fn an_address_id_gives_the_point_of_that_address() {
        let (state, store) = state().await;
        let addresses = millbrook(&store).await;
        let (status, body) = call(&state, form("service_code=SIGN&address_id=mb-120-main")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(stored(&store, &body).await.location.point(), Some(addresses[1].point));
    }

    #[tokio::test]
    async fn a_point_given_is_kept_and_an_unknown_or_vague_address_stays_without_one() {
        let (state, store) = state().await;
        millbrook(&store).await;
        let (_, body) =
            call(&state, form("service_code=SIGN&lat=42.1&long=-72.5&address_string=12+Main+St")).await;
        assert_eq!(stored(&store, &body).await.location.point(), Some(GeoPoint::new(42.1, -72.5).unwrap()));
        for address in ["99+Nowhere+Lane", "Main+Street", "mb"] {
            let (status, body) =
                call(&state, form(&format!("service_code=SIGN&address_string={address}"))).await;
            assert_eq!(status, 200, "{address}: {body}");
            assert_eq!(stored(&store, &body).await.location.point(), None, "{address}");
        }
    }

    #[tokio::test]
    async fn a_failing_address_store_never_loses_the_report() {
        let (mut state, store) = state().await;
        let addresses = Arc::new(MemoryStore::default());
        *addresses.down.lock().unwrap() = true;
        state.addresses = addresses;
        let (status, body) = call(&state, form("service_code=SIGN&address_string=12+Main+St")).await;
        assert_eq!(status, 200, "{body}");
        let ticket = stored(&store, &body).await;
        assert_eq!((ticket.location.point(), ticket.location.address()), (None, Some("12 Main St")));
    }

    #[tokio::test]
    async fn a_request_located_by_address_is_routed_by_its_area() {
        let store = Arc::new(MemoryStore::with_demo_catalog().await);
        // Signs in ward 1 go to Sanitation's crew in this town, elsewhere to Public Works.
        let mut rules: Value =
            serde_json::from_str(include_str!("../../../infra/seed/routing.json")).unwrap();
        rules["rules"] = serde_json::json!([{"id": "signs-ward-1", "services": ["SIGN"], "areas": ["WARD1"], "department": "SAN"}]);
        let (services, departments) = (store.services().await.unwrap(), store.departments().await.unwrap());
        let mut rules = town311::domain::routing::RoutingRules::parse(
            rules.to_string().as_bytes(),
            &services,
            &departments,
        )
        .unwrap();
        rules.version = 1;
        store.put_routing(&rules).await.unwrap();
        let (mut state, _) = state().await;
        (state.tickets, state.catalog, state.addresses) = (store.clone(), store.clone(), store.clone());
        millbrook(&store).await;
        let (_, body) = call(&state, form("service_code=SIGN&address_string=12+Main+Street")).await;
        assert_eq!(json(&body)[0]["department_name"], "Sanitation", "{body}");
        let (_, body) = call(&state, form("service_code=SIGN&address_string=3+Elm+Street")).await;
        assert_eq!(json(&body)[0]["department_name"], "Public Works", "ward 3: {body}");
    }

    #[tokio::test]
    async fn staff_entry_locates_the_callers_address_too() {
        let (state, store) = state().await;
        let addresses = millbrook(&store).await;
        let body = r#"{"service_code": "SIGN", "address_string": "3 Elm Street", "channel": "phone"}"#;
        let request = Invocation::new("POST", STAFF_ROUTE, "/staff/v1/tickets")
            .claims(&[("username", "bo"), ("cognito:groups", "[admin]")])
            .header("content-type", "application/json")
            .body(body)
            .into_request()
            .unwrap();
        let (status, body) = call(&state, request).await;
        assert_eq!(status, 201, "{body}");
        let id = json(&body)["ticket"]["id"].as_str().unwrap().to_owned();
        let ticket = store.get(&TicketId::parse(&id).unwrap()).await.unwrap().unwrap();
        assert_eq!(ticket.location.point(), Some(addresses[2].point));
    }
}

#[tokio::test]
async fn a_request_is_routed_as_it_is_written_with_both_entries() {
    let (state, store) = state().await;
    let (_, first) = call(&state, form(POTHOLE)).await;
    let (status, second) = call(&state, form(POTHOLE)).await;
    assert_eq!(status, 200, "{second}");
    let id = |body: &str| TicketId::parse(json(body)[0]["service_request_id"].as_str().unwrap()).unwrap();
    // No stream has run: the second report was routed before it was written, in one write.
    let ticket = TicketStore::get(store.as_ref(), &id(&second)).await.unwrap().unwrap();
    assert_eq!((ticket.version, ticket.possible_duplicates.clone()), (2, vec![id(&first)]));
    let history = TicketStore::history(store.as_ref(), &id(&second)).await.unwrap();
    let kinds: Vec<_> = history.iter().map(|e| e.change.kind()).collect();
    assert_eq!(kinds, vec!["submitted", "routed"]);
}

/// The demo catalog, whose one-service lookup goes down after its first answer (the service
/// offered is read; routing at intake reads it again).
struct ServiceLookupDown(Arc<MemoryStore>, std::sync::atomic::AtomicUsize);

#[async_trait::async_trait]
impl town311::ports::Catalog for ServiceLookupDown {
    async fn services(&self) -> Result<Vec<town311::domain::catalog::Service>, town311::ports::StoreError> {
        self.0.services().await
    }
    async fn service(
        &self,
        code: &str,
    ) -> Result<Option<town311::domain::catalog::Service>, town311::ports::StoreError> {
        if self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            return self.0.service(code).await;
        }
        Err(town311::ports::StoreError::Unavailable { operation: "GetItem", source: "timed out".into() })
    }
    async fn department(
        &self,
        code: &str,
    ) -> Result<Option<town311::domain::catalog::Department>, town311::ports::StoreError> {
        self.0.department(code).await
    }
    async fn departments(
        &self,
    ) -> Result<Vec<town311::domain::catalog::Department>, town311::ports::StoreError> {
        self.0.departments().await
    }
    async fn put_service(
        &self,
        service: &town311::domain::catalog::Service,
    ) -> Result<(), town311::ports::StoreError> {
        self.0.put_service(service).await
    }
    async fn put_department(
        &self,
        department: &town311::domain::catalog::Department,
    ) -> Result<(), town311::ports::StoreError> {
        self.0.put_department(department).await
    }
    async fn calendar(
        &self,
    ) -> Result<Option<town311::domain::sla::BusinessCalendar>, town311::ports::StoreError> {
        self.0.calendar().await
    }
    async fn put_calendar(
        &self,
        calendar: &town311::domain::sla::BusinessCalendar,
    ) -> Result<(), town311::ports::StoreError> {
        self.0.put_calendar(calendar).await
    }
    async fn routing(
        &self,
    ) -> Result<Option<town311::domain::routing::RoutingRules>, town311::ports::StoreError> {
        self.0.routing().await
    }
    async fn put_routing(
        &self,
        rules: &town311::domain::routing::RoutingRules,
    ) -> Result<(), town311::ports::StoreError> {
        self.0.put_routing(rules).await
    }
}

#[tokio::test]
async fn a_report_routing_cannot_read_now_is_written_as_it_came_for_route_to_route() {
    let (mut state, store) = state().await;
    state.catalog = Arc::new(ServiceLookupDown(store.clone(), Default::default()));
    let (status, body) = call(&state, form(POTHOLE)).await;
    assert_eq!(status, 200, "{body}");
    let id = TicketId::parse(json(&body)[0]["service_request_id"].as_str().unwrap()).unwrap();
    let history = TicketStore::history(store.as_ref(), &id).await.unwrap();
    let kinds: Vec<_> = history.iter().map(|e| e.change.kind()).collect();
    assert_eq!(kinds, vec!["submitted"], "written once, unrouted: the stream brings it to route");
}
