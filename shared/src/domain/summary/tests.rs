use super::*;
use crate::domain::ticket::Channel;
use chrono::{TimeZone, Utc};
use std::collections::BTreeSet;

fn id(text: &str) -> TicketId {
    TicketId::parse(text).unwrap()
}

/// The position of a change's variant among all of them; a new variant does not compile
/// until it is named here, and `one_change_of_every_branch` must then make one.
fn variant(change: &Change) -> usize {
    match change {
        Change::Submitted { .. } => 0,
        Change::StatusChanged { .. } => 1,
        Change::Assigned { .. } => 2,
        Change::Moved { .. } => 3,
        Change::Scheduled { .. } => 4,
        Change::Recategorized { .. } => 5,
        Change::Noted { .. } => 6,
        Change::MergedInto { .. } => 7,
        Change::Absorbed { .. } => 8,
        Change::PhotoAdded { .. } => 9,
        Change::PhotoRefused { .. } => 10,
        Change::PhotoHidden { .. } => 11,
        Change::Routed { .. } => 12,
        Change::Messaged { .. } => 13,
        Change::CitizenUpdate { .. } => 14,
        Change::CitizenMessage { .. } => 15,
        Change::Located { .. } => 16,
        Change::Redacted { .. } => 17,
        Change::RequestHidden { .. } => 18,
    }
}
const VARIANTS: usize = 19;

fn citizen_update(reopened: bool) -> Change {
    Change::CitizenUpdate {
        text: Some("Still there, Jo Smith".into()),
        media_urls: vec!["https://fms.example/p-private-1.jpg".into()],
        status: Some("OPEN".into()),
        reopened,
        receipt: Some("u-private-1".into()),
    }
}

/// One change for every branch of `Change::summary`, each carrying a staff name or private
/// text wherever the change can hold one.
fn one_change_of_every_branch() -> Vec<Change> {
    let routed = |from: Option<&str>, assignee: Option<&str>| Change::Routed {
        from: from.map(str::to_owned),
        department: "DPW".into(),
        assignee: assignee.map(str::to_owned),
        rule: Some("potholes-ward-1".into()),
        duplicates: vec![id("AAAA-BBBB")],
    };
    vec![
        Change::Submitted { channel: Channel::Web, service_code: "POTHOLE".into(), department: "DPW".into() },
        Change::StatusChanged {
            from: Status::InProgress,
            to: Status::Closed,
            resolution: Some(Resolution::NotOurResponsibility),
            referral: Some("Call the county, ask for Jo Smith".into()),
            after_photo: None,
        },
        Change::StatusChanged {
            from: Status::Closed,
            to: Status::Closed,
            resolution: None,
            referral: None,
            after_photo: None,
        },
        Change::StatusChanged {
            from: Status::Submitted,
            to: Status::InProgress,
            resolution: None,
            referral: None,
            after_photo: None,
        },
        Change::Assigned { assignee: Some("crew-7".into()) },
        Change::Assigned { assignee: None },
        Change::Moved { from: "DPW".into(), to: "PARKS".into() },
        Change::Scheduled { at: Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap() },
        Change::Recategorized { from: "POTHOLE".into(), to: "SIDEWALK".into() },
        Change::Noted { text: "Jo Smith will call you".into() },
        Change::MergedInto { parent: id("K7QM-3XPR") },
        Change::Absorbed { child: id("8JXK-RNBS") },
        routed(Some("PARKS"), Some("crew-7")),
        routed(None, Some("crew-7")),
        routed(None, None),
        Change::PhotoAdded { photo: "p-private-1".into() },
        Change::PhotoRefused { upload: "u-private-1".into(), reason: "face of Jo Smith".into() },
        Change::PhotoHidden { photo: "p-private-1".into(), hidden: true },
        Change::PhotoHidden { photo: "p-private-1".into(), hidden: false },
        Change::Messaged { text: "Jo Smith asks which side of the street".into(), to: Default::default() },
        citizen_update(false),
        citizen_update(true),
        Change::CitizenMessage {
            text: "East side, Jo Smith, 555-0100".into(),
            channel: Channel::Email,
            uploads: vec!["u-private-1".into()],
            receipt: "mail-private-1".into(),
        },
        Change::Located {
            location: crate::domain::location::Location::new(None, Some("12 Elm St"), None).unwrap(),
        },
        Change::Redacted {
            target: crate::domain::redaction::Target::Description,
            entry: None,
            reason: crate::domain::redaction::Reason::Offensive,
            text: "[removed by staff]".into(),
            detail: Some("Jo Smith's words".into()),
            original: Some("Jo Smith, 555-0100".into()),
        },
        Change::RequestHidden {
            hidden: true,
            reason: Some(crate::domain::redaction::Reason::PersonalData),
            detail: Some("Jo Smith's house".into()),
        },
        Change::RequestHidden { hidden: false, reason: None, detail: None },
    ]
}

#[test]
fn the_codes_listed_are_exactly_those_the_changes_produce() {
    let changes = one_change_of_every_branch();
    let variants: BTreeSet<usize> = changes.iter().map(variant).collect();
    assert_eq!(variants, (0..VARIANTS).collect(), "one change of every variant");
    let produced: BTreeSet<&str> = changes.iter().map(|c| c.summary().code()).collect();
    let listed: BTreeSet<&str> = Summary::CODES.into_iter().collect();
    assert_eq!(listed.len(), Summary::CODES.len(), "no code is listed twice");
    assert_eq!(produced, listed);
}

#[test]
fn every_code_has_an_english_sentence_that_carries_its_parameters() {
    for change in one_change_of_every_branch() {
        let summary = change.summary();
        let english = summary.english();
        assert!(english.chars().next().is_some_and(char::is_uppercase), "{english:?}");
        for (name, value) in summary.params() {
            if name == "parent" || name == "child" {
                assert!(english.contains(&value), "{english:?} names {value}");
            }
        }
    }
}

#[test]
fn the_english_sentences_read_as_citizens_know_them() {
    let english = |change: Change| change.summary().english();
    let closed = |resolution| Change::StatusChanged {
        from: Status::Scheduled,
        to: Status::Closed,
        resolution: Some(resolution),
        referral: None,
        after_photo: None,
    };
    assert_eq!(english(closed(Resolution::Fixed)), "Fixed");
    assert_eq!(english(closed(Resolution::Duplicate)), "Closed as a duplicate of another request");
    assert_eq!(
        english(Change::StatusChanged {
            from: Status::Submitted,
            to: Status::InProgress,
            resolution: None,
            referral: None,
            after_photo: None
        }),
        "Status: in progress"
    );
    assert_eq!(
        english(Change::MergedInto { parent: id("K7QM-3XPR") }),
        "Merged into request K7QM-3XPR, which carries on"
    );
    assert_eq!(
        english(Change::Absorbed { child: id("8JXK-RNBS") }),
        "Request 8JXK-RNBS was merged into this one"
    );
    assert_eq!(english(Change::Assigned { assignee: None }), "Back in the department's queue");
}

#[test]
fn parameters_name_statuses_resolutions_and_tickets_only() {
    let params = |change: Change| change.summary().params();
    assert_eq!(
        params(Change::StatusChanged {
            from: Status::Submitted,
            to: Status::InProgress,
            resolution: None,
            referral: None,
            after_photo: None
        }),
        vec![("status", "in_progress".to_owned())]
    );
    assert_eq!(
        params(Change::StatusChanged {
            from: Status::InProgress,
            to: Status::Closed,
            resolution: Some(Resolution::NotOurResponsibility),
            referral: None,
            after_photo: None
        }),
        vec![("resolution", "not_our_responsibility".to_owned())]
    );
    assert_eq!(
        params(Change::MergedInto { parent: id("K7QM-3XPR") }),
        vec![("parent", "K7QM-3XPR".to_owned())]
    );
    assert_eq!(params(Change::Absorbed { child: id("8JXK-RNBS") }), vec![("child", "8JXK-RNBS".to_owned())]);
    assert_eq!(params(Change::Assigned { assignee: Some("crew-7".into()) }), vec![]);
}

#[test]
fn no_summary_carries_a_staff_name_or_private_text() {
    for change in one_change_of_every_branch() {
        let summary = change.summary();
        let mut said = vec![summary.english(), summary.code().to_owned()];
        said.extend(summary.params().into_iter().map(|(_, value)| value));
        for text in said {
            for private in
                ["crew-7", "Jo Smith", "p-private-1", "u-private-1", "potholes-ward-1", "AAAA-BBBB"]
            {
                assert!(!text.contains(private), "{change:?} says {text:?}");
            }
        }
    }
}

/// The pages' words (`web/assets/i18n.js`), one language's section at a time.
const PAGES: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../web/assets/i18n.js"));

fn section(language: &str) -> &'static str {
    let start =
        PAGES.find(&format!("\n    {language}: {{\n")).unwrap_or_else(|| panic!("no {language} section"));
    let rest = &PAGES[start + 1..];
    let end = rest.find("\n    },\n").unwrap_or_else(|| panic!("the {language} section does not end"));
    &rest[..end]
}

/// The pages' wording of `key` in `language`, if there is one.
fn pages_word(language: &str, key: &str) -> Option<&'static str> {
    let section = section(language);
    let quoted = format!("\"{key}\": \"");
    let start = section.find(&quoted)? + quoted.len();
    section[start..].find('"').map(|end| &section[start..start + end])
}

/// The pages' English wording of a summary, filled as `I18N.summary` fills it.
fn pages_english(summary: &Summary) -> String {
    let mut text = pages_word("en", &format!("summary.{}", summary.code())).unwrap_or_default().to_owned();
    for (name, value) in summary.params() {
        let worded = pages_word("en", &format!("summary.{name}.{value}")).map_or(value, str::to_owned);
        text = text.replace(&format!("{{{name}}}"), &worded);
    }
    text
}

/// The position of a resolution among all of them; a new one does not compile until it is
/// named here, and `RESOLUTIONS` must then list it.
fn resolution_position(resolution: Resolution) -> usize {
    match resolution {
        Resolution::Fixed => 0,
        Resolution::Duplicate => 1,
        Resolution::NotOurResponsibility => 2,
        Resolution::NoActionNeeded => 3,
        Resolution::CannotLocate => 4,
        Resolution::Cancelled => 5,
    }
}

const RESOLUTIONS: [Resolution; 6] = [
    Resolution::Fixed,
    Resolution::Duplicate,
    Resolution::NotOurResponsibility,
    Resolution::NoActionNeeded,
    Resolution::CannotLocate,
    Resolution::Cancelled,
];

#[test]
fn the_pages_word_every_code_in_english_and_spanish_with_its_parameters() {
    assert!(
        section("en").contains("\"summary.submitted\"") && section("es").contains("\"summary.submitted\"")
    );
    let changes = one_change_of_every_branch();
    for code in Summary::CODES {
        let summaries: Vec<Summary> =
            changes.iter().map(Change::summary).filter(|s| s.code() == code).collect();
        assert!(!summaries.is_empty(), "{code} is produced");
        for language in ["en", "es"] {
            let key = format!("summary.{code}");
            let words =
                pages_word(language, &key).unwrap_or_else(|| panic!("no {language} wording of {key}"));
            assert!(!words.trim().is_empty(), "{language} {key} is empty");
            for summary in &summaries {
                for (name, _) in summary.params() {
                    assert!(words.contains(&format!("{{{name}}}")), "{language} {key} fills in {{{name}}}");
                }
            }
        }
    }
}

#[test]
fn the_pages_word_every_status_and_resolution_a_summary_names() {
    let mut keys: Vec<String> =
        Status::ALL.iter().map(|s| format!("summary.status.{}", s.as_str())).collect();
    keys.extend(RESOLUTIONS.iter().map(|r| format!("summary.resolution.{}", r.as_str())));
    let listed: BTreeSet<usize> = RESOLUTIONS.into_iter().map(resolution_position).collect();
    assert_eq!(listed, (0..RESOLUTIONS.len()).collect(), "every resolution is listed");
    for key in keys {
        for language in ["en", "es"] {
            assert!(
                pages_word(language, &key).is_some_and(|w| !w.is_empty()),
                "no {language} wording of {key}"
            );
        }
    }
}

#[test]
fn the_pages_english_is_the_apis_english() {
    let mut summaries: Vec<Summary> = one_change_of_every_branch().iter().map(Change::summary).collect();
    summaries.extend(Status::ALL.into_iter().filter(|s| *s != Status::Closed).map(Summary::StatusChanged));
    summaries.extend(RESOLUTIONS.into_iter().map(Summary::Closed));
    for summary in summaries {
        assert_eq!(pages_english(&summary), summary.english(), "{summary:?}");
    }
}
