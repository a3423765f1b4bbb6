//! Canned responses: the words staff write again and again ("Which side of the street?",
//! "Crew scheduled"), kept by admins per service and status, with placeholders filled from the
//! ticket. A template may go out by itself when staff move a ticket to a status
//! (`auto_on_status`): the reporter hears it as any staff message.

use crate::domain::catalog::{Department, Service};
use crate::domain::contact::Language;
use crate::domain::lifecycle::MAX_MESSAGE_CHARS;
use crate::domain::status::Status;
use crate::domain::zone::TownZone;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The largest templates document, as JSON.
pub const MAX_TEMPLATES_BYTES: usize = 200_000;
/// The most templates a town keeps.
pub const MAX_TEMPLATES: usize = 100;
/// The longest template id (a slug).
pub const MAX_ID_CHARS: usize = 40;
/// The longest name shown in the picker.
pub const MAX_NAME_CHARS: usize = 80;
/// The longest template text: a message's.
pub const MAX_TEXT_CHARS: usize = MAX_MESSAGE_CHARS;

/// The placeholders a template may use, filled from the ticket.
pub const PLACEHOLDERS: [&str; 7] =
    ["ticket", "service", "status", "expected_date", "department", "department_phone", "department_email"];

/// A town's canned responses: one versioned document, replaced whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CannedResponses {
    #[serde(default)]
    pub templates: Vec<Template>,
    /// Increases with every change.
    #[serde(default)]
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// The admin who last changed them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
}

/// What a template is for: a note, a message to the reporter, or either.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Use {
    Note,
    #[default]
    Message,
    Both,
}

impl Use {
    pub fn message(self) -> bool {
        matches!(self, Self::Message | Self::Both)
    }

    pub fn note(self) -> bool {
        matches!(self, Self::Note | Self::Both)
    }
}

/// One canned response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// A short slug, unique in the document.
    pub id: String,
    /// Shown in the picker.
    pub name: String,
    pub text: String,
    /// The words for Spanish-speaking citizens; `text` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_es: Option<String>,
    /// Service codes it fits (any, if empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// Statuses it fits (any, if empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<Status>,
    #[serde(default, rename = "use")]
    pub use_for: Use,
    /// When staff move a ticket of a fitting service to this status, the message goes out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_on_status: Option<Status>,
}

/// The document as an admin sends it: statuses as words, so a wrong one is named.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    templates: Vec<TemplateInput>,
    /// The version seen, as GET gave it; `If-Match` is what guards the write.
    #[serde(default)]
    #[allow(dead_code)]
    version: Option<u64>,
    #[serde(default)]
    #[allow(dead_code)]
    updated_at: Option<serde_json::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    updated_by: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateInput {
    id: String,
    name: String,
    text: String,
    #[serde(default)]
    text_es: Option<String>,
    #[serde(default)]
    services: Vec<String>,
    #[serde(default)]
    statuses: Vec<String>,
    #[serde(default, rename = "use")]
    use_for: Option<String>,
    #[serde(default)]
    auto_on_status: Option<String>,
}

/// Templates that cannot be kept, with what is wrong, naming the template and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplatesError {
    #[error("the templates are not {{\"templates\": [...]}} as JSON: {0}")]
    Json(String),
    #[error("the templates are too large (at most {MAX_TEMPLATES_BYTES} bytes as JSON)")]
    TooLarge,
    #[error("templates: at most {MAX_TEMPLATES}")]
    TooMany,
    #[error("template {template}: {problem}")]
    Template { template: String, problem: String },
}

fn status_named(word: &str) -> Option<Status> {
    Status::ALL.into_iter().find(|s| s.as_str() == word.trim())
}

/// Plain text of 1 to `max` characters (new lines allowed), trimmed.
fn plain(text: &str, max: usize, lines: bool) -> Option<String> {
    let text = text.trim();
    let ok = !text.is_empty()
        && text.chars().count() <= max
        && !text.chars().any(|c| c.is_control() && !(lines && c == '\n'));
    ok.then(|| text.to_owned())
}

/// The first placeholder of `text` that is not one of [`PLACEHOLDERS`].
fn unknown_placeholder(text: &str) -> Option<String> {
    placeholders(text).find(|name| !PLACEHOLDERS.contains(name)).map(str::to_owned)
}

/// Every `{name}` in `text` whose name is lower-case letters, digits and `_`; other braces are
/// plain text.
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split('{').skip(1).filter_map(|after| {
        let (name, _) = after.split_once('}')?;
        let word = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        word.then_some(name)
    })
}

impl CannedResponses {
    /// Parses and checks an admin's document against the catalog's services.
    pub fn parse(json: &[u8], services: &[Service]) -> Result<Self, TemplatesError> {
        if json.len() > MAX_TEMPLATES_BYTES {
            return Err(TemplatesError::TooLarge);
        }
        let input: Input = serde_json::from_slice(json).map_err(|e| TemplatesError::Json(e.to_string()))?;
        if input.templates.len() > MAX_TEMPLATES {
            return Err(TemplatesError::TooMany);
        }
        let mut ids = BTreeSet::new();
        let mut templates: Vec<Template> = Vec::with_capacity(input.templates.len());
        for given in input.templates {
            let fail = |problem: String| TemplatesError::Template { template: given.id.clone(), problem };
            let slug = !given.id.is_empty()
                && given.id.chars().count() <= MAX_ID_CHARS
                && given
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !slug {
                return Err(fail(format!(
                    "id must be 1 to {MAX_ID_CHARS} lower-case letters, digits, '-' or '_'"
                )));
            }
            if !ids.insert(given.id.clone()) {
                return Err(fail("id appears twice".into()));
            }
            let name = plain(&given.name, MAX_NAME_CHARS, false).ok_or_else(|| {
                fail(format!("name must be plain text of 1 to {MAX_NAME_CHARS} characters"))
            })?;
            let text = plain(&given.text, MAX_TEXT_CHARS, true).ok_or_else(|| {
                fail(format!("text must be plain text of 1 to {MAX_TEXT_CHARS} characters"))
            })?;
            let text_es = match given.text_es.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                Some(es) => Some(plain(es, MAX_TEXT_CHARS, true).ok_or_else(|| {
                    fail(format!("text_es must be plain text of at most {MAX_TEXT_CHARS} characters"))
                })?),
                None => None,
            };
            for (field, words) in [("text", Some(&text)), ("text_es", text_es.as_ref())] {
                if let Some(unknown) = words.and_then(|w| unknown_placeholder(w)) {
                    return Err(fail(format!(
                        "{field}: unknown placeholder {{{unknown}}} (known: {})",
                        PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                    )));
                }
            }
            if let Some(unknown) = given.services.iter().find(|s| !services.iter().any(|c| &c.code == *s)) {
                return Err(fail(format!("services: {unknown} is not in the catalog")));
            }
            let statuses = given
                .statuses
                .iter()
                .map(|s| status_named(s).ok_or_else(|| fail(format!("statuses: {s} is not a status"))))
                .collect::<Result<Vec<_>, _>>()?;
            let use_for = match given.use_for.as_deref().map(str::trim) {
                None => Use::default(),
                Some("note") => Use::Note,
                Some("message") => Use::Message,
                Some("both") => Use::Both,
                Some(_) => return Err(fail("use must be note, message or both".into())),
            };
            let auto_on_status = match given.auto_on_status.as_deref() {
                None => None,
                Some(word) => Some(
                    status_named(word)
                        .ok_or_else(|| fail(format!("auto_on_status: {word} is not a status")))?,
                ),
            };
            if auto_on_status.is_some() && !use_for.message() {
                return Err(fail("auto_on_status sends a message: use must be message or both".into()));
            }
            let template = Template {
                id: given.id.clone(),
                name,
                text,
                text_es,
                services: given.services.clone(),
                statuses,
                use_for,
                auto_on_status,
            };
            if let Some(other) = templates.iter().find(|t| t.overlaps_automatically(&template)) {
                return Err(fail(format!(
                    "auto_on_status: template {} already goes out on that status for the same services",
                    other.id
                )));
            }
            templates.push(template);
        }
        Ok(Self { templates, version: 0, updated_at: None, updated_by: None })
    }

    /// The templates that fit a ticket of `service` in `status`, in the admin's order.
    pub fn fitting<'a>(
        &'a self,
        service: &'a str,
        status: Status,
    ) -> impl Iterator<Item = &'a Template> + 'a {
        self.templates.iter().filter(move |t| t.fits(service, status))
    }

    /// The message that goes out by itself when a ticket of `service` moves to `status`: the
    /// one naming the service, else the one for any service.
    pub fn automatic(&self, service: &str, status: Status) -> Option<&Template> {
        let on = |t: &&Template| t.auto_on_status == Some(status);
        let named = self.templates.iter().filter(on).find(|t| t.services.iter().any(|s| s == service));
        named.or_else(|| self.templates.iter().filter(on).find(|t| t.services.is_empty()))
    }
}

impl Template {
    /// Whether it fits a ticket of `service` in `status`.
    pub fn fits(&self, service: &str, status: Status) -> bool {
        (self.services.is_empty() || self.services.iter().any(|s| s == service))
            && (self.statuses.is_empty() || self.statuses.contains(&status))
    }

    /// Whether both go out on the same status for a ticket they would both fit: then which one
    /// goes is ambiguous. One for any service and one naming services are fine (the named wins).
    fn overlaps_automatically(&self, other: &Template) -> bool {
        self.auto_on_status.is_some()
            && self.auto_on_status == other.auto_on_status
            && (self.services.is_empty() && other.services.is_empty()
                || self.services.iter().any(|s| other.services.contains(s)))
    }

    /// The words for a reader of `language`.
    pub fn text_in(&self, language: Language) -> &str {
        match (language, &self.text_es) {
            (Language::Es, Some(es)) => es,
            _ => &self.text,
        }
    }
}

/// What the placeholders are filled from.
pub struct Facts<'a> {
    pub ticket: &'a str,
    pub service: &'a str,
    pub status: Status,
    pub expected_at: Option<DateTime<Utc>>,
    pub department: &'a Department,
    pub timezone: TownZone,
    pub language: Language,
}

impl<'a> Facts<'a> {
    /// The facts of `ticket`, handled by `department`, for a reader of `language`.
    pub fn of(
        ticket: &'a crate::domain::ticket::Ticket,
        department: &'a Department,
        timezone: TownZone,
        language: Language,
    ) -> Self {
        Self {
            ticket: ticket.id.as_str(),
            service: &ticket.service_name,
            status: ticket.status,
            expected_at: ticket.expected_at,
            department,
            timezone,
            language,
        }
    }
}

/// Fills the placeholders of `text` from `facts`, in the reader's language, and keeps the result
/// within a message's length. A placeholder that is not known stays as written.
pub fn render(text: &str, facts: &Facts<'_>) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.split_once('}').and_then(|(name, _)| Some((name, fill(name, facts)?)));
        match value {
            Some((name, value)) => {
                out.push_str(&value);
                rest = &after[name.len() + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    if out.chars().count() > MAX_MESSAGE_CHARS {
        out = out.chars().take(MAX_MESSAGE_CHARS).collect();
    }
    out
}

fn fill(name: &str, facts: &Facts<'_>) -> Option<String> {
    let language = facts.language;
    Some(match name {
        "ticket" => facts.ticket.to_owned(),
        "service" => facts.service.to_owned(),
        "status" => crate::domain::notice::status_word(facts.status, language).to_owned(),
        "expected_date" => match facts.expected_at {
            Some(at) => crate::domain::notice::day(at, facts.timezone, language),
            None if language == Language::Es => "pronto".to_owned(),
            None => "soon".to_owned(),
        },
        "department" => facts.department.name.clone(),
        "department_phone" => facts.department.phone.clone(),
        "department_email" => facts.department.email.clone(),
        _ => return None,
    })
}

/// The demo town's canned responses (`infra/seed/templates.json`), checked against the demo
/// catalog.
#[cfg(any(test, feature = "test-util"))]
pub fn demo() -> CannedResponses {
    let catalog = crate::domain::catalog::CatalogSeed::parse(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/seed/catalog.json"
    )))
    .unwrap_or_else(|e| panic!("demo catalog: {e}"));
    CannedResponses::parse(
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/seed/templates.json")),
        &catalog.services,
    )
    .unwrap_or_else(|e| panic!("demo templates: {e}"))
}

#[cfg(test)]
mod tests;
