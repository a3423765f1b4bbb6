//! The table's items as they are stored, and [`TableItem`], an item read back from the
//! table's stream. Each item names its kind in `entity`.

use super::decode;
use super::keys;
use crate::domain::api_key::ApiKey;
use crate::domain::catalog::{Department, Service};
use crate::domain::contact::{Phone, Reporter};
use crate::domain::follower::{Contact, Follower};
use crate::domain::id::TicketId;
use crate::domain::routing::RoutingRules;
use crate::domain::ticket::{HistoryEntry, Ticket};
use crate::ports::{Replay, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub(super) struct TicketItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    // Index keys are derived on every write; reading never needs them. The two public time
    // indexes leave out a private service's requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi1sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi2pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi2sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi3pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi3sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi4pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi4sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi5pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi5sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi6pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi6sk: Option<String>,
    // The public map (sparse: a public request with a point, open or closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi7pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi7sk: Option<String>,
    /// The map's copy of the point, at the top of the item so gsi7 projects it alone (the
    /// location also holds the address, which the map index leaves out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) pin: Option<crate::domain::location::GeoPoint>,
    #[serde(flatten)]
    pub(super) ticket: Ticket,
}

/// A ticket as gsi7 projects it: the attributes template.yaml's `NonKeyAttributes` names.
#[derive(Deserialize)]
pub(super) struct MapItem {
    pub(super) id: TicketId,
    pub(super) service_code: String,
    pub(super) service_name: String,
    pub(super) status: crate::domain::status::Status,
    pub(super) requested_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
    #[serde(default)]
    pub(super) closed_at: Option<DateTime<Utc>>,
    pub(super) pin: crate::domain::location::GeoPoint,
}

impl MapItem {
    pub(super) fn pin(self) -> crate::domain::map::MapPin {
        let at = crate::domain::map::sort_time(self.status, self.updated_at, self.closed_at);
        crate::domain::map::MapPin {
            id: self.id,
            service_code: self.service_code,
            service_name: self.service_name,
            status: self.status,
            point: self.pin,
            requested_at: self.requested_at,
            at,
        }
    }
}

/// A reporter's contact, apart from the ticket: TTL removes it `ContactRetentionDays` after the
/// request closes. Indexed (gsi8) by the email's key, or the phone's when there is no email.
#[derive(Serialize, Deserialize)]
pub(super) struct ReporterItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi8pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) expires_at: Option<i64>,
    #[serde(flatten)]
    pub(super) reporter: Reporter,
}

/// A mute from before unsubscribing forgot the contact (`MUTE#<contact key>`): only its key is read.
#[derive(Deserialize)]
pub(super) struct LegacyMuteItem {
    pub(super) sk: String,
}

/// A reporter's phone when the reporter gave an email too, indexed (gsi8) by the phone's key.
#[derive(Serialize, Deserialize)]
pub(super) struct ReporterPhoneItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    pub(super) gsi8pk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) expires_at: Option<i64>,
    pub(super) phone: Phone,
}

impl ReporterItem {
    /// The items a reporter is stored in: none for an anonymous report.
    pub(super) fn of(id: &TicketId, reporter: &Reporter) -> (Option<Self>, Option<ReporterPhoneItem>) {
        if *reporter == Reporter::default() {
            return (None, None);
        }
        let email_key = reporter.email.clone().map(|e| Contact::Email(e).key());
        let phone_key = reporter.phone.clone().map(|p| Contact::Sms(p).key());
        let (kept, phone) = match (&email_key, &reporter.phone, phone_key) {
            (Some(_), Some(phone), Some(phone_key)) => {
                let keys::Key { pk, sk } = keys::reporter_phone(id);
                let item = ReporterPhoneItem {
                    pk,
                    sk,
                    entity: "reporter_phone".to_owned(),
                    gsi8pk: keys::person(&phone_key),
                    expires_at: None,
                    phone: phone.clone(),
                };
                (Reporter { phone: None, ..reporter.clone() }, Some(item))
            }
            _ => (reporter.clone(), None),
        };
        let indexed = email_key.or_else(|| kept.phone.clone().map(|p| Contact::Sms(p).key()));
        let keys::Key { pk, sk } = keys::reporter(id);
        let item = Self {
            pk,
            sk,
            entity: "reporter".to_owned(),
            gsi8pk: indexed.map(|k| keys::person(&k)),
            expires_at: None,
            reporter: kept,
        };
        (Some(item), phone)
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct FollowerItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    /// A pending follow's: when its confirmation link no longer works; a confirmed one's, from
    /// its request's closing: when its contact has been kept long enough. TTL removes it then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) expires_at: Option<i64>,
    /// The privacy index: the follower's contact key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi8pk: Option<String>,
    #[serde(flatten)]
    pub(super) follower: Follower,
}

/// A mark that something happened (an event published, a delivery claimed), kept until TTL.
#[derive(Serialize, Deserialize)]
pub(super) struct MarkItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    pub(super) expires_at: i64,
}

#[derive(Serialize, Deserialize)]
pub(super) struct BannerItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    pub(super) banner: crate::domain::banner::Banner,
}

#[derive(Serialize, Deserialize)]
pub(super) struct TemplatesItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    /// Flattened: the conditional write reads `version` at the top of the item.
    #[serde(flatten)]
    pub(super) templates: crate::domain::canned::CannedResponses,
}

#[derive(Serialize, Deserialize)]
pub(super) struct RoutingItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    #[serde(flatten)]
    pub(super) rules: RoutingRules,
}

#[derive(Serialize, Deserialize)]
pub(super) struct ReplayItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    /// Seconds since the epoch: DynamoDB's TTL deletes the item after it.
    pub(super) expires_at: i64,
    #[serde(flatten)]
    pub(super) replay: Replay,
}

#[derive(Serialize, Deserialize)]
pub(super) struct HistoryItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi1sk: Option<String>,
    #[serde(flatten)]
    pub(super) entry: HistoryEntry,
}

#[derive(Serialize, Deserialize)]
pub(super) struct TokenItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    pub(super) ticket_id: TicketId,
}

#[derive(Serialize, Deserialize)]
pub(super) struct ApiKeyItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    pub(super) gsi1pk: String,
    pub(super) gsi1sk: String,
    #[serde(flatten)]
    pub(super) key: ApiKey,
}

#[derive(Serialize, Deserialize)]
pub(super) struct ServiceItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    #[serde(flatten)]
    pub(super) service: Service,
}

#[derive(Serialize, Deserialize)]
pub(super) struct DepartmentItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    #[serde(flatten)]
    pub(super) department: Department,
}

#[derive(Serialize, Deserialize)]
pub(super) struct CalendarItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    #[serde(flatten)]
    pub(super) calendar: crate::domain::sla::BusinessCalendar,
}

/// A delivery claim kept for good: the recipient was refused, with the service's code.
#[derive(Serialize, Deserialize)]
pub(super) struct UndeliverableItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    pub(super) expires_at: i64,
    pub(super) undeliverable: String,
}

#[derive(Serialize, Deserialize)]
pub(super) struct UnsubscribeItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    pub(super) ticket_id: TicketId,
    pub(super) contact_key: String,
    pub(super) expires_at: i64,
    /// The privacy index: a link names its contact's key, erased with the contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) gsi8pk: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct UploadItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    pub(super) ticket_id: TicketId,
}

#[derive(Serialize, Deserialize)]
pub(super) struct ProcessingItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    pub(super) expires_at: i64,
    #[serde(flatten)]
    pub(super) processing: crate::domain::photo::Processing,
}

/// An address point, under its id or in one of the address indexes (each entry holds the
/// whole address, so a search or a nearest needs no second read).
#[derive(Serialize, Deserialize)]
pub(super) struct AddressItem {
    pub(super) pk: String,
    pub(super) sk: String,
    pub(super) entity: String,
    #[serde(flatten)]
    pub(super) address: crate::domain::address::AddressPoint,
}

/// What every item has: its kind and its key.
#[derive(Deserialize)]
struct Entity {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    pk: String,
    #[serde(default)]
    sk: String,
}

impl TicketItem {
    pub(super) fn new(ticket: &Ticket) -> Self {
        let keys::Key { pk, sk } = keys::ticket(&ticket.id);
        let open = ticket.status.is_open();
        let updated = keys::at(ticket.updated_at, &ticket.id);
        let listed = !ticket.private;
        Self {
            pk,
            sk,
            entity: "ticket".to_owned(),
            gsi1pk: listed.then(|| keys::requested(&keys::month(ticket.requested_at))),
            gsi1sk: listed.then(|| keys::at(ticket.requested_at, &ticket.id)),
            gsi2pk: listed.then(|| keys::updated(&keys::month(ticket.updated_at))),
            gsi2sk: listed.then(|| updated.clone()),
            gsi3pk: Some(keys::queue(&ticket.department, open)),
            gsi3sk: Some(updated.clone()),
            gsi4pk: ticket.assignee.as_deref().filter(|_| open).map(keys::assignee),
            gsi4sk: ticket.assignee.as_ref().filter(|_| open).map(|_| updated),
            gsi5pk: ticket.expected_at.filter(|_| open).map(|_| keys::due(&ticket.department)),
            gsi5sk: ticket.expected_at.filter(|_| open).map(|due| keys::at(due, &ticket.id)),
            gsi6pk: nearby_point(ticket)
                .map(|p| keys::near(&ticket.service_code, &crate::domain::nearby::cell(p))),
            gsi6sk: nearby_point(ticket)
                .map(|p| keys::near_sk(&crate::domain::geo::geohash(p, 9), &ticket.id)),
            gsi7pk: map_point(ticket).map(|p| keys::map(&crate::domain::map::cell(p))),
            gsi7sk: map_point(ticket).map(|_| keys::map_sk(open, map_time(ticket), &ticket.id)),
            pin: map_point(ticket),
            // The reporter is kept in its own items ([`ReporterItem`]), to leave on time.
            ticket: Ticket { reporter: Reporter::default(), ..ticket.clone() },
        }
    }
}

/// The point under which an open ticket is indexed as nearby (never a private service's).
fn nearby_point(ticket: &Ticket) -> Option<crate::domain::location::GeoPoint> {
    ticket.location.point().filter(|_| ticket.status.is_open() && !ticket.private)
}

/// The point under which a ticket is on the public map: any public request with one, open or
/// closed (reads keep the closed to the recent ones by the sort key).
fn map_point(ticket: &Ticket) -> Option<crate::domain::location::GeoPoint> {
    ticket.location.point().filter(|_| !ticket.private)
}

/// The time a ticket sorts by in its map cell: its last change while open, when it was closed
/// after.
fn map_time(ticket: &Ticket) -> DateTime<Utc> {
    crate::domain::map::sort_time(ticket.status, ticket.updated_at, ticket.closed_at)
}

impl FollowerItem {
    pub(super) fn new(follower: &Follower) -> Self {
        let keys::Key { pk, sk } = keys::follower(&follower.ticket_id, &follower.contact.key());
        let expires_at = (!follower.confirmed).then(|| {
            (follower.since + chrono::Duration::hours(crate::domain::follower::CONFIRM_WITHIN_HOURS))
                .timestamp()
        });
        let gsi8pk = Some(keys::person(&follower.contact.key()));
        Self { pk, sk, entity: "follower".to_owned(), expires_at, gsi8pk, follower: follower.clone() }
    }
}

impl HistoryItem {
    pub(super) fn new(entry: &HistoryEntry) -> Self {
        let public = (entry.public && !entry.private_request).then(|| {
            (
                keys::public_update(&keys::month(entry.at)),
                keys::public_update_sk(entry.at, &entry.ticket_id, entry.version),
            )
        });
        let (gsi1pk, gsi1sk) = public.unzip();
        let keys::Key { pk, sk } = keys::history(&entry.ticket_id, entry.version);
        Self { pk, sk, entity: "history".to_owned(), gsi1pk, gsi1sk, entry: entry.clone() }
    }
}

/// A table item as it appears in the table's stream.
#[derive(Debug)]
pub enum TableItem {
    Ticket(Box<Ticket>),
    History(HistoryEntry),
    Service(Service),
    Department(Department),
    /// A request named an upload.
    Upload {
        upload_id: String,
        ticket_id: TicketId,
    },
    /// An upload was processed (or refused).
    Processing(crate::domain::photo::Processing),
    /// A ticket's follower, pending or confirmed.
    Follower(Follower),
    /// Tokens and API keys: bookkeeping no subscriber hears about.
    Other,
}

impl TableItem {
    /// Reads a stream image (`NewImage`/`OldImage`) back into its domain type.
    pub fn from_stream_image(image: serde_dynamo::Item) -> Result<Self, StoreError> {
        let entity: Entity = decode(image.clone(), "stream image")?;
        let key = format!("{}/{}", entity.pk, entity.sk);
        let item = match entity.entity.as_str() {
            "ticket" => Self::Ticket(Box::new(decode::<TicketItem>(image, &key)?.ticket)),
            "history" => Self::History(decode::<HistoryItem>(image, &key)?.entry),
            "service" => Self::Service(decode::<ServiceItem>(image, &key)?.service),
            "department" => Self::Department(decode::<DepartmentItem>(image, &key)?.department),
            "upload" => {
                let item = decode::<UploadItem>(image, &key)?;
                let upload_id = keys::upload_id(&item.pk).to_owned();
                Self::Upload { upload_id, ticket_id: item.ticket_id }
            }
            "processing" => Self::Processing(decode::<ProcessingItem>(image, &key)?.processing),
            "follower" => Self::Follower(decode::<FollowerItem>(image, &key)?.follower),
            "token" | "api_key" | "replay" | "calendar" | "routing" | "published" | "delivery" | "mute"
            | "unsubscribe" | "confirmation" | "rate" | "address" | "address_text" | "address_cell"
            | "templates" | "banner" | "thread" | "stats" | "counted" | "fix_check" | "reporter"
            | "reporter_phone" => Self::Other,
            other => {
                return Err(StoreError::Corrupt { key, source: format!("unknown entity '{other}'").into() });
            }
        };
        Ok(item)
    }

    /// A follower's stream image, exactly as the table holds it (for tests of consumers).
    #[cfg(any(test, feature = "test-util"))]
    pub fn follower_image(follower: &Follower) -> Result<serde_dynamo::Item, StoreError> {
        serde_dynamo::to_item(FollowerItem::new(follower))
            .map_err(|e| StoreError::Corrupt { key: "(test image)".to_owned(), source: Box::new(e) })
    }

    /// A history entry's stream image, exactly as the table holds it (for tests of consumers).
    #[cfg(any(test, feature = "test-util"))]
    pub fn history_image(entry: &HistoryEntry) -> Result<serde_dynamo::Item, StoreError> {
        serde_dynamo::to_item(HistoryItem::new(entry))
            .map_err(|e| StoreError::Corrupt { key: "(test image)".to_owned(), source: Box::new(e) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limit_bucket_in_the_stream_is_nothing_for_route() {
        let keys::Key { pk, sk } = keys::rate("follow#abc#1764504000");
        let image: serde_dynamo::Item = serde_dynamo::to_item(serde_json::json!({
            "pk": pk, "sk": sk, "entity": "rate", "hits": 3, "expires_at": 1764504600
        }))
        .unwrap();
        assert!(matches!(TableItem::from_stream_image(image), Ok(TableItem::Other)));
    }

    #[test]
    fn the_canned_responses_and_the_banner_in_the_stream_are_nothing_for_route() {
        let links = [
            (keys::templates(), "templates"),
            (keys::banner(), "banner"),
            (keys::fix_check("t"), "fix_check"),
        ];
        for (key, entity) in links {
            let image: serde_dynamo::Item = serde_dynamo::to_item(serde_json::json!({
                "pk": key.pk, "sk": key.sk, "entity": entity, "version": 1
            }))
            .unwrap();
            assert!(matches!(TableItem::from_stream_image(image), Ok(TableItem::Other)), "{entity}");
        }
    }
}
