//! Open311's public documents, built from domain types. Nothing here carries the reporter's
//! name, email, phone, device or account.

use super::datetime::w3c;
use crate::domain::catalog::{Condition, Department, Service, ServiceAttribute, Stopper};
use crate::domain::id::TicketId;
use crate::domain::summary::Summary;
use crate::domain::ticket::{HistoryEntry, Ticket};
use crate::domain::zone::TownZone;
use serde::Serialize;
use std::collections::BTreeMap;

/// One entry of `services.{fmt}`.
#[derive(Debug, Serialize)]
pub struct ServiceRecord<'a> {
    pub service_code: &'a str,
    pub service_name: &'a str,
    pub description: &'a str,
    pub metadata: bool,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub keywords: String,
    pub group: &'a str,
    /// Extensions: whether a request needs a place (`required`, `optional`, `none`), whether its
    /// requests stay out of public lists, and the words of a stop-and-call service.
    pub location: &'static str,
    pub private: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<&'a Stopper>,
}

impl<'a> From<&'a Service> for ServiceRecord<'a> {
    fn from(s: &'a Service) -> Self {
        Self {
            service_code: &s.code,
            service_name: &s.name,
            description: &s.description,
            metadata: s.has_definition(),
            kind: s.kind.as_str(),
            keywords: s.keywords.join(","),
            group: &s.group,
            location: s.location.as_str(),
            private: s.private,
            stop: s.stop.as_ref(),
        }
    }
}

/// `services/{code}.{fmt}`: a service's questions.
#[derive(Debug, Serialize)]
pub struct ServiceDefinition<'a> {
    pub service_code: &'a str,
    pub attributes: Vec<AttributeRecord<'a>>,
    /// Extensions, as in the service list.
    pub location: &'static str,
    pub private: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<&'a Stopper>,
}

/// One question of a service definition.
#[derive(Debug, Serialize)]
pub struct AttributeRecord<'a> {
    pub variable: bool,
    pub code: &'a str,
    pub datatype: &'static str,
    pub required: bool,
    pub datatype_description: &'a str,
    pub order: u32,
    pub description: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<ValueRecord<'a>>,
    /// Extension: asked only when an earlier list question has one of these answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shown_if: Option<&'a Condition>,
}

/// One allowed answer of a list question.
#[derive(Debug, Serialize)]
pub struct ValueRecord<'a> {
    pub key: &'a str,
    pub name: &'a str,
    /// Extension: choosing this answer means stop and call instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<&'a Stopper>,
}

impl<'a> From<&'a Service> for ServiceDefinition<'a> {
    fn from(s: &'a Service) -> Self {
        let mut attributes: Vec<&ServiceAttribute> = s.attributes.iter().collect();
        attributes.sort_by_key(|a| a.order);
        Self {
            service_code: &s.code,
            attributes: attributes
                .into_iter()
                .map(|a| AttributeRecord {
                    variable: a.variable,
                    code: &a.code,
                    datatype: a.datatype.as_str(),
                    required: a.required,
                    datatype_description: &a.datatype_description,
                    order: a.order,
                    description: &a.description,
                    values: a
                        .values
                        .iter()
                        .map(|v| ValueRecord { key: &v.key, name: &v.name, stop: v.stop.as_ref() })
                        .collect(),
                    shown_if: a.shown_if.as_ref(),
                })
                .collect(),
            location: s.location.as_str(),
            private: s.private,
            stop: s.stop.as_ref(),
        }
    }
}

/// The answer to a POST: the new ticket's number (realtime services) or a token to look it up
/// by (batch services), never both, and what the citizen should know.
#[derive(Debug, Serialize)]
pub struct CreatedRecord<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_request_id: Option<&'a TicketId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<&'a str>,
    pub service_notice: String,
    pub account_id: Option<&'a str>,
    /// Extensions: when the town promises a response, and who gives it.
    pub expected_datetime: Option<String>,
    pub department_name: Option<&'a str>,
    pub department_phone: Option<&'a str>,
    pub department_email: Option<&'a str>,
    /// Extension: how updates will come (`email`, `sms`), `none` when they will not, absent
    /// when no contact was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updates_by: Option<&'static str>,
}

/// `tokens/{token}.{fmt}`: the ticket a token stands for.
#[derive(Debug, Serialize)]
pub struct TokenRecord<'a> {
    pub service_request_id: &'a TicketId,
    pub token: &'a str,
}

/// `discovery.{fmt}`.
#[derive(Debug, Serialize)]
pub struct Discovery {
    pub changeset: String,
    pub contact: String,
    pub key_service: String,
    pub endpoints: Vec<DiscoveryEndpoint>,
}

/// One endpoint of the discovery document.
#[derive(Debug, Serialize)]
pub struct DiscoveryEndpoint {
    pub specification: &'static str,
    pub url: String,
    pub changeset: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub formats: [&'static str; 2],
}

/// One entry of mySociety's `servicerequestupdates.{fmt}`.
#[derive(Debug, Serialize)]
pub struct UpdateRecord<'a> {
    pub update_id: String,
    pub service_request_id: &'a TicketId,
    pub status: &'static str,
    pub updated_datetime: String,
    pub description: String,
    pub media_url: Option<&'a str>,
}

impl<'a> UpdateRecord<'a> {
    pub fn new(entry: &'a HistoryEntry, timezone: TownZone) -> Self {
        Self {
            update_id: format!("{}-{}", entry.ticket_id, entry.version),
            service_request_id: &entry.ticket_id,
            status: entry.extended_status(),
            updated_datetime: w3c(entry.at, timezone),
            description: entry.change.note().map_or_else(|| entry.change.summary().english(), str::to_owned),
            media_url: None,
        }
    }
}

/// `extensions=true`: what a request carries beyond the standard.
#[derive(Debug, Serialize)]
pub struct ExtendedAttributes<'a> {
    pub channel: &'static str,
    pub duplicate: bool,
    pub parent_service_request_id: Option<&'a TicketId>,
    /// The public history, oldest first.
    pub notes: Vec<NoteRecord<'a>>,
    /// The stable URLs of the request's processed, visible photos (none is published before
    /// processing, nor once hidden).
    pub photos: Vec<String>,
    /// Those of them that show the finished work, as staff closed the request with them.
    pub after_photos: Vec<String>,
}

/// One public history entry.
#[derive(Debug, Serialize)]
pub struct NoteRecord<'a> {
    pub datetime: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub status: &'static str,
    #[serde(flatten)]
    pub summary: SummaryRecord,
    pub description: Option<&'a str>,
}

/// A change's public summary: the English sentence, and the code and parameters pages word
/// in the reader's language.
#[derive(Debug, Serialize)]
pub struct SummaryRecord {
    pub summary: String,
    pub summary_code: &'static str,
    pub summary_params: BTreeMap<&'static str, String>,
}

impl From<&Summary> for SummaryRecord {
    fn from(summary: &Summary) -> Self {
        Self {
            summary: summary.english(),
            summary_code: summary.code(),
            summary_params: summary.params().into_iter().collect(),
        }
    }
}

impl<'a> ExtendedAttributes<'a> {
    pub fn new(
        ticket: &'a Ticket,
        history: &'a [HistoryEntry],
        timezone: TownZone,
        media_base: Option<&str>,
    ) -> Self {
        Self {
            channel: ticket.channel.as_str(),
            duplicate: ticket.parent.is_some(),
            parent_service_request_id: ticket.parent.as_ref(),
            notes: history
                .iter()
                .filter(|e| e.public)
                .map(|e| NoteRecord {
                    datetime: w3c(e.at, timezone),
                    kind: e.change.kind(),
                    status: e.status.open311(),
                    summary: SummaryRecord::from(&e.change.summary()),
                    description: e.change.note(),
                })
                .collect(),
            photos: media_base.map(|base| visible_photo_urls(ticket, base)).unwrap_or_default(),
            after_photos: media_base
                .map(|base| {
                    let after = ticket.photos.iter().filter(|p| p.after && !p.hidden);
                    after.map(|p| format!("{base}/{}", p.id)).collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// One service request as the public may see it.
#[derive(Debug, Serialize)]
pub struct ServiceRequestRecord<'a> {
    pub service_request_id: &'a TicketId,
    pub status: &'static str,
    pub status_notes: Option<&'a str>,
    pub service_name: &'a str,
    pub service_code: &'a str,
    pub description: Option<&'a str>,
    pub agency_responsible: Option<&'a str>,
    pub service_notice: Option<&'a str>,
    pub requested_datetime: String,
    pub updated_datetime: String,
    pub expected_datetime: Option<String>,
    pub address: Option<&'a str>,
    pub address_id: Option<&'a str>,
    pub zipcode: Option<&'a str>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub media_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended_attributes: Option<ExtendedAttributes<'a>>,
}

/// The stable URLs of a ticket's visible photos: `<media_base>/<photo id>`.
pub fn visible_photo_urls(ticket: &Ticket, media_base: &str) -> Vec<String> {
    ticket.photos.iter().filter(|p| !p.hidden).map(|p| format!("{media_base}/{}", p.id)).collect()
}

impl<'a> ServiceRequestRecord<'a> {
    /// The public record; `media_base` is where photos are served (`<public url>/open311/v2/media`).
    /// A private service's request shows its status only: no text, place or photo.
    pub fn new(
        ticket: &'a Ticket,
        department: Option<&'a Department>,
        timezone: TownZone,
        media_base: Option<&str>,
    ) -> Self {
        let point = ticket.location.point();
        let photo = media_base.and_then(|base| visible_photo_urls(ticket, base).into_iter().next());
        Self {
            service_request_id: &ticket.id,
            status: ticket.status.open311(),
            status_notes: ticket.status_notes.as_deref(),
            service_name: &ticket.service_name,
            service_code: &ticket.service_code,
            description: ticket.description.as_ref().map(|d| d.as_str()),
            agency_responsible: department.map(|d| d.name.as_str()),
            service_notice: None,
            requested_datetime: w3c(ticket.requested_at, timezone),
            updated_datetime: w3c(ticket.updated_at, timezone),
            expected_datetime: ticket.expected_at.map(|at| w3c(at, timezone)),
            address: ticket.location.address(),
            address_id: ticket.location.address_id(),
            zipcode: None,
            lat: point.map(|p| p.lat()),
            long: point.map(|p| p.long()),
            // A photo sent to the town first; else a photo hosted elsewhere that the request named.
            media_url: photo.or_else(|| ticket.media_urls.first().cloned()),
            extended_attributes: None,
        }
        .private_if(ticket.private)
    }

    fn private_if(self, private: bool) -> Self {
        if !private {
            return self;
        }
        Self {
            status_notes: None,
            description: None,
            address: None,
            address_id: None,
            lat: None,
            long: None,
            media_url: None,
            extended_attributes: None,
            ..self
        }
    }
}

/// One entry of an error list.
#[derive(Debug, Serialize)]
pub struct ErrorRecord<'a> {
    pub code: u16,
    pub description: &'a str,
}
