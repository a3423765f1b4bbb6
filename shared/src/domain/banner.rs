//! The town-wide banner: a few words every citizen page shows (a storm, holiday pickup
//! changes), in English and, when given, Spanish, until an end the admin chooses.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The banner as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Banner {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_es: Option<String>,
    /// When it stops being shown; shown until taken down when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// The admin who set it, and when (staff only).
    pub set_by: String,
    pub set_at: DateTime<Utc>,
}

/// The banner as an admin sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BannerInput {
    pub text: String,
    #[serde(default)]
    pub text_es: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
}

/// The most a banner says, in characters: a line or two on a phone.
pub const MAX_BANNER_CHARS: usize = 300;

/// Why a banner was refused; names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BannerError {
    #[error("text is required (take the banner down with DELETE)")]
    Empty,
    #[error("{0} must be plain text of at most 300 characters")]
    Text(&'static str),
    #[error("until must be a date and time with a timezone, like 2026-12-24T17:00:00-05:00, in the future")]
    Until,
}

impl Banner {
    /// Checks an admin's banner, set by `by` at `now`.
    pub fn parse(input: BannerInput, by: &str, now: DateTime<Utc>) -> Result<Self, BannerError> {
        let text = plain(&input.text, "text")?.ok_or(BannerError::Empty)?;
        let text_es = match input.text_es.as_deref() {
            Some(es) => plain(es, "text_es")?,
            None => None,
        };
        let until = match input.until.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(until) => {
                let at =
                    DateTime::parse_from_rfc3339(until).map_err(|_| BannerError::Until)?.with_timezone(&Utc);
                if at <= now {
                    return Err(BannerError::Until);
                }
                Some(at)
            }
            None => None,
        };
        Ok(Self { text, text_es, until, set_by: by.to_owned(), set_at: now })
    }

    /// Whether citizens see it at `now`.
    pub fn shown(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

/// Trimmed text without control characters; `None` when blank.
fn plain(text: &str, field: &'static str) -> Result<Option<String>, BannerError> {
    let text = text.trim();
    if text.chars().count() > MAX_BANNER_CHARS || text.chars().any(char::is_control) {
        return Err(BannerError::Text(field));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn input(text: &str, until: Option<&str>) -> BannerInput {
        BannerInput { text: text.into(), text_es: Some(" ".into()), until: until.map(Into::into) }
    }

    #[test]
    fn a_banner_is_shown_until_its_end() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        let banner =
            Banner::parse(input(" No pickup on Friday. ", Some("2026-12-04T17:00:00-05:00")), "ana", now)
                .unwrap();
        assert_eq!((banner.text.as_str(), banner.text_es.as_deref()), ("No pickup on Friday.", None));
        assert!(banner.shown(now));
        assert!(!banner.shown(Utc.with_ymd_and_hms(2026, 12, 4, 22, 0, 0).unwrap()));
        let lasting = Banner::parse(input("Storm", None), "ana", now).unwrap();
        assert!(lasting.shown(now + Duration::days(365)));
    }

    #[test]
    fn what_cannot_be_shown_is_refused_by_field() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        assert_eq!(Banner::parse(input("  ", None), "a", now), Err(BannerError::Empty));
        assert_eq!(Banner::parse(input(&"x".repeat(301), None), "a", now), Err(BannerError::Text("text")));
        assert_eq!(Banner::parse(input("a\u{7}b", None), "a", now), Err(BannerError::Text("text")));
        assert_eq!(Banner::parse(input("a", Some("tomorrow")), "a", now), Err(BannerError::Until));
        assert_eq!(
            Banner::parse(input("a", Some("2026-11-30T00:00:00Z")), "a", now),
            Err(BannerError::Until)
        );
        let spanish = BannerInput { text: "a".into(), text_es: Some("\u{0}".into()), until: None };
        assert_eq!(Banner::parse(spanish, "a", now), Err(BannerError::Text("text_es")));
    }
}
