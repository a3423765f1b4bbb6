//! Staff take words off the public record (redaction: the description or a public note) and
//! whole requests off the public lists (hiding). The public sees the replacement text, or the
//! status only; staff see why, who, and the original unless it was personal data. The rules are
//! in `lifecycle::moderation`.

use serde::{Deserialize, Serialize};

/// What the public sees in place of removed text when staff give none (pages word it in the
/// reader's language).
pub const REMOVED_TEXT: &str = "[removed by staff]";

/// Why staff removed text or hid a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Someone's name, number, address...: the original is dropped, not kept for staff.
    PersonalData,
    Offensive,
    Other,
}

/// Which public text a redaction replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Description,
    /// The public note of one history entry (a note, a public message, a referral).
    Note,
}

/// A redact action: `{"action":"redact","target":"note","entry":4,"reason":"offensive"}` (the
/// body's `version` is the ticket's, as for every action).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Redaction {
    pub target: Target,
    /// For a note: the version of the history entry holding it.
    #[serde(default)]
    pub entry: Option<u64>,
    pub reason: Reason,
    /// The public text from now on; [`REMOVED_TEXT`] when none is given.
    #[serde(default)]
    pub text: Option<String>,
    /// Why, for staff.
    #[serde(default)]
    pub detail: Option<String>,
}

/// Why a request is off the public lists (staff only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hidden {
    pub reason: Reason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}
