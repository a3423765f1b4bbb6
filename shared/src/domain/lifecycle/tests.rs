use super::*;
use crate::domain::catalog::ServiceType;
use chrono::TimeZone;

fn service(code: &str, department: &str) -> Service {
    Service {
        code: code.into(),
        name: code.to_lowercase(),
        description: String::new(),
        group: "G".into(),
        keywords: vec![],
        department: department.into(),
        kind: ServiceType::Realtime,
        attributes: vec![],
        target: None,
        location: Default::default(),
        private: false,
        stop: None,
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 14, 0, 0).unwrap()
}

fn ticket() -> Ticket {
    let request = crate::adapters::memory::phone_request("POTHOLE", "1 Main St");
    Ticket::open(TicketId::parse("AAAA-0001").unwrap(), &service("POTHOLE", "DPW"), request, t0()).0
}

fn staff() -> Actor {
    Actor::Staff("clerk".into())
}

fn set(status: Status) -> Action {
    Action::SetStatus { status, resolution: None, referral: None, after_photo: None }
}

fn close(resolution: Resolution) -> Action {
    Action::SetStatus {
        status: Status::Closed,
        resolution: Some(resolution),
        referral: None,
        after_photo: None,
    }
}

fn at(minutes: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(minutes)
}

/// A ticket brought to `status` through allowed steps.
fn in_status(status: Status) -> Ticket {
    let t = ticket();
    let step = |t: &Ticket, a: &Action| t.apply(a, staff(), at(1), Targets::default()).unwrap().0;
    match status {
        Status::Submitted => t,
        Status::Closed => step(&t, &close(Resolution::Fixed)),
        Status::Reopened => step(&step(&t, &close(Resolution::Fixed)), &set(Status::Reopened)),
        other => step(&t, &set(other)),
    }
}

#[test]
fn every_transition_is_allowed_or_refused_as_the_lifecycle_says() {
    for from in Status::ALL {
        for to in Status::ALL {
            let before = in_status(from);
            assert_eq!(before.status, from);
            let action = if to == Status::Closed { close(Resolution::Fixed) } else { set(to) };
            let result = before.apply(&action, staff(), at(5), Targets::default());
            if from.allows(to) {
                let (after, entry) = result.unwrap_or_else(|e| panic!("{from:?} -> {to:?}: {e}"));
                assert_eq!((after.status, entry.status), (to, to));
                assert_eq!(after.version, before.version + 1);
                assert_eq!(entry.version, after.version);
                assert!(entry.public);
            } else {
                assert!(
                    matches!(result, Err(LifecycleError::Transition { .. })),
                    "{from:?} -> {to:?} should be refused: {result:?}"
                );
            }
        }
    }
}

#[test]
fn closing_needs_a_fitting_resolution() {
    let t = ticket();
    assert_eq!(
        t.apply(&set(Status::Closed), staff(), at(1), Targets::default()),
        Err(LifecycleError::NoResolution)
    );
    assert_eq!(
        t.apply(&close(Resolution::Duplicate), staff(), at(1), Targets::default()),
        Err(LifecycleError::DuplicateWithoutParent)
    );
    assert_eq!(
        t.apply(&close(Resolution::NotOurResponsibility), staff(), at(1), Targets::default()),
        Err(LifecycleError::NoReferral)
    );
    let referral = Action::SetStatus {
        status: Status::Closed,
        resolution: Some(Resolution::NotOurResponsibility),
        referral: Some("State highway: call MassDOT at 857-368-4636".into()),
        after_photo: None,
    };
    let (closed, entry) = t.apply(&referral, staff(), at(1), Targets::default()).unwrap();
    assert_eq!(closed.resolution, Some(Resolution::NotOurResponsibility));
    assert_eq!(closed.status_notes.as_deref(), Some("State highway: call MassDOT at 857-368-4636"));
    assert_eq!(entry.extended_status(), "NOT_COUNCILS_RESPONSIBILITY");
    let wrong = Action::SetStatus {
        status: Status::Acknowledged,
        resolution: Some(Resolution::Fixed),
        referral: None,
        after_photo: None,
    };
    assert_eq!(t.apply(&wrong, staff(), at(1), Targets::default()), Err(LifecycleError::ResolutionWhileOpen));
}

#[test]
fn reopening_clears_the_resolution_and_reporters_have_a_window() {
    let closed = in_status(Status::Closed);
    let (reopened, _) =
        closed.apply(&set(Status::Reopened), Actor::Reporter, at(60), Targets::default()).unwrap();
    assert_eq!((reopened.status, reopened.resolution, reopened.closed_at), (Status::Reopened, None, None));
    let late = at(60 * 24 * (REOPEN_WINDOW_DAYS + 1));
    assert_eq!(
        closed.apply(&set(Status::Reopened), Actor::Reporter, late, Targets::default()),
        Err(LifecycleError::ReopenWindow)
    );
    assert!(
        closed.apply(&set(Status::Reopened), staff(), late, Targets::default()).is_ok(),
        "staff may reopen any time"
    );
}

#[test]
fn assigning_a_fresh_ticket_marks_it_assigned_and_hides_the_name_from_the_public() {
    let (assigned, entry) = ticket()
        .apply(&Action::Assign { assignee: Some("crew-7".into()) }, staff(), at(1), Targets::default())
        .unwrap();
    assert_eq!((assigned.status, assigned.assignee.as_deref()), (Status::Assigned, Some("crew-7")));
    assert!(!entry.change.summary().english().contains("crew-7"));
    assert_eq!(entry.change.note(), None);
    let again = assigned.apply(
        &Action::Assign { assignee: Some("crew-7".into()) },
        staff(),
        at(2),
        Targets::default(),
    );
    assert!(matches!(again, Err(LifecycleError::Unchanged(_))));
}

#[test]
fn internal_notes_stay_internal() {
    let note = Action::Note { text: "Resident is abusive on the phone".into(), public: false };
    let (t, entry) = ticket().apply(&note, staff(), at(1), Targets::default()).unwrap();
    assert!(!entry.public);
    assert_eq!(t.status_notes, None);
    let public = Action::Note { text: "Crew will patch this week".into(), public: true };
    let (t, entry) = t.apply(&public, staff(), at(2), Targets::default()).unwrap();
    assert!(entry.public);
    assert_eq!(t.status_notes.as_deref(), Some("Crew will patch this week"));
    assert_eq!(t.version, 3);
    let empty = Action::Note { text: "  ".into(), public: true };
    assert_eq!(t.apply(&empty, staff(), at(3), Targets::default()), Err(LifecycleError::Text("note")));
}

#[test]
fn scheduling_sets_the_date_and_refuses_the_past() {
    let (t, entry) =
        ticket().apply(&Action::Schedule { at: at(60 * 24) }, staff(), at(1), Targets::default()).unwrap();
    assert_eq!(
        (t.status, t.scheduled_for, t.expected_at),
        (Status::Scheduled, Some(at(60 * 24)), Some(at(60 * 24)))
    );
    assert_eq!(entry.extended_status(), "ACTION_SCHEDULED");
    let (t, _) = t.apply(&Action::Schedule { at: at(60 * 48) }, staff(), at(2), Targets::default()).unwrap();
    assert_eq!(t.scheduled_for, Some(at(60 * 48)), "rescheduling is allowed");
    assert_eq!(
        t.apply(&Action::Schedule { at: at(0) }, staff(), at(3), Targets::default()),
        Err(LifecycleError::PastSchedule)
    );
    let far = at(60 * 24 * (MAX_SCHEDULE_DAYS + 1));
    assert_eq!(
        t.apply(&Action::Schedule { at: far }, staff(), at(3), Targets::default()),
        Err(LifecycleError::FarSchedule)
    );
}

#[test]
fn moving_and_recategorizing_change_who_is_responsible() {
    let (assigned, _) = ticket()
        .apply(&Action::Assign { assignee: Some("crew-7".into()) }, staff(), at(1), Targets::default())
        .unwrap();
    let (moved, entry) = assigned
        .apply(&Action::Move { department: "PARKS".into() }, staff(), at(2), Targets::default())
        .unwrap();
    assert_eq!((moved.department.as_str(), moved.assignee.as_deref()), ("PARKS", None));
    assert_eq!(entry.change, Change::Moved { from: "DPW".into(), to: "PARKS".into() });
    let graffiti = service("GRAFFITI", "CODE");
    let action = Action::Recategorize { service_code: "GRAFFITI".into() };
    let (t, _) = moved
        .apply(&action, staff(), at(3), Targets { service: Some(&graffiti), ..Targets::default() })
        .unwrap();
    assert_eq!((t.service_code.as_str(), t.department.as_str()), ("GRAFFITI", "CODE"));
    assert!(
        moved.apply(&action, staff(), at(3), Targets::default()).is_err(),
        "the service must be resolved"
    );
}

#[test]
fn merging_closes_the_child_as_a_duplicate_and_the_parent_records_it() {
    let parent = TicketId::parse("BBBB-0002").unwrap();
    let child = ticket();
    let (merged, entry) =
        child.apply(&Action::Merge { parent: parent.clone() }, staff(), at(1), Targets::default()).unwrap();
    assert_eq!(
        (merged.status, merged.resolution, merged.parent.as_ref()),
        (Status::Closed, Some(Resolution::Duplicate), Some(&parent))
    );
    assert_eq!(entry.extended_status(), "DUPLICATE");
    assert_eq!(
        child.apply(&Action::Merge { parent: child.id.clone() }, staff(), at(1), Targets::default()),
        Err(LifecycleError::SelfMerge)
    );
    assert_eq!(
        merged.apply(&Action::Merge { parent }, staff(), at(2), Targets::default()),
        Err(LifecycleError::Closed)
    );
    let (absorbing, entry) = ticket().absorb(&child.id, staff(), at(1)).unwrap();
    assert_eq!(absorbing.version, 2);
    assert_eq!(entry.change, Change::Absorbed { child: child.id.clone() });
}

#[test]
fn closed_tickets_take_only_notes_and_reopening() {
    let closed = in_status(Status::Closed);
    assert_eq!(
        closed.apply(&Action::Assign { assignee: Some("x".into()) }, staff(), at(9), Targets::default()),
        Err(LifecycleError::Closed)
    );
    assert_eq!(
        closed.apply(&Action::Move { department: "X".into() }, staff(), at(9), Targets::default()),
        Err(LifecycleError::Closed)
    );
    assert!(
        closed
            .apply(
                &Action::Note { text: "Follow-up call made".into(), public: false },
                staff(),
                at(9),
                Targets::default()
            )
            .is_ok()
    );
}

#[test]
fn actions_read_from_json() {
    let action: Action =
        serde_json::from_str(r#"{"action":"set_status","status":"closed","resolution":"fixed"}"#).unwrap();
    assert_eq!(action, close(Resolution::Fixed));
    let action: Action = serde_json::from_str(r#"{"action":"note","text":"hi"}"#).unwrap();
    assert_eq!(
        action,
        Action::Note { text: "hi".into(), public: false },
        "notes are internal unless said otherwise"
    );
    assert!(serde_json::from_str::<Action>(r#"{"action":"explode"}"#).is_err());
}

fn update(status: Option<&str>, by_reporter: bool) -> CitizenUpdate {
    CitizenUpdate {
        text: Some("Still\r\nthere\tand deeper".into()),
        status: status.map(str::to_owned),
        by_reporter,
        receipt: Some("r1".into()),
        ..CitizenUpdate::default()
    }
}

#[test]
fn a_citizens_update_is_recorded_for_staff_and_leaves_the_status_alone() {
    let t = in_status(Status::InProgress);
    let (next, entry) = t.take_update(&update(Some("OPEN"), true), false, at(5)).unwrap();
    assert_eq!((next.status, next.version, next.updated_at), (Status::InProgress, t.version + 1, at(5)));
    assert_eq!(next.status_notes, t.status_notes, "no public note");
    assert!(!entry.public, "the citizen's words are not published");
    assert_eq!(entry.actor, Actor::Reporter);
    let Change::CitizenUpdate { text, reopened, receipt, .. } = &entry.change else { panic!("{entry:?}") };
    assert_eq!(
        (text.as_deref(), *reopened, receipt.as_deref()),
        (Some("Still\nthere and deeper"), false, Some("r1"))
    );
    let (_, other) = t.take_update(&update(None, false), false, at(5)).unwrap();
    assert_eq!(other.actor, Actor::Citizen, "someone else than the reporter");
}

#[test]
fn an_update_needs_words_or_a_status() {
    let t = ticket();
    let empty = CitizenUpdate { text: None, ..update(None, true) };
    assert_eq!(t.take_update(&empty, false, at(5)), Err(LifecycleError::Text("description")));
    let blank = CitizenUpdate { text: Some(" \r\n ".into()), ..update(None, true) };
    assert_eq!(t.take_update(&blank, false, at(5)), Err(LifecycleError::Text("description")));
    assert!(t.take_update(&CitizenUpdate { text: None, ..update(Some("OPEN"), true) }, false, at(5)).is_ok());
}

#[test]
fn still_broken_from_the_reporter_reopens_a_closed_ticket_within_the_window() {
    let closed = in_status(Status::Closed);
    let still_broken = update(Some("OPEN"), true);
    assert!(closed.reopened_by(&still_broken, at(10)));
    assert!(closed.reopened_by(&update(Some("REOPEN"), true), at(10)));
    let (next, entry) = closed.take_update(&still_broken, true, at(10)).unwrap();
    assert_eq!((next.status, next.closed_at, next.resolution), (Status::Reopened, None, None));
    assert!(entry.public, "the reopening is public");
    assert_eq!(entry.change.summary(), crate::domain::summary::Summary::StatusChanged(Status::Reopened));
    assert_eq!(entry.change.note(), None, "never the text");

    assert!(!closed.reopened_by(&update(Some("OPEN"), false), at(10)), "only the reporter");
    assert!(!closed.reopened_by(&update(Some("CLOSED"), true), at(10)));
    assert!(!closed.reopened_by(&update(None, true), at(10)));
    let late = at(1) + Duration::days(REOPEN_WINDOW_DAYS) + Duration::minutes(1);
    assert!(!closed.reopened_by(&still_broken, late), "past the reopen window");
    let written_before_closing = CitizenUpdate { written_at: Some(at(0)), ..still_broken.clone() };
    assert!(!closed.reopened_by(&written_before_closing, at(10)), "it spoke of the request before it closed");
    assert!(!in_status(Status::InProgress).reopened_by(&still_broken, at(10)), "open already");
}

#[test]
fn closed_from_a_citizen_never_closes_a_ticket() {
    let t = in_status(Status::Scheduled);
    let (next, entry) = t.take_update(&update(Some("CLOSED"), true), true, at(5)).unwrap();
    assert_eq!(next.status, Status::Scheduled);
    assert!(!entry.public);
    let Change::CitizenUpdate { status, reopened, .. } = &entry.change else { panic!("{entry:?}") };
    assert_eq!((status.as_deref(), *reopened), (Some("CLOSED"), false), "recorded as said");
}

fn said(text: &str, receipt: &str, uploads: &[&str]) -> CitizenMessage {
    CitizenMessage {
        text: text.into(),
        channel: crate::domain::ticket::Channel::Email,
        uploads: uploads.iter().map(|u| (*u).to_owned()).collect(),
        receipt: receipt.into(),
        from_reporter: true,
    }
}

#[test]
fn a_message_waits_for_the_citizen_and_their_answer_is_heard_once() {
    let ask = Action::Message { text: "Which side?".into(), to: Default::default(), public: false };
    let (asked, _) = ticket().apply(&ask, staff(), at(1), Targets::default()).unwrap();
    assert_eq!(asked.conversation, Some(Conversation::WaitingForCitizen));
    let upload = "0123456789abcdef0123456789abcdef";
    let (answered, entry) = asked.hear(&said("East side", "mail:1", &[upload]), &[], at(2)).unwrap().unwrap();
    assert_eq!(answered.conversation, Some(Conversation::CitizenAnswered));
    assert_eq!((answered.version, entry.version), (asked.version + 1, asked.version + 1));
    assert_eq!(entry.actor, Actor::Reporter);
    assert!(!entry.public);
    assert_eq!(entry.change.new_uploads(), [upload.to_owned()]);
    assert_eq!(
        (answered.uploads.clone(), answered.held_uploads.clone()),
        (vec![upload.to_owned()], vec![upload.to_owned()])
    );
    assert_eq!(
        answered.hear(&said("East side", "mail:1", &[]), std::slice::from_ref(&entry), at(3)).unwrap(),
        None,
        "a redelivery"
    );
    let from_someone = CitizenMessage { from_reporter: false, ..said("me too", "sms:2", &[]) };
    assert_eq!(answered.hear(&from_someone, &[entry], at(3)).unwrap().unwrap().1.actor, Actor::Citizen);
    assert_eq!(asked.hear(&said("  ", "mail:3", &[]), &[], at(2)).unwrap_err(), LifecycleError::Text("text"));
    let (closed, _) = answered.apply(&close(Resolution::Fixed), staff(), at(4), Targets::default()).unwrap();
    assert_eq!(closed.conversation, None, "closing ends the conversation");
}

#[test]
fn a_closed_ticket_hears_its_citizen_only_within_the_reopen_window() {
    let closed = in_status(Status::Closed);
    assert!(closed.hear(&said("thanks", "m1", &[]), &[], at(60)).unwrap().is_some());
    let late = at(1) + Duration::days(REOPEN_WINDOW_DAYS + 1);
    assert_eq!(closed.hear(&said("thanks", "m1", &[]), &[], late).unwrap_err(), LifecycleError::ReopenWindow);
}

#[test]
fn a_photo_from_a_message_is_attached_hidden() {
    use crate::domain::photo::{Photo, Processing};
    let upload = "0123456789abcdef0123456789abcdef";
    let (heard, _) = ticket().hear(&said("photo", "m1", &[upload]), &[], at(1)).unwrap().unwrap();
    let photo = Photo {
        id: upload.into(),
        key: format!("photos/{upload}/full.jpg"),
        thumbnail_key: format!("photos/{upload}/thumb.jpg"),
        content_type: "image/jpeg".into(),
        width: 10,
        height: 10,
        hidden: false,
        after: false,
    };
    let (attached, entry) = heard.attach(&Processing::Processed { photo, gps: None }, at(2)).unwrap();
    assert!(attached.photos[0].hidden, "the citizen did not publish it");
    assert!(!entry.public);
    assert!(attached.held_uploads.is_empty() && attached.uploads.is_empty());
}

#[test]
fn staff_say_where_a_request_is() {
    let locate = |address: Option<&str>, lat: Option<f64>, long: Option<f64>| Action::Locate {
        address_string: address.map(str::to_owned),
        lat,
        long,
    };
    let (placed, entry) = ticket()
        .apply(&locate(Some("40 Oak St"), Some(42.26), Some(-71.8)), staff(), at(1), Targets::default())
        .unwrap();
    assert_eq!(placed.location.address(), Some("40 Oak St"));
    assert!(placed.location.point().is_some());
    assert!(matches!(entry.change, Change::Located { .. }));
    assert!(!entry.public);
    let refused = |action: Action| ticket().apply(&action, staff(), at(1), Targets::default()).unwrap_err();
    assert!(matches!(refused(locate(None, None, None)), LifecycleError::Place(_)));
    assert!(matches!(refused(locate(None, Some(42.0), None)), LifecycleError::Place(_)));
    assert!(matches!(refused(locate(None, Some(95.0), Some(0.0))), LifecycleError::Place(_)));
    assert_eq!(refused(locate(Some("1 Main St"), None, None)), LifecycleError::Unchanged("at that place"));
    let closed = in_status(Status::Closed);
    assert_eq!(
        closed.apply(&locate(Some("2 Main St"), None, None), staff(), at(2), Targets::default()).unwrap_err(),
        LifecycleError::Closed
    );
}

#[test]
fn staff_close_with_a_photo_of_the_finished_work_shown_once_processed() {
    use crate::domain::photo::{Photo, Processing};
    let upload = "fedcba9876543210fedcba9876543210";
    let closing = |status: Status, resolution: Option<Resolution>, after: &str| Action::SetStatus {
        status,
        resolution,
        referral: None,
        after_photo: Some(after.into()),
    };
    let (closed, entry) = ticket()
        .apply(&closing(Status::Closed, Some(Resolution::Fixed), upload), staff(), at(1), Targets::default())
        .unwrap();
    assert_eq!(closed.status, Status::Closed);
    assert_eq!(closed.uploads, vec![upload.to_owned()]);
    assert_eq!(entry.change.new_uploads(), [upload.to_owned()], "linked to the ticket with the change");
    assert!(entry.public);
    let photo = Photo {
        id: upload.into(),
        key: format!("photos/{upload}/full.jpg"),
        thumbnail_key: format!("photos/{upload}/thumb.jpg"),
        content_type: "image/jpeg".into(),
        width: 10,
        height: 10,
        hidden: false,
        after: false,
    };
    let (attached, added) = closed.attach(&Processing::Processed { photo, gps: None }, at(2)).unwrap();
    assert!(attached.photos[0].after && !attached.photos[0].hidden, "public, as the finished work");
    assert!(added.public);
    assert!(attached.after_uploads.is_empty() && attached.uploads.is_empty());

    // Only a closing brings one, and only an upload id.
    let refused = |action: Action| ticket().apply(&action, staff(), at(1), Targets::default()).unwrap_err();
    assert_eq!(refused(closing(Status::InProgress, None, upload)), LifecycleError::AfterPhoto);
    assert_eq!(refused(closing(Status::Closed, Some(Resolution::Fixed), "../x")), LifecycleError::AfterPhoto);
}
