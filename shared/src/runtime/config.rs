//! The one configuration loader: every function reads the same environment, set by
//! template.yaml in AWS and by the dev server locally.

use crate::domain::api_key::KeyPolicy;
use crate::domain::contact::SmsCountries;
use crate::domain::form_token::FormKey;
use crate::domain::zone::TownZone;

/// A deployment's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The town's name, as citizens know it.
    pub town_name: String,
    /// The town's timezone: Open311 datetimes carry its UTC offset.
    pub timezone: TownZone,
    /// The Open311 `jurisdiction_id` this deployment answers to, if it checks one.
    pub jurisdiction_id: Option<String>,
    pub table_name: String,
    pub photo_bucket: String,
    pub events_topic_arn: String,
    /// Path-style S3 addressing, for emulators on localhost.
    pub s3_force_path_style: bool,
    /// When submissions need an API key.
    pub api_key_policy: KeyPolicy,
    /// The town website's origin (it may frame the citizen pages and call the API).
    pub web_origin: Option<String>,
    /// The secret the town's form tokens are signed with (`FORM_SECRET`, at least 32 bytes):
    /// with `required-except-web-form`, a valid token stands in for an API key.
    pub form_key: Option<FormKey>,
    /// Where citizens reach town311's pages (status page links in notifications), without a
    /// trailing slash.
    pub public_url: Option<String>,
    /// The address notification emails come from (an SES-verified identity); without it, no
    /// email is sent.
    pub mail_from: Option<String>,
    /// Where the route function sends stream records it can never process.
    pub dead_letter_queue_url: Option<String>,
    /// The topic only the notify function hears, where the rest of a large fan-out and
    /// followers' confirmations are left for it (`NOTIFY_TOPIC_ARN`).
    pub notify_topic_arn: Option<String>,
    /// The calling codes text messages go to (`SMS_COUNTRIES`, `+1` when unset).
    pub sms_countries: SmsCountries,
    /// The writes one client may make to one public route in ten minutes
    /// (`CLIENT_WRITE_LIMIT`, [`crate::domain::rate::DEFAULT_MOST`] when unset).
    pub client_write_limit: u32,
    /// The text messages the town sends in a UTC day, to everyone together (`SMS_DAILY_BUDGET`,
    /// [`crate::domain::rate::DEFAULT_SMS_PER_DAY`] when unset); past it, none until the next.
    pub sms_daily_budget: u32,
    /// Where the town's addresses come from: the table (the town's own address file, loaded
    /// with `town311-admin addresses load`) unless `ADDRESS_SOURCE` is `location`, when an
    /// Amazon Location Service place index (`PLACE_INDEX_NAME`) answers instead.
    pub place_index: Option<PlaceIndex>,
    /// Conversations by email and text; `None` until the town sets up a mail domain or a
    /// two-way number.
    pub inbound: Inbound,
    /// The secret contacts are keyed with (`CONTACT_SECRET`, at least 32 bytes): required, as
    /// every item holding a contact is keyed by it ([`crate::domain::privacy`]).
    pub contact_secret: crate::domain::privacy::ContactSecret,
    /// Days a contact is kept after its request closes (`CONTACT_RETENTION_DAYS`,
    /// [`crate::domain::privacy::DEFAULT_RETENTION_DAYS`] when unset).
    pub contact_retention_days: u32,
}

/// Where citizens' emails and texts reach the town (`MAIL_DOMAIN`, `REPLY_SECRET`,
/// `SMS_NUMBER`, `TRIAGE_DEPARTMENT`).
#[derive(Debug, Clone, Default)]
pub struct Inbound {
    /// The domain SES receives the town's mail on (`311.millbrook.gov`): emails to citizens
    /// carry a reply address there, and `report@` it opens a request. With the key only.
    pub mail: Option<InboundMail>,
    /// The town's two-way number: texts to citizens say they may answer, and a text to it
    /// reaches the ticket or opens a request.
    pub sms_number: Option<crate::domain::contact::Phone>,
    /// The department whose queue holds the requests that came by email or text, to be sorted.
    pub triage_department: String,
}

/// The town's inbound mail domain and the key its reply addresses are signed with.
#[derive(Debug, Clone)]
pub struct InboundMail {
    pub domain: String,
    pub key: crate::domain::conversation::ReplyKey,
}

impl InboundMail {
    /// The reply address of `ticket`, issued at `now`.
    pub fn reply_address(
        &self,
        ticket: &crate::domain::id::TicketId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> String {
        format!("{}@{}", self.key.local_part(ticket, now), self.domain)
    }

    /// The address that opens a new request.
    pub fn intake_address(&self) -> String {
        format!("{}@{}", crate::domain::conversation::INTAKE_LOCAL_PART, self.domain)
    }
}

/// An Amazon Location Service place index the town's addresses are searched in.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceIndex {
    pub name: String,
    /// Searches favour places near here (`TOWN_MAP_CENTER`, `lat,long`): the town centre.
    pub bias: Option<crate::domain::location::GeoPoint>,
}

/// A missing or invalid setting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// An optional setting, read by `parse`: `None` when unset or blank, an error saying what was
/// `expected` when it cannot be read.
fn optional<T>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    expected: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<Option<T>, ConfigError> {
    let Some(text) = lookup(name).filter(|v| !v.trim().is_empty()) else { return Ok(None) };
    parse(&text)
        .map(Some)
        .ok_or_else(|| ConfigError::Invalid { name, reason: format!("expected {expected}, got {text}") })
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str| {
            lookup(name).filter(|v| !v.trim().is_empty()).ok_or(ConfigError::Missing(name))
        };
        let timezone = get("TOWN_TIMEZONE")?;
        let timezone = TownZone::named(timezone.trim())
            .map_err(|e| ConfigError::Invalid { name: "TOWN_TIMEZONE", reason: e.to_string() })?;
        let s3_force_path_style = match lookup("S3_FORCE_PATH_STYLE").as_deref() {
            None | Some("" | "false" | "0") => false,
            Some("true" | "1") => true,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "S3_FORCE_PATH_STYLE",
                    reason: format!("expected true or false, got {other}"),
                });
            }
        };
        let api_key_policy = optional(
            &lookup,
            "API_KEY_POLICY",
            "open, required or required-except-web-form",
            KeyPolicy::parse,
        )?
        .unwrap_or(KeyPolicy::Open);
        let sms_countries =
            optional(&lookup, "SMS_COUNTRIES", "calling codes such as +1 or +1,+52", SmsCountries::parse)?
                .unwrap_or_default();
        let client_write_limit = optional(&lookup, "CLIENT_WRITE_LIMIT", "a whole number above 0", |text| {
            text.trim().parse::<u32>().ok().filter(|n| *n > 0)
        })?
        .unwrap_or(crate::domain::rate::DEFAULT_MOST);
        let sms_daily_budget =
            optional(&lookup, "SMS_DAILY_BUDGET", "a whole number", |text| text.trim().parse::<u32>().ok())?
                .unwrap_or(crate::domain::rate::DEFAULT_SMS_PER_DAY);
        // The reason only: the value is a secret.
        let contact_secret =
            crate::domain::privacy::ContactSecret::new(get("CONTACT_SECRET")?.trim().as_bytes())
                .map_err(|e| ConfigError::Invalid { name: "CONTACT_SECRET", reason: e.to_string() })?;
        let contact_retention_days =
            optional(&lookup, "CONTACT_RETENTION_DAYS", "a whole number of days above 0", |text| {
                text.trim().parse::<u32>().ok().filter(|n| *n > 0)
            })?
            .unwrap_or(crate::domain::privacy::DEFAULT_RETENTION_DAYS);
        let form_key = match lookup("FORM_SECRET").filter(|v| !v.trim().is_empty()) {
            None => None,
            // The reason only: the value is a secret.
            Some(secret) => Some(
                FormKey::new(secret.trim().as_bytes())
                    .map_err(|e| ConfigError::Invalid { name: "FORM_SECRET", reason: e.to_string() })?,
            ),
        };
        let place_index = match lookup("ADDRESS_SOURCE").as_deref().map(str::trim) {
            None | Some("" | "table") => None,
            Some("location") => Some(PlaceIndex {
                name: get("PLACE_INDEX_NAME").map(|n| n.trim().to_owned()).map_err(|_| {
                    ConfigError::Invalid {
                        name: "PLACE_INDEX_NAME",
                        reason: "ADDRESS_SOURCE location needs the place index's name".into(),
                    }
                })?,
                bias: optional(&lookup, "TOWN_MAP_CENTER", "lat,long", |text| {
                    let (lat, long) = text.split_once(',')?;
                    crate::domain::location::GeoPoint::parse(Some(lat), Some(long)).ok().flatten()
                })?,
            }),
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "ADDRESS_SOURCE",
                    reason: format!("expected table or location, got {other}"),
                });
            }
        };
        let mail_domain = lookup("MAIL_DOMAIN").map(|d| d.trim().trim_matches('.').to_ascii_lowercase());
        let mail = match (mail_domain.filter(|d| !d.is_empty()), lookup("REPLY_SECRET")) {
            (None, _) => None,
            (Some(domain), Some(secret)) if !secret.trim().is_empty() => {
                if !domain.contains('.') || domain.contains(['@', ' ', '/']) {
                    return Err(ConfigError::Invalid {
                        name: "MAIL_DOMAIN",
                        reason: format!("expected a domain such as 311.millbrook.gov, got {domain}"),
                    });
                }
                // The reason only: the value is a secret.
                let key = crate::domain::conversation::ReplyKey::new(secret.trim().as_bytes())
                    .map_err(|e| ConfigError::Invalid { name: "REPLY_SECRET", reason: e.to_string() })?;
                Some(InboundMail { domain, key })
            }
            (Some(_), _) => {
                return Err(ConfigError::Invalid {
                    name: "REPLY_SECRET",
                    reason: "MAIL_DOMAIN needs a REPLY_SECRET to sign reply addresses with".into(),
                });
            }
        };
        let sms_number = optional(&lookup, "SMS_NUMBER", "a phone number such as +15555550311", |text| {
            crate::domain::contact::Phone::parse(text).ok()
        })?;
        let inbound = Inbound {
            mail,
            sms_number,
            triage_department: get("TRIAGE_DEPARTMENT")
                .map(|d| d.trim().to_owned())
                .unwrap_or_else(|_| "CLERK".into()),
        };
        Ok(Self {
            contact_secret,
            contact_retention_days,
            inbound,
            place_index,
            sms_daily_budget,
            api_key_policy,
            form_key,
            sms_countries,
            client_write_limit,
            web_origin: get("WEB_ORIGIN").ok(),
            public_url: get("PUBLIC_URL").ok().map(|u| u.trim().trim_end_matches('/').to_owned()),
            mail_from: get("MAIL_FROM").ok(),
            dead_letter_queue_url: get("DEAD_LETTER_QUEUE_URL").ok(),
            notify_topic_arn: get("NOTIFY_TOPIC_ARN").ok(),
            town_name: get("TOWN_NAME")?,
            timezone,
            jurisdiction_id: get("JURISDICTION_ID").ok(),
            table_name: get("TABLE_NAME")?,
            photo_bucket: get("PHOTO_BUCKET")?,
            events_topic_arn: get("EVENTS_TOPIC_ARN")?,
            s3_force_path_style,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        move |k| map.get(k).cloned()
    }

    const BASE: &[(&str, &str)] = &[
        ("TOWN_NAME", "Millbrook"),
        ("TOWN_TIMEZONE", "America/New_York"),
        ("TABLE_NAME", "t"),
        ("PHOTO_BUCKET", "b"),
        ("EVENTS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:e"),
        ("CONTACT_SECRET", "0123456789abcdef0123456789abcdef"),
    ];

    #[test]
    fn reads_a_complete_environment() {
        let c = Config::from_lookup(env(BASE)).unwrap();
        assert_eq!(c.timezone, crate::domain::zone::TownZone::named("America/New_York").unwrap());
        assert_eq!(c.jurisdiction_id, None);
        assert!(!c.s3_force_path_style);
        assert_eq!(c.api_key_policy, KeyPolicy::Open);
        assert!(c.form_key.is_none());
    }

    #[test]
    fn a_form_secret_is_read_and_a_short_one_refused_without_showing_it() {
        let mut with = BASE.to_vec();
        with.push(("FORM_SECRET", "0123456789abcdef0123456789abcdef"));
        let key = Config::from_lookup(env(&with)).unwrap().form_key.unwrap();
        assert!(key.verify(&key.mint(1_000), 1_000).is_ok());
        let mut short = BASE.to_vec();
        short.push(("FORM_SECRET", "hunter2"));
        let error = Config::from_lookup(env(&short)).unwrap_err().to_string();
        assert!(error.contains("FORM_SECRET") && !error.contains("hunter2"), "{error}");
    }

    #[test]
    fn a_contact_secret_is_required_and_retention_defaults_to_ninety_days() {
        let without: Vec<_> = BASE.iter().copied().filter(|(k, _)| *k != "CONTACT_SECRET").collect();
        assert!(Config::from_lookup(env(&without)).unwrap_err().to_string().contains("CONTACT_SECRET"));
        let mut short = without.clone();
        short.push(("CONTACT_SECRET", "hunter2"));
        let error = Config::from_lookup(env(&short)).unwrap_err().to_string();
        assert!(error.contains("CONTACT_SECRET") && !error.contains("hunter2"), "{error}");
        assert_eq!(Config::from_lookup(env(BASE)).unwrap().contact_retention_days, 90);
        let mut days = BASE.to_vec();
        days.push(("CONTACT_RETENTION_DAYS", "30"));
        assert_eq!(Config::from_lookup(env(&days)).unwrap().contact_retention_days, 30);
        days.push(("CONTACT_RETENTION_DAYS", "0"));
        let zero: Vec<_> = days.iter().copied().filter(|p| *p != ("CONTACT_RETENTION_DAYS", "30")).collect();
        assert!(Config::from_lookup(env(&zero)).is_err());
    }

    #[test]
    fn names_what_is_missing_or_wrong() {
        let missing = Config::from_lookup(env(&BASE[1..])).unwrap_err();
        assert!(missing.to_string().contains("TOWN_NAME"));
        let mut bad = BASE.to_vec();
        bad[1] = ("TOWN_TIMEZONE", "Mars/Olympus");
        assert!(Config::from_lookup(env(&bad)).unwrap_err().to_string().contains("TOWN_TIMEZONE"));
        let mut bad = BASE.to_vec();
        bad.push(("API_KEY_POLICY", "sometimes"));
        assert!(Config::from_lookup(env(&bad)).unwrap_err().to_string().contains("API_KEY_POLICY"));
    }

    #[test]
    fn addresses_come_from_the_table_unless_a_place_index_is_named() {
        assert_eq!(Config::from_lookup(env(BASE)).unwrap().place_index, None);
        let mut table = BASE.to_vec();
        table.extend([("ADDRESS_SOURCE", "table"), ("PLACE_INDEX_NAME", "ignored")]);
        assert_eq!(Config::from_lookup(env(&table)).unwrap().place_index, None);
        let mut location = BASE.to_vec();
        location.extend([
            ("ADDRESS_SOURCE", "location"),
            ("PLACE_INDEX_NAME", "millbrook"),
            ("TOWN_MAP_CENTER", "42.265,-71.805"),
        ]);
        let index = Config::from_lookup(env(&location)).unwrap().place_index.unwrap();
        assert_eq!(index.name, "millbrook");
        assert_eq!(index.bias.map(|p| (p.lat(), p.long())), Some((42.265, -71.805)));
        let mut unnamed = BASE.to_vec();
        unnamed.push(("ADDRESS_SOURCE", "location"));
        assert!(Config::from_lookup(env(&unnamed)).unwrap_err().to_string().contains("PLACE_INDEX_NAME"));
        let mut other = BASE.to_vec();
        other.push(("ADDRESS_SOURCE", "google"));
        assert!(Config::from_lookup(env(&other)).unwrap_err().to_string().contains("ADDRESS_SOURCE"));
    }
}
