//! Routing rules: which department, and which person, a request goes to. A town keeps them as
//! data: areas (GeoJSON polygons of wards, districts or crew zones) and an ordered list of
//! rules by service, area and keywords. The first rule that matches decides; a request no rule
//! matches stays with its service's department, unassigned.

use crate::domain::catalog::{Department, Service};
use crate::domain::geo::Polygon;
use crate::domain::location::GeoPoint;
use crate::domain::ticket::{NewRequest, Ticket};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The longest account name an assignee may have (it keys the assignee queue).
pub const MAX_ASSIGNEE_CHARS: usize = 128;

/// The nearby radius used to flag duplicates, unless the rules say otherwise.
pub const DEFAULT_DUPLICATE_RADIUS_M: u32 = 100;
/// The radii a nearby search may use, in metres.
pub const RADIUS_RANGE_M: std::ops::RangeInclusive<u32> = 50..=250;
/// The largest rules document, as JSON (a DynamoDB item holds 400 KB).
pub const MAX_RULES_BYTES: usize = 300_000;
const MAX_RULES: usize = 500;
const MAX_KEYWORDS: usize = 50;
const MAX_CODE_CHARS: usize = 64;

/// A town's routing rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingRules {
    /// Named areas, as a GeoJSON FeatureCollection whose features carry `code` and `name`.
    #[serde(default)]
    pub areas: AreaCollection,
    /// Tried in order; the first that matches decides.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// How close another open request of the same service must be to count as a probable
    /// duplicate, in metres.
    #[serde(default = "default_radius")]
    pub duplicate_radius_m: u32,
    /// Increases with every change of the rules.
    #[serde(default)]
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// The staff account that last changed them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
}

fn default_radius() -> u32 {
    DEFAULT_DUPLICATE_RADIUS_M
}

impl Default for RoutingRules {
    fn default() -> Self {
        Self {
            areas: AreaCollection::default(),
            rules: Vec::new(),
            duplicate_radius_m: DEFAULT_DUPLICATE_RADIUS_M,
            version: 0,
            updated_at: None,
            updated_by: None,
        }
    }
}

/// Areas as a GeoJSON FeatureCollection, the form a town's GIS exports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "FeatureCollection")]
pub struct AreaCollection {
    pub features: Vec<Area>,
}

/// One area: a GeoJSON Feature with a Polygon or MultiPolygon geometry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "Feature")]
pub struct Area {
    pub properties: AreaProperties,
    pub geometry: Geometry,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaProperties {
    pub code: String,
    pub name: String,
}

/// GeoJSON positions are `[long, lat]` (a third number, altitude, is allowed and ignored).
type Position = Vec<f64>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Geometry {
    Polygon { coordinates: Vec<Vec<Position>> },
    MultiPolygon { coordinates: Vec<Vec<Vec<Position>>> },
}

/// One routing rule. Every condition given must hold; a rule with none is a catch-all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// A short name, recorded with each decision it makes.
    pub id: String,
    /// Service codes it applies to (any, if empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// Area codes the request must lie in (any, if empty; a request without a point is in none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub areas: Vec<String>,
    /// Words or phrases, one of which the description must contain (any, if empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// The department responsible.
    pub department: String,
    /// The staff account that takes the work, if the rule names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
}

/// What routing looks at: the service, the point and the description of a request.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub service_code: &'a str,
    pub point: Option<GeoPoint>,
    pub description: Option<&'a str>,
}

impl<'a> From<&'a Ticket> for Subject<'a> {
    fn from(ticket: &'a Ticket) -> Self {
        Self {
            service_code: &ticket.service_code,
            point: ticket.location.point(),
            description: ticket.description.as_ref().map(|d| d.as_str()),
        }
    }
}

impl<'a> From<&'a NewRequest> for Subject<'a> {
    fn from(request: &'a NewRequest) -> Self {
        Self {
            service_code: &request.service_code,
            point: request.location.point(),
            description: request.description.as_ref().map(|d| d.as_str()),
        }
    }
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    pub department: String,
    pub assignee: Option<String>,
    /// The rule that decided, if one did.
    pub rule: Option<String>,
}

/// Rules that cannot be used, with what is wrong, fit for the admin who wrote them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("the rules are not valid JSON: {0}")]
    Json(String),
    #[error("the rules are too large (at most {MAX_RULES_BYTES} bytes as JSON)")]
    TooLarge,
    #[error("area {area}: {problem}")]
    Area { area: String, problem: String },
    #[error("rule {rule}: {problem}")]
    Rule { rule: String, problem: String },
    #[error("duplicate_radius_m must be between 50 and 250")]
    Radius,
}

fn code_ok(code: &str) -> bool {
    !code.is_empty()
        && code.chars().count() <= MAX_CODE_CHARS
        && code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl Geometry {
    /// The polygons, as `[long, lat]` rings.
    fn polygons(&self) -> Vec<Polygon> {
        let polygon = |rings: &Vec<Vec<Position>>| Polygon {
            rings: rings
                .iter()
                .map(|ring| {
                    ring.iter()
                        .map(|p| [p.first().copied().unwrap_or(0.0), p.get(1).copied().unwrap_or(0.0)])
                        .collect()
                })
                .collect(),
        };
        match self {
            Self::Polygon { coordinates } => vec![polygon(coordinates)],
            Self::MultiPolygon { coordinates } => coordinates.iter().map(polygon).collect(),
        }
    }

    fn check(&self) -> Result<(), String> {
        let polygons: Vec<&Vec<Vec<Position>>> = match self {
            Self::Polygon { coordinates } => vec![coordinates],
            Self::MultiPolygon { coordinates } => coordinates.iter().collect(),
        };
        if polygons.is_empty() {
            return Err("the geometry has no polygon".into());
        }
        for rings in polygons {
            if rings.is_empty() {
                return Err("a polygon has no ring".into());
            }
            for ring in rings {
                if ring.len() < 4 {
                    return Err("a ring needs at least 4 positions".into());
                }
                for position in ring {
                    let (Some(&long), Some(&lat)) = (position.first(), position.get(1)) else {
                        return Err("a position needs a longitude and a latitude".into());
                    };
                    if GeoPoint::new(lat, long).is_err() || position.len() > 3 {
                        return Err(format!("position {position:?} is not [longitude, latitude]"));
                    }
                }
                if ring.first().map(|p| &p[..2]) != ring.last().map(|p| &p[..2]) {
                    return Err("a ring must end where it starts".into());
                }
            }
        }
        Ok(())
    }
}

impl Area {
    pub fn covers(&self, point: GeoPoint) -> bool {
        self.geometry.polygons().iter().any(|polygon| polygon.covers(point))
    }
}

/// Lower-case words of a text, for keyword matching.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Whether `phrase` (as words) occurs in `text` (as words).
fn contains_phrase(text: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && text.windows(phrase.len()).any(|window| window == phrase)
}

impl RoutingRules {
    /// Parses and checks a rules document against the catalog.
    pub fn parse(json: &[u8], services: &[Service], departments: &[Department]) -> Result<Self, RulesError> {
        if json.len() > MAX_RULES_BYTES {
            return Err(RulesError::TooLarge);
        }
        let rules: Self = serde_json::from_slice(json).map_err(|e| RulesError::Json(e.to_string()))?;
        rules.check(services, departments)?;
        Ok(rules)
    }

    /// Checks that every area is a proper polygon and every rule names known codes.
    pub fn check(&self, services: &[Service], departments: &[Department]) -> Result<(), RulesError> {
        if !RADIUS_RANGE_M.contains(&self.duplicate_radius_m) {
            return Err(RulesError::Radius);
        }
        let mut area_codes = BTreeSet::new();
        for area in &self.areas.features {
            let code = &area.properties.code;
            let fail = |problem: String| RulesError::Area { area: code.clone(), problem };
            if !code_ok(code) {
                return Err(fail("the code must be 1 to 64 letters, digits, '-', '_' or '.'".into()));
            }
            if !area_codes.insert(code.as_str()) {
                return Err(fail("appears twice".into()));
            }
            area.geometry.check().map_err(fail)?;
        }
        if self.rules.len() > MAX_RULES {
            return Err(RulesError::Rule {
                rule: "(all)".into(),
                problem: format!("at most {MAX_RULES} rules"),
            });
        }
        let mut ids = BTreeSet::new();
        for rule in &self.rules {
            let fail = |problem: String| RulesError::Rule { rule: rule.id.clone(), problem };
            if !code_ok(&rule.id) {
                return Err(fail("the id must be 1 to 64 letters, digits, '-', '_' or '.'".into()));
            }
            if !ids.insert(rule.id.as_str()) {
                return Err(fail("appears twice".into()));
            }
            if !departments.iter().any(|d| d.code == rule.department) {
                return Err(fail(format!("department {} is not in the catalog", rule.department)));
            }
            if let Some(unknown) = rule.services.iter().find(|s| !services.iter().any(|c| &c.code == *s)) {
                return Err(fail(format!("service {unknown} is not in the catalog")));
            }
            if let Some(unknown) = rule.areas.iter().find(|a| !area_codes.contains(a.as_str())) {
                return Err(fail(format!("area {unknown} is not defined")));
            }
            if rule.keywords.len() > MAX_KEYWORDS || rule.keywords.iter().any(|k| words(k).is_empty()) {
                return Err(fail(format!(
                    "keywords must be at most {MAX_KEYWORDS} non-empty words or phrases"
                )));
            }
            if let Some(assignee) = &rule.assignee {
                let chars = assignee.chars().count();
                if chars == 0 || chars > MAX_ASSIGNEE_CHARS || assignee.chars().any(char::is_control) {
                    return Err(fail(format!("assignee must be 1 to {MAX_ASSIGNEE_CHARS} characters")));
                }
            }
        }
        let size = serde_json::to_vec(self).map(|j| j.len()).unwrap_or(usize::MAX);
        if size > MAX_RULES_BYTES {
            return Err(RulesError::TooLarge);
        }
        Ok(())
    }

    /// The codes of the areas a point lies in (on a boundary counts as in).
    pub fn areas_of(&self, point: GeoPoint) -> Vec<&str> {
        self.areas.features.iter().filter(|a| a.covers(point)).map(|a| a.properties.code.as_str()).collect()
    }

    /// Where a request goes. `within` keeps the choice inside one department (when staff moved
    /// the ticket there and only the person is left to pick); `fallback` is the department of
    /// the request's service.
    pub fn decide<'a>(
        &self,
        subject: impl Into<Subject<'a>>,
        fallback: &str,
        within: Option<&str>,
    ) -> Routing {
        let subject = subject.into();
        let areas = subject.point.map(|p| self.areas_of(p)).unwrap_or_default();
        let text = subject.description.map(words).unwrap_or_default();
        let matched = self.rules.iter().filter(|r| within.is_none_or(|d| d == r.department)).find(|rule| {
            (rule.services.is_empty() || rule.services.iter().any(|s| s == subject.service_code))
                && (rule.areas.is_empty() || rule.areas.iter().any(|a| areas.contains(&a.as_str())))
                && (rule.keywords.is_empty()
                    || rule.keywords.iter().any(|k| contains_phrase(&text, &words(k))))
        });
        match matched {
            Some(rule) => Routing {
                department: rule.department.clone(),
                assignee: rule.assignee.clone(),
                rule: Some(rule.id.clone()),
            },
            None => Routing { department: within.unwrap_or(fallback).to_owned(), assignee: None, rule: None },
        }
    }
}

/// The demo town's rules (`infra/seed/routing.json`), checked against the demo catalog.
#[cfg(any(test, feature = "test-util"))]
pub fn demo_rules() -> RoutingRules {
    let catalog = crate::domain::catalog::CatalogSeed::parse(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/seed/catalog.json"
    )))
    .unwrap_or_else(|e| panic!("demo catalog: {e}"));
    RoutingRules::parse(
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/seed/routing.json")),
        &catalog.services,
        &catalog.departments,
    )
    .unwrap_or_else(|e| panic!("demo routing: {e}"))
}

#[cfg(test)]
mod tests;
