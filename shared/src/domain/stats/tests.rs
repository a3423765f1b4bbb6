use super::*;
use crate::domain::catalog::{Service, ServiceType};
use crate::domain::id::TicketId;
use crate::domain::lifecycle::{Action, Targets};
use crate::domain::status::Resolution;
use chrono::{Duration, TimeZone};

fn tz() -> TownZone {
    TownZone::named("America/New_York").unwrap()
}

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

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn opened(private: bool) -> (Ticket, HistoryEntry) {
    let request = crate::adapters::memory::phone_request("POTHOLE", "1 Main St");
    let (mut ticket, entry) =
        Ticket::open(TicketId::parse("AAAA-0001").unwrap(), &service(private), request, at(2, 15));
    ticket.expected_at = Some(at(5, 21));
    (ticket, entry)
}

fn staff(ticket: &Ticket, action: Action, when: DateTime<Utc>) -> (Ticket, HistoryEntry) {
    ticket.apply(&action, Actor::Staff("ana".into()), when, Targets::default()).unwrap()
}

fn close() -> Action {
    Action::SetStatus {
        status: Status::Closed,
        resolution: Some(Resolution::Fixed),
        referral: None,
        after_photo: None,
    }
}

#[test]
fn a_request_counts_when_opened_first_answered_closed_and_reopened() {
    let (ticket, created) = opened(false);
    let counted = counts_of(&created, &ticket, &[], tz());
    assert_eq!(
        counted,
        vec![Count {
            day: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            department: "DPW".into(),
            service_code: "POTHOLE".into(),
            counted: Counted::Opened
        }]
    );
    let (assigned, a) = staff(&ticket, Action::Assign { assignee: Some("crew".into()) }, at(3, 1));
    let history = vec![created.clone()];
    let first: Vec<Counted> =
        counts_of(&a, &assigned, &history, tz()).into_iter().map(|c| c.counted).collect();
    assert_eq!(first, vec![Counted::FirstResponse { hours: 10 }]);
    assert_eq!(
        counts_of(&a, &assigned, &history, tz())[0].day,
        NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
        "the town's day"
    );
    let (closed, c) = staff(&assigned, close(), at(5, 16));
    let history = vec![created.clone(), a.clone()];
    let later: Vec<Counted> = counts_of(&c, &closed, &history, tz()).into_iter().map(|c| c.counted).collect();
    assert_eq!(later, vec![Counted::Closed { days: 3, in_promise: true }], "not a first response again");
    let (reopened, r) = staff(
        &closed,
        Action::SetStatus { status: Status::Reopened, resolution: None, referral: None, after_photo: None },
        at(9, 9),
    );
    assert_eq!(counts_of(&r, &reopened, &history, tz())[0].counted, Counted::Reopened);
    let (_, late) = staff(&reopened, close(), at(9, 10));
    assert_eq!(
        counts_of(&late, &reopened, &history, tz())[0].counted,
        Counted::Closed { days: 6, in_promise: false }
    );
}

#[test]
fn a_private_services_requests_are_not_counted() {
    let (ticket, created) = opened(true);
    assert!(counts_of(&created, &ticket, &[], tz()).is_empty());
    let (closed, c) = staff(&ticket, close(), at(3, 1));
    assert!(counts_of(&c, &closed, &[created], tz()).is_empty());
}

#[test]
fn medians_and_shares_come_from_the_histograms() {
    let mut tally = Tally::default();
    assert_eq!((tally.median_days_to_close(), tally.percent_in_promise()), (None, None));
    for (days, in_promise) in [(1, true), (3, true), (2, false), (10, false), (2, true)] {
        tally.add(Counted::Closed { days, in_promise });
    }
    assert_eq!(tally.median_days_to_close(), Some(2));
    assert_eq!(tally.percent_in_promise(), Some(60));
    tally.add(Counted::Closed { days: 11, in_promise: false });
    assert_eq!(tally.median_days_to_close(), Some(2), "the lower middle of six: 1 2 2 3 10 11");
    let mut other = Tally::default();
    other.add(Counted::Opened);
    other.add(Counted::FirstResponse { hours: 4 });
    tally.merge(&other);
    assert_eq!((tally.opened, tally.closed, tally.median_hours_to_respond()), (1, 6, Some(4)));
}

#[test]
fn a_very_slow_closing_is_counted_in_the_last_bucket() {
    let (ticket, _) = opened(false);
    let (closed, c) = staff(&ticket, close(), at(2, 15) + Duration::days(400));
    assert_eq!(
        counts_of(&c, &closed, &[], tz())[0].counted,
        Counted::Closed { days: MAX_CLOSE_DAYS, in_promise: false }
    );
}

#[test]
fn twelve_months_end_with_this_one() {
    let months = months_to(NaiveDate::from_ymd_opt(2026, 3, 15).unwrap(), 12);
    assert_eq!(months.first(), Some(&(2025, 4)));
    assert_eq!(months.last(), Some(&(2026, 3)));
    assert_eq!(months.len(), 12);
}

#[test]
fn answers_to_was_it_fixed_count_and_make_a_share() {
    use crate::domain::fix_check::Answer;
    let (ticket, _) = opened(false);
    let (closed, _) = staff(&ticket, close(), at(3, 12));
    let yes = Answer { fixed: true, comment: None };
    let (_, said_yes) = closed.answer_fix_check(&yes, &[], at(10, 12)).unwrap();
    let counted: Vec<Counted> =
        counts_of(&said_yes, &closed, &[], tz()).into_iter().map(|c| c.counted).collect();
    assert_eq!(counted, vec![Counted::ConfirmedFixed]);
    let no = Answer { fixed: false, comment: Some("still there".into()) };
    let (reopened, said_no) = closed.answer_fix_check(&no, &[], at(10, 12)).unwrap();
    let counted: Vec<Counted> =
        counts_of(&said_no, &reopened, &[], tz()).into_iter().map(|c| c.counted).collect();
    assert_eq!(counted, vec![Counted::Reopened, Counted::NotFixed]);
    let mut tally = Tally::default();
    assert_eq!(tally.percent_confirmed_fixed(), None);
    for counted in [Counted::ConfirmedFixed, Counted::ConfirmedFixed, Counted::NotFixed] {
        tally.add(counted);
    }
    assert_eq!((tally.confirmed_fixed, tally.not_fixed, tally.percent_confirmed_fixed()), (2, 1, Some(67)));
    assert_eq!(Figures::from(&tally).percent_confirmed_fixed, Some(67));
}
