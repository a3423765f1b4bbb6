//! The citizen's own words about a request.

use serde::{Deserialize, Serialize};

/// At most 4,000 characters, as Open311 allows.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;

/// A request's free-text description: plain text, line breaks kept, at most 4,000 characters.
/// It is shown as text everywhere (escaped), never interpreted as markup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Description(String);

/// Why a description was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescriptionError {
    #[error("description is too long ({0} characters; at most 4000)")]
    TooLong(usize),
    #[error("description contains control characters")]
    ControlCharacters,
    #[error("description is empty")]
    Empty,
}

impl Description {
    /// An empty description is no description.
    pub fn parse(text: &str) -> Result<Option<Self>, DescriptionError> {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let chars = text.chars().count();
        if chars > MAX_DESCRIPTION_CHARS {
            return Err(DescriptionError::TooLong(chars));
        }
        if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(DescriptionError::ControlCharacters);
        }
        Ok(Some(Self(text.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Description {
    type Error = DescriptionError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)?.ok_or(DescriptionError::Empty)
    }
}

impl From<Description> for String {
    fn from(d: Description) -> Self {
        d.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_line_breaks_and_trims() {
        let d = Description::parse("  Big hole\r\nnear the school  ").unwrap().unwrap();
        assert_eq!(d.as_str(), "Big hole\nnear the school");
    }

    #[test]
    fn empty_is_none() {
        assert_eq!(Description::parse(" \n "), Ok(None));
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert!(Description::parse(&"é".repeat(4000)).unwrap().is_some());
        assert_eq!(Description::parse(&"é".repeat(4001)), Err(DescriptionError::TooLong(4001)));
    }

    #[test]
    fn refuses_control_characters() {
        assert_eq!(Description::parse("a\u{0}b"), Err(DescriptionError::ControlCharacters));
    }
}
