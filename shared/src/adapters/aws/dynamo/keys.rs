//! Every key of the table, spelled once: partition and sort keys, the prefixes Queries start
//! from, and the keys of the secondary indexes. Stored items and template.yaml (its
//! `LeadingKeys` and its list of access patterns) depend on these exact strings.

use crate::domain::id::TicketId;
use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt::Display;

/// The primary key of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Key {
    pub(super) pk: String,
    pub(super) sk: String,
}

fn key(pk: String, sk: &str) -> Key {
    Key { pk, sk: sk.to_owned() }
}

/// A sortable, fixed-width timestamp for sort keys.
pub(super) fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The month partition (`yyyy-mm`, UTC) of an instant in the time indexes.
pub(super) fn month(at: DateTime<Utc>) -> String {
    at.format("%Y-%m").to_string()
}

/// The catalog's partition: services, departments, the calendar and the routing rules.
pub(super) const CATALOG: &str = "CATALOG";
/// A sort key in the catalog partition nothing is stored under: read to open a connection.
pub(super) const CONNECTION: &str = "CONNECTION";

/// The partition of a ticket: the ticket, its history, its reporter's contact and followers.
pub(super) fn ticket_pk(id: &TicketId) -> String {
    format!("TICKET#{id}")
}

/// The sort key of the ticket itself in its partition.
pub(super) const TICKET_SK: &str = "TICKET";

pub(super) fn ticket(id: &TicketId) -> Key {
    key(ticket_pk(id), TICKET_SK)
}

/// The reporter's contact, apart from the ticket so it can leave on time: its sort key sorts
/// between the followers and the ticket, so one Query reads the ticket and its reporter.
pub(super) const REPORTER_SK: &str = "REPORTER";
/// The reporter's phone when an email is kept too: each contact item holds one indexed contact.
pub(super) const REPORTER_PHONE_SK: &str = "REPORTER#PHONE";

pub(super) fn reporter(id: &TicketId) -> Key {
    key(ticket_pk(id), REPORTER_SK)
}

pub(super) fn reporter_phone(id: &TicketId) -> Key {
    key(ticket_pk(id), REPORTER_PHONE_SK)
}

/// The sort keys of the mutes a ticket's partition may still hold, from before unsubscribing
/// forgot the contact: `reindex` turns each into a forgetting.
pub(super) const LEGACY_MUTE_PREFIX: &str = "MUTE#";

/// gsi8: every item holding one contact, by the contact's keyed hash.
pub(super) fn person(contact_key: &str) -> String {
    format!("PERSON#{contact_key}")
}

/// The sort keys of a ticket's history entries start with this.
pub(super) const HISTORY_PREFIX: &str = "HISTORY#";

pub(super) fn history_sk(version: u64) -> String {
    format!("{HISTORY_PREFIX}{version:010}")
}

pub(super) fn history(id: &TicketId, version: u64) -> Key {
    Key { pk: ticket_pk(id), sk: history_sk(version) }
}

/// The sort keys of a ticket's followers start with this.
pub(super) const FOLLOWER_PREFIX: &str = "FOLLOWER#";

pub(super) fn follower(id: &TicketId, contact_key: &str) -> Key {
    Key { pk: ticket_pk(id), sk: format!("{FOLLOWER_PREFIX}{contact_key}") }
}

/// Where a page of followers starts: the first follower, or the one right after `after`.
/// Contact keys are fixed-width hex, so `<after>~` sorts right after `after` and before any
/// longer key.
pub(super) fn followers_from(after: Option<&str>) -> String {
    after.map_or_else(|| FOLLOWER_PREFIX.to_owned(), |a| format!("{FOLLOWER_PREFIX}{a}~"))
}

/// Sorts after every follower of a ticket.
pub(super) const FOLLOWERS_END: &str = "FOLLOWER#~";

pub(super) fn token(token: &str) -> Key {
    key(format!("TOKEN#{token}"), "TOKEN")
}

/// The record of a submission's idempotency key, by the key's hash: replayed on a retry.
pub(super) fn replay(key_hash: &str) -> Key {
    key(format!("IDEMPOTENCY#{key_hash}"), "IDEMPOTENCY")
}

const UPLOAD_PREFIX: &str = "UPLOAD#";

/// The link of an upload to the request that named it.
pub(super) fn upload(upload_id: &str) -> Key {
    key(format!("{UPLOAD_PREFIX}{upload_id}"), "UPLOAD")
}

/// The upload id an upload link's partition key names.
pub(super) fn upload_id(pk: &str) -> &str {
    pk.trim_start_matches(UPLOAD_PREFIX)
}

/// The outcome of processing an upload.
pub(super) fn processing(upload_id: &str) -> Key {
    key(format!("PHOTO#{upload_id}"), "PHOTO")
}

pub(super) fn api_key(hash: &str) -> Key {
    key(format!("APIKEY#{hash}"), "APIKEY")
}

/// The gsi1 partition of every API key.
pub(super) const API_KEYS: &str = "APIKEYS";

/// The mark that an event was published.
pub(super) fn published(event_id: &str) -> Key {
    key(format!("EVENT#{event_id}"), "EVENT")
}

/// A delivery claim; `delivery_id` is `<event id>#<contact hash>`, or
/// `<event id>#after#<contact hash>` for a continuation.
pub(super) fn delivery(delivery_id: &str) -> Key {
    key(format!("DELIVERY#{delivery_id}"), "DELIVERY")
}

pub(super) fn unsubscribe(token: &str) -> Key {
    key(format!("UNSUB#{token}"), "UNSUB")
}

/// The ticket that last texted a number (by the number's contact key).
pub(super) fn thread(contact_key: &str) -> Key {
    key(format!("THREAD#{contact_key}"), "THREAD")
}

/// One day × department × service of the town's figures, in its month's partition.
pub(super) fn stats(day: chrono::NaiveDate, department: &str, service_code: &str) -> Key {
    use chrono::Datelike;
    key(stats_month(day.year(), day.month()), &format!("{:02}#{department}#{service_code}", day.day()))
}

/// The partition of a month's figures.
pub(super) fn stats_month(year: i32, month: u32) -> String {
    format!("STATS#{year:04}-{month:02}")
}

/// The record that a count was made (a replayed event counts nothing twice).
pub(super) fn counted(count_id: &str) -> Key {
    key(format!("COUNTED#{count_id}"), "COUNTED")
}

/// A follow's confirmation link.
pub(super) fn confirmation(token: &str) -> Key {
    key(format!("CONFIRM#{token}"), "CONFIRM")
}

/// The links of a "was it fixed?" question.
pub(super) fn fix_check(token: &str) -> Key {
    key(format!("FIXCHECK#{token}"), "FIXCHECK")
}

/// The catalog's sort keys of services start with this.
pub(super) const SERVICE_PREFIX: &str = "SERVICE#";

pub(super) fn service(code: &str) -> Key {
    key(CATALOG.to_owned(), &format!("{SERVICE_PREFIX}{code}"))
}

/// The catalog's sort keys of departments start with this.
pub(super) const DEPARTMENT_PREFIX: &str = "DEPARTMENT#";

pub(super) fn department(code: &str) -> Key {
    key(CATALOG.to_owned(), &format!("{DEPARTMENT_PREFIX}{code}"))
}

pub(super) fn calendar() -> Key {
    key(CATALOG.to_owned(), "CALENDAR")
}

pub(super) fn routing() -> Key {
    key(CATALOG.to_owned(), "ROUTING")
}

/// The town-wide banner, in the catalog partition.
pub(super) fn banner() -> Key {
    key(CATALOG.to_owned(), "BANNER")
}

/// The town's canned responses, in the catalog partition.
pub(super) fn templates() -> Key {
    key(CATALOG.to_owned(), "TEMPLATES")
}

/// gsi1: tickets by the month they were requested.
pub(super) fn requested(month: &str) -> String {
    format!("REQUESTED#{month}")
}

/// gsi2: tickets by the month they were last updated.
pub(super) fn updated(month: &str) -> String {
    format!("UPDATED#{month}")
}

/// gsi1: public history entries by the month they were made.
pub(super) fn public_update(month: &str) -> String {
    format!("UPDATE#{month}")
}

/// The sort key of a ticket (or API key) in a time index: when, then which.
pub(super) fn at(at: DateTime<Utc>, id: &impl Display) -> String {
    format!("{}#{id}", stamp(at))
}

/// The sort key of a public history entry in gsi1.
pub(super) fn public_update_sk(at: DateTime<Utc>, id: &TicketId, version: u64) -> String {
    format!("{}#{id}#{version:010}", stamp(at))
}

/// gsi3: a department's open or closed tickets.
pub(super) fn queue(department: &str, open: bool) -> String {
    format!("QUEUE#{department}#{}", if open { "open" } else { "closed" })
}

/// gsi4: the open tickets assigned to `user`.
pub(super) fn assignee(user: &str) -> String {
    format!("ASSIGNEE#{user}")
}

/// gsi5: a department's open tickets with a due date.
pub(super) fn due(department: &str) -> String {
    format!("DUE#{department}")
}

/// gsi6: the open tickets of a service in one geohash cell.
pub(super) fn near(service_code: &str, cell: &str) -> String {
    format!("NEAR#{service_code}#{cell}")
}

/// gsi6's sort key: the finer geohash, then the ticket.
pub(super) fn near_sk(geohash: &str, id: &TicketId) -> String {
    format!("{geohash}#{id}")
}

/// gsi7: the public map's requests in one geohash-5 cell.
pub(super) fn map(cell: &str) -> String {
    format!("MAP#{cell}")
}

/// gsi7's sort key: open requests (`OPEN#<updated>#<id>`) sort after the closed ones
/// (`CLOSED#<closed>#<id>`), so one Query from [`map_closed_since`] to [`MAP_END`] reads a
/// cell's open requests and those closed since then, and reading backwards gives the open first.
pub(super) fn map_sk(open: bool, at: DateTime<Utc>, id: &TicketId) -> String {
    format!("{}#{}#{id}", if open { "OPEN" } else { "CLOSED" }, stamp(at))
}

/// Where a map Query starts: the requests closed at `since` or later.
pub(super) fn map_closed_since(since: DateTime<Utc>) -> String {
    format!("CLOSED#{}", stamp(since))
}

/// Sorts after every open request of a map cell.
pub(super) const MAP_END: &str = "OPEN#~";

/// An address point, by its id in the town's address file.
pub(super) fn address(id: &str) -> Key {
    key(format!("ADDRESS#{id}"), "ADDRESS")
}

/// The partition of the address search index holding the normalised texts that start with
/// `prefix` (their first [`crate::domain::address::MIN_SEARCH_CHARS`] characters).
pub(super) fn address_text(prefix: &str) -> String {
    format!("ADDRESS_TEXT#{prefix}")
}

/// The partition of the address point index for one geohash cell.
pub(super) fn address_cell(cell: &str) -> String {
    format!("ADDRESS_CELL#{cell}")
}

/// The sort key of an address in an index: the normalised text (or finer geohash), then the id.
pub(super) fn address_entry(sorted_by: &str, id: &str) -> String {
    format!("{sorted_by}#{id}")
}

/// A client's bucket of writes on a public route, for one window.
pub(super) fn rate(bucket_key: &str) -> Key {
    key(format!("RATE#{bucket_key}"), "RATE")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn id() -> TicketId {
        TicketId::parse("7K4M-Q2XR").unwrap()
    }

    fn pair(key: Key) -> (String, String) {
        (key.pk, key.sk)
    }

    fn owned(pk: &str, sk: &str) -> (String, String) {
        (pk.to_owned(), sk.to_owned())
    }

    #[test]
    fn item_keys_are_spelled_as_stored() {
        let id = id();
        assert_eq!(pair(ticket(&id)), owned("TICKET#7K4M-Q2XR", "TICKET"));
        assert_eq!(pair(history(&id, 7)), owned("TICKET#7K4M-Q2XR", "HISTORY#0000000007"));
        assert_eq!(history_sk(12), "HISTORY#0000000012");
        assert_eq!(pair(follower(&id, "ab12")), owned("TICKET#7K4M-Q2XR", "FOLLOWER#ab12"));
        assert_eq!(pair(reporter(&id)), owned("TICKET#7K4M-Q2XR", "REPORTER"));
        assert_eq!(pair(reporter_phone(&id)), owned("TICKET#7K4M-Q2XR", "REPORTER#PHONE"));
        assert_eq!(pair(token("t0k")), owned("TOKEN#t0k", "TOKEN"));
        assert_eq!(pair(replay("f00d")), owned("IDEMPOTENCY#f00d", "IDEMPOTENCY"));
        assert_eq!(pair(upload("u1")), owned("UPLOAD#u1", "UPLOAD"));
        assert_eq!(upload_id("UPLOAD#u1"), "u1");
        assert_eq!(pair(processing("u1")), owned("PHOTO#u1", "PHOTO"));
        assert_eq!(pair(api_key("beef")), owned("APIKEY#beef", "APIKEY"));
        assert_eq!(pair(published("e1")), owned("EVENT#e1", "EVENT"));
        assert_eq!(pair(delivery("e1#c1")), owned("DELIVERY#e1#c1", "DELIVERY"));
        assert_eq!(pair(delivery("e1#after#c1")), owned("DELIVERY#e1#after#c1", "DELIVERY"));
        assert_eq!(pair(unsubscribe("t0k")), owned("UNSUB#t0k", "UNSUB"));
        assert_eq!(pair(confirmation("t0k")), owned("CONFIRM#t0k", "CONFIRM"));
        assert_eq!(pair(fix_check("t0k")), owned("FIXCHECK#t0k", "FIXCHECK"));
        assert_eq!(pair(address("a-12")), owned("ADDRESS#a-12", "ADDRESS"));
    }

    #[test]
    fn address_index_keys_are_spelled_as_template_yaml_declares() {
        assert_eq!(address_text("12 "), "ADDRESS_TEXT#12 ");
        assert_eq!(address_cell("drt2yzq"), "ADDRESS_CELL#drt2yzq");
        assert_eq!(address_entry("12 main street", "a-12"), "12 main street#a-12");
    }

    #[test]
    fn catalog_keys_share_one_partition() {
        assert_eq!(pair(service("pothole")), owned("CATALOG", "SERVICE#pothole"));
        assert_eq!(pair(department("roads")), owned("CATALOG", "DEPARTMENT#roads"));
        assert_eq!(pair(calendar()), owned("CATALOG", "CALENDAR"));
        assert_eq!(pair(routing()), owned("CATALOG", "ROUTING"));
        assert_eq!(pair(templates()), owned("CATALOG", "TEMPLATES"));
        assert_eq!((CATALOG, CONNECTION), ("CATALOG", "CONNECTION"));
        assert_eq!((SERVICE_PREFIX, DEPARTMENT_PREFIX), ("SERVICE#", "DEPARTMENT#"));
    }

    #[test]
    fn query_prefixes_bound_their_items() {
        assert_eq!((HISTORY_PREFIX, FOLLOWER_PREFIX), ("HISTORY#", "FOLLOWER#"));
        // One Query reads a ticket and its reporter: nothing else sorts between them.
        assert!(FOLLOWER_PREFIX < HISTORY_PREFIX && HISTORY_PREFIX < REPORTER_SK);
        assert!(REPORTER_SK < REPORTER_PHONE_SK && REPORTER_PHONE_SK < TICKET_SK);
        assert_eq!(followers_from(None), "FOLLOWER#");
        assert_eq!(followers_from(Some("ab12")), "FOLLOWER#ab12~");
        assert_eq!(FOLLOWERS_END, "FOLLOWER#~");
        assert!(followers_from(Some("ffff")).as_str() < FOLLOWERS_END);
    }

    #[test]
    fn index_keys_are_spelled_as_template_yaml_declares() {
        let id = id();
        let at = Utc.with_ymd_and_hms(2024, 3, 9, 14, 5, 6).unwrap() + chrono::Duration::milliseconds(78);
        assert_eq!(stamp(at), "2024-03-09T14:05:06.078Z");
        assert_eq!(month(at), "2024-03");
        assert_eq!(requested(&month(at)), "REQUESTED#2024-03");
        assert_eq!(updated("2024-03"), "UPDATED#2024-03");
        assert_eq!(public_update("2024-03"), "UPDATE#2024-03");
        assert_eq!(super::at(at, &id), "2024-03-09T14:05:06.078Z#7K4M-Q2XR");
        assert_eq!(public_update_sk(at, &id, 3), "2024-03-09T14:05:06.078Z#7K4M-Q2XR#0000000003");
        assert_eq!(API_KEYS, "APIKEYS");
        assert_eq!(queue("roads", true), "QUEUE#roads#open");
        assert_eq!(queue("roads", false), "QUEUE#roads#closed");
        assert_eq!(assignee("ana"), "ASSIGNEE#ana");
        assert_eq!(due("roads"), "DUE#roads");
        assert_eq!(near("pothole", "dr5ru7"), "NEAR#pothole#dr5ru7");
        assert_eq!(near_sk("dr5ru7c9x", &id), "dr5ru7c9x#7K4M-Q2XR");
        assert_eq!(map("dr5ru"), "MAP#dr5ru");
        assert_eq!(map_sk(true, at, &id), "OPEN#2024-03-09T14:05:06.078Z#7K4M-Q2XR");
        assert_eq!(map_sk(false, at, &id), "CLOSED#2024-03-09T14:05:06.078Z#7K4M-Q2XR");
        assert_eq!(map_closed_since(at), "CLOSED#2024-03-09T14:05:06.078Z");
        // One key range holds the closed since a time and every open one.
        assert!(map_closed_since(at) <= map_sk(false, at, &id));
        assert!(map_sk(false, at + chrono::Duration::days(3650), &id) < map_sk(true, at, &id));
        assert!(map_sk(true, at + chrono::Duration::days(3650), &id).as_str() < MAP_END);
    }

    fn opened_ticket() -> (crate::domain::ticket::Ticket, crate::domain::ticket::HistoryEntry) {
        use crate::domain::catalog::{Answers, Service, ServiceType};
        use crate::domain::location::{GeoPoint, Location};
        use crate::domain::ticket::{Channel, NewRequest, Ticket};
        let service = Service {
            code: "POTHOLE".into(),
            name: "pothole".into(),
            description: String::new(),
            group: "Streets".into(),
            keywords: vec![],
            department: "DPW".into(),
            kind: ServiceType::Realtime,
            attributes: vec![],
            target: None,
            location: Default::default(),
            private: false,
            stop: None,
        };
        let point = GeoPoint::new(42.3601, -71.0589).unwrap();
        let request = NewRequest {
            service_code: "POTHOLE".into(),
            location: Location::new(Some(point), Some("1 Main St"), None).unwrap(),
            description: None,
            answers: Answers::new(),
            media_urls: vec![],
            reporter: Default::default(),
            channel: Channel::Phone,
            uploads: vec![],
        };
        let at = Utc.with_ymd_and_hms(2024, 3, 9, 14, 5, 6).unwrap();
        Ticket::open(id(), &service, request, at)
    }

    #[test]
    fn a_ticket_and_its_history_entry_carry_every_key_as_stored() {
        use super::super::items::{HistoryItem, TicketItem};
        let (mut ticket, entry) = opened_ticket();
        ticket.assignee = Some("ana".into());
        ticket.expected_at = Some(Utc.with_ymd_and_hms(2024, 4, 1, 0, 0, 0).unwrap());
        ticket.updated_at = Utc.with_ymd_and_hms(2024, 4, 2, 8, 0, 0).unwrap();
        let point = ticket.location.point().unwrap();
        let item = TicketItem::new(&ticket);
        assert_eq!((item.pk.as_str(), item.sk.as_str()), ("TICKET#7K4M-Q2XR", "TICKET"));
        assert_eq!(
            (item.gsi1pk.as_deref(), item.gsi1sk.as_deref()),
            (Some("REQUESTED#2024-03"), Some("2024-03-09T14:05:06.000Z#7K4M-Q2XR"))
        );
        assert_eq!(
            (item.gsi2pk.as_deref(), item.gsi2sk.as_deref()),
            (Some("UPDATED#2024-04"), Some("2024-04-02T08:00:00.000Z#7K4M-Q2XR"))
        );
        let updated = Some("2024-04-02T08:00:00.000Z#7K4M-Q2XR".to_owned());
        assert_eq!((item.gsi3pk.as_deref(), &item.gsi3sk), (Some("QUEUE#DPW#open"), &updated));
        assert_eq!((item.gsi4pk.as_deref(), &item.gsi4sk), (Some("ASSIGNEE#ana"), &updated));
        assert_eq!(
            (item.gsi5pk.as_deref(), item.gsi5sk.as_deref()),
            (Some("DUE#DPW"), Some("2024-04-01T00:00:00.000Z#7K4M-Q2XR"))
        );
        let cell = crate::domain::nearby::cell(point);
        let fine = crate::domain::geo::geohash(point, 9);
        assert_eq!(item.gsi6pk, Some(format!("NEAR#POTHOLE#{cell}")));
        assert_eq!(item.gsi6sk, Some(format!("{fine}#7K4M-Q2XR")));
        let map_cell = crate::domain::map::cell(point);
        assert_eq!(item.gsi7pk, Some(format!("MAP#{map_cell}")));
        assert_eq!(item.gsi7sk.as_deref(), Some("OPEN#2024-04-02T08:00:00.000Z#7K4M-Q2XR"));
        assert_eq!(item.pin, Some(point));

        ticket.status = crate::domain::status::Status::Closed;
        let closed = TicketItem::new(&ticket);
        assert_eq!(closed.gsi3pk.as_deref(), Some("QUEUE#DPW#closed"));
        assert_eq!((closed.gsi4pk, closed.gsi5pk, closed.gsi6pk), (None, None, None));
        assert_eq!(closed.gsi7pk, Some(format!("MAP#{map_cell}")), "recently closed stay on the map");
        assert_eq!(closed.gsi7sk.as_deref(), Some("CLOSED#2024-04-02T08:00:00.000Z#7K4M-Q2XR"));
        ticket.closed_at = Some(Utc.with_ymd_and_hms(2024, 4, 1, 9, 0, 0).unwrap());
        let closed = TicketItem::new(&ticket);
        assert_eq!(closed.gsi7sk.as_deref(), Some("CLOSED#2024-04-01T09:00:00.000Z#7K4M-Q2XR"));
        ticket.private = true;
        let private = TicketItem::new(&ticket);
        assert_eq!((private.gsi7pk, private.gsi7sk, private.pin), (None, None, None), "never a private one");

        let history = HistoryItem::new(&entry);
        assert_eq!((history.pk.as_str(), history.sk.as_str()), ("TICKET#7K4M-Q2XR", "HISTORY#0000000001"));
        assert_eq!(
            (history.gsi1pk.as_deref(), history.gsi1sk.as_deref()),
            (Some("UPDATE#2024-03"), Some("2024-03-09T14:05:06.000Z#7K4M-Q2XR#0000000001"))
        );
    }

    /// The string literals in `code` that spell a key: an upper-case prefix and `#`
    /// (`"TICKET#`), or a whole upper-case word (`"TICKET"`, a fixed sort key).
    fn spelled_keys(code: &str) -> Vec<String> {
        let mut found = Vec::new();
        for (at, _) in code.match_indices('"') {
            let rest = &code[at + 1..];
            let word = rest.find(|c: char| !(c.is_ascii_uppercase() || c == '_')).unwrap_or(rest.len());
            if word == 0 {
                continue;
            }
            match rest[word..].chars().next() {
                Some('#') => found.push(format!("\"{}#", &rest[..word])),
                Some('"') if word >= 3 => found.push(format!("\"{}\"", &rest[..word])),
                _ => {}
            }
        }
        found
    }

    /// Every source file of the adapter but this one.
    fn adapter_sources() -> Vec<(std::path::PathBuf, String)> {
        let this = std::path::Path::new(file!()).file_name().unwrap().to_owned();
        let mut dirs =
            vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src/adapters/aws/dynamo"))];
        let mut files = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !(dir.ends_with("dynamo") && path.file_name() == Some(this.as_os_str()))
                {
                    let text = std::fs::read_to_string(&path).unwrap();
                    files.push((path, text));
                }
            }
        }
        files
    }

    #[test]
    fn keys_are_spelled_only_here() {
        let files = adapter_sources();
        assert!(files.len() >= 8, "the adapter's sources were not found: {}", files.len());
        let spelled: Vec<String> = files
            .iter()
            .flat_map(|(path, text)| {
                spelled_keys(text).into_iter().map(move |k| format!("{}: {k}", path.display()))
            })
            .collect();
        assert!(spelled.is_empty(), "keys spelled outside keys.rs:\n{}", spelled.join("\n"));
    }

    #[test]
    fn the_check_sees_a_spelled_key() {
        let code =
            r##"let pk = format!("TICKET#{id}"); get(pk, "TICKET"); q("#pk = :pk", "{a}#{b}", "GetItem")"##;
        assert_eq!(spelled_keys(code), vec!["\"TICKET#", "\"TICKET\""]);
        assert!(spelled_keys(include_str!("keys.rs")).len() > 20);
    }
}
