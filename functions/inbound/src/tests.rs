use super::*;
use chrono::{DateTime, TimeZone, Utc};
use town311::adapters::memory::{MemoryPhotos, MemoryStore, RecordingMessenger, Sent};
use town311::domain::conversation::{Conversation, ReplyKey};
use town311::domain::id::OsRandom;
use town311::domain::lifecycle::{Action, Targets};
use town311::domain::status::{Resolution, Status};
use town311::domain::ticket::{Actor, Change, HistoryEntry};
use town311::runtime::clock::FixedClock;
use town311::runtime::config::{Inbound, InboundMail};

const DOMAIN: &str = "311.millbrook.example";
const SES: &str = "X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\nReceived-SPF: pass\r\n\
    Authentication-Results: amazonses.com; spf=pass; dkim=pass; dmarc=pass;\r\n";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1, 0xFF, 0xD9];

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn key() -> ReplyKey {
    ReplyKey::new(b"0123456789abcdef0123456789abcdef").unwrap()
}

struct Fixture {
    store: Arc<MemoryStore>,
    photos: Arc<MemoryPhotos>,
    messenger: Arc<RecordingMessenger>,
    state: State,
}

async fn fixture_at(now: DateTime<Utc>) -> Fixture {
    let clock = Arc::new(FixedClock::at(now));
    let store = Arc::new(MemoryStore::with_demo_catalog().await.with_clock(clock.clone()));
    let photos = Arc::new(MemoryPhotos::default());
    let messenger = Arc::new(RecordingMessenger::default());
    let mut config = town311::adapters::memory::config(None);
    config.inbound = Inbound {
        mail: Some(InboundMail { domain: DOMAIN.into(), key: key() }),
        sms_number: Some(Phone::parse("+15555550311").unwrap()),
        triage_department: "CLERK".into(),
    };
    let state = State {
        config,
        tickets: store.clone(),
        catalog: store.clone(),
        photos: photos.clone(),
        deliveries: store.clone(),
        messenger: messenger.clone(),
        rates: store.clone(),
        clock,
        ids: Arc::new(OsRandom),
    };
    Fixture { store, photos, messenger, state }
}

async fn fixture() -> Fixture {
    fixture_at(at(23, 20)).await
}

/// A pothole reported by Ana (by email) and Ben's number, asked "which side?" by staff.
async fn asked(f: &Fixture) -> Ticket {
    let service = f.store.service("POTHOLE").await.unwrap().unwrap();
    let mut request = town311::adapters::memory::phone_request("POTHOLE", "12 Main St");
    request.reporter = Reporter::parse(ReporterInput {
        email: Some("ana@example.org"),
        phone: Some("+15555550100"),
        ..ReporterInput::default()
    })
    .unwrap();
    let (ticket, entry) = Ticket::open(TicketId::parse("K7QM-3XPR").unwrap(), &service, request, at(23, 14));
    f.store.create(&ticket, &entry, None, None).await.unwrap();
    let ask =
        Action::Message { text: "Which side of the street?".into(), to: Default::default(), public: false };
    let change = ticket
        .apply(&ask, Actor::Staff("clerk@millbrook.example".into()), at(23, 15), Targets::default())
        .unwrap();
    f.store.apply(std::slice::from_ref(&change)).await.unwrap();
    change.0
}

fn raw_mail(headers: &str, from: &str, to: &str, subject: &str, body: &str, photo: bool) -> Vec<u8> {
    use base64::Engine as _;
    let mut raw = format!("{headers}From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n");
    if photo {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n\
             --b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"hole.jpg\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
            base64::engine::general_purpose::STANDARD.encode(JPEG)
        ));
    } else {
        raw.push_str(&format!("Content-Type: text/plain; charset=utf-8\r\n\r\n{body}"));
    }
    raw.into_bytes()
}

/// Stores a mail as SES does and hands in S3's notification of it.
async fn deliver(f: &Fixture, name: &str, raw: Vec<u8>) -> Vec<Outcome> {
    let key = format!("{MAIL_PREFIX}{name}");
    f.photos.put(&key, raw.clone(), "message/rfc822").await.unwrap();
    let event = serde_json::json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-23T20:00:00.000Z", "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:SES"}, "requestParameters": {"sourceIPAddress": "192.0.2.1"},
        "responseElements": {"x-amz-request-id": "R", "x-amz-id-2": "I"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "mail",
               "bucket": {"name": "photos", "arn": "arn:aws:s3:::photos"},
               "object": {"key": key, "size": raw.len()}}
    }]});
    take(&f.state, &event.to_string()).await.unwrap()
}

fn reply_to(ticket: &Ticket, now: DateTime<Utc>) -> String {
    format!("Millbrook 311 <{}@{DOMAIN}>", key().local_part(&ticket.id, now))
}

async fn citizen_messages(f: &Fixture, id: &TicketId) -> Vec<HistoryEntry> {
    let history = TicketStore::history(f.store.as_ref(), id).await.unwrap();
    history.into_iter().filter(|e| matches!(e.change, Change::CitizenMessage { .. })).collect()
}

#[tokio::test]
async fn an_answer_by_email_lands_on_its_ticket_with_its_photo_once() {
    let f = fixture().await;
    let ticket = asked(&f).await;
    let raw = raw_mail(
        SES,
        "Ana <ana@example.org>",
        &reply_to(&ticket, at(23, 15)),
        "Re: Millbrook 311: request K7QM-3XPR",
        "The east side.\r\n\r\nOn Mon, Millbrook 311 wrote:\r\n> Which side of the street?\r\n",
        true,
    );
    assert_eq!(deliver(&f, "ses-1", raw.clone()).await, vec![Outcome::Heard(ticket.id.clone())]);
    let heard = citizen_messages(&f, &ticket.id).await;
    assert_eq!(heard.len(), 1);
    let Change::CitizenMessage { text, channel, uploads, .. } = &heard[0].change else { unreachable!() };
    assert_eq!((text.as_str(), *channel), ("The east side.", Channel::Email));
    assert_eq!(heard[0].actor, Actor::Reporter);
    assert!(!heard[0].public, "a citizen's words are staff only");
    assert_eq!(uploads.len(), 1);
    let stored: Vec<String> = f.photos.stored().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        stored,
        vec![town311::domain::photo::upload_key(&uploads[0])],
        "the raw mail is deleted; the photo waits"
    );
    let now = f.store.get(&ticket.id).await.unwrap().unwrap();
    assert_eq!(now.conversation, Some(Conversation::CitizenAnswered));
    assert_eq!(now.held_uploads, uploads.clone());
    // SQS delivers at least once: the same stored mail again adds nothing.
    assert_eq!(deliver(&f, "ses-1", raw).await, vec![Outcome::Again]);
    assert_eq!(citizen_messages(&f, &ticket.id).await.len(), 1);
}

#[tokio::test]
async fn a_forged_reply_address_is_dropped_unanswered_and_a_stale_one_is_told() {
    let f = fixture().await;
    let ticket = asked(&f).await;
    let genuine = key().local_part(&ticket.id, at(23, 15));
    let forged = format!("{}0@{DOMAIN}", &genuine[..genuine.len() - 1]);
    let raw = raw_mail(SES, "mallory@example.net", &forged, "Re: hi", "spam", false);
    assert_eq!(deliver(&f, "ses-2", raw).await, vec![Outcome::Dropped("forged reply address")]);
    let other = TicketId::parse("AAAA-BBBB").unwrap();
    let made_up =
        format!("{}@{DOMAIN}", key().local_part(&other, at(23, 15)).replace("aaaabbbb", "k7qm3xpr"));
    let raw = raw_mail(SES, "mallory@example.net", &made_up, "Re: hi", "spam", false);
    assert_eq!(deliver(&f, "ses-3", raw).await, vec![Outcome::Dropped("forged reply address")]);
    assert!(citizen_messages(&f, &ticket.id).await.is_empty());
    assert!(f.messenger.sent().is_empty(), "no answer to a forgery");

    // The address is older than its days.
    let late = fixture_at(at(23, 20) + Duration::days(conversation::REPLY_VALID_DAYS + 2)).await;
    let old = asked(&late).await;
    let raw = raw_mail(SES, "ana@example.org", &reply_to(&old, at(23, 15)), "Re: x", "still there", false);
    assert_eq!(deliver(&late, "ses-4", raw.clone()).await, vec![Outcome::Dropped("stale reply address")]);
    assert!(citizen_messages(&late, &old.id).await.is_empty());
    let sent = late.messenger.sent();
    assert_eq!(sent.len(), 1);
    let Sent::Email { to, body, .. } = &sent[0] else { panic!("{sent:?}") };
    assert_eq!(to, "ana@example.org");
    assert!(body.contains(&format!("report@{DOMAIN}")), "{body}");
    deliver(&late, "ses-4", raw).await;
    assert_eq!(late.messenger.sent().len(), 1, "told once");
}

#[tokio::test]
async fn a_ticket_closed_past_its_reopen_window_takes_no_answer() {
    let f = fixture_at(at(23, 20) + Duration::days(40)).await;
    let ticket = asked(&f).await;
    let close = Action::SetStatus {
        status: Status::Closed,
        resolution: Some(Resolution::Fixed),
        referral: None,
        after_photo: None,
    };
    let closed = ticket.apply(&close, Actor::Staff("ana".into()), at(24, 9), Targets::default()).unwrap();
    f.store.apply(std::slice::from_ref(&closed)).await.unwrap();
    let fresh_address = reply_to(&ticket, at(23, 20) + Duration::days(39));
    let raw = raw_mail(SES, "ana@example.org", &fresh_address, "Re: x", "thanks", false);
    assert_eq!(deliver(&f, "ses-5", raw).await, vec![Outcome::Dropped("stale reply address")]);
    assert!(citizen_messages(&f, &ticket.id).await.is_empty());
}

#[tokio::test]
async fn verdicts_programs_and_other_addresses_are_not_taken() {
    let f = fixture().await;
    let ticket = asked(&f).await;
    let to = reply_to(&ticket, at(23, 15));
    let spam = SES.replace("X-SES-Spam-Verdict: PASS", "X-SES-Spam-Verdict: FAIL");
    assert_eq!(
        deliver(&f, "a", raw_mail(&spam, "ana@example.org", &to, "s", "b", false)).await,
        vec![Outcome::Dropped("spam")]
    );
    assert_eq!(
        deliver(&f, "b", raw_mail("", "ana@example.org", &to, "s", "b", false)).await,
        vec![Outcome::Dropped("unscanned")]
    );
    let away = format!("{SES}Auto-Submitted: auto-replied\r\n");
    assert_eq!(
        deliver(&f, "c", raw_mail(&away, "ana@example.org", &to, "Out of office", "away", false)).await,
        vec![Outcome::Dropped("sent by a program")]
    );
    assert_eq!(
        deliver(&f, "d", raw_mail(SES, "ana@example.org", "clerk@elsewhere.example", "s", "b", false)).await,
        vec![Outcome::Dropped("not to the town's addresses")]
    );
    assert!(citizen_messages(&f, &ticket.id).await.is_empty());
}

#[tokio::test]
async fn mail_to_the_intake_address_opens_a_private_request_to_sort_in_the_senders_language() {
    let f = fixture().await;
    let raw = raw_mail(
        SES,
        "Luis <luis@example.org>",
        &format!("report@{DOMAIN}"),
        "Bache en la calle Elm",
        "Hay un bache muy grande en la calle Elm, por favor.\r\n-- \r\nLuis, 555-0100",
        true,
    );
    let outcome = deliver(&f, "ses-6", raw.clone()).await;
    let [Outcome::Opened(id)] = outcome.as_slice() else { panic!("{outcome:?}") };
    let ticket = f.store.get(id).await.unwrap().unwrap();
    assert_eq!(ticket.service_code, conversation::TRIAGE_SERVICE);
    assert_eq!(ticket.department, "CLERK");
    assert_eq!(ticket.channel, Channel::Email);
    assert!(ticket.private, "a person's mail is never published");
    assert_eq!(ticket.reporter.email.as_ref().map(Email::as_str), Some("luis@example.org"));
    assert_eq!(ticket.reporter.notify_by, Some(NotifyBy::Email));
    assert_eq!(ticket.reporter.language, town311::domain::contact::Language::Es);
    let description = ticket.description.as_ref().map(|d| d.as_str().to_owned()).unwrap_or_default();
    assert!(description.starts_with("Bache en la calle Elm\n\nHay un bache"), "{description}");
    assert!(!description.contains("555-0100"), "the signature stays out: {description}");
    assert_eq!(ticket.uploads.len(), 1, "its photo goes through the pipeline");
    assert_eq!(deliver(&f, "ses-6", raw).await, vec![Outcome::Again], "a redelivery opens nothing");

    // Writing again with the number in the subject adds to it.
    let again = raw_mail(
        SES,
        "luis@example.org",
        &format!("report@{DOMAIN}"),
        &format!("Re: {id}"),
        "Es frente al 12.",
        false,
    );
    assert_eq!(deliver(&f, "ses-7", again).await, vec![Outcome::Heard(id.clone())]);
    // Someone else naming it opens their own.
    let stranger =
        raw_mail(SES, "eve@example.org", &format!("report@{DOMAIN}"), &format!("Re: {id}"), "me too", false);
    assert!(
        matches!(deliver(&f, "ses-8", stranger).await.as_slice(), [Outcome::Opened(other)] if other != id)
    );
}

#[tokio::test]
async fn a_text_back_reaches_the_ticket_that_last_texted_the_number() {
    let f = fixture().await;
    let ticket = asked(&f).await;
    let phone = Phone::parse("+15555550100").unwrap();
    f.store
        .remember_thread(&Contact::Sms(phone).key(), &ticket.id, at(23, 20) + Duration::days(30))
        .await
        .unwrap();
    let text = |id: &str, body: &str| {
        serde_json::json!({"originationNumber": "+15555550100", "destinationNumber": "+15555550311",
            "messageKeyword": "KEYWORD_1", "messageBody": body, "inboundMessageId": id})
        .to_string()
    };
    assert_eq!(
        take(&f.state, &text("sms-1", "East side")).await.unwrap(),
        vec![Outcome::Heard(ticket.id.clone())]
    );
    assert_eq!(take(&f.state, &text("sms-1", "East side")).await.unwrap(), vec![Outcome::Again]);
    assert_eq!(
        take(&f.state, &text("sms-2", "STOP")).await.unwrap(),
        vec![Outcome::Dropped("a carrier keyword")]
    );
    let heard = citizen_messages(&f, &ticket.id).await;
    assert_eq!(heard.len(), 1);
    assert_eq!(heard[0].actor, Actor::Reporter);
    let Change::CitizenMessage { text, channel, .. } = &heard[0].change else { unreachable!() };
    assert_eq!((text.as_str(), *channel), ("East side", Channel::Sms));

    // A number no ticket texted opens a request to sort, answered by text.
    let stranger = serde_json::json!({"originationNumber": "+15555550199", "messageBody": "Streetlight out on Oak Ave",
        "inboundMessageId": "sms-3"});
    let outcome = take(&f.state, &stranger.to_string()).await.unwrap();
    let [Outcome::Opened(id)] = outcome.as_slice() else { panic!("{outcome:?}") };
    let opened = f.store.get(id).await.unwrap().unwrap();
    assert_eq!((opened.channel, opened.reporter.notify_by), (Channel::Sms, Some(NotifyBy::Sms)));
}

#[tokio::test]
async fn without_a_number_or_a_domain_nothing_is_taken() {
    let mut f = fixture().await;
    f.state.config.inbound = Inbound { triage_department: "CLERK".into(), ..Inbound::default() };
    let text = serde_json::json!({"originationNumber": "+15555550199", "messageBody": "hi", "inboundMessageId": "x"});
    assert_eq!(take(&f.state, &text.to_string()).await.unwrap(), vec![Outcome::Dropped("no two-way number")]);
    let raw = raw_mail(SES, "ana@example.org", &format!("report@{DOMAIN}"), "s", "b", false);
    assert_eq!(deliver(&f, "e", raw).await, vec![Outcome::Dropped("no mail domain")]);
}

#[tokio::test]
async fn one_sender_is_heard_a_conversations_worth_a_day() {
    let f = fixture().await;
    let ticket = asked(&f).await;
    let to = reply_to(&ticket, at(23, 15));
    let most = town311::domain::rate::INBOUND_PER_CONTACT_PER_DAY;
    for n in 0..most {
        let outcome = deliver(
            &f,
            &format!("m{n}"),
            raw_mail(SES, "ana@example.org", &to, "Re", &format!("note {n}"), false),
        )
        .await;
        assert_eq!(outcome, vec![Outcome::Heard(ticket.id.clone())]);
    }
    let over = deliver(&f, "over", raw_mail(SES, "ana@example.org", &to, "Re", "one more", false)).await;
    assert_eq!(over, vec![Outcome::Dropped("the sender's daily limit")]);
}
