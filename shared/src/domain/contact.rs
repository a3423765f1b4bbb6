//! Who reported a request and how they want to hear back. Personal data: never logged, never
//! returned by a public endpoint.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A plausible email address (one `@`, a dotted domain, no spaces), kept as given but trimmed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// A phone number in E.164 form (`+15551234567`); ten-digit numbers are read as North American.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

/// Why contact details were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("email is not a valid email address")]
    Email,
    #[error("phone is not a valid phone number")]
    Phone,
    #[error("{field} is too long (at most {max} characters)")]
    TooLong { field: &'static str, max: usize },
    #[error("{0} notifications need a contact to send them to")]
    NoAddressForChannel(NotifyBy),
}

impl Email {
    pub fn parse(text: &str) -> Result<Self, ContactError> {
        let text = text.trim();
        let (local, domain) = text.split_once('@').ok_or(ContactError::Email)?;
        let valid = text.len() <= 254
            && !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !text.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
        if valid { Ok(Self(text.to_owned())) } else { Err(ContactError::Email) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Phone {
    pub fn parse(text: &str) -> Result<Self, ContactError> {
        let text = text.trim();
        let international = text.starts_with('+');
        if !text
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || " -.()".contains(c) || (i == 0 && c == '+'))
        {
            return Err(ContactError::Phone);
        }
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let e164 = match (international, digits.len()) {
            (true, 8..=15) => format!("+{digits}"),
            (false, 10) => format!("+1{digits}"),
            (false, 11) if digits.starts_with('1') => format!("+{digits}"),
            _ => return Err(ContactError::Phone),
        };
        Ok(Self(e164))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The country calling codes the town texts (`+1`, `+1,+52`): text messages cost per country,
/// and a number elsewhere is more likely a mistake or abuse than a resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsCountries(Vec<String>);

impl SmsCountries {
    /// Reads a comma-separated list of calling codes, each `+` and one to three digits.
    pub fn parse(text: &str) -> Option<Self> {
        let codes: Vec<String> = text.split(',').map(|c| c.trim().to_owned()).collect();
        let valid = |c: &String| {
            c.strip_prefix('+')
                .is_some_and(|d| (1..=3).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit()))
        };
        codes.iter().all(valid).then_some(Self(codes))
    }

    /// Whether the town texts `phone`.
    pub fn allow(&self, phone: &Phone) -> bool {
        self.0.iter().any(|code| phone.as_str().starts_with(code.as_str()))
    }

    pub fn codes(&self) -> String {
        self.0.join(", ")
    }
}

/// North America only: the demo town's and the template's default.
impl Default for SmsCountries {
    fn default() -> Self {
        Self(vec!["+1".to_owned()])
    }
}

macro_rules! personal_text {
    ($t:ty) => {
        impl TryFrom<String> for $t {
            type Error = ContactError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> Self {
                v.0
            }
        }
        /// Redacted: personal data never reaches a log line through `{:?}`.
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($t), "(<redacted>)"))
            }
        }
    };
}
personal_text!(Email);
personal_text!(Phone);

/// The channel a citizen prefers for updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyBy {
    Email,
    Sms,
    None,
}

impl fmt::Display for NotifyBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Email => "email",
            Self::Sms => "SMS",
            Self::None => "no",
        })
    }
}

impl NotifyBy {
    /// The form value: `email`, `sms` or `none`.
    pub fn as_key(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::None => "none",
        }
    }

    /// Reads the form value; an unknown word is refused rather than guessed.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "email" => Some(Self::Email),
            "sms" | "text" | "phone" => Some(Self::Sms),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// The language a citizen hears back in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    En,
    Es,
}

impl Language {
    /// Reads a language tag (`es`, `es-MX`, `en-US`); only the languages town311 speaks.
    pub fn parse(text: &str) -> Option<Self> {
        let primary = text.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "es" => Some(Self::Es),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
        }
    }
}

const MAX_NAME: usize = 100;
const MAX_ID: usize = 200;

/// The reporter of a request, all optional: anonymous reports are welcome.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reporter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    /// An email address that is not one (no updates go there), kept as typed for staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_as_typed: Option<String>,
    /// A phone number that cannot be texted (seven local digits, letters), kept as typed for
    /// staff to call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_as_typed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The channel for updates; `None` when the reporter gave no contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_by: Option<NotifyBy>,
    /// The language for updates.
    #[serde(default)]
    pub language: Language,
}

/// The reporter fields as they arrive, before checking.
#[derive(Debug, Default)]
pub struct ReporterInput<'a> {
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub device_id: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub notify_by: Option<NotifyBy>,
    pub language: Option<Language>,
}

const MAX_TYPED_EMAIL: usize = 254;
const MAX_TYPED_PHONE: usize = 40;

impl Reporter {
    /// Reads the reporter's fields, forgiving of contacts: an email or phone that cannot be
    /// used is kept as typed for staff, and updates go by the channel that can be used (the one
    /// chosen if it can, else the email, else a text), or not at all.
    pub fn parse(input: ReporterInput<'_>) -> Result<Self, ContactError> {
        let typed_email = bounded(input.email, "email", MAX_TYPED_EMAIL)?;
        let typed_phone = bounded(input.phone, "phone", MAX_TYPED_PHONE)?;
        let email = typed_email.as_deref().and_then(|e| Email::parse(e).ok());
        let phone = typed_phone.as_deref().and_then(|p| Phone::parse(p).ok());
        let mut reporter = Self {
            first_name: bounded(input.first_name, "first_name", MAX_NAME)?,
            last_name: bounded(input.last_name, "last_name", MAX_NAME)?,
            email_as_typed: typed_email.filter(|_| email.is_none()),
            phone_as_typed: typed_phone.filter(|_| phone.is_none()),
            email,
            phone,
            device_id: bounded(input.device_id, "device_id", MAX_ID)?,
            account_id: bounded(input.account_id, "account_id", MAX_ID)?,
            notify_by: input.notify_by,
            language: input.language.unwrap_or_default(),
        };
        reporter.settle_channel(|_| true);
        Ok(reporter)
    }

    /// Settles how updates go, given which numbers the town texts: the channel chosen if it
    /// can be used, else the email, else a text; `NotifyBy::None` when a contact was given but
    /// none can be used, and no channel when no contact was given at all.
    pub fn settle_channel(&mut self, texts: impl Fn(&Phone) -> bool) {
        let can_email = self.email.is_some();
        let can_text = self.phone.as_ref().is_some_and(texts);
        let gave_contact = self.email.is_some()
            || self.phone.is_some()
            || self.email_as_typed.is_some()
            || self.phone_as_typed.is_some();
        self.notify_by = match self.notify_by {
            Some(NotifyBy::None) => Some(NotifyBy::None),
            Some(NotifyBy::Email) if can_email => Some(NotifyBy::Email),
            Some(NotifyBy::Sms) if can_text => Some(NotifyBy::Sms),
            _ if can_email => Some(NotifyBy::Email),
            _ if can_text => Some(NotifyBy::Sms),
            _ if gave_contact || self.notify_by.is_some() => Some(NotifyBy::None),
            _ => None,
        };
    }

    /// Whether a contact the reporter gave cannot be used for updates (kept for staff only).
    pub fn has_unusable_contact(&self, texts: impl Fn(&Phone) -> bool) -> bool {
        self.email_as_typed.is_some()
            || self.phone_as_typed.is_some()
            || self.phone.as_ref().is_some_and(|p| !texts(p))
    }
}

/// Redacted: a reporter never reaches a log line through `{:?}`.
impl fmt::Debug for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reporter")
            .field("notify_by", &self.notify_by)
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn bounded(value: Option<&str>, field: &'static str, max: usize) -> Result<Option<String>, ContactError> {
    match present(value) {
        Some(v) if v.chars().count() > max || v.chars().any(char::is_control) => {
            Err(ContactError::TooLong { field, max })
        }
        Some(v) => Ok(Some(v.to_owned())),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_become_e164() {
        assert_eq!(Phone::parse("(555) 123-4567").unwrap().as_str(), "+15551234567");
        assert_eq!(Phone::parse("1 555 123 4567").unwrap().as_str(), "+15551234567");
        assert_eq!(Phone::parse("+44 20 7946 0018").unwrap().as_str(), "+442079460018");
        assert!(Phone::parse("12345").is_err());
        assert!(Phone::parse("555-CALL-NOW").is_err());
        assert!(Phone::parse("+1+5551234567").is_err());
    }

    #[test]
    fn emails_are_checked_for_shape() {
        assert!(Email::parse(" ana@example.org ").is_ok());
        for bad in ["ana", "ana@", "@example.org", "ana@example", "a na@example.org", "a@b@c.org"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_channel_defaults_to_the_contact_given() {
        let r = Reporter::parse(ReporterInput { phone: Some("5551234567"), ..Default::default() });
        assert_eq!(r.unwrap().notify_by, Some(NotifyBy::Sms));
        let r = Reporter::parse(ReporterInput { email: Some("a@b.org"), ..Default::default() });
        assert_eq!(r.unwrap().notify_by, Some(NotifyBy::Email));
        assert_eq!(Reporter::parse(ReporterInput::default()).unwrap().notify_by, None);
    }

    #[test]
    fn languages_are_read_from_tags() {
        assert_eq!(Language::parse("es-MX"), Some(Language::Es));
        assert_eq!(Language::parse(" EN_us"), Some(Language::En));
        assert_eq!(Language::parse("fr"), None);
    }

    #[test]
    fn a_chosen_channel_without_its_address_falls_back_to_one_that_works() {
        let r = Reporter::parse(ReporterInput {
            email: Some("a@b.org"),
            notify_by: Some(NotifyBy::Sms),
            ..Default::default()
        });
        assert_eq!(r.unwrap().notify_by, Some(NotifyBy::Email));
        let r = Reporter::parse(ReporterInput { notify_by: Some(NotifyBy::Email), ..Default::default() });
        assert_eq!(r.unwrap().notify_by, Some(NotifyBy::None));
    }

    #[test]
    fn a_phone_that_cannot_be_texted_is_kept_as_typed_for_staff() {
        let r = Reporter::parse(ReporterInput {
            phone: Some(" 555-1234 "),
            email: Some("ana@example.org"),
            notify_by: Some(NotifyBy::Sms),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(r.phone, None);
        assert_eq!(r.phone_as_typed.as_deref(), Some("555-1234"));
        assert_eq!(r.notify_by, Some(NotifyBy::Email), "updates come by email instead");
        assert!(r.has_unusable_contact(|_| true));
        let alone = Reporter::parse(ReporterInput { phone: Some("555-1234"), ..Default::default() }).unwrap();
        assert_eq!(alone.notify_by, Some(NotifyBy::None), "no updates, and the answer says so");
        let email =
            Reporter::parse(ReporterInput { email: Some("ana at home"), ..Default::default() }).unwrap();
        assert_eq!(
            (email.email_as_typed.as_deref(), email.notify_by),
            (Some("ana at home"), Some(NotifyBy::None))
        );
    }

    #[test]
    fn a_number_the_town_does_not_text_moves_updates_to_the_email() {
        let mut r = Reporter::parse(ReporterInput {
            phone: Some("+44 7700 900123"),
            email: Some("ana@example.org"),
            notify_by: Some(NotifyBy::Sms),
            ..Default::default()
        })
        .unwrap();
        let countries = SmsCountries::default();
        r.settle_channel(|p| countries.allow(p));
        assert_eq!(r.notify_by, Some(NotifyBy::Email));
        assert!(r.phone.is_some(), "the number is kept for staff");
        assert!(r.has_unusable_contact(|p| countries.allow(p)));
    }

    #[test]
    fn debug_output_hides_personal_data() {
        let r = Reporter::parse(ReporterInput {
            first_name: Some("Ana"),
            email: Some("ana@example.org"),
            phone: Some("5551234567"),
            ..Default::default()
        })
        .unwrap();
        let shown = format!("{r:?} {:?} {:?}", r.email, r.phone);
        assert!(!shown.contains("Ana") && !shown.contains("ana@") && !shown.contains("555"));
    }

    mod properties {
        use super::*;
        use crate::hostile;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn contact_fields_never_panic(text in hostile::text()) {
                if let Ok(phone) = Phone::parse(&text) {
                    let digits = phone.as_str().strip_prefix('+').unwrap_or_default();
                    prop_assert!((8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()));
                }
                if let Ok(email) = Email::parse(&text) {
                    prop_assert!(email.as_str().len() <= 254 && email.as_str().contains('@'));
                }
                let _ = (NotifyBy::parse(&text), Language::parse(&text));
            }
        }
    }

    #[test]
    fn sms_goes_only_to_the_towns_countries() {
        let countries = SmsCountries::parse("+1, +52").unwrap();
        assert!(countries.allow(&Phone::parse("(555) 010-7777").unwrap()));
        assert!(countries.allow(&Phone::parse("+52 55 1234 5678").unwrap()));
        assert!(!countries.allow(&Phone::parse("+44 7700 900123").unwrap()));
        assert!(!SmsCountries::default().allow(&Phone::parse("+52 55 1234 5678").unwrap()));
        for bad in ["", "1", "+", "+1234", "+1,,+52", "+1;+44", "+x"] {
            assert_eq!(SmsCountries::parse(bad), None, "{bad}");
        }
    }
}
