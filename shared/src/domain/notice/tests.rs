use super::*;
use crate::adapters::memory::phone_request;
use crate::domain::catalog::CatalogSeed;
use crate::domain::id::TicketId;
use crate::domain::lifecycle::{Action, Targets};
use crate::domain::ticket::Actor;
use chrono::TimeZone;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn opened() -> (Ticket, HistoryEntry, Department) {
    let catalog =
        CatalogSeed::parse(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/seed/catalog.json")))
            .unwrap();
    let service = catalog.services.iter().find(|s| s.code == "POTHOLE").unwrap();
    let department = catalog.departments.iter().find(|d| d.code == "DPW").unwrap().clone();
    let (mut ticket, entry) = Ticket::open(
        TicketId::parse("K7QM-3XPR").unwrap(),
        service,
        phone_request("POTHOLE", "1 Main St"),
        at(23, 15),
    );
    ticket.expected_at = Some(at(25, 22));
    (ticket, entry, department)
}

fn staff(ticket: &Ticket, action: Action, hour: u32) -> (Ticket, HistoryEntry) {
    ticket.apply(&action, Actor::Staff("ana".into()), at(23, hour), Targets::default()).unwrap()
}

fn compose(
    ticket: &Ticket,
    entry: &HistoryEntry,
    department: &Department,
    language: Language,
) -> Option<Notice> {
    Notice::compose(&Context {
        town: "Millbrook",
        timezone: crate::domain::zone::TownZone::named("America/New_York").unwrap(),
        ticket,
        entry,
        department: Some(department),
        status_url: Some(format!("https://311.millbrook.example/status?id={}", ticket.id)),
        language,
        replies: false,
    })
}

#[test]
fn a_new_request_is_confirmed_with_its_number_promise_and_contact() {
    let (ticket, entry, dpw) = opened();
    let notice = compose(&ticket, &entry, &dpw, Language::En).unwrap();
    assert_eq!(
        notice.sms,
        "Millbrook 311 K7QM-3XPR: We got your Pothole request. Public Works (555) 010-2100. \
         https://311.millbrook.example/status?id=K7QM-3XPR"
    );
    assert!(notice.body.contains("Expected by: Wed Nov 25, 5:00 PM"), "{}", notice.body);
    assert!(notice.body.contains("publicworks@millbrook.example"));
    assert_eq!(notice.subject, "Millbrook 311: request K7QM-3XPR received");
}

#[test]
fn every_public_change_fits_one_gsm_segment_in_english() {
    let (ticket, _, dpw) = opened();
    let (assigned, a) = staff(&ticket, Action::Assign { assignee: Some("ana".into()) }, 16);
    let (scheduled, s) = staff(&assigned, Action::Schedule { at: at(24, 14) }, 17);
    let note = Action::Note { text: "Crew will patch it with cold mix first.".into(), public: true };
    let (noted, n) = staff(&scheduled, note, 18);
    let close = Action::SetStatus {
        status: Status::Closed,
        resolution: Some(Resolution::Fixed),
        referral: None,
        after_photo: None,
    };
    let (closed, c) = staff(&noted, close, 19);
    let expected = [
        (&assigned, &a, "Assigned to a Public Works crew."),
        (&scheduled, &s, "Work scheduled for Tue Nov 24."),
        (&noted, &n, "Update: Crew will patch it with cold mix first."),
        (&closed, &c, "Closed: fixed."),
    ];
    for (ticket, entry, headline) in expected {
        let notice = compose(ticket, entry, &dpw, Language::En).unwrap();
        assert!(notice.sms.contains(headline), "{}", notice.sms);
        assert!(notice.sms.chars().count() <= SMS_SEGMENT, "{} chars: {}", notice.sms.len(), notice.sms);
        assert!(is_gsm7(&notice.sms), "{}", notice.sms);
        assert!(!notice.sms.contains("ana"), "no staff names");
    }
}

#[test]
fn a_long_note_is_cut_in_the_sms_and_whole_in_the_email() {
    let (ticket, _, dpw) = opened();
    let long = "The crew found a broken water main under the hole. ".repeat(8);
    let (noted, entry) = staff(&ticket, Action::Note { text: long.clone(), public: true }, 16);
    let notice = compose(&noted, &entry, &dpw, Language::En).unwrap();
    assert!(notice.sms.chars().count() <= SMS_SEGMENT, "{}", notice.sms);
    assert!(notice.sms.contains("...") && notice.sms.ends_with("?id=K7QM-3XPR"), "{}", notice.sms);
    assert!(notice.body.contains(long.trim()));
}

#[test]
fn spanish_speakers_read_spanish() {
    let (ticket, _, dpw) = opened();
    let (scheduled, entry) = staff(&ticket, Action::Schedule { at: at(24, 14) }, 17);
    let notice = compose(&scheduled, &entry, &dpw, Language::Es).unwrap();
    assert!(notice.sms.contains("Trabajo programado para el mar 24 nov."), "{}", notice.sms);
    assert_eq!(notice.subject, "Millbrook 311: solicitud K7QM-3XPR programada");
    assert!(notice.body.contains("Fecha prevista: mar 24 nov, 09:00"), "{}", notice.body);
    assert!(footer(Language::Es, "https://x/u").contains("Dejar de recibir"));
}

#[test]
fn internal_changes_tell_citizens_nothing() {
    let (ticket, _, dpw) = opened();
    let (noted, internal) =
        staff(&ticket, Action::Note { text: "caller was rude".into(), public: false }, 16);
    assert_eq!(compose(&noted, &internal, &dpw, Language::En), None);
    let (assigned, _) = staff(&ticket, Action::Assign { assignee: Some("ana".into()) }, 16);
    let (back, unassigned) = staff(&assigned, Action::Assign { assignee: None }, 17);
    assert_eq!(compose(&back, &unassigned, &dpw, Language::En), None);
}

#[test]
fn gsm7_is_told_apart() {
    assert!(is_gsm7("Closed: fixed. é ñ"));
    assert!(!is_gsm7("Atención"), "ó is not GSM-7");
}

#[test]
fn a_follow_is_confirmed_by_one_short_message_in_the_followers_language() {
    let url = "https://311.example.org/citizen/v1/follow/confirm?token=abcdefghijklmnopqrstuvwxyz012345";
    let en = confirmation("Springfield", "K7QM-3XPR", Language::En, url);
    assert!(en.sms.contains(url) && en.body.contains(url), "{en:?}");
    assert!(en.sms.contains("K7QM-3XPR") && en.subject.contains("confirm"));
    assert!(en.body.contains("48 hours") && en.body.contains("ignore"));
    assert!(en.sms.chars().count() <= 2 * SMS_SEGMENT, "{}", en.sms);
    let es = confirmation("Springfield", "K7QM-3XPR", Language::Es, url);
    assert!(es.subject.contains("confirme") && es.body.contains(url) && es.sms.contains(url));
    assert_ne!(en.body, es.body);
}

#[test]
fn a_message_to_the_reporter_is_told_whether_or_not_it_is_public_with_who_to_answer() {
    let (ticket, _, dpw) = opened();
    let ask = "Which side of the street is the hole on?";
    let action = Action::Message { text: ask.into(), to: Default::default(), public: false };
    let (asked, entry) = staff(&ticket, action, 16);
    assert!(!entry.public, "kept out of the public record");
    let english = compose(&asked, &entry, &dpw, Language::En).unwrap();
    assert!(
        english.sms.contains("A message from Public Works:") && english.sms.contains(ask),
        "{}",
        english.sms
    );
    assert!(english.sms.contains(&dpw.phone), "the way to answer: {}", english.sms);
    assert!(
        english.body.contains(ask) && english.body.contains(&dpw.phone) && english.body.contains(&dpw.email)
    );
    let spanish = compose(&asked, &entry, &dpw, Language::Es).unwrap();
    assert!(spanish.sms.contains("Un mensaje de Public Works:"), "{}", spanish.sms);
    let context = |language| Context {
        town: "Millbrook",
        timezone: crate::domain::zone::TownZone::named("America/New_York").unwrap(),
        ticket: &asked,
        entry: &entry,
        department: Some(&dpw),
        status_url: None,
        language,
        replies: true,
    };
    let by_reply = Notice::compose(&context(Language::En)).unwrap();
    assert!(by_reply.sms.contains("To answer, reply to this message."), "{}", by_reply.sms);
    assert!(
        by_reply.body.contains("To answer, reply to this message.") && !by_reply.sms.contains(&dpw.phone)
    );
    let por_respuesta = Notice::compose(&context(Language::Es)).unwrap();
    assert!(por_respuesta.sms.contains("Para responder, conteste a este mensaje."), "{}", por_respuesta.sms);
    let long = "x".repeat(crate::domain::lifecycle::MAX_MESSAGE_CHARS + 1);
    let refused = ticket.apply(
        &Action::Message { text: long, to: Default::default(), public: false },
        Actor::Staff("ana".into()),
        at(23, 16),
        Targets::default(),
    );
    assert_eq!(refused.unwrap_err(), crate::domain::lifecycle::LifecycleError::MessageText);
}

#[test]
fn a_citizens_update_is_news_only_when_it_reopens_and_never_quotes_their_words() {
    use crate::domain::events::EventType;
    use crate::domain::lifecycle::CitizenUpdate;
    let (ticket, _, dpw) = opened();
    let (closed, _) = staff(
        &ticket,
        Action::SetStatus {
            status: Status::Closed,
            resolution: Some(Resolution::Fixed),
            referral: None,
            after_photo: None,
        },
        16,
    );
    let update = CitizenUpdate {
        text: Some("Still a hole, call me on 555 0199".into()),
        status: Some("OPEN".into()),
        by_reporter: true,
        ..CitizenUpdate::default()
    };
    let (_, kept) = closed.take_update(&update, false, at(23, 17)).unwrap();
    assert_eq!(compose(&closed, &kept, &dpw, Language::En), None, "an internal update is no news");
    assert_eq!(EventType::of(&kept), EventType::CitizenUpdate);
    let (reopened, entry) = closed.take_update(&update, true, at(23, 17)).unwrap();
    let notice = compose(&reopened, &entry, &dpw, Language::En).unwrap();
    assert!(notice.sms.contains("Reopened"), "{}", notice.sms);
    for text in [&notice.sms, &notice.subject, &notice.body] {
        assert!(!text.contains("555 0199") && !text.contains("Still a hole"), "{text}");
    }
    assert_eq!(EventType::of(&entry), EventType::CitizenUpdate);
}

#[test]
fn a_message_to_sort_is_answered_as_a_message_in_the_senders_language() {
    let (_, _, clerk) = opened();
    let service = crate::domain::conversation::triage_service("CLERK");
    let mut request = phone_request("TRIAGE", "1 Main St");
    request.channel = crate::domain::ticket::Channel::Email;
    let (ticket, entry) = Ticket::open(TicketId::parse("K7QM-3XPR").unwrap(), &service, request, at(23, 15));
    let english = compose(&ticket, &entry, &clerk, Language::En).unwrap();
    assert!(
        english.body.starts_with("We got your message. Staff will look at it soon; reply to add anything.")
    );
    assert_eq!(english.subject, "Millbrook 311: request K7QM-3XPR received");
    let spanish = compose(&ticket, &entry, &clerk, Language::Es).unwrap();
    assert!(spanish.body.starts_with("Recibimos su mensaje."), "{}", spanish.body);
    assert!(spanish.subject.contains("solicitud K7QM-3XPR"));
}
