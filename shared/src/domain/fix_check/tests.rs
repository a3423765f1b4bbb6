use super::*;
use crate::domain::catalog::{Service, ServiceType};
use crate::domain::contact::{Reporter, ReporterInput};
use crate::domain::id::TicketId;
use crate::domain::lifecycle::{Action, Targets};
use crate::domain::status::Resolution;
use chrono::TimeZone;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 14, 0, 0).unwrap()
}

fn closed_ticket(with_contact: bool) -> Ticket {
    let service = Service {
        code: "POTHOLE".into(),
        name: "Pothole".into(),
        description: String::new(),
        group: "G".into(),
        keywords: vec![],
        department: "DPW".into(),
        kind: ServiceType::Realtime,
        attributes: vec![],
        target: None,
        location: Default::default(),
        private: false,
        stop: None,
    };
    let mut request = crate::adapters::memory::phone_request("POTHOLE", "1 Main St");
    if with_contact {
        request.reporter =
            Reporter::parse(ReporterInput { email: Some("ana@example.org"), ..ReporterInput::default() })
                .unwrap();
    }
    let (ticket, _) = Ticket::open(TicketId::parse("AAAA-0001").unwrap(), &service, request, t0());
    let close = Action::SetStatus {
        status: Status::Closed,
        resolution: Some(Resolution::Fixed),
        referral: None,
        after_photo: None,
    };
    ticket
        .apply(&close, Actor::Staff("clerk".into()), t0() + Duration::hours(1), Targets::default())
        .unwrap()
        .0
}

#[test]
fn a_closing_is_due_its_question_after_the_days_and_for_a_few_days_more() {
    let ticket = closed_ticket(true);
    let closed = ticket.closed_at.unwrap();
    assert!(!is_due(&ticket, closed + Duration::days(7) - Duration::seconds(1), 7));
    assert!(is_due(&ticket, closed + Duration::days(7), 7));
    assert!(is_due(&ticket, closed + Duration::days(9), 7));
    assert!(!is_due(&ticket, closed + Duration::days(7 + CATCH_UP_DAYS), 7));
    assert!(!is_due(&ticket, closed + Duration::days(7), 0), "0 days asks nothing");
    assert!(!is_due(&closed_ticket(false), closed + Duration::days(7), 7), "nobody to ask");
    assert!(oldest_update(closed + Duration::days(9), 7) <= closed);
}

#[test]
fn yes_is_kept_once_per_closing_and_leaves_the_request_closed() {
    let ticket = closed_ticket(true);
    let now = ticket.closed_at.unwrap() + Duration::days(7);
    let yes = Answer::parse("yes", Some("  thanks ")).unwrap().unwrap();
    let (after, entry) = ticket.answer_fix_check(&yes, &[], now).unwrap();
    assert_eq!(after.status, Status::Closed);
    assert!(!entry.public, "the comment is the reporter's words: staff only");
    assert_eq!(answer_of(&entry), Some(true));
    let Change::CitizenUpdate { text, .. } = &entry.change else { panic!("{entry:?}") };
    assert_eq!(text.as_deref(), Some("thanks"));
    assert_eq!(after.answer_fix_check(&yes, &[entry], now), Err(AnswerError::Answered));
}

#[test]
fn no_reopens_within_the_window_and_is_only_kept_after_it() {
    let ticket = closed_ticket(true);
    let closed = ticket.closed_at.unwrap();
    let no = Answer::parse("no", None).unwrap().unwrap();
    let (after, entry) = ticket.answer_fix_check(&no, &[], closed + Duration::days(7)).unwrap();
    assert_eq!(after.status, Status::Reopened);
    assert!(entry.public);
    assert_eq!(answer_of(&entry), Some(false));
    let late = closed + Duration::days(REOPEN_WINDOW_DAYS + 1);
    let (after, entry) = ticket.answer_fix_check(&no, &[], late).unwrap();
    assert_eq!(after.status, Status::Closed);
    assert_eq!(answer_of(&entry), Some(false));
}

#[test]
fn only_yes_and_no_are_answers_and_an_open_request_takes_none() {
    assert!(Answer::parse("maybe", None).is_none());
    assert_eq!(
        Answer::parse("no", Some(&"x".repeat(MAX_COMMENT_CHARS + 1))),
        Some(Err(AnswerError::Comment))
    );
    let open = closed_ticket(true)
        .apply(
            &Action::SetStatus {
                status: Status::Reopened,
                resolution: None,
                referral: None,
                after_photo: None,
            },
            Actor::Staff("clerk".into()),
            t0() + Duration::hours(2),
            Targets::default(),
        )
        .unwrap()
        .0;
    let yes = Answer { fixed: true, comment: None };
    assert_eq!(open.answer_fix_check(&yes, &[], t0() + Duration::days(8)), Err(AnswerError::NotClosed));
}

#[test]
fn the_question_is_worded_in_the_reporters_language_with_both_links() {
    let url = "https://311.example/citizen/v1/fixed?token=t0k";
    let en = question("Millbrook", "AAAA-0001", "Pothole", Language::En, url);
    assert!(en.body.contains(&format!("{url}&answer=yes")) && en.body.contains(&format!("{url}&answer=no")));
    assert!(en.subject.contains("fixed"));
    let es = question("Millbrook", "AAAA-0001", "Pothole", Language::Es, url);
    assert!(es.subject.contains("¿se resolvió"), "{}", es.subject);
    assert!(es.sms.contains(url));
}
