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
