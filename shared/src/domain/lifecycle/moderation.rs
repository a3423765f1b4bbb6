//! Redacting public text and hiding requests: the rules (see [`crate::domain::redaction`]).

use super::{Action, LifecycleError, MAX_NOTE_CHARS};
use crate::domain::redaction::{Hidden, REMOVED_TEXT, Reason, Redaction, Target};
use crate::domain::ticket::{Change, HistoryEntry, Ticket};

fn detail(detail: Option<&str>) -> Result<Option<String>, LifecycleError> {
    let Some(detail) = detail.map(str::trim).filter(|d| !d.is_empty()) else { return Ok(None) };
    if detail.chars().count() > MAX_NOTE_CHARS || detail.chars().any(|c| c.is_control() && c != '\n') {
        return Err(LifecycleError::Text("detail"));
    }
    Ok(Some(detail.to_owned()))
}

/// The change with its public note replaced by `text`, if it carries one.
fn with_note(change: &Change, text: &str) -> Option<Change> {
    let mut change = change.clone();
    match &mut change {
        Change::Noted { text: note } | Change::Messaged { text: note, .. } => *note = text.to_owned(),
        Change::StatusChanged { referral: Some(referral), .. } => *referral = text.to_owned(),
        _ => return None,
    }
    Some(change)
}

impl Ticket {
    /// Applies a redact, hide or unhide action: the changed ticket and the staff-only change.
    pub(crate) fn moderate(
        &self,
        action: &Action,
        history: &[HistoryEntry],
    ) -> Result<(Ticket, Change), LifecycleError> {
        match action {
            Action::Redact(redaction) => self.redact(redaction, history),
            Action::Hide(hidden) => self.hide(Some(hidden)),
            Action::Unhide => self.hide(None),
            _ => Err(LifecycleError::Redaction("not a redaction".into())),
        }
    }

    /// The ticket with `redaction` applied, and the change recording it. A note is looked up in
    /// `history`; it must be public. The latest public note the ticket shows goes too.
    pub(crate) fn redact(
        &self,
        redaction: &Redaction,
        history: &[HistoryEntry],
    ) -> Result<(Ticket, Change), LifecycleError> {
        let Redaction { target, entry: version, reason, text, detail: why } = redaction;
        let shown = text.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or(REMOVED_TEXT);
        let mut next = self.clone();
        let (original, version) = match target {
            Target::Description => {
                let original = self
                    .description
                    .as_ref()
                    .ok_or(LifecycleError::Redaction("the request has no description".into()))?;
                next.description = crate::domain::description::Description::parse(shown)
                    .map_err(|e| LifecycleError::Redaction(format!("text: {e}")))?;
                (original.as_str().to_owned(), None)
            }
            Target::Note => {
                let version = version.ok_or(LifecycleError::Redaction(
                    "entry: name the version of the history entry holding the note".into(),
                ))?;
                let note = history
                    .iter()
                    .find(|e| e.version == version && e.public)
                    .and_then(|e| e.change.note().filter(|_| with_note(&e.change, "").is_some()))
                    .ok_or_else(|| {
                        LifecycleError::Redaction(format!(
                            "entry: history entry {version} holds no public note"
                        ))
                    })?;
                if shown.chars().count() > MAX_NOTE_CHARS
                    || shown.chars().any(|c| c.is_control() && c != '\n')
                {
                    return Err(LifecycleError::Text("text"));
                }
                if self.status_notes.as_deref() == Some(note) {
                    next.status_notes = Some(shown.to_owned());
                }
                (note.to_owned(), Some(version))
            }
        };
        let change = Change::Redacted {
            target: *target,
            entry: version,
            reason: *reason,
            text: shown.to_owned(),
            detail: detail(why.as_deref())?,
            // Personal data is dropped for good: staff see only that it was removed, by whom and why.
            original: (*reason != Reason::PersonalData).then_some(original),
        };
        Ok((next, change))
    }

    /// The ticket taken off (`Some`) or put back on (`None`) the public lists, and the change
    /// recording it. Hiding makes the request private, as a private service's are; one of a
    /// private service is never public to begin with.
    pub(crate) fn hide(&self, hidden: Option<&Hidden>) -> Result<(Ticket, Change), LifecycleError> {
        let mut next = self.clone();
        match hidden {
            Some(_) if self.hidden.is_some() => return Err(LifecycleError::Unchanged("hidden")),
            Some(_) if self.private => {
                return Err(LifecycleError::Redaction("a private service's request is never public".into()));
            }
            None if self.hidden.is_none() => return Err(LifecycleError::Unchanged("public")),
            _ => {}
        }
        let hidden = hidden.map(|h| {
            Ok::<_, LifecycleError>(Hidden { reason: h.reason, detail: detail(h.detail.as_deref())? })
        });
        next.hidden = hidden.transpose()?;
        next.private = next.hidden.is_some();
        let change = Change::RequestHidden {
            hidden: next.private,
            reason: next.hidden.as_ref().map(|h| h.reason),
            detail: next.hidden.as_ref().and_then(|h| h.detail.clone()),
        };
        Ok((next, change))
    }
}

/// The earlier history entries `entry` rewrites, as they are to be stored. History is otherwise
/// append-only; these rewrites keep removed words out of every public read of the entries (the
/// record's notes and the public-updates feed) and keep a hidden request's entries off the feed.
pub fn rewrites(entry: &HistoryEntry, history: &[HistoryEntry]) -> Vec<HistoryEntry> {
    let earlier = history.iter().filter(|e| e.ticket_id == entry.ticket_id && e.version < entry.version);
    match &entry.change {
        Change::Redacted { target, entry: version, reason, text, .. } => earlier
            .filter_map(|e| {
                let mut e = e.clone();
                match &e.change {
                    // The note itself, its text replaced.
                    _ if *target == Target::Note && Some(e.version) == *version => {
                        e.change = with_note(&e.change, text)?;
                    }
                    // Personal data goes from earlier redactions of the same text that kept it.
                    Change::Redacted { target: t, entry: v, original: Some(_), .. }
                        if *reason == Reason::PersonalData && t == target && v == version =>
                    {
                        if let Change::Redacted { original, .. } = &mut e.change {
                            *original = None;
                        }
                    }
                    _ => return None,
                }
                Some(e)
            })
            .collect(),
        Change::RequestHidden { hidden, .. } => earlier
            .filter(|e| e.public && e.private_request != *hidden)
            .map(|e| HistoryEntry { private_request: *hidden, ..e.clone() })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests;
