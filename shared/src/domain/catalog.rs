//! The town's service catalog: departments, the services citizens can request, and the
//! questions each service asks.

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
    /// Whether a request needs a place (a question about a bill does not).
    #[serde(default)]
    pub location: LocationNeed,
    /// Requests of a private service never appear in public lists, updates or maps; a lookup
    /// by number shows their status only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub private: bool,
    /// Stop and call instead: the form shows this and never submits; the API refuses with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stopper>,
}

/// Whether a service's requests are about a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationNeed {
    /// A point, an address or an address id is required.
    #[default]
    Required,
    /// A place may be given.
    Optional,
    /// Not about a place: any place given is dropped, and the form shows no map.
    None,
}

impl LocationNeed {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::Optional => "optional",
            Self::None => "none",
        }
    }
}

/// "Don't report this here: call now": the text the citizen reads and the number to call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stopper {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// A question asked only when an earlier list question has one of `values`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    /// The code of the earlier list question.
    pub attribute: String,
    /// The keys of its answers that make this question asked.
    pub values: Vec<String>,
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
    /// Asked (and required, if `required`) only when another answer says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown_if: Option<Condition>,
}

fn yes() -> bool {
    true
}

/// One allowed answer of a list question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeChoice {
    pub key: String,
    pub name: String,
    /// Choosing this answer means: stop and call instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stopper>,
}

/// Answers to a service's questions, by attribute code; list questions may hold several.
pub type Answers = BTreeMap<String, Vec<String>>;

impl Service {
    /// Whether the service has questions (Open311 `metadata`).
    pub fn has_definition(&self) -> bool {
        !self.attributes.is_empty()
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
                if let Some(condition) = &attribute.shown_if {
                    let earlier = service.attributes.iter().find(|a| {
                        a.code == condition.attribute
                            && a.order < attribute.order
                            && matches!(a.datatype, Datatype::Singlevaluelist | Datatype::Multivaluelist)
                    });
                    let known = earlier.is_some_and(|a| {
                        !condition.values.is_empty()
                            && condition.values.iter().all(|v| a.values.iter().any(|c| &c.key == v))
                    });
                    if !known {
                        return Err(fail(format!(
                            "attribute {} is shown if {} is one of {:?}: that must be an earlier list \
                             question and its keys",
                            attribute.code, condition.attribute, condition.values
                        )));
                    }
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
        assert_eq!(seed.services.len(), 17);
        let datatypes: std::collections::BTreeSet<&str> =
            seed.services.iter().flat_map(|s| &s.attributes).map(|a| a.datatype.as_str()).collect();
        assert_eq!(datatypes.len(), 6, "the demo shows every Open311 datatype: {datatypes:?}");
        let placeless = seed.services.iter().filter(|s| s.location == LocationNeed::None).count();
        assert_eq!(placeless, 2, "the demo has two requests that are not about a place");
        assert!(seed.services.iter().any(|s| s.private), "the demo shows a private service");
        assert!(seed.services.iter().any(|s| s.stop.is_some()), "the demo shows a stop-and-call service");
        let attributes = || seed.services.iter().flat_map(|s| &s.attributes);
        assert!(attributes().any(|a| a.shown_if.is_some()), "the demo shows a conditional question");
        assert!(
            attributes().flat_map(|a| &a.values).any(|v| v.stop.is_some()),
            "the demo shows a stop-and-call answer"
        );
    }

    #[test]
    fn refuses_a_condition_on_a_later_or_unknown_question() {
        let json = r#"{"departments": [{"code": "D", "name": "D", "phone": "1", "email": "d@e.org"}],
            "services": [{"code": "A", "name": "A", "description": "", "group": "G", "department": "D",
            "attributes": [
              {"code": "WHY", "datatype": "string", "order": 1, "description": "Why?",
               "shown_if": {"attribute": "KIND", "values": ["other"]}},
              {"code": "KIND", "datatype": "singlevaluelist", "order": 2, "description": "Kind?",
               "values": [{"key": "other", "name": "Other"}]}]}]}"#;
        assert!(CatalogSeed::parse(json).unwrap_err().to_string().contains("WHY is shown if KIND"));
        let fixed = json.replace(r#""order": 1"#, r#""order": 3"#);
        assert!(CatalogSeed::parse(&fixed).is_ok());
        let unknown_key = fixed.replace(r#""values": ["other"]"#, r#""values": ["nope"]"#);
        assert!(CatalogSeed::parse(&unknown_key).is_err());
    }

    #[test]
    fn refuses_a_service_of_an_unknown_department() {
        let json = r#"{"departments": [], "services": [{"code": "A", "name": "A", "description": "",
            "group": "G", "department": "NOPE"}]}"#;
        assert!(CatalogSeed::parse(json).unwrap_err().to_string().contains("NOPE"));
    }
}
