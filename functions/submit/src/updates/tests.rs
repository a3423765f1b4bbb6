use crate::{State, handle};
use chrono::{Duration, TimeZone, Utc};
use lambda_http::Request;
use serde_json::Value;
use std::sync::Arc;
use town311::adapters::memory::{MemoryPhotos, MemoryStore};
use town311::domain::api_key::{ApiKey, KeyPolicy};
use town311::domain::id::{OsRandom, TicketId};
use town311::domain::lifecycle::{Action, Targets};
use town311::domain::status::{Resolution, Status};
use town311::domain::ticket::{Actor, Change, Ticket};
use town311::http::apigw::Invocation;
use town311::ports::{ApiKeys, TicketStore};
use town311::runtime::clock::FixedClock;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 14, 30, 0).unwrap()
}

async fn state() -> (State, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::with_demo_catalog().await);
    let photos = Arc::new(MemoryPhotos::default());
    let state = State {
        config: town311::adapters::memory::config(Some("millbrook.example")),
        tickets: store.clone(),
        catalog: store.clone(),
        keys: store.clone(),
        photos: photos.clone(),
        links: photos,
        clock: Arc::new(FixedClock::at(now())),
        ids: Arc::new(OsRandom),
        rates: store.clone(),
        addresses: store.clone(),
    };
    (state, store)
}

fn post(document: &str, body: &str) -> Request {
    let path = format!("/open311/v2/{document}");
    Invocation::new("POST", &format!("POST {path}"), &path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .into_request()
        .unwrap()
}

async fn call(state: &State, request: Request) -> (u16, String) {
    let response = handle(state, request).await.unwrap();
    (response.status().as_u16(), std::str::from_utf8(response.body().as_ref()).unwrap().to_owned())
}

/// A pothole reported from FixMyStreet by Ana, whose email it gives.
async fn reported(state: &State) -> TicketId {
    let body = "service_code=POTHOLE&lat=42.1&long=-72.5&attribute%5BSIZE%5D=large&description=Deep+hole\
                &first_name=Ana&last_name=Diaz&email=ana%40example.org";
    let (status, body) = call(state, post("requests.xml", body)).await;
    assert_eq!(status, 200, "{body}");
    let start = body.find("<service_request_id>").unwrap() + "<service_request_id>".len();
    TicketId::parse(&body[start..start + 9]).unwrap()
}

/// The update as FixMyStreet's `Open311.pm` builds it.
fn fms_update(id: &TicketId, update_id: &str, status: &str, email: &str) -> String {
    format!(
        "jurisdiction_id=millbrook.example&api_key=&updated_datetime=2026-11-22T09%3A29%3A00-05%3A00\
         &service_request_id={id}&status={status}&description=Still+there%2C%0D%0Aand+deeper&last_name=-\
         &first_name=Ana&email={email}&update_id={update_id}\
         &media_url=https%3A%2F%2Ffms.example%2Fphoto%2F1.full.jpeg"
    )
}

async fn change(store: &MemoryStore, id: &TicketId, action: Action, at: chrono::DateTime<Utc>) -> Ticket {
    let ticket = store.get(id).await.unwrap().unwrap();
    let change = ticket.apply(&action, Actor::Staff("clerk".into()), at, Targets::default()).unwrap();
    store.apply(std::slice::from_ref(&change)).await.unwrap();
    change.0
}

async fn updates(store: &MemoryStore, id: &TicketId) -> Vec<(Actor, Change, bool)> {
    let history = TicketStore::history(store, id).await.unwrap();
    history
        .into_iter()
        .filter(|e| matches!(e.change, Change::CitizenUpdate { .. }))
        .map(|e| (e.actor, e.change, e.public))
        .collect()
}

fn close() -> Action {
    Action::SetStatus {
        status: Status::Closed,
        resolution: Some(Resolution::Fixed),
        referral: None,
        after_photo: None,
    }
}

#[tokio::test]
async fn an_update_from_fixmystreet_is_recorded_for_staff_and_answered_with_its_id() {
    let (state, store) = state().await;
    let id = reported(&state).await;
    let body = fms_update(&id, "248", "OPEN", "ana%40example.org");
    let (status, answer) = call(&state, post("servicerequestupdates.xml", &body)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer,
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><service_request_updates><request_update><update_id>{id}-2</update_id></request_update></service_request_updates>"#
        )
    );
    let recorded = updates(&store, &id).await;
    assert_eq!(recorded.len(), 1);
    let (actor, change, public) = &recorded[0];
    assert_eq!(*actor, Actor::Reporter, "the reporter's own email");
    assert!(!public, "the citizen's words are for staff");
    let Change::CitizenUpdate { text, media_urls, status, reopened, .. } = change else { unreachable!() };
    assert_eq!(text.as_deref(), Some("Still there,\nand deeper"));
    assert_eq!(media_urls, &["https://fms.example/photo/1.full.jpeg"]);
    assert_eq!((status.as_deref(), *reopened), (Some("OPEN"), false));
    let ticket = store.get(&id).await.unwrap().unwrap();
    assert_eq!(ticket.status, Status::Submitted, "left as it was");
    let stored = serde_json::to_string(&TicketStore::history(&*store, &id).await.unwrap()).unwrap();
    assert_eq!(stored.matches("ana@example.org").count(), 0, "the update's contact is not kept on the entry");
}

#[tokio::test]
async fn the_same_update_sent_again_adds_nothing_and_gets_the_same_id() {
    let (state, store) = state().await;
    let id = reported(&state).await;
    let body = fms_update(&id, "248", "OPEN", "ana%40example.org");
    let (_, first) = call(&state, post("servicerequestupdates.json", &body)).await;
    let (status, again) = call(&state, post("servicerequestupdates.json", &body)).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(first, again);
    assert_eq!(
        serde_json::from_str::<Value>(&first).unwrap(),
        serde_json::json!([{ "update_id": format!("{id}-2") }])
    );
    assert_eq!(updates(&store, &id).await.len(), 1);
    // Another update of FixMyStreet's is another entry.
    let (_, other) =
        call(&state, post("servicerequestupdates.json", &fms_update(&id, "249", "OPEN", ""))).await;
    assert_ne!(other, first);
    assert_eq!(updates(&store, &id).await.len(), 2);
}

#[tokio::test]
async fn still_broken_from_the_reporter_reopens_a_closed_request() {
    let (state, store) = state().await;
    let id = reported(&state).await;
    change(&store, &id, close(), now() - Duration::hours(2)).await;
    // Someone else's "still broken" is recorded, and the request stays closed.
    let (status, _) =
        call(&state, post("servicerequestupdates.xml", &fms_update(&id, "250", "OPEN", "bo%40example.org")))
            .await;
    assert_eq!(status, 200);
    assert_eq!(store.get(&id).await.unwrap().unwrap().status, Status::Closed);
    let (status, _) =
        call(&state, post("servicerequestupdates.xml", &fms_update(&id, "251", "OPEN", "ANA%40example.org")))
            .await;
    assert_eq!(status, 200);
    let ticket = store.get(&id).await.unwrap().unwrap();
    assert_eq!(ticket.status, Status::Reopened);
    let recorded = updates(&store, &id).await;
    assert_eq!(
        recorded.iter().map(|(a, _, p)| (a.clone(), *p)).collect::<Vec<_>>(),
        vec![(Actor::Citizen, false), (Actor::Reporter, true)]
    );
}

#[tokio::test]
async fn closed_from_a_citizen_never_closes_and_an_update_written_before_the_closing_does_not_reopen() {
    let (state, store) = state().await;
    let id = reported(&state).await;
    let (status, _) = call(
        &state,
        post("servicerequestupdates.xml", &fms_update(&id, "252", "CLOSED", "ana%40example.org")),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(store.get(&id).await.unwrap().unwrap().status, Status::Submitted);
    // Closed after FixMyStreet's citizen wrote (09:29 in Millbrook, 14:29 UTC).
    change(&store, &id, close(), now() - Duration::seconds(30)).await;
    let (status, _) =
        call(&state, post("servicerequestupdates.xml", &fms_update(&id, "253", "OPEN", "ana%40example.org")))
            .await;
    assert_eq!(status, 200);
    assert_eq!(store.get(&id).await.unwrap().unwrap().status, Status::Closed);
    assert_eq!(updates(&store, &id).await.len(), 2);
}

#[tokio::test]
async fn a_merged_requests_updates_go_to_its_parent() {
    let (state, store) = state().await;
    let child = reported(&state).await;
    let parent = reported(&state).await;
    change(&store, &child, Action::Merge { parent: parent.clone() }, now()).await;
    let (status, answer) =
        call(&state, post("servicerequestupdates.json", &fms_update(&child, "254", "OPEN", ""))).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains(&format!("{parent}-")), "{answer}");
    assert_eq!(updates(&store, &parent).await.len(), 1);
    assert_eq!(updates(&store, &child).await.len(), 0);
}

#[tokio::test]
async fn errors_are_open311_lists_naming_what_is_wrong() {
    let (state, store) = state().await;
    let id = reported(&state).await;
    let cases = [
        ("description=hi", 400, "service_request_id"),
        (&*format!("service_request_id={id}&email=ana%40example.org") as &str, 400, "description"),
        (&*format!("service_request_id={id}&status=%3Cb%3E"), 400, "status"),
        (
            &*format!("service_request_id={id}&description=x&updated_datetime=yesterday"),
            400,
            "updated_datetime",
        ),
        (&*format!("service_request_id={id}&description=x&media_url=ftp%3A%2F%2Fx"), 400, "media_url"),
        ("service_request_id=ZZZZ-ZZZZ&description=x", 404, "no request"),
        ("service_request_id=not+a+number&description=x", 404, "no request"),
        (
            &*format!("service_request_id={id}&description=x&jurisdiction_id=elsewhere"),
            404,
            "jurisdiction_id",
        ),
    ];
    for (body, expected, names) in cases {
        let (status, answer) = call(&state, post("servicerequestupdates.json", body)).await;
        assert_eq!(status, expected, "{body}: {answer}");
        let errors: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(errors[0]["code"], expected, "{answer}");
        assert!(errors[0]["description"].as_str().unwrap().contains(names), "{body}: {answer}");
    }
    let (status, answer) = call(&state, post("servicerequestupdates.xml", "description=x")).await;
    assert_eq!(status, 400);
    assert!(answer.contains("<errors><error><code>400</code>"), "{answer}");
    assert!(updates(&store, &id).await.is_empty());
}

#[tokio::test]
async fn a_private_services_request_answers_as_an_unknown_one() {
    let (state, store) = state().await;
    let id = reported(&state).await;
    let ticket = store.get(&id).await.unwrap().unwrap();
    let note = Action::Note { text: "internal".into(), public: false };
    let (mut private, entry) = ticket.apply(&note, Actor::System, now(), Targets::default()).unwrap();
    private.private = true;
    store.apply(&[(private, entry)]).await.unwrap();
    let (status, answer) =
        call(&state, post("servicerequestupdates.json", &fms_update(&id, "255", "OPEN", ""))).await;
    assert_eq!(status, 404, "{answer}");
    assert!(answer.contains("no request"), "{answer}");
}

#[tokio::test]
async fn the_deployments_key_policy_applies_and_update_ids_are_the_apps_own() {
    let (mut state, store) = state().await;
    let id = reported(&state).await;
    state.config.api_key_policy = KeyPolicy::Required;
    let (status, _) =
        call(&state, post("servicerequestupdates.json", &fms_update(&id, "256", "OPEN", ""))).await;
    assert_eq!(status, 403);
    let (secret, key) = ApiKey::issue("FixMyStreet", [9; 32], Utc::now());
    store.put_key(&key).await.unwrap();
    let (other_secret, other) = ApiKey::issue("Another app", [7; 32], Utc::now());
    store.put_key(&other).await.unwrap();
    let with_key =
        |secret: &str| fms_update(&id, "256", "OPEN", "").replace("api_key=", &format!("api_key={secret}"));
    let (status, first) = call(&state, post("servicerequestupdates.json", &with_key(&secret))).await;
    assert_eq!(status, 200, "{first}");
    let (_, again) = call(&state, post("servicerequestupdates.json", &with_key(&secret))).await;
    assert_eq!(first, again);
    // Another app's update 256 is not FixMyStreet's.
    let (status, theirs) = call(&state, post("servicerequestupdates.json", &with_key(&other_secret))).await;
    assert_eq!(status, 200);
    assert_ne!(theirs, first);
    assert_eq!(updates(&store, &id).await.len(), 2);
}

#[tokio::test]
async fn past_the_requests_reopen_attempts_still_broken_is_only_recorded() {
    let (state, store) = state().await;
    let id = reported(&state).await;
    change(&store, &id, close(), now() - Duration::hours(2)).await;
    let attempts = town311::domain::rate::REOPEN_ATTEMPTS_PER_REQUEST;
    for n in 0..attempts {
        let body = fms_update(&id, &format!("3{n:02}"), "OPEN", &format!("guess{n}%40example.org"));
        assert_eq!(call(&state, post("servicerequestupdates.json", &body)).await.0, 200);
    }
    let body = fms_update(&id, "399", "OPEN", "ana%40example.org");
    assert_eq!(call(&state, post("servicerequestupdates.json", &body)).await.0, 200);
    assert_eq!(store.get(&id).await.unwrap().unwrap().status, Status::Closed);
    assert_eq!(updates(&store, &id).await.len(), attempts as usize + 1, "every update is kept");
}
