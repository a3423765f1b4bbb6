//! The Open311 GeoReport v2 codec: documents and formats, form parsing, public records.

pub mod datetime;
pub mod form;
pub mod multipart;
pub mod params;
pub mod records;
pub mod xml;

/// When the public API last changed (discovery's `changeset`).
pub const CHANGESET: &str = "2026-11-22T00:00:00Z";

/// The format a document is asked for in, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// Splits a document name like `requests.json` into its stem and format.
    pub fn split(document: &str) -> Option<(&str, Self)> {
        let (stem, extension) = document.rsplit_once('.')?;
        let format = match extension.to_ascii_lowercase().as_str() {
            "json" => Self::Json,
            "xml" => Self::Xml,
            _ => return None,
        };
        (!stem.is_empty()).then_some((stem, format))
    }

    /// The `Content-Type` answers are sent with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json; charset=utf-8",
            Self::Xml => "text/xml; charset=utf-8",
        }
    }
}

/// Percent-decodes `raw`, refusing (`None`) a `%` without two hex digits after it and bytes
/// that are not UTF-8, rather than storing a guess in place of what was sent.
pub fn percent_decode_strict(raw: &[u8]) -> Option<String> {
    // `percent_decode` passes a malformed escape through as it is: refuse it first.
    let escapes_whole = raw.iter().enumerate().filter(|(_, byte)| **byte == b'%').all(|(at, _)| {
        raw.get(at + 1..at + 3).is_some_and(|digits| digits.iter().all(u8::is_ascii_hexdigit))
    });
    if !escapes_whole {
        return None;
    }
    percent_encoding::percent_decode(raw).decode_utf8().ok().map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_document_names() {
        assert_eq!(Format::split("requests.json"), Some(("requests", Format::Json)));
        assert_eq!(Format::split("K7QM-3XPR.XML"), Some(("K7QM-3XPR", Format::Xml)));
        assert_eq!(Format::split("services.html"), None);
        assert_eq!(Format::split("services"), None);
        assert_eq!(Format::split(".json"), None);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_document_name_splits_or_not(name in any::<String>()) {
                if let Some((stem, _)) = Format::split(&name) {
                    prop_assert!(!stem.is_empty() && name.starts_with(stem));
                }
            }
        }
    }
}
