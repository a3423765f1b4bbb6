//! The town's service catalog: departments, the services citizens can request, and the
//! questions each service asks.

use chrono::DateTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A department that handles requests, with the contact citizens are given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub phone: String,
    pub email: String,
}

/// How a service answers a new request (Open311 `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceType {
    /// The answer carries the ticket number at once.
    #[default]
    Realtime,
    Batch,
    Blackbox,
}

impl ServiceType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Realtime => "realtime",
            Self::Batch => "batch",
            Self::Blackbox => "blackbox",
        }
    }
}

/// One kind of request citizens can make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub code: String,
    pub name: String,
    pub description: String,
    pub group: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The code of the department that handles it.
    pub department: String,
    #[serde(default)]
    pub kind: ServiceType,
    #[serde(default)]
    pub attributes: Vec<ServiceAttribute>,
    /// The response the town promises, if it promises one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<crate::domain::sla::ResponseTarget>,
}

/// Open311 attribute datatypes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Datatype {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

impl Datatype {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Datetime => "datetime",
            Self::Text => "text",
            Self::Singlevaluelist => "singlevaluelist",
            Self::Multivaluelist => "multivaluelist",
        }
    }
}

/// One question (or, when not `variable`, one informational note) of a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceAttribute {
    pub code: String,
    #[serde(default = "yes")]
    pub variable: bool,
    pub datatype: Datatype,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub datatype_description: String,
    pub order: u32,
    pub description: String,
    #[serde(default)]
    pub values: Vec<AttributeChoice>,
}

fn yes() -> bool {
    true
}

/// One allowed answer of a list question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeChoice {
    pub key: String,
    pub name: String,
}

/// Answers to a service's questions, by attribute code; list questions may hold several.
pub type Answers = BTreeMap<String, Vec<String>>;

/// Why an answer was refused; always names the attribute.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("attribute[{0}] is required")]
    Missing(String),
    #[error("attribute[{0}] must be a number")]
    NotANumber(String),
    #[error("attribute[{0}] must be a date and time with a timezone, like 2026-11-22T09:30:00-05:00")]
    NotADatetime(String),
    #[error("attribute[{code}] must be one of: {allowed}")]
    NotAChoice { code: String, allowed: String },
    #[error("attribute[{0}] takes a single value")]
    SeveralValues(String),
    #[error("attribute[{0}] is too long (at most 4000 characters)")]
    TooLong(String),
}

const MAX_ANSWER_CHARS: usize = 4000;

impl Service {
    /// Whether the service has questions (Open311 `metadata`).
    pub fn has_definition(&self) -> bool {
        !self.attributes.is_empty()
    }

    /// Checks a submission's answers against this service's questions. Codes the service does
    /// not ask about are dropped (clients send extra ones); empty answers count as absent.
    pub fn check_answers(&self, given: &Answers) -> Result<Answers, AnswerError> {
        let mut kept = Answers::new();
        for attribute in self.attributes.iter().filter(|a| a.variable) {
            let values: Vec<&str> = given
                .get(&attribute.code)
                .into_iter()
                .flatten()
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .collect();
            if values.is_empty() {
                if attribute.required {
                    return Err(AnswerError::Missing(attribute.code.clone()));
                }
                continue;
            }
            attribute.check(&values)?;
            kept.insert(attribute.code.clone(), values.into_iter().map(str::to_owned).collect());
        }
        Ok(kept)
    }
}

impl ServiceAttribute {
    fn check(&self, values: &[&str]) -> Result<(), AnswerError> {
        let code = || self.code.clone();
        if self.datatype != Datatype::Multivaluelist && values.len() > 1 {
            return Err(AnswerError::SeveralValues(code()));
        }
        for value in values {
            if value.chars().count() > MAX_ANSWER_CHARS {
                return Err(AnswerError::TooLong(code()));
            }
            match self.datatype {
                Datatype::String | Datatype::Text => {}
                Datatype::Number => {
                    if !value.parse::<f64>().is_ok_and(f64::is_finite) {
                        return Err(AnswerError::NotANumber(code()));
                    }
                }
                Datatype::Datetime => {
                    if DateTime::parse_from_rfc3339(value).is_err() {
                        return Err(AnswerError::NotADatetime(code()));
                    }
                }
                Datatype::Singlevaluelist | Datatype::Multivaluelist => {
                    if !self.values.iter().any(|choice| choice.key == *value) {
                        let allowed =
                            self.values.iter().map(|c| c.key.as_str()).collect::<Vec<_>>().join(", ");
                        return Err(AnswerError::NotAChoice { code: code(), allowed });
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute(code: &str, datatype: Datatype, required: bool) -> ServiceAttribute {
        ServiceAttribute {
            code: code.into(),
            variable: true,
            datatype,
            required,
            datatype_description: String::new(),
            order: 1,
            description: code.into(),
            values: ["small", "large"]
                .iter()
                .map(|k| AttributeChoice { key: (*k).into(), name: k.to_uppercase() })
                .collect(),
        }
    }

    fn service(attributes: Vec<ServiceAttribute>) -> Service {
        Service {
            code: "POTHOLE".into(),
            name: "Pothole".into(),
            description: String::new(),
            group: "Streets".into(),
            keywords: vec![],
            department: "DPW".into(),
            kind: ServiceType::Realtime,
            attributes,
            target: None,
        }
    }

    fn answers(pairs: &[(&str, &[&str])]) -> Answers {
        pairs.iter().map(|(k, v)| ((*k).into(), v.iter().map(|s| (*s).into()).collect())).collect()
    }

    #[test]
    fn required_answers_must_be_present_and_non_empty() {
        let s = service(vec![attribute("SIZE", Datatype::Singlevaluelist, true)]);
        assert_eq!(s.check_answers(&answers(&[])), Err(AnswerError::Missing("SIZE".into())));
        assert_eq!(s.check_answers(&answers(&[("SIZE", &[" "])])), Err(AnswerError::Missing("SIZE".into())));
    }

    #[test]
    fn unknown_codes_and_empty_optional_answers_are_dropped() {
        let s = service(vec![attribute("DEPTH", Datatype::Number, false)]);
        let kept = s.check_answers(&answers(&[("uprn", &["123"]), ("DEPTH", &[""])])).unwrap();
        assert!(kept.is_empty());
    }

    #[test]
    fn values_are_checked_by_datatype() {
        let s = service(vec![
            attribute("DEPTH", Datatype::Number, false),
            attribute("SEEN", Datatype::Datetime, false),
            attribute("SIZE", Datatype::Singlevaluelist, false),
            attribute("KINDS", Datatype::Multivaluelist, false),
        ]);
        assert_eq!(
            s.check_answers(&answers(&[("DEPTH", &["deep"])])),
            Err(AnswerError::NotANumber("DEPTH".into()))
        );
        assert_eq!(
            s.check_answers(&answers(&[("SEEN", &["yesterday"])])),
            Err(AnswerError::NotADatetime("SEEN".into()))
        );
        assert!(matches!(
            s.check_answers(&answers(&[("SIZE", &["huge"])])),
            Err(AnswerError::NotAChoice { .. })
        ));
        assert_eq!(
            s.check_answers(&answers(&[("SIZE", &["small", "large"])])),
            Err(AnswerError::SeveralValues("SIZE".into()))
        );
        let kept = s
            .check_answers(&answers(&[
                ("DEPTH", &["4.5"]),
                ("SEEN", &["2026-11-22T09:30:00-05:00"]),
                ("KINDS", &["small", "large"]),
            ]))
            .unwrap();
        assert_eq!(kept["KINDS"], vec!["small", "large"]);
    }

    #[test]
    fn informational_attributes_ask_nothing() {
        let mut note = attribute("NOTE", Datatype::Text, true);
        note.variable = false;
        assert!(service(vec![note]).check_answers(&answers(&[])).unwrap().is_empty());
    }
}

/// The town's reference data as one read saw it: what requests are checked and promised against.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    pub services: Vec<Service>,
    pub departments: Vec<Department>,
    pub calendar: Option<crate::domain::sla::BusinessCalendar>,
}

/// A catalog to load (the demo seed, or a town's own file).
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogSeed {
    pub departments: Vec<Department>,
    pub services: Vec<Service>,
    /// The town's working hours and holidays, for response promises.
    #[serde(default)]
    pub calendar: Option<crate::domain::sla::BusinessCalendar>,
}

/// A catalog that contradicts itself.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("catalog is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("service {service}: {problem}")]
    Service { service: String, problem: String },
}

impl CatalogSeed {
    /// Parses and checks a catalog file.
    pub fn parse(json: &str) -> Result<Self, SeedError> {
        let seed: Self = serde_json::from_str(json)?;
        seed.check()?;
        Ok(seed)
    }

    fn check(&self) -> Result<(), SeedError> {
        let mut codes = std::collections::BTreeSet::new();
        for service in &self.services {
            let fail = |problem: String| SeedError::Service { service: service.code.clone(), problem };
            if !codes.insert(service.code.as_str()) {
                return Err(fail("appears twice".into()));
            }
            if !self.departments.iter().any(|d| d.code == service.department) {
                return Err(fail(format!("department {} is not in the catalog", service.department)));
            }
            let mut orders = std::collections::BTreeSet::new();
            for attribute in &service.attributes {
                if attribute.order == 0 || !orders.insert(attribute.order) {
                    return Err(fail(format!("attribute {} needs a unique order above 0", attribute.code)));
                }
                let is_list =
                    matches!(attribute.datatype, Datatype::Singlevaluelist | Datatype::Multivaluelist);
                if is_list == attribute.values.is_empty() {
                    return Err(fail(format!(
                        "attribute {}: list datatypes need values and only they may have them",
                        attribute.code
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod seed_tests {
    use super::*;

    #[test]
    fn the_demo_catalog_is_consistent() {
        let seed = CatalogSeed::parse(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../infra/seed/catalog.json"
        )))
        .unwrap();
        assert_eq!(seed.services.len(), 12);
        let datatypes: std::collections::BTreeSet<&str> =
            seed.services.iter().flat_map(|s| &s.attributes).map(|a| a.datatype.as_str()).collect();
        assert_eq!(datatypes.len(), 6, "the demo shows every Open311 datatype: {datatypes:?}");
    }

    #[test]
    fn refuses_a_service_of_an_unknown_department() {
        let json = r#"{"departments": [], "services": [{"code": "A", "name": "A", "description": "",
            "group": "G", "department": "NOPE"}]}"#;
        assert!(CatalogSeed::parse(json).unwrap_err().to_string().contains("NOPE"));
    }
}
