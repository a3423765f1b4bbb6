//! Reading an Open311 POST body (form-urlencoded) into a checked `NewRequest`.

use crate::domain::catalog::Answers;
use crate::domain::contact::{ContactError, Language, NotifyBy, Reporter, ReporterInput};
use crate::domain::description::{Description, DescriptionError};
use crate::domain::location::{GeoPoint, Location, LocationError};
use crate::domain::ticket::{Channel, NewRequest};

/// The fields of a form, in order, repeated names kept.
#[derive(Debug, Default)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

/// Why a submission's fields were refused.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("the request body is not valid form-urlencoded UTF-8")]
    Malformed,
    #[error("service_code is required")]
    MissingServiceCode,
    #[error(transparent)]
    Location(#[from] LocationError),
    #[error(transparent)]
    Description(#[from] DescriptionError),
    #[error(transparent)]
    Contact(#[from] ContactError),
    #[error("media_url must be an http or https URL of at most 2048 characters")]
    MediaUrl,
    #[error("at most {0} media_url values are accepted")]
    TooManyMedia(usize),
    #[error("notify_by must be email, sms or none")]
    NotifyBy,
    #[error("language must be en or es")]
    Language,
}

const MAX_MEDIA: usize = 5;
const MAX_URL: usize = 2048;

impl Form {
    /// Parses an `application/x-www-form-urlencoded` body.
    pub fn parse_urlencoded(body: &[u8]) -> Result<Self, FormError> {
        let pairs = body
            .split(|b| *b == b'&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let mut halves = pair.splitn(2, |b| *b == b'=');
                let key = decode_component(halves.next().unwrap_or_default())?;
                let value = decode_component(halves.next().unwrap_or_default())?;
                Ok((key, value))
            })
            .collect::<Result<_, FormError>>()?;
        Ok(Self { pairs })
    }

    /// A form from fields already decoded (e.g. the text parts of a multipart body).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }

    /// A form from a JSON object of the same fields (staff entry): strings, numbers and booleans
    /// as text, `attributes` as an object of codes to a value or a list of values.
    pub fn from_json(fields: &serde_json::Value) -> Result<Self, FormError> {
        use serde_json::Value;
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let Value::Object(map) = fields else { return Err(FormError::Malformed) };
        let mut pairs = Vec::new();
        for (name, value) in map {
            match (name.as_str(), value) {
                ("attributes", Value::Object(answers)) => {
                    for (code, answer) in answers {
                        let values = match answer {
                            Value::Array(items) => items.iter().filter_map(text).collect(),
                            single => text(single).into_iter().collect::<Vec<_>>(),
                        };
                        pairs.extend(values.into_iter().map(|v| (format!("attribute[{code}]"), v)));
                    }
                }
                (_, Value::Array(items)) => {
                    pairs.extend(items.iter().filter_map(text).map(|v| (name.clone(), v)))
                }
                (_, Value::Null) => {}
                (_, other) => pairs.extend(text(other).map(|v| (name.clone(), v))),
            }
        }
        Ok(Self { pairs })
    }

    /// The first non-empty value of a field: Open311 treats empty and absent alike.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }

    /// Every non-empty value of a repeated field.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `attribute[CODE]=v` and `attribute[CODE][]=v` pairs, by code; empty values kept so the
    /// catalog decides what an empty answer means.
    pub fn answers(&self) -> Answers {
        let mut answers = Answers::new();
        for (key, value) in &self.pairs {
            let Some(rest) = key.strip_prefix("attribute[") else { continue };
            let code = rest.strip_suffix("][]").or_else(|| rest.strip_suffix(']'));
            if let Some(code) = code.filter(|c| !c.is_empty() && !c.contains(['[', ']'])) {
                answers.entry(code.to_owned()).or_default().push(value.clone());
            }
        }
        answers
    }

    /// The `media_url` links (kept as links, never fetched): http or https, bounded in length
    /// and number.
    pub fn media_urls(&self) -> Result<Vec<String>, FormError> {
        let media_urls = self.all("media_url");
        if media_urls.len() > MAX_MEDIA {
            return Err(FormError::TooManyMedia(MAX_MEDIA));
        }
        media_urls
            .into_iter()
            .map(|url| {
                let url = url.trim();
                let web = url.starts_with("https://") || url.starts_with("http://");
                if web && url.len() <= MAX_URL && !url.chars().any(char::is_whitespace) {
                    Ok(url.to_owned())
                } else {
                    Err(FormError::MediaUrl)
                }
            })
            .collect()
    }

    /// Checks every field of a new request except its answers, which need the service.
    pub fn new_request(&self, channel: Channel) -> Result<NewRequest, FormError> {
        let service_code = self.get("service_code").map(str::trim).ok_or(FormError::MissingServiceCode)?;
        let point = GeoPoint::parse(self.get("lat"), self.get("long"))?;
        let location = Location::new(point, self.get("address_string"), self.get("address_id"))?;
        let description = Description::parse(self.get("description").unwrap_or_default())?;
        let media_urls = self.media_urls()?;
        let notify_by =
            self.get("notify_by").map(|v| NotifyBy::parse(v).ok_or(FormError::NotifyBy)).transpose()?;
        let reporter = Reporter::parse(ReporterInput {
            first_name: self.get("first_name"),
            last_name: self.get("last_name"),
            email: self.get("email"),
            phone: self.get("phone"),
            // FixMyStreet spells it `deviceid`.
            device_id: self.get("device_id").or_else(|| self.get("deviceid")),
            account_id: self.get("account_id"),
            notify_by,
            // An unknown language is an error, not a guess: the citizen would not understand.
            language: self
                .get("language")
                .map(|v| Language::parse(v).ok_or(FormError::Language))
                .transpose()?,
        })?;
        Ok(NewRequest {
            service_code: service_code.to_owned(),
            location,
            description,
            answers: self.answers(),
            media_urls,
            reporter,
            channel,
            uploads: vec![],
        })
    }
}

/// Decodes one `+`/percent-encoded component, refusing bad escapes and invalid UTF-8 rather
/// than storing replacement characters in place of what the citizen wrote.
fn decode_component(raw: &[u8]) -> Result<String, FormError> {
    // `+` first: an encoded plus (`%2B`) has no `+` in it yet.
    let spaced: Vec<u8> = raw.iter().map(|&byte| if byte == b'+' { b' ' } else { byte }).collect();
    super::percent_decode_strict(&spaced).ok_or(FormError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> Form {
        Form::parse_urlencoded(body.as_bytes()).unwrap()
    }

    #[test]
    fn reads_a_fixmystreet_style_post() {
        let f = form(
            "service_code=POTHOLE&lat=42.123456&long=-71.5&first_name=Ana&last_name=\
             &email=ana%40example.org&description=Deep%0D%0Ahole&attribute%5Buprn%5D=&\
             attribute%5BSIZE%5D=large&media_url=https%3A%2F%2Fa.example%2F1.jpg&\
             media_url=https%3A%2F%2Fa.example%2F2.jpg&deviceid=abc",
        );
        let r = f.new_request(Channel::Open311).unwrap();
        assert_eq!(r.service_code, "POTHOLE");
        assert_eq!(r.location.point().map(|p| p.lat()), Some(42.123456));
        assert_eq!(r.description.unwrap().as_str(), "Deep\nhole");
        assert_eq!(r.media_urls.len(), 2);
        assert_eq!(r.reporter.last_name, None);
        assert_eq!(r.reporter.device_id.as_deref(), Some("abc"));
        assert_eq!(r.reporter.notify_by, Some(NotifyBy::Email));
        assert_eq!(r.answers["SIZE"], vec!["large"]);
        assert_eq!(r.answers["uprn"], vec![""]);
    }

    #[test]
    fn reads_multi_value_attributes() {
        let f = form("attribute%5BKINDS%5D%5B%5D=a&attribute%5BKINDS%5D%5B%5D=b&attribute%5B%5D=x");
        let answers = f.answers();
        assert_eq!(answers["KINDS"], vec!["a", "b"]);
        assert_eq!(answers.len(), 1);
    }

    #[test]
    fn empty_service_code_is_missing() {
        let err = form("service_code=&lat=1&long=1").new_request(Channel::Web).unwrap_err();
        assert!(matches!(err, FormError::MissingServiceCode));
    }

    #[test]
    fn bad_fields_are_named() {
        let err = form("service_code=X&lat=abc&long=1").new_request(Channel::Web).unwrap_err();
        assert_eq!(err.to_string(), "lat must be a number between -90 and 90");
        let err = form("service_code=X&address_string=a&media_url=javascript:alert(1)")
            .new_request(Channel::Web)
            .unwrap_err();
        assert!(matches!(err, FormError::MediaUrl));
        let kept = form("service_code=X&address_string=a&email=nope").new_request(Channel::Web).unwrap();
        assert_eq!(kept.reporter.email_as_typed.as_deref(), Some("nope"), "kept for staff, not refused");
        let err = form("service_code=X&email=a&email=b&first_name=%01").new_request(Channel::Web);
        assert!(matches!(err, Err(FormError::Contact(ContactError::TooLong { field: "first_name", .. }))));
    }

    #[test]
    fn malformed_utf8_is_refused() {
        assert!(matches!(Form::parse_urlencoded(b"a=%FF%FE"), Err(FormError::Malformed)));
        assert!(matches!(Form::parse_urlencoded(b"a=%4"), Err(FormError::Malformed)));
        assert!(matches!(Form::parse_urlencoded(b"a=%zz"), Err(FormError::Malformed)));
        assert!(matches!(Form::parse_urlencoded(b"a=\xff"), Err(FormError::Malformed)));
        assert!(matches!(Form::parse_urlencoded(b"a=%+1"), Err(FormError::Malformed)));
        assert!(matches!(Form::parse_urlencoded(b"a=%-1"), Err(FormError::Malformed)));
        assert!(matches!(Form::parse_urlencoded(b"a=%\xc3\xa9"), Err(FormError::Malformed)));
    }

    #[test]
    fn decodes_plus_percent_and_utf8() {
        let f = Form::parse_urlencoded(b"d=caf%C3%A9+au+lait&&e&x=a%3Db").unwrap();
        assert_eq!(f.get("d"), Some("caf\u{e9} au lait"));
        assert_eq!(f.get("x"), Some("a=b"));
        assert_eq!(f.get("e"), None);
    }

    mod properties {
        use super::*;
        use crate::hostile;
        use proptest::prelude::*;

        /// Bodies made of the pieces a form decoder meets, in any order.
        fn body() -> impl Strategy<Value = Vec<u8>> {
            let piece = prop_oneof![
                prop::sample::select(vec![
                    "&",
                    "=",
                    "+",
                    "%",
                    "%2",
                    "%C3",
                    "%A9",
                    "%FF",
                    "%+1",
                    "lat",
                    "long",
                    "service_code"
                ])
                .prop_map(|p| p.as_bytes().to_vec()),
                hostile::text().prop_map(String::into_bytes),
                any::<Vec<u8>>(),
            ];
            prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
        }

        proptest! {
            #[test]
            fn any_body_is_a_form_or_malformed(body in body()) {
                if let Ok(form) = Form::parse_urlencoded(&body) {
                    let _ = form.new_request(Channel::Web);
                    let _ = form.answers();
                }
            }

            #[test]
            fn any_field_values_are_a_request_or_refused(values in prop::collection::vec(hostile::text(), 8)) {
                let names = ["service_code", "lat", "long", "email", "phone", "notify_by", "language", "media_url"];
                let pairs = names.iter().zip(values).map(|(n, v)| ((*n).to_owned(), v)).collect();
                let _ = Form::from_pairs(pairs).new_request(Channel::Web);
            }
        }
    }
}
