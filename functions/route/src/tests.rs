use super::*;
use chrono::{DateTime, TimeZone, Utc};
use lambda_runtime::Context;
use serde_json::json;
use town311::adapters::memory::{
    MemoryPhotos, MemoryQueue, MemoryStore, RecordingDeadLetters, RecordingPublisher,
};
use town311::domain::contact::{Language, NotifyBy, Reporter, ReporterInput};
use town311::domain::events::EventType;
use town311::domain::lifecycle::{Action, Targets};
use town311::domain::location::{GeoPoint, Location};
use town311::domain::status::Status;
use town311::domain::ticket::{Actor, Channel, NewRequest};
use town311::runtime::clock::FixedClock;

struct Fixture {
    store: Arc<MemoryStore>,
    publisher: Arc<RecordingPublisher>,
    dead_letters: Arc<RecordingDeadLetters>,
    photos: Arc<MemoryPhotos>,
    notify_queue: Arc<MemoryQueue>,
    state: State,
}

async fn fixture() -> Fixture {
    let store = Arc::new(MemoryStore::with_demo_routing().await);
    let publisher = Arc::new(RecordingPublisher::default());
    let dead_letters = Arc::new(RecordingDeadLetters::default());
    let photos = Arc::new(MemoryPhotos::default());
    let notify_queue = Arc::new(MemoryQueue::default());
    let state = State {
        tickets: store.clone(),
        catalog: store.clone(),
        outbox: store.clone(),
        uploads: store.clone(),
        photos: photos.clone(),
        events: publisher.clone(),
        clock: Arc::new(FixedClock::at(at(30))),
        dead_letters: Some(dead_letters.clone()),
        work: Some(notify_queue.clone()),
        stats: store.clone(),
        timezone: town311::domain::zone::TownZone::named("America/New_York").unwrap(),
        privacy: store.clone(),
        contact_retention_days: 90,
    };
    Fixture { store, publisher, dead_letters, photos, notify_queue, state }
}

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 15, minute, 0).unwrap()
}

/// Files a request at `minute` past the hour, as submit would, and returns its first entry.
async fn file(f: &Fixture, id: &str, service_code: &str, lat: f64, long: f64, minute: u32) -> HistoryEntry {
    file_as(f, id, service_code, lat, long, minute, Reporter::default()).await
}

async fn file_as(
    f: &Fixture,
    id: &str,
    service_code: &str,
    lat: f64,
    long: f64,
    minute: u32,
    reporter: Reporter,
) -> HistoryEntry {
    let service = f.store.service(service_code).await.unwrap().unwrap();
    let request = NewRequest {
        service_code: service_code.into(),
        location: Location::new(Some(GeoPoint::new(lat, long).unwrap()), None, None).unwrap(),
        description: None,
        answers: Default::default(),
        media_urls: vec![],
        reporter,
        channel: Channel::Web,
        uploads: vec![],
    };
    let (ticket, entry) = Ticket::open(TicketId::parse(id).unwrap(), &service, request, at(minute));
    f.store.create(&ticket, &entry, None, None).await.unwrap();
    entry
}

/// The stream record of a history entry, with the image the table would put in it.
fn entry_record(sequence: &str, entry: &HistoryEntry) -> serde_json::Value {
    let image = TableItem::history_image(entry).unwrap();
    let mut record = record(sequence, "INSERT", json!({}));
    record["dynamodb"]["NewImage"] = serde_json::to_value(image).unwrap();
    record
}

#[tokio::test]
async fn a_new_pothole_goes_to_its_ward_crew_and_is_announced() {
    let f = fixture().await;
    let first = file(&f, "K7QM-3XPR", "POTHOLE", 42.280, -71.800, 0).await;
    let response = handle(&f.state, batch(vec![entry_record("1", &first)])).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    let ticket = f.store.get(&first.ticket_id).await.unwrap().unwrap();
    assert_eq!((ticket.department.as_str(), ticket.assignee.as_deref()), ("DPW", Some("ana")));
    assert_eq!((ticket.status, ticket.version), (Status::Assigned, 2));
    let history = TicketStore::history(f.store.as_ref(), &first.ticket_id).await.unwrap();
    assert!(matches!(&history[1].change, Change::Routed { rule: Some(r), .. } if r == "potholes-ward-1"));
    assert_eq!(history[1].actor, Actor::System);
    // The routing's own entry comes through the stream next: announced, not routed again.
    handle(&f.state, batch(vec![entry_record("2", &history[1])])).await.unwrap();
    let kinds: Vec<EventType> = f.publisher.events().iter().map(|e| e.event_type).collect();
    assert_eq!(kinds, vec![EventType::Created, EventType::Routed]);
    assert_eq!(f.store.get(&first.ticket_id).await.unwrap().unwrap().version, 2);
}

#[tokio::test]
async fn replaying_a_batch_publishes_and_routes_nothing_twice() {
    let f = fixture().await;
    let a = file(&f, "K7QM-3XPR", "POTHOLE", 42.280, -71.800, 0).await;
    let b = file(&f, "AAAA-BBBB", "GRAFFITI", 42.30, -71.90, 1).await;
    let records = || batch(vec![entry_record("1", &a), entry_record("2", &b)]);
    assert!(handle(&f.state, records()).await.unwrap().batch_item_failures.is_empty());
    assert!(handle(&f.state, records()).await.unwrap().batch_item_failures.is_empty());
    let ids: Vec<String> = f.publisher.events().into_iter().map(|e| e.event_id).collect();
    assert_eq!(ids, vec!["K7QM-3XPR/1/created", "AAAA-BBBB/1/created"]);
    let routed = TicketStore::history(f.store.as_ref(), &a.ticket_id).await.unwrap();
    assert_eq!(routed.len(), 2, "routed once: {routed:?}");
    // Graffiti outside downtown stays with Code Enforcement, unassigned: nothing to write.
    assert_eq!(TicketStore::history(f.store.as_ref(), &b.ticket_id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn when_the_topic_is_down_the_record_is_retried_and_published_once_back_up() {
    let f = fixture().await;
    let a = file(&f, "K7QM-3XPR", "GRAFFITI", 42.30, -71.90, 0).await;
    *f.publisher.down.lock().unwrap() = true;
    let response = handle(&f.state, batch(vec![entry_record("1", &a)])).await.unwrap();
    assert_eq!(response.batch_item_failures.len(), 1);
    *f.publisher.down.lock().unwrap() = false;
    for _ in 0..2 {
        assert!(
            handle(&f.state, batch(vec![entry_record("1", &a)]))
                .await
                .unwrap()
                .batch_item_failures
                .is_empty()
        );
    }
    assert_eq!(f.publisher.events().len(), 1);
}

#[tokio::test]
async fn a_poison_record_goes_to_the_dead_letter_queue_and_the_rest_of_its_batch_goes_through() {
    let f = fixture().await;
    let a = file(&f, "K7QM-3XPR", "GRAFFITI", 42.30, -71.90, 0).await;
    let b = file(&f, "AAAA-BBBB", "GRAFFITI", 42.30, -71.91, 1).await;
    let mut poison = history_image("CCCC-DDDD", 1, submitted(), true);
    poison["status"] = json!({"S": "exploded"});
    let response = handle(
        &f.state,
        batch(vec![entry_record("1", &a), record("2", "INSERT", poison), entry_record("3", &b)]),
    )
    .await
    .unwrap();
    assert!(response.batch_item_failures.is_empty());
    let ids: Vec<String> = f.publisher.events().into_iter().map(|e| e.event_id).collect();
    assert_eq!(ids, vec!["K7QM-3XPR/1/created", "AAAA-BBBB/1/created"]);
    let letters = f.dead_letters.letters();
    assert_eq!(letters.len(), 1);
    let letter: serde_json::Value = serde_json::from_str(&letters[0]).unwrap();
    assert_eq!(letter["sequenceNumber"], "2");
    assert!(letter["reason"].as_str().unwrap().contains("unreadable"), "{letter}");
    assert_eq!(letter["source"], "route", "the shared dead-letter queue is told whose letter it is");
}

#[tokio::test]
async fn nearby_open_reports_of_the_same_service_are_flagged_as_probable_duplicates() {
    let f = fixture().await;
    // 42.2800, -71.8000, then one about 40 m north, one about 300 m north, one of another
    // service next door, one closed next door.
    let first = file(&f, "K7QM-3XPR", "POTHOLE", 42.2800, -71.8000, 0).await;
    file(&f, "EEEE-FFFF", "POTHOLE", 42.2827, -71.8000, 1).await;
    file(&f, "GGGG-HHHH", "STREETLIGHT", 42.2801, -71.8000, 2).await;
    let closed = file(&f, "JJJJ-KKKK", "POTHOLE", 42.28005, -71.8000, 3).await;
    let ticket = f.store.get(&closed.ticket_id).await.unwrap().unwrap();
    let action = Action::Merge { parent: first.ticket_id.clone() };
    let change = ticket.apply(&action, Actor::Staff("ana".into()), at(4), Targets::default()).unwrap();
    f.store.apply(&[change]).await.unwrap();
    let second = file(&f, "MMMM-NNNN", "POTHOLE", 42.28036, -71.8000, 5).await;
    handle(&f.state, batch(vec![entry_record("1", &second)])).await.unwrap();
    let ticket = f.store.get(&second.ticket_id).await.unwrap().unwrap();
    assert_eq!(ticket.possible_duplicates, vec![first.ticket_id]);
    let entry = TicketStore::history(f.store.as_ref(), &second.ticket_id).await.unwrap().pop().unwrap();
    assert!(matches!(entry.change, Change::Routed { ref duplicates, .. } if duplicates.len() == 1));
}

#[tokio::test]
async fn recategorizing_routes_again_and_a_move_picks_a_person_there() {
    let f = fixture().await;
    let filed = file(&f, "K7QM-3XPR", "GRAFFITI", 42.250, -71.785, 0).await;
    let ticket = f.store.get(&filed.ticket_id).await.unwrap().unwrap();
    let pothole = f.store.service("POTHOLE").await.unwrap().unwrap();
    let action = Action::Recategorize { service_code: "POTHOLE".into() };
    let targets = Targets { service: Some(&pothole), ..Targets::default() };
    let (changed, entry) = ticket.apply(&action, Actor::Staff("omar".into()), at(1), targets).unwrap();
    f.store.apply(&[(changed, entry.clone())]).await.unwrap();
    handle(&f.state, batch(vec![entry_record("1", &entry)])).await.unwrap();
    let ticket = f.store.get(&filed.ticket_id).await.unwrap().unwrap();
    assert_eq!((ticket.department.as_str(), ticket.assignee.as_deref()), ("DPW", Some("carla")));

    let action = Action::Move { department: "CODE".into() };
    let (moved, entry) =
        ticket.apply(&action, Actor::Staff("carla".into()), at(2), Targets::default()).unwrap();
    f.store.apply(&[(moved, entry.clone())]).await.unwrap();
    handle(&f.state, batch(vec![entry_record("2", &entry)])).await.unwrap();
    let ticket = f.store.get(&filed.ticket_id).await.unwrap().unwrap();
    assert_eq!((ticket.department.as_str(), ticket.assignee), ("CODE", None), "no CODE rule for potholes");
}

#[tokio::test]
async fn a_merged_duplicate_hands_its_reporter_and_followers_to_the_parent() {
    let f = fixture().await;
    let parent = file(&f, "K7QM-3XPR", "POTHOLE", 42.2800, -71.8000, 0).await;
    let reporter = Reporter::parse(ReporterInput {
        email: Some("ana@example.org"),
        notify_by: Some(NotifyBy::Email),
        language: Some(Language::Es),
        ..Default::default()
    })
    .unwrap();
    let child = file_as(&f, "AAAA-BBBB", "POTHOLE", 42.2801, -71.8000, 1, reporter).await;
    let follower = Follower {
        ticket_id: child.ticket_id.clone(),
        contact: Contact::choose(Some(NotifyBy::Sms), None, Some("5551234567")).unwrap(),
        language: Language::En,
        since: at(2),
        via: None,
        confirmed: true,
    };
    f.store.follow(&follower).await.unwrap();
    // Someone who never confirmed their follow is not handed over.
    let unconfirmed = Contact::choose(Some(NotifyBy::Sms), None, Some("5557654321")).unwrap();
    f.store.follow(&Follower::pending(&child.ticket_id, unconfirmed, Language::En, at(2))).await.unwrap();
    let ticket = f.store.get(&child.ticket_id).await.unwrap().unwrap();
    let action = Action::Merge { parent: parent.ticket_id.clone() };
    let (merged, entry) =
        ticket.apply(&action, Actor::Staff("ana".into()), at(3), Targets::default()).unwrap();
    f.store.apply(&[(merged, entry.clone())]).await.unwrap();
    for _ in 0..2 {
        handle(&f.state, batch(vec![entry_record("1", &entry)])).await.unwrap();
    }
    let mut followers = f.store.followers(&parent.ticket_id).await.unwrap();
    followers.sort_by_key(|f| f.contact.channel() == NotifyBy::Sms);
    assert_eq!(followers.len(), 2, "each once, however often the merge is replayed");
    assert_eq!((followers[0].contact.channel(), followers[0].language), (NotifyBy::Email, Language::Es));
    assert!(
        followers.iter().all(|f| f.via.as_ref() == Some(&child.ticket_id) && f.ticket_id == parent.ticket_id)
    );
    assert!(followers.iter().all(|f| f.confirmed), "the reporter consented by filing");
    assert!(f.notify_queue.take().is_empty(), "nobody handed over is asked to confirm");
}

/// The stream record of a follower written (`INSERT`) or written again (`MODIFY`, with the
/// follower before).
fn follower_record(sequence: &str, follower: &Follower, before: Option<&Follower>) -> serde_json::Value {
    let image = |f: &Follower| serde_json::to_value(TableItem::follower_image(f).unwrap()).unwrap();
    let mut record = record(sequence, if before.is_some() { "MODIFY" } else { "INSERT" }, image(follower));
    if let Some(before) = before {
        record["dynamodb"]["OldImage"] = image(before);
    }
    record
}

#[tokio::test]
async fn a_pending_follow_is_left_for_notify_to_confirm_once_per_follow() {
    let f = fixture().await;
    let entry = file(&f, "K7QM-3XPR", "POTHOLE", 42.2800, -71.8000, 0).await;
    let contact = Contact::choose(Some(NotifyBy::Sms), None, Some("5551234567")).unwrap();
    let pending = Follower::pending(&entry.ticket_id, contact, Language::Es, at(5));
    let response = handle(&f.state, batch(vec![follower_record("1", &pending, None)])).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    let queued = f.notify_queue.take();
    assert_eq!(queued.len(), 1);
    assert!(!queued[0].contains("555"), "no address on the queue: {}", queued[0]);
    let message: serde_json::Value = serde_json::from_str(&queued[0]).unwrap();
    let due: ConfirmationDue =
        serde_json::from_value(message[town311::domain::follower::CONFIRMATION_DUE].clone()).unwrap();
    assert_eq!(due, ConfirmationDue::of(&pending));
    assert!(f.publisher.events().is_empty(), "no ticket event");

    // Written again: a language change, the confirmation, a confirmed follower handed over.
    let spanish = Follower { language: Language::En, ..pending.clone() };
    let confirmed = Follower { confirmed: true, ..pending.clone() };
    let records = vec![
        follower_record("2", &spanish, Some(&pending)),
        follower_record("3", &confirmed, Some(&spanish)),
        follower_record(
            "4",
            &Follower { ticket_id: TicketId::parse("AAAA-BBBB").unwrap(), ..confirmed.clone() },
            None,
        ),
    ];
    handle(&f.state, batch(records)).await.unwrap();
    assert!(f.notify_queue.take().is_empty(), "nothing new to confirm");

    // A new follow after the first was never confirmed in time asks again.
    let renewed = Follower { since: at(50), ..pending.clone() };
    handle(&f.state, batch(vec![follower_record("5", &renewed, Some(&pending))])).await.unwrap();
    assert_eq!(f.notify_queue.take().len(), 1);
}

fn history_image(id: &str, version: u64, change: serde_json::Value, public: bool) -> serde_json::Value {
    json!({
        "pk": {"S": format!("TICKET#{id}")}, "sk": {"S": format!("HISTORY#{version:010}")}, "entity": {"S": "history"},
        "ticket_id": {"S": id}, "version": {"N": version.to_string()}, "at": {"S": "2026-11-22T14:30:00Z"},
        "actor": {"M": {"kind": {"S": "reporter"}}}, "status": {"S": "submitted"},
        "service_code": {"S": "POTHOLE"}, "department": {"S": "DPW"},
        "change": change, "public": {"BOOL": public}
    })
}

fn submitted() -> serde_json::Value {
    json!({"M": {"type": {"S": "submitted"}, "channel": {"S": "web"}, "service_code": {"S": "POTHOLE"}, "department": {"S": "DPW"}}})
}

fn ticket_image(id: &str) -> serde_json::Value {
    json!({
        "pk": {"S": format!("TICKET#{id}")}, "sk": {"S": "TICKET"}, "entity": {"S": "ticket"},
        "id": {"S": id}, "service_code": {"S": "POTHOLE"}, "service_name": {"S": "Pothole"},
        "department": {"S": "DPW"}, "status": {"S": "submitted"},
        "location": {"M": {"address": {"S": "1 Main St"}}},
        "reporter": {"M": {}}, "channel": {"S": "open311"},
        "requested_at": {"S": "2026-11-22T14:30:00Z"}, "updated_at": {"S": "2026-11-22T14:30:00Z"},
        "version": {"N": "1"}
    })
}

fn record(sequence: &str, name: &str, image: serde_json::Value) -> serde_json::Value {
    json!({
        "eventID": format!("e{sequence}"), "eventName": name, "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
        "dynamodb": {"Keys": {}, "NewImage": image, "SequenceNumber": sequence, "SizeBytes": 1,
                     "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x"
    })
}

fn batch(records: Vec<serde_json::Value>) -> LambdaEvent<Event> {
    let event: Event = serde_json::from_value(json!({ "Records": records })).unwrap();
    LambdaEvent::new(event, Context::default())
}

#[tokio::test]
async fn a_submitted_entry_publishes_a_created_event() {
    let f = fixture().await;
    let (publisher, state) = (f.publisher.clone(), f.state);
    let records = vec![
        record("1", "INSERT", ticket_image("K7QM-3XPR")),
        record("2", "INSERT", history_image("K7QM-3XPR", 1, submitted(), true)),
    ];
    let response = handle(&state, batch(records)).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    let events = publisher.events();
    assert_eq!(events.len(), 1, "one event per change, not per item written");
    assert_eq!(events[0].event_type, EventType::Created);
    assert_eq!(events[0].event_id, "K7QM-3XPR/1/created");
    assert_eq!((events[0].department.as_str(), events[0].service_code.as_str()), ("DPW", "POTHOLE"));
    assert!(events[0].public);
}

#[tokio::test]
async fn every_change_becomes_its_event_without_its_text() {
    let f = fixture().await;
    let (publisher, state) = (f.publisher.clone(), f.state);
    let closed = json!({"M": {"type": {"S": "status_changed"}, "from": {"S": "in_progress"}, "to": {"S": "closed"}, "resolution": {"S": "fixed"}}});
    let internal = json!({"M": {"type": {"S": "noted"}, "text": {"S": "caller was rude"}}});
    let records = vec![
        record("3", "INSERT", history_image("K7QM-3XPR", 2, internal, false)),
        record("4", "INSERT", history_image("K7QM-3XPR", 3, closed, true)),
        record("5", "MODIFY", ticket_image("K7QM-3XPR")),
    ];
    assert!(handle(&state, batch(records)).await.unwrap().batch_item_failures.is_empty());
    let events = publisher.events();
    let kinds: Vec<EventType> = events.iter().map(|e| e.event_type).collect();
    assert_eq!(kinds, vec![EventType::InternalNote, EventType::Closed]);
    assert!(!events[0].public);
    assert!(!serde_json::to_string(&events).unwrap().contains("rude"));
}

#[tokio::test]
async fn a_failure_reports_its_record_and_stops_the_batch() {
    let f = fixture().await;
    *f.publisher.down.lock().unwrap() = true;
    let state = f.state;
    let records = vec![
        record("7", "INSERT", history_image("K7QM-3XPR", 1, submitted(), true)),
        record("8", "INSERT", history_image("AAAA-BBBB", 1, submitted(), true)),
    ];
    let response = handle(&state, batch(records)).await.unwrap();
    let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    assert_eq!(failed, vec![Some("7".to_owned())]);
}

#[tokio::test]
async fn without_a_dead_letter_queue_an_unreadable_entry_is_retried_not_skipped() {
    let f = fixture().await;
    let (publisher, mut state) = (f.publisher.clone(), f.state);
    state.dead_letters = None;
    let mut image = history_image("K7QM-3XPR", 1, submitted(), true);
    image["status"] = json!({"S": "exploded"});
    let response = handle(&state, batch(vec![record("3", "INSERT", image)])).await.unwrap();
    assert_eq!(response.batch_item_failures.len(), 1);
    assert!(publisher.events().is_empty());
}

/// A sign request naming `upload`, filed as K7QM-3XPR.
async fn file_naming(f: &Fixture, upload: &str) -> Ticket {
    let service = f.store.service("SIGN").await.unwrap().unwrap();
    let mut request = town311::adapters::memory::phone_request("SIGN", "1 Main St");
    request.uploads = vec![upload.to_owned()];
    let (ticket, entry) = Ticket::open(TicketId::parse("K7QM-3XPR").unwrap(), &service, request, at(0));
    f.store.create(&ticket, &entry, None, None).await.unwrap();
    ticket
}

/// The stream record of K7QM-3XPR's link to `upload`.
fn upload_link(seq: &str, upload: &str) -> serde_json::Value {
    let mut r = record(seq, "INSERT", json!({}));
    r["dynamodb"]["NewImage"] = json!({"pk": {"S": format!("UPLOAD#{upload}")}, "sk": {"S": "UPLOAD"},
        "entity": {"S": "upload"}, "ticket_id": {"S": "K7QM-3XPR"}});
    r
}

/// What processing `upload` made of it.
fn processed(upload: &str) -> town311::domain::photo::Photo {
    town311::domain::photo::Photo {
        id: upload.into(),
        key: format!("photos/{upload}/full.jpg"),
        thumbnail_key: format!("photos/{upload}/thumb.jpg"),
        content_type: "image/jpeg".into(),
        width: 2048,
        height: 1536,
        hidden: false,
        after: false,
    }
}

#[tokio::test]
async fn a_processed_upload_is_attached_whichever_of_the_two_comes_first() {
    use town311::domain::photo::Processing;
    use town311::ports::Uploads;
    let f = fixture().await;
    let upload = "0123456789abcdef0123456789abcdef";
    // The request names the upload…
    let ticket = file_naming(&f, upload).await;
    let link = |seq: &str| upload_link(seq, upload);
    // …before it was processed: nothing to attach yet.
    handle(&f.state, batch(vec![link("1")])).await.unwrap();
    assert_eq!(f.store.get(&ticket.id).await.unwrap().unwrap().version, 1);
    // Then processing finishes: its record attaches the photo, once however often it comes.
    let photo = processed(upload);
    let processing = Processing::Processed { photo: photo.clone(), gps: None };
    f.store.put_processing(&processing, at(5)).await.unwrap();
    for key in [&photo.key, &photo.thumbnail_key] {
        f.photos.put_pending(key, vec![1], "image/jpeg").await.unwrap();
    }
    let done = |seq: &str| {
        let mut r = record(seq, "INSERT", json!({}));
        let mut image = serde_json::to_value(&processing).unwrap();
        image["pk"] = json!(format!("PHOTO#{upload}"));
        image["sk"] = json!("PHOTO");
        image["entity"] = json!("processing");
        image["expires_at"] = json!(0);
        r["dynamodb"]["NewImage"] =
            serde_json::to_value(serde_dynamo::to_item::<_, serde_dynamo::Item>(image).unwrap()).unwrap();
        r
    };
    for _ in 0..2 {
        assert!(
            handle(&f.state, batch(vec![done("2"), link("3")])).await.unwrap().batch_item_failures.is_empty()
        );
    }
    assert!(f.dead_letters.letters().is_empty(), "{:?}", f.dead_letters.letters());
    let ticket = f.store.get(&ticket.id).await.unwrap().unwrap();
    assert_eq!((ticket.photos.clone(), ticket.uploads.len(), ticket.version), (vec![photo], 0, 2));
    assert!(f.photos.pending().is_empty(), "a photo a request names is kept: {:?}", f.photos.pending());
}

#[tokio::test]
async fn a_photo_the_bucket_removed_before_its_request_came_is_not_attached() {
    use town311::domain::photo::Processing;
    use town311::ports::Uploads;
    let f = fixture().await;
    let upload = "fedcba9876543210fedcba9876543210";
    let ticket = file_naming(&f, upload).await;
    let photo = processed(upload);
    f.store.put_processing(&Processing::Processed { photo, gps: None }, at(5)).await.unwrap();
    let response = handle(&f.state, batch(vec![upload_link("1", upload)])).await.unwrap();
    assert!(response.batch_item_failures.is_empty(), "the stream flows on");
    let ticket = f.store.get(&ticket.id).await.unwrap().unwrap();
    assert!(ticket.photos.is_empty() && ticket.version == 1, "{ticket:?}");
}

/// A later change by staff (or by the photo function) to the ticket filed as `entry`.
async fn change_by(f: &Fixture, entry: &HistoryEntry, action: Action, actor: Actor, minute: u32) {
    let ticket = f.store.get(&entry.ticket_id).await.unwrap().unwrap();
    let change = ticket.apply(&action, actor, at(minute), Targets::default()).unwrap();
    f.store.apply(&[change]).await.unwrap();
}

fn routed_entries(history: &[HistoryEntry]) -> usize {
    history.iter().filter(|e| matches!(e.change, Change::Routed { .. })).count()
}

#[tokio::test]
async fn a_ticket_noted_before_routing_is_still_routed_with_its_person_and_duplicates() {
    let f = fixture().await;
    let older = file(&f, "EEEE-FFFF", "POTHOLE", 42.2800, -71.8000, 0).await;
    let filed = file(&f, "K7QM-3XPR", "POTHOLE", 42.28036, -71.8000, 1).await;
    let note = Action::Note { text: "caller says it is deep".into(), public: false };
    change_by(&f, &filed, note, Actor::Staff("omar".into()), 2).await;

    let response = handle(&f.state, batch(vec![entry_record("1", &filed)])).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    let ticket = f.store.get(&filed.ticket_id).await.unwrap().unwrap();
    assert_eq!((ticket.department.as_str(), ticket.assignee.as_deref()), ("DPW", Some("ana")));
    assert_eq!((ticket.status, ticket.version), (Status::Assigned, 3));
    assert_eq!(ticket.possible_duplicates, vec![older.ticket_id]);
    let history = TicketStore::history(f.store.as_ref(), &filed.ticket_id).await.unwrap();
    assert!(matches!(&history[1].change, Change::Noted { .. }), "the note stays: {history:?}");
}

#[tokio::test]
async fn a_ticket_whose_photo_was_attached_before_routing_is_still_routed() {
    use town311::domain::photo::Processing;
    let f = fixture().await;
    let service = f.store.service("POTHOLE").await.unwrap().unwrap();
    let upload = "0123456789abcdef0123456789abcdef";
    let mut request = town311::adapters::memory::phone_request("POTHOLE", "1 Main St");
    request.location = Location::new(Some(GeoPoint::new(42.280, -71.800).unwrap()), None, None).unwrap();
    request.uploads = vec![upload.to_owned()];
    let (ticket, filed) = Ticket::open(TicketId::parse("K7QM-3XPR").unwrap(), &service, request, at(0));
    f.store.create(&ticket, &filed, None, None).await.unwrap();
    let refused = Processing::Refused { upload_id: upload.into(), reason: "not an image".into() };
    f.store.apply(&[ticket.attach(&refused, at(1)).unwrap()]).await.unwrap();

    handle(&f.state, batch(vec![entry_record("1", &filed)])).await.unwrap();
    let ticket = f.store.get(&filed.ticket_id).await.unwrap().unwrap();
    assert_eq!((ticket.department.as_str(), ticket.assignee.as_deref()), ("DPW", Some("ana")));
    assert_eq!(ticket.version, 3);
}

#[tokio::test]
async fn what_staff_decided_before_routing_is_not_overridden() {
    let f = fixture().await;
    let moved = file(&f, "K7QM-3XPR", "POTHOLE", 42.280, -71.800, 0).await;
    change_by(&f, &moved, Action::Move { department: "CODE".into() }, Actor::Staff("ana".into()), 1).await;
    let assigned = file(&f, "AAAA-BBBB", "POTHOLE", 42.280, -71.801, 2).await;
    let assign = Action::Assign { assignee: Some("omar".into()) };
    change_by(&f, &assigned, assign, Actor::Staff("carla".into()), 3).await;

    let records = vec![entry_record("1", &moved), entry_record("2", &assigned)];
    assert!(handle(&f.state, batch(records)).await.unwrap().batch_item_failures.is_empty());
    let ticket = f.store.get(&moved.ticket_id).await.unwrap().unwrap();
    assert_eq!((ticket.department.as_str(), ticket.version), ("CODE", 2));
    let ticket = f.store.get(&assigned.ticket_id).await.unwrap().unwrap();
    assert_eq!((ticket.assignee.as_deref(), ticket.version), (Some("omar"), 2));
    for id in [&moved.ticket_id, &assigned.ticket_id] {
        assert_eq!(routed_entries(&TicketStore::history(f.store.as_ref(), id).await.unwrap()), 0);
    }
}

/// The table, where someone writes a note on the ticket just before each of the first `races`
/// writes of routing, as a clerk or the photo function would.
struct Racing {
    store: Arc<MemoryStore>,
    races: std::sync::Mutex<u32>,
}

#[async_trait::async_trait]
impl TicketStore for Racing {
    async fn apply(&self, changes: &[(Ticket, HistoryEntry)]) -> Result<(), StoreError> {
        let race = {
            let mut races = self.races.lock().unwrap();
            let race = *races > 0;
            *races = races.saturating_sub(1);
            race
        };
        if race {
            let (ticket, _) = &changes[0];
            let current = self.store.get(&ticket.id).await?.unwrap();
            let note = Action::Note { text: "meanwhile".into(), public: false };
            let change =
                current.apply(&note, Actor::Staff("omar".into()), at(9), Targets::default()).unwrap();
            self.store.apply(&[change]).await?;
        }
        self.store.apply(changes).await
    }
    async fn apply_rewriting(
        &self,
        change: &(Ticket, HistoryEntry),
        rewritten: &[HistoryEntry],
    ) -> Result<(), StoreError> {
        self.store.apply_rewriting(change, rewritten).await
    }
    async fn create(
        &self,
        ticket: &Ticket,
        entry: &HistoryEntry,
        token: Option<&str>,
        idempotency: Option<&town311::ports::Idempotency>,
    ) -> Result<(), StoreError> {
        self.store.create(ticket, entry, token, idempotency).await
    }
    async fn replay(
        &self,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<town311::ports::Replay>, StoreError> {
        self.store.replay(key_hash, now).await
    }
    async fn queue(
        &self,
        queue: &town311::domain::listing::Queue,
        limit: usize,
        after: Option<&str>,
    ) -> Result<town311::domain::listing::QueuePage, StoreError> {
        self.store.queue(queue, limit, after).await
    }
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        self.store.get(id).await
    }
    async fn get_many(&self, ids: &[TicketId]) -> Result<Vec<Ticket>, StoreError> {
        self.store.get_many(ids).await
    }
    async fn list(&self, filter: &town311::domain::listing::TicketFilter) -> Result<Vec<Ticket>, StoreError> {
        self.store.list(filter).await
    }
    async fn history(&self, id: &TicketId) -> Result<Vec<HistoryEntry>, StoreError> {
        TicketStore::history(self.store.as_ref(), id).await
    }
    async fn public_updates(
        &self,
        window: town311::domain::listing::Window,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        self.store.public_updates(window, limit).await
    }
    async fn ticket_for_token(&self, token: &str) -> Result<Option<TicketId>, StoreError> {
        self.store.ticket_for_token(token).await
    }
    async fn in_cells(&self, service_code: &str, cells: &[String]) -> Result<Vec<Ticket>, StoreError> {
        self.store.in_cells(service_code, cells).await
    }
    async fn in_map_cells(
        &self,
        cells: &[String],
        closed_since: DateTime<Utc>,
        limit: usize,
    ) -> Result<(Vec<town311::domain::map::MapPin>, bool), StoreError> {
        self.store.in_map_cells(cells, closed_since, limit).await
    }
    async fn reindex(&self, ticket: &Ticket) -> Result<bool, StoreError> {
        self.store.reindex(ticket).await
    }
    async fn follow(&self, follower: &Follower) -> Result<(), StoreError> {
        self.store.follow(follower).await
    }
    async fn follower(&self, id: &TicketId, contact_key: &str) -> Result<Option<Follower>, StoreError> {
        self.store.follower(id, contact_key).await
    }
    async fn confirm_follower(&self, id: &TicketId, contact_key: &str) -> Result<bool, StoreError> {
        self.store.confirm_follower(id, contact_key).await
    }
    async fn followers(&self, id: &TicketId) -> Result<Vec<Follower>, StoreError> {
        self.store.followers(id).await
    }
    async fn followers_page(
        &self,
        id: &TicketId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<town311::domain::follower::FollowerPage, StoreError> {
        self.store.followers_page(id, after, limit).await
    }
}

#[tokio::test]
async fn routing_that_meets_a_concurrent_change_reads_the_ticket_again_and_routes_it() {
    let mut f = fixture().await;
    f.state.tickets = Arc::new(Racing { store: f.store.clone(), races: std::sync::Mutex::new(2) });
    let filed = file(&f, "K7QM-3XPR", "POTHOLE", 42.280, -71.800, 0).await;

    let response = handle(&f.state, batch(vec![entry_record("1", &filed)])).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    let ticket = f.store.get(&filed.ticket_id).await.unwrap().unwrap();
    assert_eq!((ticket.department.as_str(), ticket.assignee.as_deref()), ("DPW", Some("ana")));
    assert_eq!(ticket.version, 4, "two notes, then routing");
}

#[tokio::test]
async fn a_ticket_that_keeps_changing_fails_its_record_for_the_stream_to_retry() {
    let mut f = fixture().await;
    f.state.tickets = Arc::new(Racing { store: f.store.clone(), races: std::sync::Mutex::new(u32::MAX) });
    let filed = file(&f, "K7QM-3XPR", "POTHOLE", 42.280, -71.800, 0).await;

    let response = handle(&f.state, batch(vec![entry_record("1", &filed)])).await.unwrap();
    assert_eq!(response.batch_item_failures.len(), 1, "not dropped");
    assert!(f.publisher.events().is_empty(), "announced only once routed");
    let ticket = f.store.get(&filed.ticket_id).await.unwrap().unwrap();
    assert_eq!(ticket.assignee, None);
}

#[tokio::test]
async fn the_towns_figures_count_each_change_once_as_the_stream_goes_by() {
    use town311::domain::lifecycle::{Action, Targets};
    use town311::domain::status::Resolution;
    use town311::ports::Stats;
    let f = fixture().await;
    let created = file(&f, "K7QM-3XPR", "POTHOLE", 42.280, -71.800, 0).await;
    let records = || batch(vec![entry_record("1", &created)]);
    handle(&f.state, records()).await.unwrap();
    handle(&f.state, records()).await.unwrap();
    // Routing assigned it (town311 itself: no first response); staff close it.
    let ticket = f.store.get(&created.ticket_id).await.unwrap().unwrap();
    let close = Action::SetStatus {
        status: Status::Closed,
        resolution: Some(Resolution::Fixed),
        referral: None,
        after_photo: None,
    };
    let closed = ticket
        .apply(&close, Actor::Staff("ana".into()), at(59) + chrono::Duration::days(2), Targets::default())
        .unwrap();
    f.store.apply(std::slice::from_ref(&closed)).await.unwrap();
    let history = TicketStore::history(f.store.as_ref(), &created.ticket_id).await.unwrap();
    let all: Vec<serde_json::Value> =
        history.iter().enumerate().map(|(n, e)| entry_record(&(n + 1).to_string(), e)).collect();
    handle(&f.state, batch(all.clone())).await.unwrap();
    handle(&f.state, batch(all)).await.unwrap();
    let month = f.store.month(2026, 11).await.unwrap();
    let days: Vec<(String, &str, &str)> =
        month.iter().map(|d| (d.day.to_string(), d.department.as_str(), d.service_code.as_str())).collect();
    assert_eq!(
        days,
        vec![("2026-11-23".into(), "DPW", "POTHOLE"), ("2026-11-25".into(), "DPW", "POTHOLE")],
        "opened on its day, closed on its own"
    );
    let mut tally = town311::domain::stats::Tally::default();
    month.iter().for_each(|d| tally.merge(&d.tally));
    assert_eq!((tally.opened, tally.closed, tally.reopened), (1, 1, 0), "each once: {tally:?}");
    assert_eq!(tally.median_days_to_close(), Some(2));
    assert_eq!(tally.median_hours_to_respond(), Some(48), "closing was staff's first change");
    // A private service's request is not counted.
    let private = file(&f, "AAAA-BBBB", "HOUSING", 42.280, -71.800, 1).await;
    handle(&f.state, batch(vec![entry_record("9", &private)])).await.unwrap();
    let month = f.store.month(2026, 11).await.unwrap();
    assert_eq!(month.iter().map(|d| d.tally.opened).sum::<u64>(), 1);
}
