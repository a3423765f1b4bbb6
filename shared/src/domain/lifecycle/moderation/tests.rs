use super::*;
use crate::domain::catalog::{Service, ServiceType};
use crate::domain::id::TicketId;
use crate::domain::lifecycle::Targets;
use crate::domain::redaction::*;
use crate::domain::ticket::Actor;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn service(private: bool) -> Service {
    Service {
        code: "POTHOLE".into(),
        name: "Pothole".into(),
        description: String::new(),
        group: "Streets".into(),
        keywords: vec![],
        department: "DPW".into(),
        kind: ServiceType::Realtime,
        attributes: vec![],
        target: None,
        location: Default::default(),
        private,
        stop: None,
    }
}

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 14, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn clerk() -> Actor {
    Actor::Staff("clerk".into())
}

/// A ticket described with a phone number, with one public note (entry 2), and its history.
fn noted(private: bool) -> (Ticket, Vec<HistoryEntry>) {
    let mut request = crate::adapters::memory::phone_request("POTHOLE", "1 Main St");
    request.description = crate::domain::description::Description::parse("Call Jo at 555-0100").unwrap();
    let (ticket, first) =
        Ticket::open(TicketId::parse("AAAA-0001").unwrap(), &service(private), request, at(0));
    let note = Action::Note { text: "Jo Smith rang again".into(), public: true };
    let (ticket, second) = ticket.apply(&note, clerk(), at(1), Targets::default()).unwrap();
    (ticket, vec![first, second])
}

fn redact(target: Target, entry: Option<u64>, reason: Reason) -> Action {
    Action::Redact(Redaction {
        target,
        entry,
        reason,
        text: None,
        detail: Some("a neighbour's number".into()),
    })
}

fn apply(
    ticket: &Ticket,
    history: &[HistoryEntry],
    action: &Action,
) -> Result<(Ticket, HistoryEntry), LifecycleError> {
    ticket.apply(action, clerk(), at(5), Targets { history, ..Targets::default() })
}

#[test]
fn personal_data_in_the_description_is_replaced_and_not_kept() {
    let (ticket, history) = noted(false);
    let (redacted, entry) =
        apply(&ticket, &history, &redact(Target::Description, None, Reason::PersonalData)).unwrap();
    assert_eq!(redacted.description.as_ref().map(|d| d.as_str()), Some(REMOVED_TEXT));
    assert!(!entry.public, "staff only");
    assert_eq!(entry.actor, clerk());
    assert_eq!(entry.version, ticket.version + 1);
    let Change::Redacted { target, reason, original, detail, .. } = &entry.change else {
        panic!("{entry:?}")
    };
    assert_eq!((*target, *reason), (Target::Description, Reason::PersonalData));
    assert_eq!(*original, None, "personal data is dropped");
    assert_eq!(detail.as_deref(), Some("a neighbour's number"));
    assert!(!serde_json::to_string(&entry).unwrap().contains("555-0100"));
    assert!(rewrites(&entry, &history).is_empty(), "the description lives on the ticket only");
}

#[test]
fn a_public_note_is_replaced_in_its_entry_and_on_the_ticket_and_the_original_kept_for_staff() {
    let (ticket, history) = noted(false);
    let action = Action::Redact(Redaction {
        target: Target::Note,
        entry: Some(2),
        reason: Reason::Offensive,
        text: Some("Note withdrawn".into()),
        detail: None,
    });
    let (redacted, entry) = apply(&ticket, &history, &action).unwrap();
    assert_eq!(redacted.status_notes.as_deref(), Some("Note withdrawn"));
    let Change::Redacted { original, entry: of, .. } = &entry.change else { panic!() };
    assert_eq!((original.as_deref(), *of), (Some("Jo Smith rang again"), Some(2)));
    let rewritten = rewrites(&entry, &history);
    assert_eq!(rewritten.len(), 1);
    assert_eq!(rewritten[0].version, 2);
    assert_eq!(rewritten[0].change, Change::Noted { text: "Note withdrawn".into() });
    assert!(rewritten[0].public, "still a public note, with other words");
}

#[test]
fn personal_data_found_later_goes_from_the_earlier_redaction_too() {
    let (ticket, mut history) = noted(false);
    let (ticket, first) = apply(&ticket, &history, &redact(Target::Note, Some(2), Reason::Other)).unwrap();
    history.push(first);
    let (_, second) = apply(&ticket, &history, &redact(Target::Note, Some(2), Reason::PersonalData)).unwrap();
    let rewritten = rewrites(&second, &history);
    let earlier = rewritten.iter().find(|e| e.version == 3).expect("the first redaction is rewritten");
    assert!(matches!(&earlier.change, Change::Redacted { original: None, .. }));
}

#[test]
fn only_public_notes_can_be_redacted_and_a_note_needs_its_entry() {
    let (ticket, history) = noted(false);
    let no_entry = apply(&ticket, &history, &redact(Target::Note, None, Reason::Other)).unwrap_err();
    assert!(no_entry.to_string().starts_with("entry"), "{no_entry}");
    let submitted = apply(&ticket, &history, &redact(Target::Note, Some(1), Reason::Other)).unwrap_err();
    assert!(submitted.to_string().contains("no public note"), "{submitted}");
    let (internal, entry) = ticket
        .apply(&Action::Note { text: "x".into(), public: false }, clerk(), at(2), Targets::default())
        .unwrap();
    let history = [history, vec![entry]].concat();
    assert!(apply(&internal, &history, &redact(Target::Note, Some(3), Reason::Other)).is_err());
}

#[test]
fn hiding_makes_the_request_private_with_why_and_takes_its_public_entries_off_the_feed() {
    let (ticket, history) = noted(false);
    let hide = Action::Hide(Hidden { reason: Reason::Offensive, detail: Some("slur".into()) });
    let (hidden, entry) = apply(&ticket, &history, &hide).unwrap();
    assert!(hidden.private);
    assert_eq!(hidden.hidden.as_ref().map(|h| h.reason), Some(Reason::Offensive));
    assert!(!entry.public);
    assert_eq!(entry.change.kind(), "request_hidden");
    let rewritten = rewrites(&entry, &history);
    assert_eq!(rewritten.iter().map(|e| e.version).collect::<Vec<_>>(), vec![1, 2]);
    assert!(rewritten.iter().all(|e| e.private_request));
    assert_eq!(apply(&hidden, &history, &hide).unwrap_err(), LifecycleError::Unchanged("hidden"));

    let history = [history, vec![entry]].concat();
    let (shown, entry) = apply(&hidden, &history, &Action::Unhide).unwrap();
    assert!(!shown.private && shown.hidden.is_none());
    assert_eq!(entry.change.kind(), "request_shown");
    assert!(rewrites(&entry, &history).iter().all(|e| !e.private_request && e.public));
    assert_eq!(apply(&shown, &history, &Action::Unhide).unwrap_err(), LifecycleError::Unchanged("public"));
}

#[test]
fn a_private_services_request_is_not_hidden_it_is_never_public() {
    let (ticket, history) = noted(true);
    let hide = Action::Hide(Hidden { reason: Reason::Other, detail: None });
    assert!(matches!(apply(&ticket, &history, &hide), Err(LifecycleError::Redaction(_))));
}

#[test]
fn the_actions_read_as_the_api_documents_them() {
    let action: Action = serde_json::from_str(
        r#"{"action":"redact","target":"note","entry":4,"reason":"personal_data","text":"gone"}"#,
    )
    .unwrap();
    assert!(matches!(action, Action::Redact(Redaction { entry: Some(4), reason: Reason::PersonalData, .. })));
    let action: Action = serde_json::from_str(r#"{"action":"hide","reason":"offensive"}"#).unwrap();
    assert!(matches!(action, Action::Hide(Hidden { reason: Reason::Offensive, detail: None })));
    assert_eq!(serde_json::from_str::<Action>(r#"{"action":"unhide"}"#).unwrap(), Action::Unhide);
}
