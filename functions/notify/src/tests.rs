use super::*;
use aws_lambda_events::event::sns::SnsMessage;
use chrono::{DateTime, TimeZone, Utc};
use town311::adapters::memory::{MemoryQueue, MemoryStore, RecordingMessenger, Refusal, Sent};
use town311::domain::contact::{NotifyBy, Reporter, ReporterInput};
use town311::domain::follower::Follower;
use town311::domain::id::{OsRandom, TicketId};
use town311::domain::lifecycle::{Action, Targets};
use town311::domain::status::{Resolution, Status};
use town311::domain::ticket::Actor;
use town311::runtime::clock::FixedClock;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, hour, 0, 0).unwrap()
}

fn tomorrow() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 14, 0, 0).unwrap()
}

struct Fixture {
    store: Arc<MemoryStore>,
    messenger: Arc<RecordingMessenger>,
    queue: Arc<MemoryQueue>,
    state: State,
}

async fn fixture() -> Fixture {
    let clock = Arc::new(FixedClock::at(at(20)));
    let store = Arc::new(MemoryStore::with_demo_catalog().await.with_clock(clock.clone()));
    let messenger = Arc::new(RecordingMessenger::default());
    let queue = Arc::new(MemoryQueue::default());
    let state = State {
        // Tests of the day's SMS budget set their own.
        config: Config { sms_daily_budget: u32::MAX, ..town311::adapters::memory::config(None) },
        tickets: store.clone(),
        catalog: store.clone(),
        deliveries: store.clone(),
        messenger: messenger.clone(),
        work: Some(queue.clone()),
        clock,
        ids: Arc::new(OsRandom),
        rates: store.clone(),
    };
    Fixture { store, messenger, queue, state }
}

fn reporter(input: ReporterInput<'_>) -> Reporter {
    Reporter::parse(input).unwrap()
}

/// Files a pothole by `reporter` and returns it with its first entry.
async fn file(f: &Fixture, reporter: Reporter) -> (Ticket, HistoryEntry) {
    let service = f.store.service("POTHOLE").await.unwrap().unwrap();
    let mut request = town311::adapters::memory::phone_request("POTHOLE", "12 Main St");
    request.reporter = reporter;
    let (ticket, entry) = Ticket::open(TicketId::parse("K7QM-3XPR").unwrap(), &service, request, at(14));
    f.store.create(&ticket, &entry, None, None).await.unwrap();
    (ticket, entry)
}

async fn act(f: &Fixture, ticket: &Ticket, action: Action, hour: u32) -> (Ticket, HistoryEntry) {
    let change = ticket.apply(&action, Actor::Staff("ana".into()), at(hour), Targets::default()).unwrap();
    f.store.apply(std::slice::from_ref(&change)).await.unwrap();
    change
}

fn sms(sent: &[Sent]) -> Vec<String> {
    sent.iter()
        .filter_map(|s| match s {
            Sent::Sms { text, .. } => Some(text.clone()),
            Sent::Email { .. } => None,
        })
        .collect()
}

#[tokio::test]
async fn an_sms_reporter_hears_of_each_public_change_once_and_of_internal_ones_never() {
    let f = fixture().await;
    let (ticket, created) =
        file(&f, reporter(ReporterInput { phone: Some("555-010-7777"), ..Default::default() })).await;
    let (t, assigned) = act(&f, &ticket, Action::Assign { assignee: Some("ana".into()) }, 15).await;
    let (t, scheduled) = act(&f, &t, Action::Schedule { at: tomorrow() }, 16).await;
    let (t, internal) = act(&f, &t, Action::Note { text: "caller was rude".into(), public: false }, 17).await;
    let (t, note) =
        act(&f, &t, Action::Note { text: "Patched with cold mix.".into(), public: true }, 18).await;
    let close = Action::SetStatus {
        status: Status::Closed,
        resolution: Some(Resolution::Fixed),
        referral: None,
        after_photo: None,
    };
    let (_, closed) = act(&f, &t, close, 19).await;
    for entry in [&created, &assigned, &scheduled, &internal, &note, &closed] {
        notify(&f.state, &TicketEvent::new(entry)).await.unwrap();
        // A replayed event sends nothing more.
        notify(&f.state, &TicketEvent::new(entry)).await.unwrap();
    }
    let texts = sms(&f.messenger.sent());
    assert_eq!(texts.len(), 5, "{texts:#?}");
    assert!(texts[0].contains("We got your Pothole request"));
    assert!(texts[1].contains("Assigned to a Public Works crew"));
    assert!(texts[2].contains("Work scheduled for"));
    assert!(texts[3].contains("Patched with cold mix."));
    assert!(texts[4].contains("Closed: fixed."));
    assert!(
        texts
            .iter()
            .all(|t| t.contains("https://311.millbrook.example/status?id=K7QM-3XPR") && !t.contains("rude"))
    );
    assert!(f.messenger.sent().iter().all(|s| matches!(s, Sent::Sms { to, .. } if to == "+15550107777")));
}

#[tokio::test]
async fn followers_hear_too_each_contact_once_in_their_language() {
    let f = fixture().await;
    let phone = "555-010-7777";
    let (ticket, _) = file(&f, reporter(ReporterInput { phone: Some(phone), ..Default::default() })).await;
    for (email, phone, language) in
        [(Some("luz@example.org"), None, Language::Es), (None, Some("+1 555 010 7777"), Language::En)]
    {
        let contact = Contact::choose(None, email, phone).unwrap();
        let follower = Follower {
            ticket_id: ticket.id.clone(),
            contact,
            language,
            since: at(14),
            via: None,
            confirmed: true,
        };
        f.store.follow(&follower).await.unwrap();
    }
    let (_, scheduled) = act(&f, &ticket, Action::Schedule { at: tomorrow() }, 16).await;
    notify(&f.state, &TicketEvent::new(&scheduled)).await.unwrap();
    let sent = f.messenger.sent();
    assert_eq!(sent.len(), 2, "the reporter who also follows hears once: {sent:#?}");
    let Some(Sent::Email { to, subject, body, unsubscribe_url, .. }) =
        sent.iter().find(|s| matches!(s, Sent::Email { .. }))
    else {
        panic!("no email: {sent:#?}")
    };
    assert_eq!(to, "luz@example.org");
    assert_eq!(subject, "Millbrook 311: solicitud K7QM-3XPR programada");
    assert!(
        body.contains(unsubscribe_url.as_str()) && unsubscribe_url.contains("/citizen/v1/unsubscribe?token=")
    );
}

#[tokio::test]
async fn an_unsubscribed_contact_hears_nothing_more() {
    let f = fixture().await;
    let input = ReporterInput {
        email: Some("ana@example.org"),
        notify_by: Some(NotifyBy::Email),
        ..Default::default()
    };
    let (ticket, created) = file(&f, reporter(input)).await;
    notify(&f.state, &TicketEvent::new(&created)).await.unwrap();
    let Some(Sent::Email { unsubscribe_url, .. }) = f.messenger.sent().pop() else { panic!("no email") };
    let token = unsubscribe_url.rsplit('=').next().unwrap().to_owned();
    let (ticket_id, key) = f.store.unsubscribe_target(&token).await.unwrap().unwrap();
    assert_eq!(ticket_id, ticket.id);
    assert!(town311::ports::Privacy::forget_on(f.store.as_ref(), &ticket_id, &key).await.unwrap());
    let (_, scheduled) = act(&f, &ticket, Action::Schedule { at: tomorrow() }, 16).await;
    notify(&f.state, &TicketEvent::new(&scheduled)).await.unwrap();
    assert_eq!(f.messenger.sent().len(), 1);
}

#[tokio::test]
async fn a_failed_send_is_retried_and_then_sent_once() {
    let f = fixture().await;
    let (_, created) =
        file(&f, reporter(ReporterInput { phone: Some("555-010-7777"), ..Default::default() })).await;
    *f.messenger.down.lock().unwrap() = true;
    assert!(notify(&f.state, &TicketEvent::new(&created)).await.is_err());
    *f.messenger.down.lock().unwrap() = false;
    notify(&f.state, &TicketEvent::new(&created)).await.unwrap();
    notify(&f.state, &TicketEvent::new(&created)).await.unwrap();
    assert_eq!(f.messenger.sent().len(), 1);
}

#[tokio::test]
async fn an_anonymous_report_and_internal_events_send_nothing() {
    let f = fixture().await;
    let (ticket, created) = file(&f, Reporter::default()).await;
    notify(&f.state, &TicketEvent::new(&created)).await.unwrap();
    let (_, internal) = act(&f, &ticket, Action::Note { text: "x".into(), public: false }, 15).await;
    notify(&f.state, &TicketEvent::new(&internal)).await.unwrap();
    assert!(f.messenger.sent().is_empty());
}

#[tokio::test]
async fn an_invocation_with_a_message_that_failed_fails_so_lambda_retries_it_and_the_rest_are_told() {
    let f = fixture().await;
    let (_, created) =
        file(&f, reporter(ReporterInput { phone: Some("555-010-7777"), ..Default::default() })).await;
    let event = sns_event(vec![
        message("good", serde_json::to_string(&TicketEvent::new(&created)).unwrap()),
        message("garbage", "{not json".into()),
    ]);
    assert!(handle(&f.state, LambdaEvent::new(event, Default::default())).await.is_err());
    assert_eq!(f.messenger.sent().len(), 1);
    let event = sns_event(vec![message("good", serde_json::to_string(&TicketEvent::new(&created)).unwrap())]);
    assert!(handle(&f.state, LambdaEvent::new(event, Default::default())).await.is_ok());
    assert_eq!(f.messenger.sent().len(), 1, "the retry sends nothing twice");
}

/// One message as SNS hands it to Lambda.
fn message(id: &str, body: String) -> SnsRecord {
    let mut sns = SnsMessage::default();
    sns.message_id = id.into();
    sns.message = body;
    let mut record = SnsRecord::default();
    record.event_source = "aws:sns".into();
    record.sns = sns;
    record
}

fn sns_event(records: Vec<SnsRecord>) -> SnsEvent {
    let mut event = SnsEvent::default();
    event.records = records;
    event
}

/// Handles `bodies` as the messages of one invocation (ids `m0`, `m1`, …); the ids that failed.
async fn deliver(f: &Fixture, bodies: Vec<String>) -> Vec<String> {
    let records = bodies.into_iter().enumerate().map(|(n, body)| message(&format!("m{n}"), body)).collect();
    crate::handle_records(&f.state, records).await
}

async fn follow(f: &Fixture, ticket: &Ticket, email: Option<&str>, phone: Option<&str>) {
    let contact = Contact::choose(None, email, phone).unwrap();
    let follower = Follower {
        ticket_id: ticket.id.clone(),
        contact,
        language: Language::En,
        since: at(14),
        via: None,
        confirmed: true,
    };
    f.store.follow(&follower).await.unwrap();
}

/// The message route leaves for a pending follower.
fn due_message(follower: &Follower) -> String {
    town311::domain::follower::ConfirmationDue::of(follower).message().unwrap()
}

#[tokio::test]
async fn a_pending_follower_gets_one_confirmation_and_nothing_else_until_confirmed() {
    let f = fixture().await;
    let (ticket, _) = file(&f, Reporter::default()).await;
    let sms_contact = Contact::choose(None, None, Some("555-010-8888")).unwrap();
    let texted = Follower::pending(&ticket.id, sms_contact.clone(), Language::Es, at(15));
    let email_contact = Contact::choose(None, Some("noor@example.org"), None).unwrap();
    let mailed = Follower::pending(&ticket.id, email_contact.clone(), Language::En, at(15));
    for follower in [&texted, &mailed] {
        f.store.follow(follower).await.unwrap();
    }
    let (t, scheduled) = act(&f, &ticket, Action::Schedule { at: tomorrow() }, 16).await;
    notify(&f.state, &TicketEvent::new(&scheduled)).await.unwrap();
    assert!(f.messenger.sent().is_empty(), "a pending follower hears nothing: {:#?}", f.messenger.sent());

    // The confirmation: once per follow, however often the message comes.
    let failed = deliver(&f, vec![due_message(&texted), due_message(&mailed), due_message(&texted)]).await;
    assert!(failed.is_empty());
    let sent = f.messenger.sent();
    assert_eq!(sent.len(), 2, "{sent:#?}");
    let texts = sms(&sent);
    assert_eq!(texts.len(), 1);
    assert!(
        texts[0].contains("confirme") && texts[0].contains("/citizen/v1/follow/confirm?token="),
        "{}",
        texts[0]
    );
    let Some(Sent::Email { to, subject, body, .. }) = sent.iter().find(|s| matches!(s, Sent::Email { .. }))
    else {
        panic!("no email: {sent:#?}")
    };
    assert_eq!(to, "noor@example.org");
    assert!(subject.contains("confirm") && body.contains("/citizen/v1/follow/confirm?token="));

    // The link stands for the follower; using it confirms them and they hear the next change.
    let token = body.split("token=").nth(1).unwrap().split_whitespace().next().unwrap();
    let (ticket_id, key) = f.store.redeem_confirmation(token).await.unwrap().unwrap();
    assert_eq!((ticket_id.clone(), key.clone()), (ticket.id.clone(), email_contact.key()));
    assert!(f.store.confirm_follower(&ticket_id, &key).await.unwrap());
    // A confirmation of someone confirmed since sends nothing.
    deliver(&f, vec![due_message(&mailed)]).await;
    assert_eq!(f.messenger.sent().len(), 2);
    let (_, note) = act(&f, &t, Action::Note { text: "Crew on site.".into(), public: true }, 17).await;
    notify(&f.state, &TicketEvent::new(&note)).await.unwrap();
    let sent = f.messenger.sent();
    assert_eq!(sent.len(), 3, "{sent:#?}");
    assert!(
        matches!(&sent[2], Sent::Email { to, body, .. } if to == "noor@example.org" && body.contains("Crew on site."))
    );
}

fn recipients_of(sent: &[Sent]) -> Vec<String> {
    let mut to: Vec<String> = sent
        .iter()
        .map(|s| match s {
            Sent::Sms { to, .. } | Sent::Email { to, .. } => to.clone(),
        })
        .collect();
    to.sort();
    to
}

#[tokio::test]
async fn a_recipient_refused_for_good_is_kept_undeliverable_and_the_others_still_hear() {
    let f = fixture().await;
    let (ticket, _) =
        file(&f, reporter(ReporterInput { phone: Some("555-010-7777"), ..Default::default() })).await;
    follow(&f, &ticket, None, Some("555-010-0000")).await;
    follow(&f, &ticket, Some("luz@example.org"), None).await;
    f.messenger.refuse("+15550100000", Refusal::Permanent);
    let (_, scheduled) = act(&f, &ticket, Action::Schedule { at: tomorrow() }, 16).await;
    let body = serde_json::to_string(&TicketEvent::new(&scheduled)).unwrap();

    let failed = deliver(&f, vec![body.clone()]).await;
    assert!(failed.is_empty(), "a refusal for good is no reason to redeliver: {failed:?}");
    assert_eq!(recipients_of(&f.messenger.sent()), ["+15550107777", "luz@example.org"]);
    let undeliverable = f.store.undeliverable();
    assert_eq!(undeliverable.len(), 1, "{undeliverable:?}");
    assert!(undeliverable.values().all(|code| code == "InvalidParameter"));

    // A replay tries nobody again.
    f.messenger.accept("+15550100000");
    assert!(deliver(&f, vec![body]).await.is_empty());
    assert_eq!(f.messenger.sent().len(), 2);
}

#[tokio::test]
async fn a_recipient_failing_for_now_is_retried_alone_after_the_others_heard() {
    let f = fixture().await;
    let (ticket, _) =
        file(&f, reporter(ReporterInput { phone: Some("555-010-7777"), ..Default::default() })).await;
    follow(&f, &ticket, Some("ana@example.org"), None).await;
    follow(&f, &ticket, None, Some("555-010-0001")).await;
    // The reporter is told first: their failure must not hold back the followers.
    f.messenger.refuse("+15550107777", Refusal::Transient);
    f.messenger.refuse("+15550100001", Refusal::Transient);
    let (_, scheduled) = act(&f, &ticket, Action::Schedule { at: tomorrow() }, 16).await;
    let body = serde_json::to_string(&TicketEvent::new(&scheduled)).unwrap();

    assert_eq!(deliver(&f, vec![body.clone()]).await, ["m0"]);
    assert_eq!(recipients_of(&f.messenger.sent()), ["ana@example.org"]);
    assert!(f.store.undeliverable().is_empty());

    f.messenger.accept("+15550107777");
    assert_eq!(deliver(&f, vec![body.clone()]).await, ["m0"], "one still fails");
    assert_eq!(recipients_of(&f.messenger.sent()), ["+15550107777", "ana@example.org"]);
    f.messenger.accept("+15550100001");
    assert!(deliver(&f, vec![body]).await.is_empty());
    assert_eq!(
        recipients_of(&f.messenger.sent()),
        ["+15550100001", "+15550107777", "ana@example.org"],
        "each exactly once"
    );
}

#[tokio::test]
async fn thousands_of_followers_are_told_once_each_in_chunks_across_invocations() {
    let f = fixture().await;
    let (ticket, _) =
        file(&f, reporter(ReporterInput { phone: Some("555-010-7777"), ..Default::default() })).await;
    for n in 0..2_500 {
        follow(&f, &ticket, None, Some(&format!("+1555200{n:04}"))).await;
    }
    let (_, scheduled) = act(&f, &ticket, Action::Schedule { at: tomorrow() }, 16).await;
    let body = serde_json::to_string(&TicketEvent::new(&scheduled)).unwrap();

    // SQS delivers the first message twice: still one chain of continuations.
    let mut batch = vec![body.clone(), body];
    let mut invocations = 0;
    while !batch.is_empty() && invocations < 200 {
        let before = f.messenger.sent().len();
        assert!(deliver(&f, batch).await.is_empty());
        let told = f.messenger.sent().len() - before;
        assert!(told <= 2 * (CHUNK + 1), "one invocation told {told}");
        invocations += 1;
        batch = f.queue.take();
        assert!(batch.len() <= 1, "one continuation at a time: {}", batch.len());
    }
    let to = recipients_of(&f.messenger.sent());
    let mut unique = to.clone();
    unique.dedup();
    assert_eq!(to.len(), 2_501, "the reporter and every follower");
    assert_eq!(unique.len(), to.len(), "nobody twice");
    assert_eq!(invocations, 2_500 / CHUNK, "{invocations} invocations");
}

#[tokio::test]
async fn past_the_days_sms_budget_texts_are_held_back_and_email_goes_on() {
    let mut f = fixture().await;
    f.state.config.sms_daily_budget = 2;
    let (ticket, _) = file(&f, reporter(ReporterInput::default())).await;
    for phone in ["555-010-1111", "555-010-2222", "555-010-3333"] {
        follow(&f, &ticket, None, Some(phone)).await;
    }
    follow(&f, &ticket, Some("f@example.org"), None).await;
    let (_, assigned) = act(&f, &ticket, Action::Assign { assignee: Some("ana".into()) }, 15).await;
    notify(&f.state, &TicketEvent::new(&assigned)).await.unwrap();
    let texts = sms(&f.messenger.sent());
    assert_eq!(texts.len(), 2, "the budget, and no more: {texts:#?}");
    let emails = f.messenger.sent().iter().filter(|s| matches!(s, Sent::Email { .. })).count();
    assert_eq!(emails, 1, "email is not held back: {:#?}", f.messenger.sent());
    let held = f.store.undeliverable().values().filter(|c| *c == "SmsBudgetSpent").count();
    assert_eq!(held, 1, "{:?}", f.store.undeliverable());
}

#[tokio::test]
async fn confirmation_texts_count_against_the_days_sms_budget() {
    let mut f = fixture().await;
    f.state.config.sms_daily_budget = 1;
    let (ticket, _) = file(&f, Reporter::default()).await;
    let pending: Vec<Follower> = ["555-010-1111", "555-010-2222"]
        .iter()
        .map(|phone| {
            let contact = Contact::choose(None, None, Some(phone)).unwrap();
            Follower::pending(&ticket.id, contact, Language::En, at(15))
        })
        .collect();
    for follower in &pending {
        f.store.follow(follower).await.unwrap();
    }
    let failed = deliver(&f, pending.iter().map(due_message).collect()).await;
    assert!(failed.is_empty());
    assert_eq!(sms(&f.messenger.sent()).len(), 1, "the budget, and no more: {:#?}", f.messenger.sent());
    assert_eq!(f.store.undeliverable().values().filter(|c| *c == "SmsBudgetSpent").count(), 1);
}

#[tokio::test]
async fn a_message_reaches_the_reporter_alone_or_everyone_as_staff_chose_even_when_not_public() {
    use town311::domain::ticket::Audience;
    let f = fixture().await;
    let (ticket, _) =
        file(&f, reporter(ReporterInput { phone: Some("555-010-7777"), ..Default::default() })).await;
    let contact = Contact::choose(None, Some("luz@example.org"), None).unwrap();
    let follower = Follower {
        ticket_id: ticket.id.clone(),
        contact,
        language: Language::Es,
        since: at(14),
        via: None,
        confirmed: true,
    };
    f.store.follow(&follower).await.unwrap();

    let ask =
        Action::Message { text: "Which side of the street?".into(), to: Audience::Reporter, public: false };
    let (asked, entry) = act(&f, &ticket, ask, 16).await;
    let event = TicketEvent::new(&entry);
    assert!(!event.public && event.tells_citizens());
    notify(&f.state, &event).await.unwrap();
    let texts = sms(&f.messenger.sent());
    assert_eq!(texts.len(), 1, "the reporter only: {:#?}", f.messenger.sent());
    assert!(
        texts[0].contains("Which side of the street?") && texts[0].contains("To answer, call"),
        "{}",
        texts[0]
    );

    let tell = Action::Message { text: "Crews arrive Monday.".into(), to: Audience::Everyone, public: true };
    let (_, entry) = act(&f, &asked, tell, 17).await;
    notify(&f.state, &TicketEvent::new(&entry)).await.unwrap();
    let sent = f.messenger.sent();
    assert_eq!(sent.len(), 3, "then the reporter and the follower: {sent:#?}");
    assert!(sent.iter().any(|s| matches!(s, Sent::Email { to, body, .. } if to == "luz@example.org" && body.contains("Para responder"))));
}

#[tokio::test]
async fn an_event_published_before_notify_was_kept_tells_citizens_when_public() {
    let f = fixture().await;
    let (ticket, _) =
        file(&f, reporter(ReporterInput { phone: Some("555-010-7777"), ..Default::default() })).await;
    let (_, entry) = act(&f, &ticket, Action::Schedule { at: tomorrow() }, 16).await;
    let mut event = TicketEvent::new(&entry);
    event.notify = None;
    notify(&f.state, &event).await.unwrap();
    assert_eq!(f.messenger.sent().len(), 1);
}

/// The fixture as a town with a mail domain and a two-way number has it.
async fn conversing() -> Fixture {
    let mut f = fixture().await;
    f.state.config.inbound = town311::runtime::config::Inbound {
        mail: Some(town311::runtime::config::InboundMail {
            domain: "311.millbrook.example".into(),
            key: town311::domain::conversation::ReplyKey::new(b"0123456789abcdef0123456789abcdef").unwrap(),
        }),
        sms_number: Some(town311::domain::contact::Phone::parse("+15555550311").unwrap()),
        triage_department: "CLERK".into(),
    };
    f
}

#[tokio::test]
async fn with_replies_on_emails_carry_the_tickets_reply_address_and_texts_remember_their_thread() {
    use town311::domain::ticket::Audience;
    let f = conversing().await;
    let (ticket, _) =
        file(&f, reporter(ReporterInput { email: Some("ana@example.org"), ..Default::default() })).await;
    let contact = Contact::choose(None, None, Some("+1 555 010 7777")).unwrap();
    let key = contact.key();
    let follower = Follower {
        ticket_id: ticket.id.clone(),
        contact,
        language: Language::En,
        since: at(14),
        via: None,
        confirmed: true,
    };
    f.store.follow(&follower).await.unwrap();
    let ask = Action::Message { text: "Which side?".into(), to: Audience::Everyone, public: false };
    let (_, entry) = act(&f, &ticket, ask, 16).await;
    notify(&f.state, &TicketEvent::new(&entry)).await.unwrap();
    let sent = f.messenger.sent();
    let Some(Sent::Email { body, reply_to: Some(reply_to), .. }) =
        sent.iter().find(|s| matches!(s, Sent::Email { .. }))
    else {
        panic!("an email with a reply address: {sent:#?}")
    };
    assert!(
        reply_to.starts_with("reply-k7qm3xpr-") && reply_to.ends_with("@311.millbrook.example"),
        "{reply_to}"
    );
    assert!(
        body.contains("To answer, reply to this message.") && !body.contains("To answer, call"),
        "{body}"
    );
    let texts = sms(&sent);
    assert!(texts[0].contains("To answer, reply to this message."), "{}", texts[0]);
    assert_eq!(
        f.store.thread(&key).await.unwrap(),
        Some(ticket.id.clone()),
        "a text back reaches the ticket"
    );
}

#[tokio::test]
async fn a_citizens_message_tells_the_assignee_or_else_the_department_once() {
    let f = conversing().await;
    let (ticket, _) =
        file(&f, reporter(ReporterInput { phone: Some("555-010-7777"), ..Default::default() })).await;
    let message = town311::domain::lifecycle::CitizenMessage {
        text: "East side, Ana, 555-0100".into(),
        channel: town311::domain::ticket::Channel::Sms,
        uploads: vec![],
        receipt: "sms:1".into(),
        from_reporter: true,
    };
    let (heard, entry) = ticket.hear(&message, &[], at(16)).unwrap().unwrap();
    f.store.apply(&[(heard.clone(), entry.clone())]).await.unwrap();
    let event = TicketEvent::new(&entry);
    assert!(event.tells_staff() && !event.tells_citizens());
    notify(&f.state, &event).await.unwrap();
    notify(&f.state, &event).await.unwrap();
    let sent = f.messenger.sent();
    assert_eq!(sent.len(), 1, "the department once, the citizen not at all: {sent:#?}");
    let Sent::Email { to, subject, body, .. } = &sent[0] else { panic!("{sent:#?}") };
    assert_eq!(to, "publicworks@millbrook.example");
    assert!(subject.contains("K7QM-3XPR") && body.contains("/admin?ticket=K7QM-3XPR"), "{subject} {body}");
    assert!(!body.contains("East side") && !body.contains("555"), "no citizen's words or number: {body}");

    let (assigned, _) =
        act(&f, &heard, Action::Assign { assignee: Some("clerk@millbrook.example".into()) }, 17).await;
    let again = town311::domain::lifecycle::CitizenMessage { receipt: "sms:2".into(), ..message };
    let history = TicketStore::history(f.store.as_ref(), &assigned.id).await.unwrap();
    let change = assigned.hear(&again, &history, at(18)).unwrap().unwrap();
    f.store.apply(std::slice::from_ref(&change)).await.unwrap();
    let entry = change.1;
    notify(&f.state, &TicketEvent::new(&entry)).await.unwrap();
    let sent = f.messenger.sent();
    assert!(matches!(&sent[1], Sent::Email { to, .. } if to == "clerk@millbrook.example"), "{sent:#?}");
}

#[tokio::test]
async fn not_fixed_tells_the_department_once_and_the_reporter_hears_it_reopened() {
    let f = fixture().await;
    let (ticket, _) =
        file(&f, reporter(ReporterInput { email: Some("ana@example.org"), ..Default::default() })).await;
    let close = Action::SetStatus {
        status: Status::Closed,
        resolution: Some(Resolution::Fixed),
        referral: None,
        after_photo: None,
    };
    let (closed, _) = act(&f, &ticket, close, 15).await;
    let no = town311::domain::fix_check::Answer { fixed: false, comment: Some("still deep".into()) };
    let change = closed.answer_fix_check(&no, &[], at(18)).unwrap();
    f.store.apply(std::slice::from_ref(&change)).await.unwrap();
    let event = TicketEvent::new(&change.1);
    notify(&f.state, &event).await.unwrap();
    notify(&f.state, &event).await.unwrap();
    let sent = f.messenger.sent();
    let to_department: Vec<_> = sent
        .iter()
        .filter_map(|s| match s {
            Sent::Email { to, subject, body, .. } if to == "publicworks@millbrook.example" => {
                Some((subject, body))
            }
            _ => None,
        })
        .collect();
    assert_eq!(to_department.len(), 1, "{sent:#?}");
    assert!(to_department[0].0.contains("K7QM-3XPR is not fixed"), "{}", to_department[0].0);
    assert!(to_department[0].1.contains("It is reopened") && !to_department[0].1.contains("still deep"));
    assert!(sent.iter().any(|s| matches!(s, Sent::Email { to, .. } if to == "ana@example.org")));

    // A "yes" tells the department nothing.
    let f = fixture().await;
    let (ticket, _) = file(&f, Reporter::default()).await;
    let close = Action::SetStatus {
        status: Status::Closed,
        resolution: Some(Resolution::Fixed),
        referral: None,
        after_photo: None,
    };
    let (closed, _) = act(&f, &ticket, close, 15).await;
    let yes = town311::domain::fix_check::Answer { fixed: true, comment: None };
    let change = closed.answer_fix_check(&yes, &[], at(18)).unwrap();
    f.store.apply(std::slice::from_ref(&change)).await.unwrap();
    notify(&f.state, &TicketEvent::new(&change.1)).await.unwrap();
    assert!(f.messenger.sent().is_empty());
}
