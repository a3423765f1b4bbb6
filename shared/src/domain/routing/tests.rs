use super::*;
use crate::domain::catalog::CatalogSeed;
use crate::domain::contact::Reporter;
use crate::domain::description::Description;
use crate::domain::id::TicketId;
use crate::domain::location::Location;
use crate::domain::status::Status;
use crate::domain::ticket::{Change, Channel, NewRequest};
use chrono::TimeZone;

fn catalog() -> CatalogSeed {
    CatalogSeed::parse(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/seed/catalog.json")))
        .unwrap()
}

fn ticket(service_code: &str, lat: f64, long: f64, description: &str) -> Ticket {
    let catalog = catalog();
    let service = catalog.services.iter().find(|s| s.code == service_code).unwrap();
    let request = NewRequest {
        service_code: service_code.into(),
        location: Location::new(Some(GeoPoint::new(lat, long).unwrap()), None, None).unwrap(),
        description: Description::parse(description).unwrap(),
        answers: Default::default(),
        media_urls: vec![],
        reporter: Reporter::default(),
        channel: Channel::Web,
        uploads: vec![],
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 15, 0, 0).unwrap();
    Ticket::open(TicketId::parse("K7QM-3XPR").unwrap(), service, request, now).0
}

fn decide(service_code: &str, lat: f64, long: f64, description: &str) -> Routing {
    let ticket = ticket(service_code, lat, long, description);
    let fallback = ticket.department.clone();
    demo_rules().decide(&ticket, &fallback, None)
}

fn routed(department: &str, assignee: Option<&str>, rule: Option<&str>) -> Routing {
    Routing {
        department: department.into(),
        assignee: assignee.map(str::to_owned),
        rule: rule.map(str::to_owned),
    }
}

#[test]
fn the_demo_rules_are_consistent_with_the_demo_catalog() {
    let rules = demo_rules();
    assert_eq!(rules.areas.features.len(), 4);
    assert_eq!(rules.duplicate_radius_m, 100);
}

#[test]
fn potholes_go_to_the_crew_of_their_ward() {
    assert_eq!(
        decide("POTHOLE", 42.280, -71.800, "deep"),
        routed("DPW", Some("ana"), Some("potholes-ward-1"))
    );
    assert_eq!(
        decide("POTHOLE", 42.250, -71.820, "deep"),
        routed("DPW", Some("ben"), Some("potholes-ward-2"))
    );
    assert_eq!(
        decide("POTHOLE", 42.250, -71.785, "deep"),
        routed("DPW", Some("carla"), Some("potholes-ward-3"))
    );
}

#[test]
fn a_point_on_a_boundary_is_inside() {
    let rules = demo_rules();
    // On Main Street between wards 1 and 2: in both; the first rule in order decides.
    let on_main_street = GeoPoint::new(42.2645, -71.8325).unwrap();
    assert_eq!(rules.areas_of(on_main_street), vec!["WARD1", "WARD2"]);
    assert_eq!(decide("POTHOLE", 42.2645, -71.8325, "deep").assignee.as_deref(), Some("ana"));
    // On the town line, the east edge of ward 3, and on one of its corners.
    assert_eq!(rules.areas_of(GeoPoint::new(42.2550, -71.770).unwrap()), vec!["WARD3"]);
    assert_eq!(rules.areas_of(GeoPoint::new(42.2480, -71.770).unwrap()), vec!["WARD3"]);
    assert_eq!(decide("POTHOLE", 42.2550, -71.770, "deep").assignee.as_deref(), Some("carla"));
}

#[test]
fn a_point_outside_every_area_falls_back_to_the_service_department() {
    let rules = demo_rules();
    let outside = GeoPoint::new(42.2600, -71.7699).unwrap();
    assert!(rules.areas_of(outside).is_empty());
    assert_eq!(decide("POTHOLE", 42.2600, -71.7699, "deep"), routed("DPW", None, None));
    assert_eq!(decide("GRAFFITI", 42.30, -71.90, "tag"), routed("CODE", None, None));
}

#[test]
fn a_hole_is_not_part_of_its_area() {
    // Downtown graffiti goes to the downtown officer, but not on the Town Common (a hole).
    assert_eq!(
        decide("GRAFFITI", 42.259, -71.808, "tag"),
        routed("CODE", Some("omar"), Some("downtown-graffiti"))
    );
    assert_eq!(decide("GRAFFITI", 42.2625, -71.8025, "tag"), routed("CODE", None, None));
    // On the hole's edge counts as downtown.
    assert_eq!(decide("GRAFFITI", 42.2625, -71.8050, "tag").assignee.as_deref(), Some("omar"));
}

#[test]
fn keywords_match_whole_words_and_phrases() {
    assert_eq!(decide("POTHOLE", 42.280, -71.800, "A huge SINKHOLE!").rule.as_deref(), Some("sinkholes"));
    assert_eq!(
        decide("POTHOLE", 42.280, -71.800, "the road has caved in").rule.as_deref(),
        Some("sinkholes")
    );
    assert_eq!(
        decide("POTHOLE", 42.280, -71.800, "sinkholes-ish caved-inn").rule.as_deref(),
        Some("potholes-ward-1")
    );
    // A tree blocking a road is the road crew's, not the parks department's.
    assert_eq!(
        decide("TREE_DOWN", 42.280, -71.800, "tree blocking the road"),
        routed("DPW", None, Some("trees-blocking-roads"))
    );
    assert_eq!(decide("TREE_DOWN", 42.280, -71.800, "in the park").department, "PARKS");
}

#[test]
fn a_request_without_a_point_is_in_no_area() {
    let mut t = ticket("POTHOLE", 42.280, -71.800, "deep");
    t.location = Location::new(None, Some("12 Main St"), None).unwrap();
    assert_eq!(demo_rules().decide(&t, "DPW", None), routed("DPW", None, None));
}

#[test]
fn within_a_department_only_its_rules_count() {
    let t = ticket("POTHOLE", 42.280, -71.800, "deep");
    assert_eq!(demo_rules().decide(&t, "DPW", Some("CODE")), routed("CODE", None, None));
    assert_eq!(demo_rules().decide(&t, "CODE", Some("DPW")).assignee.as_deref(), Some("ana"));
}

fn parse(json: &str) -> Result<RoutingRules, RulesError> {
    let catalog = catalog();
    RoutingRules::parse(json.as_bytes(), &catalog.services, &catalog.departments)
}

const SQUARE: &str = r#"{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}"#;

fn with_area(geometry: &str, rule: &str) -> String {
    format!(
        r#"{{"areas": {{"type": "FeatureCollection", "features": [{{"type": "Feature",
        "properties": {{"code": "A", "name": "A"}}, "geometry": {geometry}}}]}}, "rules": [{rule}]}}"#
    )
}

#[test]
fn refuses_rules_that_cannot_work() {
    let ok = r#"{"id": "r", "areas": ["A"], "department": "DPW"}"#;
    assert!(parse(&with_area(SQUARE, ok)).is_ok());
    let open_ring = r#"{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}"#;
    assert!(matches!(parse(&with_area(open_ring, ok)), Err(RulesError::Area { .. })));
    let off_earth = r#"{"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]}"#;
    assert!(matches!(parse(&with_area(off_earth, ok)), Err(RulesError::Area { .. })));
    let unknown_department = r#"{"id": "r", "department": "NOPE"}"#;
    assert!(parse(&with_area(SQUARE, unknown_department)).unwrap_err().to_string().contains("NOPE"));
    let unknown_area = r#"{"id": "r", "areas": ["B"], "department": "DPW"}"#;
    assert!(parse(&with_area(SQUARE, unknown_area)).unwrap_err().to_string().contains("area B"));
    let unknown_service = r#"{"id": "r", "services": ["NOPE"], "department": "DPW"}"#;
    assert!(parse(&with_area(SQUARE, unknown_service)).is_err());
    let empty_keyword = r#"{"id": "r", "keywords": [" - "], "department": "DPW"}"#;
    assert!(parse(&with_area(SQUARE, empty_keyword)).is_err());
    assert_eq!(parse(r#"{"rules": [], "duplicate_radius_m": 10}"#), Err(RulesError::Radius));
    assert!(matches!(parse("{"), Err(RulesError::Json(_))));
    let twice = format!("[{ok}, {ok}]");
    assert!(parse(&with_area(SQUARE, &twice[1..twice.len() - 1])).unwrap_err().to_string().contains("twice"));
}

#[test]
fn multipolygons_and_altitudes_are_read() {
    let multi = r#"{"type": "MultiPolygon", "coordinates": [
        [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
        [[[5, 5, 12.5], [6, 5, 12.5], [6, 6, 12.5], [5, 6, 12.5], [5, 5, 12.5]]]]}"#;
    let rules = parse(&with_area(multi, r#"{"id": "r", "areas": ["A"], "department": "DPW"}"#)).unwrap();
    assert_eq!(rules.areas_of(GeoPoint::new(5.5, 5.5).unwrap()), vec!["A"]);
    assert_eq!(rules.areas_of(GeoPoint::new(0.5, 0.5).unwrap()), vec!["A"]);
    assert!(rules.areas_of(GeoPoint::new(3.0, 3.0).unwrap()).is_empty());
}

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 15, minute, 0).unwrap()
}

#[test]
fn routing_a_fresh_ticket_to_a_person_assigns_it() {
    let t = ticket("POTHOLE", 42.280, -71.800, "deep");
    let (next, entry) = t.route(&routed("DPW", Some("ana"), Some("potholes-ward-1")), vec![], at(1)).unwrap();
    assert_eq!((next.status, next.assignee.as_deref(), next.version), (Status::Assigned, Some("ana"), 2));
    assert!(entry.public, "the citizen hears that it is assigned");
    assert!(matches!(entry.change, Change::Routed { from: None, .. }));
    // Routing it again the same way changes nothing, so nothing is written.
    assert!(next.route(&routed("DPW", Some("ana"), Some("potholes-ward-1")), vec![], at(2)).is_none());
}

#[test]
fn routing_elsewhere_moves_the_ticket() {
    let t = ticket("TREE_DOWN", 42.280, -71.800, "blocking the road");
    let (next, entry) = t.route(&routed("DPW", None, Some("trees-blocking-roads")), vec![], at(1)).unwrap();
    assert_eq!((next.department.as_str(), next.status), ("DPW", Status::Submitted));
    assert!(entry.public);
    assert_eq!(entry.department, "DPW");
    assert!(matches!(entry.change, Change::Routed { from: Some(ref d), .. } if d == "PARKS"));
}

#[test]
fn duplicates_alone_are_an_internal_change() {
    let t = ticket("POTHOLE", 42.280, -71.800, "deep");
    let other = TicketId::parse("AAAA-BBBB").unwrap();
    let (next, entry) =
        t.route(&routed("DPW", None, None), vec![other.clone(), t.id.clone()], at(1)).unwrap();
    assert_eq!(next.possible_duplicates, vec![other.clone()]);
    assert!(!entry.public);
    assert!(next.route(&routed("DPW", None, None), vec![other], at(2)).is_none());
}

#[test]
fn a_closed_ticket_is_not_routed() {
    let mut t = ticket("POTHOLE", 42.280, -71.800, "deep");
    t.status = Status::Closed;
    assert!(t.route(&routed("DPW", Some("ana"), None), vec![], at(1)).is_none());
}
