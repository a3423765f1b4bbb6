use super::*;
use chrono::TimeZone;
use town311::adapters::memory::{MemoryStore, RecordingMessenger, Sent};
use town311::domain::contact::{Language, Reporter, ReporterInput};
use town311::domain::id::{OsRandom, TicketId};
use town311::domain::lifecycle::{Action, Targets};
use town311::domain::status::{Resolution, Status};
use town311::domain::ticket::{Actor, Ticket};
use town311::runtime::clock::FixedClock;

/// 7:00 in Millbrook (America/New_York) on Tuesday 24 November 2026.
fn morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

struct Fixture {
    store: Arc<MemoryStore>,
    messenger: Arc<RecordingMessenger>,
    clock: Arc<FixedClock>,
    state: State,
}

async fn fixture() -> Fixture {
    let clock = Arc::new(FixedClock::at(morning()));
    let store = Arc::new(MemoryStore::with_demo_catalog().await.with_clock(clock.clone()));
    let messenger = Arc::new(RecordingMessenger::default());
    let state = State {
        config: Config { sms_daily_budget: u32::MAX, ..town311::adapters::memory::config(None) },
        tickets: store.clone(),
        catalog: store.clone(),
        deliveries: store.clone(),
        messenger: messenger.clone(),
        clock: clock.clone(),
        ids: Arc::new(OsRandom),
        rates: store.clone(),
        fixed_check_days: 7,
    };
    Fixture { store, messenger, clock, state }
}

/// Files a request of `service` due at `due`, by `reporter`.
async fn file(
    f: &Fixture,
    id: &str,
    service: &str,
    due: Option<DateTime<Utc>>,
    reporter: Reporter,
) -> Ticket {
    let service = f.store.service(service).await.unwrap().unwrap();
    let mut request = town311::adapters::memory::phone_request(&service.code, "12 Main St");
    request.reporter = reporter;
    let opened = morning() - Duration::days(20);
    let (mut ticket, entry) = Ticket::open(TicketId::parse(id).unwrap(), &service, request, opened);
    ticket.expected_at = due;
    f.store.create(&ticket, &entry, None, None).await.unwrap();
    ticket
}

async fn close(f: &Fixture, ticket: &Ticket, at: DateTime<Utc>) -> Ticket {
    let close = Action::SetStatus {
        status: Status::Closed,
        resolution: Some(Resolution::Fixed),
        referral: None,
        after_photo: None,
    };
    let change = ticket.apply(&close, Actor::Staff("ana".into()), at, Targets::default()).unwrap();
    f.store.apply(std::slice::from_ref(&change)).await.unwrap();
    change.0
}

fn emails(sent: &[Sent]) -> Vec<(String, String, String)> {
    sent.iter()
        .filter_map(|s| match s {
            Sent::Email { to, subject, body, .. } => Some((to.clone(), subject.clone(), body.clone())),
            Sent::Sms { .. } => None,
        })
        .collect()
}

fn with_email(address: &str, language: Language) -> Reporter {
    Reporter::parse(ReporterInput { email: Some(address), language: Some(language), ..Default::default() })
        .unwrap()
}

#[tokio::test]
async fn each_department_with_overdue_or_due_today_work_gets_one_digest_and_no_other() {
    let f = fixture().await;
    let nobody = Reporter::default();
    file(&f, "AAAA-0001", "POTHOLE", Some(morning() - Duration::days(3)), nobody.clone()).await;
    file(&f, "AAAA-0002", "STREETLIGHT", Some(morning() + Duration::hours(6)), nobody.clone()).await;
    file(&f, "AAAA-0003", "MISSED_TRASH", Some(morning() + Duration::hours(10)), nobody.clone()).await;
    // Due tomorrow, and one closed past due: neither is news.
    file(&f, "AAAA-0004", "GRAFFITI", Some(morning() + Duration::hours(20)), nobody.clone()).await;
    let done = file(&f, "AAAA-0005", "TREE_DOWN", Some(morning() - Duration::days(1)), nobody).await;
    close(&f, &done, morning() - Duration::days(2)).await;

    let report = run(&f.state, None).await.unwrap();
    assert_eq!(report.departments, vec!["DPW".to_owned(), "SAN".to_owned()]);
    let mut sent = emails(&f.messenger.sent());
    sent.sort();
    let to: Vec<&str> = sent.iter().map(|(to, _, _)| to.as_str()).collect();
    assert_eq!(to, vec!["publicworks@millbrook.example", "sanitation@millbrook.example"]);
    let (_, subject, body) = &sent[0];
    assert_eq!(subject, "Millbrook 311, Public Works: 1 overdue, 1 due today (Nov 24)");
    assert!(body.contains("Overdue (1):\n- AAAA-0001 "), "{body}");
    assert!(body.contains("due Nov 21 (3 days ago)"), "{body}");
    assert!(body.contains("Due today (1):\n- AAAA-0002 "), "{body}");
    assert!(body.contains("https://311.millbrook.example/admin?ticket=AAAA-0001"), "{body}");
    assert!(!body.contains("AAAA-0004") && !body.contains("AAAA-0005"), "{body}");
    assert!(sent[1].2.contains("AAAA-0003") && sent[1].1.contains("0 overdue, 1 due today"));

    // The same morning again (a retried run): nothing twice.
    run(&f.state, None).await.unwrap();
    assert_eq!(emails(&f.messenger.sent()).len(), 2);
}

#[tokio::test]
async fn nothing_is_sent_when_nothing_is_due() {
    let f = fixture().await;
    file(&f, "AAAA-0001", "POTHOLE", Some(morning() + Duration::days(2)), Reporter::default()).await;
    file(&f, "AAAA-0002", "POTHOLE", None, Reporter::default()).await;
    let report = run(&f.state, None).await.unwrap();
    assert!(report.departments.is_empty());
    assert!(f.messenger.sent().is_empty());
}

#[tokio::test]
async fn a_failed_digest_fails_the_run_and_its_retry_sends_it() {
    let f = fixture().await;
    file(&f, "AAAA-0001", "POTHOLE", Some(morning() - Duration::days(1)), Reporter::default()).await;
    *f.messenger.down.lock().unwrap() = true;
    assert!(matches!(run(&f.state, None).await, Err(DigestError::Unsent(1))));
    *f.messenger.down.lock().unwrap() = false;
    assert_eq!(run(&f.state, None).await.unwrap().departments, vec!["DPW".to_owned()]);
    assert_eq!(emails(&f.messenger.sent()).len(), 1);
}

#[tokio::test]
async fn a_reporter_is_asked_once_days_after_closing_in_their_language_and_not_before() {
    let f = fixture().await;
    let es = file(&f, "AAAA-0001", "POTHOLE", None, with_email("ana@example.org", Language::Es)).await;
    let silent = file(&f, "AAAA-0002", "POTHOLE", None, Reporter::default()).await;
    let closed_at = morning() - Duration::days(6);
    close(&f, &es, closed_at).await;
    close(&f, &silent, closed_at).await;

    run(&f.state, None).await.unwrap();
    assert!(f.messenger.sent().is_empty(), "six days after closing: not yet");

    f.clock.set(morning() + Duration::days(1));
    let report = run(&f.state, None).await.unwrap();
    assert_eq!(report.questions, 1);
    let sent = emails(&f.messenger.sent());
    assert_eq!(sent.len(), 1);
    let (to, subject, body) = &sent[0];
    assert_eq!(to, "ana@example.org");
    assert!(subject.contains("¿se resolvió la solicitud AAAA-0001?"), "{subject}");
    assert!(body.contains("/citizen/v1/fixed?token=") && body.contains("&answer=no"), "{body}");
    let token = body.split("token=").nth(1).unwrap().split('&').next().unwrap();
    let target = f.state.deliveries.fix_check_target(token).await.unwrap();
    assert_eq!(target.map(|(id, _)| id.to_string()), Some("AAAA-0001".into()));

    // The next mornings: asked once per closing.
    f.clock.set(morning() + Duration::days(2));
    run(&f.state, None).await.unwrap();
    assert_eq!(emails(&f.messenger.sent()).len(), 1);
}

#[tokio::test]
async fn nobody_is_asked_when_the_town_turned_it_off_or_the_reporter_unsubscribed() {
    let mut f = fixture().await;
    let t = file(&f, "AAAA-0001", "POTHOLE", None, with_email("ana@example.org", Language::En)).await;
    close(&f, &t, morning() - Duration::days(7)).await;
    f.state.fixed_check_days = 0;
    run(&f.state, None).await.unwrap();
    assert!(f.messenger.sent().is_empty());
    f.state.fixed_check_days = 7;
    let key = town311::domain::follower::Contact::of_reporter(&t.reporter).unwrap().key();
    assert!(town311::ports::Privacy::forget_on(f.store.as_ref(), &t.id, &key).await.unwrap());
    run(&f.state, None).await.unwrap();
    assert!(f.messenger.sent().is_empty());
}

#[test]
fn the_days_are_read_from_the_environment_with_a_default() {
    assert_eq!(fixed_check_days(None), 7);
    assert_eq!(fixed_check_days(Some("")), 7);
    assert_eq!(fixed_check_days(Some("0")), 0);
    assert_eq!(fixed_check_days(Some(" 14 ")), 14);
    assert_eq!(fixed_check_days(Some("-1")), 7);
    assert_eq!(fixed_check_days(Some("9999")), 7);
}

#[test]
fn the_end_of_a_local_day_is_its_next_midnight() {
    let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let tz = town311::domain::zone::TownZone::named("America/New_York").unwrap();
    assert_eq!(end_of_day(day, tz), Utc.with_ymd_and_hms(2026, 11, 25, 5, 0, 0).unwrap());
}
