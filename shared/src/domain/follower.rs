//! Followers: citizens who asked to hear about a request they did not file (instead of filing
//! the same pothole again), and reporters of duplicates merged into it. Personal data.
//!
//! A follow is pending until its contact confirms it: the town sends one message with a link
//! to the address given, and tells a pending follower nothing else. Reporters of merged
//! duplicates follow confirmed (they gave their contact when filing). A ticket has at most
//! [`MAX_PER_TICKET`] followers, and one contact starts at most [`MAX_FOLLOWS_PER_DAY`]
//! follows a day, so nobody can make the town message strangers at will.

use crate::domain::contact::{ContactError, Email, Language, NotifyBy, Phone, Reporter};
use crate::domain::id::TicketId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How long a follow's confirmation link works.
pub const CONFIRM_WITHIN_HOURS: i64 = 48;
/// Followers one ticket may have, confirmed and pending together.
pub const MAX_PER_TICKET: usize = 20;
/// Follows one contact may start in a day, across tickets.
pub const MAX_FOLLOWS_PER_DAY: u32 = 10;

/// Where a follower hears back: one address on one channel.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", content = "address", rename_all = "snake_case")]
pub enum Contact {
    Email(Email),
    Sms(Phone),
}

/// Redacted: only the channel reaches a log line.
impl fmt::Debug for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Email(_) => "Contact::Email(<redacted>)",
            Self::Sms(_) => "Contact::Sms(<redacted>)",
        })
    }
}

impl Contact {
    /// The contact for `notify_by`, from the addresses given.
    pub fn choose(
        notify_by: Option<NotifyBy>,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<Self, ContactError> {
        let email = email.map(str::trim).filter(|e| !e.is_empty());
        let phone = phone.map(str::trim).filter(|p| !p.is_empty());
        match (notify_by, email, phone) {
            (Some(NotifyBy::Email) | None, Some(email), _) => Ok(Self::Email(Email::parse(email)?)),
            (Some(NotifyBy::Sms) | None, _, Some(phone)) => Ok(Self::Sms(Phone::parse(phone)?)),
            (Some(NotifyBy::Sms), _, None) => Err(ContactError::NoAddressForChannel(NotifyBy::Sms)),
            _ => Err(ContactError::NoAddressForChannel(NotifyBy::Email)),
        }
    }

    /// An email address or a phone number, whichever `text` is (an erasure request names one).
    pub fn parse_any(text: &str) -> Option<Self> {
        match Email::parse(text) {
            Ok(email) => Some(Self::Email(email)),
            Err(_) => Phone::parse(text).ok().map(Self::Sms),
        }
    }

    /// A reporter's contact on the channel they chose, if they gave one.
    pub fn of_reporter(reporter: &Reporter) -> Option<Self> {
        match reporter.notify_by? {
            NotifyBy::Email => reporter.email.clone().map(Self::Email),
            NotifyBy::Sms => reporter.phone.clone().map(Self::Sms),
            NotifyBy::None => None,
        }
    }

    /// A stable key for this address, free of the address itself and keyed with the town's
    /// contact secret ([`crate::domain::privacy`]): it keys the stored item, so the same person
    /// following twice is one follower, and finds every item holding the address.
    pub fn key(&self) -> String {
        crate::domain::privacy::contact_hash(&self.normalised())
    }

    /// The key contacts had before they were keyed with the town's secret (a plain SHA-256):
    /// the links and followers written then still name it.
    pub fn unkeyed(&self) -> String {
        crate::domain::api_key::hash(&self.normalised())
    }

    /// Whether `key` is this contact's, keyed or from before.
    pub fn has_key(&self, key: &str) -> bool {
        self.key() == key || self.unkeyed() == key
    }

    fn normalised(&self) -> String {
        let (channel, address) = match self {
            Self::Email(e) => ("email", e.as_str().to_lowercase()),
            Self::Sms(p) => ("sms", p.as_str().to_owned()),
        };
        format!("{channel}\u{0}{address}")
    }

    pub fn channel(&self) -> NotifyBy {
        match self {
            Self::Email(_) => NotifyBy::Email,
            Self::Sms(_) => NotifyBy::Sms,
        }
    }

    /// `text` (an error a messaging service answered, say) with this address taken out, as
    /// written or as the service may quote it (any case; a number with or without `+` and
    /// country code), so it can be logged.
    pub fn redact(&self, text: &str) -> String {
        let forms: Vec<String> = match self {
            Self::Email(e) => vec![e.as_str().to_ascii_lowercase()],
            Self::Sms(p) => {
                let digits: String = p.as_str().chars().filter(char::is_ascii_digit).collect();
                let mut forms = vec![p.as_str().to_owned(), digits.clone()];
                // North American numbers are often quoted without their country code.
                if let Some(national) = digits.strip_prefix('1').filter(|n| n.len() == 10) {
                    forms.push(national.to_owned());
                }
                forms
            }
        };
        let mut redacted = text.to_owned();
        for form in forms.iter().filter(|f| !f.is_empty()) {
            // ASCII case folding keeps every byte where it was, so a match in the folded text
            // is the same range in the original.
            while let Some(at) = redacted.to_ascii_lowercase().find(form.as_str()) {
                redacted.replace_range(at..at + form.len(), "<redacted>");
            }
        }
        redacted
    }
}

/// One follower of one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Follower {
    pub ticket_id: TicketId,
    pub contact: Contact,
    #[serde(default)]
    pub language: Language,
    pub since: DateTime<Utc>,
    /// The duplicate this follower came from, when it was merged into the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<TicketId>,
    /// Whether the contact confirmed the follow; a pending follower hears nothing but the one
    /// confirmation message. Followers kept from before confirmation existed read as confirmed.
    #[serde(default = "kept_before_confirmation")]
    pub confirmed: bool,
}

fn kept_before_confirmation() -> bool {
    true
}

impl Follower {
    /// A follow a citizen asked for, pending until they confirm it.
    pub fn pending(ticket_id: &TicketId, contact: Contact, language: Language, since: DateTime<Utc>) -> Self {
        Self { ticket_id: ticket_id.clone(), contact, language, since, via: None, confirmed: false }
    }

    /// The same follower, following `parent` now (a merge carries followers along).
    pub fn carried_to(&self, parent: &TicketId, child: &TicketId) -> Self {
        Self {
            ticket_id: parent.clone(),
            via: Some(self.via.clone().unwrap_or_else(|| child.clone())),
            ..self.clone()
        }
    }
}

/// A pending follow to confirm, as it waits on notify's queue: the ticket and the contact's
/// key, never the address (notify reads that from the follower). `since` tells this follow from
/// a later one of the same contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationDue {
    pub ticket_id: TicketId,
    pub contact_key: String,
    pub since: DateTime<Utc>,
}

/// The field a queue message carries a [`ConfirmationDue`] in.
pub const CONFIRMATION_DUE: &str = "confirm_follow";

impl ConfirmationDue {
    pub fn of(follower: &Follower) -> Self {
        Self {
            ticket_id: follower.ticket_id.clone(),
            contact_key: follower.contact.key(),
            since: follower.since,
        }
    }

    /// The queue message: `{"confirm_follow": {...}}`.
    pub fn message(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(&serde_json::json!({ CONFIRMATION_DUE: self }))
    }

    /// The claim that sends the confirmation once: one per follow.
    pub fn delivery_id(&self) -> String {
        let follow = format!("confirm#{}#{}", self.ticket_id, self.since.timestamp_millis());
        // A mark of the contact, never its key: an erased contact leaves none behind.
        format!("{follow}#{}", crate::domain::privacy::mark(&self.contact_key, &follow))
    }
}

/// One page of a ticket's followers, in contact-key order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FollowerPage {
    pub followers: Vec<Follower>,
    /// The last follower's contact key, to read on from; absent on the last page.
    pub next: Option<String>,
}

/// A page cursor as pages hand it out (a contact key: 64 lowercase hex digits), or `None`; anything
/// else names no position.
pub fn cursor(text: &str) -> Option<&str> {
    let text = text.trim();
    (text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_taken_out_of_a_services_message_however_quoted() {
        let email = Contact::choose(None, Some("Rosa.P@Example.org"), None).unwrap();
        assert_eq!(
            email.redact("Address blacklisted: rosa.p@example.ORG (and ROSA.P@EXAMPLE.ORG)"),
            "Address blacklisted: <redacted> (and <redacted>)"
        );
        let sms = Contact::choose(None, None, Some("(555) 010-7777")).unwrap();
        let redacted =
            sms.redact("Invalid parameter: PhoneNumber +15550107777 / 15550107777 / 5550107777 — ñ");
        assert!(!redacted.contains("0107777"), "{redacted}");
        assert_eq!(redacted.matches("<redacted>").count(), 3, "{redacted}");
        assert!(redacted.ends_with("— ñ"));
        assert_eq!(sms.redact("throttled"), "throttled");
    }

    #[test]
    fn the_channel_picks_the_address() {
        let email = Contact::choose(Some(NotifyBy::Email), Some("a@b.org"), Some("5551234567")).unwrap();
        assert_eq!(email.channel(), NotifyBy::Email);
        let sms = Contact::choose(Some(NotifyBy::Sms), Some("a@b.org"), Some("5551234567")).unwrap();
        assert_eq!(sms.channel(), NotifyBy::Sms);
        assert_eq!(Contact::choose(None, None, Some("555 123 4567")).unwrap().channel(), NotifyBy::Sms);
        assert!(Contact::choose(Some(NotifyBy::Sms), Some("a@b.org"), None).is_err());
        assert!(Contact::choose(None, None, None).is_err());
        assert!(Contact::choose(None, Some("not an email"), None).is_err());
    }

    #[test]
    fn one_address_is_one_key_however_it_is_written() {
        let a = Contact::choose(None, Some("Ana@Example.org"), None).unwrap();
        let b = Contact::choose(None, Some(" ana@example.org"), None).unwrap();
        assert_eq!(a.key(), b.key());
        let c = Contact::choose(None, None, Some("(555) 123-4567")).unwrap();
        let d = Contact::choose(None, None, Some("+1 555 123 4567")).unwrap();
        assert_eq!(c.key(), d.key());
        assert_ne!(a.key(), c.key());
        assert!(!format!("{a:?}").contains("ana"));
    }
}
