//! Conversations with citizens on their own channel: the reply address each email to a citizen
//! carries, what a citizen's answer says once quoted history and signatures are taken out,
//! which language it is in, and where a ticket's conversation stands.

use crate::domain::contact::Language;
use crate::domain::id::TicketId;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// How long a reply address takes answers after the email that carried it.
pub const REPLY_VALID_DAYS: i64 = 90;
/// The longest answer kept (as much as a note holds); the rest is cut with a mark.
pub const MAX_ANSWER_CHARS: usize = 4000;
/// The most photos one answer brings (as many as one request may carry).
pub const MAX_ANSWER_PHOTOS: usize = crate::domain::photo::MAX_PHOTOS;
/// The local part of the town's intake address: `report@<mail domain>` opens a new request.
pub const INTAKE_LOCAL_PART: &str = "report";
/// The code of the requests that came by email or text, waiting for staff to pick their
/// service and place.
pub const TRIAGE_SERVICE: &str = "TRIAGE";
/// The key a reply address is signed with is the secret keyed for this purpose only.
const PURPOSE: &[u8] = b"town311 reply address v1\n";
/// Hex digits of the signature in an address: 80 bits.
const SIGNATURE_HEX: usize = 20;

/// Where a ticket's conversation with its citizen stands, for the staff queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conversation {
    /// Staff wrote to the citizen and have had no answer since.
    WaitingForCitizen,
    /// The citizen wrote since staff last did.
    CitizenAnswered,
}

impl Conversation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WaitingForCitizen => "waiting_for_citizen",
            Self::CitizenAnswered => "citizen_answered",
        }
    }
}

/// The secret reply addresses are signed with (`REPLY_SECRET`, at least 32 bytes). Its
/// `Debug` shows nothing of it.
#[derive(Clone)]
pub struct ReplyKey {
    keyed: Hmac<Sha256>,
}

impl std::fmt::Debug for ReplyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReplyKey(..)")
    }
}

/// Why a reply secret cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the reply secret must be at least 32 bytes (openssl rand -hex 32)")]
pub struct ShortReplySecret;

/// Why an address is not one town311 takes answers at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReplyRefusal {
    /// Not signed with the town's key: made up, or altered.
    #[error("the reply address is not one the town issued")]
    Forged,
    /// Issued longer ago than [`REPLY_VALID_DAYS`], or for a request closed past its reopen
    /// window.
    #[error("the reply address no longer takes answers")]
    Stale,
}

impl ReplyKey {
    pub fn new(secret: &[u8]) -> Result<Self, ShortReplySecret> {
        if secret.len() < 32 {
            return Err(ShortReplySecret);
        }
        let keyed = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| ShortReplySecret)?;
        Ok(Self { keyed })
    }

    fn signature(&self, ticket: &str, day: i64) -> String {
        let mut mac = self.keyed.clone();
        mac.update(PURPOSE);
        mac.update(format!("{ticket}\n{day}").as_bytes());
        let bytes = mac.finalize().into_bytes();
        bytes.iter().take(SIGNATURE_HEX / 2).map(|b| format!("{b:02x}")).collect()
    }

    /// The local part of the reply address for `ticket`, issued at `now`:
    /// `reply-<ticket>-<day>-<signature>`, lower case (mail systems may change case).
    pub fn local_part(&self, ticket: &TicketId, now: DateTime<Utc>) -> String {
        let compact = ticket.as_str().replace('-', "").to_ascii_lowercase();
        let day = now.timestamp().div_euclid(86_400);
        format!("reply-{compact}-{day}-{}", self.signature(&compact, day))
    }

    /// The ticket a reply address's local part stands for, if the town issued it and it
    /// still takes answers at `now`. `None` when it is not a reply address at all.
    pub fn read(&self, local_part: &str, now: DateTime<Utc>) -> Option<Result<TicketId, ReplyRefusal>> {
        let rest = local_part.trim().to_ascii_lowercase();
        let rest = rest.strip_prefix("reply-")?.to_owned();
        let mut parts = rest.splitn(3, '-');
        let (Some(compact), Some(day), Some(signature)) = (parts.next(), parts.next(), parts.next()) else {
            return Some(Err(ReplyRefusal::Forged));
        };
        let (Ok(day), Ok(ticket)) = (day.parse::<i64>(), TicketId::parse(compact)) else {
            return Some(Err(ReplyRefusal::Forged));
        };
        let expected = self.signature(compact, day);
        // Compared in constant time: the signature is the address's only secret.
        let same = expected.len() == signature.len()
            && expected.bytes().zip(signature.bytes()).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0;
        if !same {
            return Some(Err(ReplyRefusal::Forged));
        }
        let issued = DateTime::from_timestamp(day.saturating_mul(86_400), 0)?;
        if now - issued > Duration::days(REPLY_VALID_DAYS) || issued - now > Duration::days(1) {
            return Some(Err(ReplyRefusal::Stale));
        }
        Some(Ok(ticket))
    }
}

/// Lines that start what a mail program quotes of earlier messages, or a signature: the answer
/// is what comes before the first of them.
fn starts_the_tail(line: &str, next: Option<&str>) -> bool {
    let trimmed = line.trim();
    let lower = trimmed.to_lowercase();
    let wrote = |text: &str| {
        let text = text.trim_end();
        text.ends_with("wrote:") || text.ends_with("escribió:") || text.ends_with("a écrit :")
    };
    trimmed == "--"
        || line == "-- "
        || lower.starts_with("-----original message")
        || lower.starts_with("-----mensaje original")
        || lower.starts_with("________________")
        || lower.starts_with("sent from my ")
        || lower.starts_with("enviado desde mi ")
        || lower.starts_with("get outlook for ")
        || (lower.starts_with("on ") || lower.starts_with("el "))
            && (wrote(trimmed) || next.is_some_and(wrote))
        || (lower.starts_with("from:")
            && next.is_some_and(|n| {
                let n = n.trim().to_lowercase();
                n.starts_with("sent:") || n.starts_with("date:") || n.starts_with("to:")
            }))
        || (lower.starts_with("de:")
            && next.is_some_and(|n| {
                let n = n.trim().to_lowercase();
                n.starts_with("enviado:") || n.starts_with("fecha:") || n.starts_with("para:")
            }))
}

/// What a citizen wrote in an email or a text, without the quoted history and signature their
/// mail program added, blank runs closed up, at most [`MAX_ANSWER_CHARS`] characters.
pub fn answer_text(body: &str) -> String {
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = body.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if starts_the_tail(line, lines.get(i + 1).copied()) {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        kept.push(line.trim_end());
    }
    let mut text = String::new();
    let mut blank = 0;
    for line in kept {
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !text.is_empty() {
            text.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        let clean: String = line.chars().map(|c| if c.is_control() && c != '\t' { ' ' } else { c }).collect();
        text.push_str(&clean.replace('\t', " "));
    }
    if text.chars().count() > MAX_ANSWER_CHARS {
        let cut: String = text.chars().take(MAX_ANSWER_CHARS - 2).collect();
        text = format!("{} …", cut.trim_end());
    }
    text
}

/// The language a citizen wrote in, when it can be told: the language their mail says
/// (`Content-Language`), else the one whose common words the text uses more; English when
/// neither tells.
pub fn language_of(text: &str, declared: Option<&str>) -> Language {
    if let Some(language) = declared.and_then(|d| d.split(',').find_map(Language::parse)) {
        return language;
    }
    const ES: &[&str] = &[
        "el", "la", "los", "las", "de", "del", "que", "en", "hay", "una", "un", "por", "favor", "gracias",
        "calle", "está", "esta", "roto", "rota", "basura", "hola", "mi", "es", "con", "no", "se", "y",
    ];
    const EN: &[&str] = &[
        "the", "a", "an", "is", "are", "there", "on", "in", "please", "thanks", "thank", "street", "broken",
        "hello", "hi", "my", "it", "with", "and", "of", "to", "at",
    ];
    let (mut es, mut en) = (0, 0);
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let word = word.to_lowercase();
        es += usize::from(ES.contains(&word.as_str()));
        en += usize::from(EN.contains(&word.as_str()));
    }
    if es > en { Language::Es } else { Language::En }
}

/// What an incoming text is when it is one of the carriers' keywords (the phone service
/// answers those itself and keeps the opt-outs): not a message for the town.
pub fn is_keyword(text: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "STOP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "OPTOUT",
        "HELP",
        "INFO",
        "START",
        "UNSTOP",
        "YES",
        "ALTO",
        "PARAR",
        "AYUDA",
    ];
    let word = text.trim().trim_end_matches(['.', '!']).to_ascii_uppercase();
    KEYWORDS.contains(&word.as_str())
}

/// The ticket numbers written in a text or a subject (`K7QM-3XPR`, `#k7qm3xpr`), at most
/// three, first first. Written with its dash any 4+4 word counts (a number may be all letters);
/// run together, only one with a digit in it, so that a plain 8-letter word is not taken for one.
pub fn tickets_mentioned(text: &str) -> Vec<TicketId> {
    let mut found: Vec<TicketId> = Vec::new();
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        let dashed = word.len() == 9 && word.as_bytes()[4] == b'-';
        let run_together = word.len() == 8 && word.chars().any(|c| c.is_ascii_digit());
        if !(dashed || run_together) {
            continue;
        }
        if let Ok(id) = TicketId::parse(word)
            && !found.contains(&id)
        {
            found.push(id);
            if found.len() == 3 {
                break;
            }
        }
    }
    found
}

/// The service a request that came by email or text has until staff pick its own: private
/// (its words are a person's mail, never published), not about a place until staff say where,
/// in the triage department's queue.
pub fn triage_service(department: &str) -> crate::domain::catalog::Service {
    crate::domain::catalog::Service {
        code: TRIAGE_SERVICE.to_owned(),
        name: "Message to sort".to_owned(),
        description: "A request that came by email or text, waiting for staff to pick its service and place."
            .to_owned(),
        group: String::new(),
        keywords: Vec::new(),
        department: department.to_owned(),
        kind: crate::domain::catalog::ServiceType::Realtime,
        attributes: Vec::new(),
        target: None,
        location: crate::domain::catalog::LocationNeed::Optional,
        private: true,
        stop: None,
    }
}

#[cfg(test)]
mod tests;
