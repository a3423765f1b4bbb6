use super::*;
use chrono::TimeZone;
use serde_json::json;

fn services() -> Vec<Service> {
    crate::domain::catalog::CatalogSeed::parse(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/seed/catalog.json"
    )))
    .unwrap()
    .services
}

fn parse(value: serde_json::Value) -> Result<CannedResponses, TemplatesError> {
    CannedResponses::parse(value.to_string().as_bytes(), &services())
}

fn problem(value: serde_json::Value) -> String {
    parse(value).unwrap_err().to_string()
}

fn one(fields: serde_json::Value) -> serde_json::Value {
    let mut template = json!({"id": "t1", "name": "Hello", "text": "Hello {ticket}"});
    for (k, v) in fields.as_object().unwrap() {
        template[k] = v.clone();
    }
    json!({ "templates": [template] })
}

fn public_works() -> Department {
    Department {
        code: "DPW".into(),
        name: "Public Works".into(),
        phone: "(555) 010-2100".into(),
        email: "publicworks@millbrook.example".into(),
    }
}

fn facts(department: &Department, expected_at: Option<DateTime<Utc>>, language: Language) -> Facts<'_> {
    Facts {
        ticket: "8JXK-RNBS",
        service: "Pothole",
        status: Status::Scheduled,
        expected_at,
        department,
        timezone: crate::domain::zone::TownZone::named("America/New_York").unwrap(),
        language,
    }
}

#[test]
fn the_demo_templates_are_valid() {
    let demo = demo();
    assert!(demo.templates.len() >= 3);
    assert!(demo.templates.iter().all(|t| t.text_es.is_some()), "each in Spanish too");
}

#[test]
fn placeholders_are_filled_in_the_readers_language_and_town_time() {
    let dpw = public_works();
    // 03:30 UTC on the 25th is still the 24th in Millbrook.
    let at = Utc.with_ymd_and_hms(2026, 11, 25, 3, 30, 0).unwrap();
    let text = "{ticket}: {service} is {status}, expected {expected_date}. {department}, {department_phone}, {department_email}";
    assert_eq!(
        render(text, &facts(&dpw, Some(at), Language::En)),
        "8JXK-RNBS: Pothole is scheduled, expected Tue Nov 24. Public Works, (555) 010-2100, publicworks@millbrook.example"
    );
    assert_eq!(
        render("{status}, {expected_date}", &facts(&dpw, Some(at), Language::Es)),
        "programada, mar 24 nov"
    );
    assert_eq!(render("expected {expected_date}", &facts(&dpw, None, Language::En)), "expected soon");
    assert_eq!(render("{expected_date}", &facts(&dpw, None, Language::Es)), "pronto");
}

#[test]
fn braces_that_are_not_placeholders_stay_as_written_and_the_result_fits_a_message() {
    let dpw = public_works();
    let f = facts(&dpw, None, Language::En);
    assert_eq!(render("a { b } {nope} {ticket", &f), "a { b } {nope} {ticket");
    assert_eq!(render("{{ticket}}", &f), "{8JXK-RNBS}");
    let long = format!("{}{{department_email}}", "x".repeat(MAX_TEXT_CHARS - 5));
    assert_eq!(render(&long, &f).chars().count(), MAX_MESSAGE_CHARS);
}

#[test]
fn a_template_fits_its_services_and_statuses_and_speaks_spanish_when_it_can() {
    let doc = parse(json!({"templates": [
        {"id": "any", "name": "Any", "text": "a"},
        {"id": "pothole-open", "name": "P", "text": "p", "text_es": "p-es", "services": ["POTHOLE"],
         "statuses": ["submitted", "assigned"], "use": "both"},
        {"id": "note", "name": "N", "text": "n", "use": "note", "statuses": ["closed"]}
    ]}))
    .unwrap();
    let ids = |service, status| doc.fitting(service, status).map(|t| t.id.as_str()).collect::<Vec<_>>();
    assert_eq!(ids("POTHOLE", Status::Assigned), ["any", "pothole-open"]);
    assert_eq!(ids("STREETLIGHT", Status::Assigned), ["any"]);
    assert_eq!(ids("POTHOLE", Status::Closed), ["any", "note"]);
    let pothole = &doc.templates[1];
    assert_eq!((pothole.text_in(Language::Es), pothole.text_in(Language::En)), ("p-es", "p"));
    assert_eq!(doc.templates[0].text_in(Language::Es), "a", "English when there is no Spanish");
    assert_eq!(doc.templates[0].use_for, Use::Message, "a message unless told");
}

#[test]
fn the_automatic_message_is_the_one_naming_the_service_else_the_one_for_any() {
    let doc = parse(json!({"templates": [
        {"id": "thanks", "name": "T", "text": "t", "auto_on_status": "closed"},
        {"id": "light", "name": "L", "text": "l", "services": ["STREETLIGHT"], "auto_on_status": "closed"},
        {"id": "plain", "name": "P", "text": "p"}
    ]}))
    .unwrap();
    let auto = |service, status| doc.automatic(service, status).map(|t| t.id.as_str());
    assert_eq!(auto("STREETLIGHT", Status::Closed), Some("light"));
    assert_eq!(auto("POTHOLE", Status::Closed), Some("thanks"));
    assert_eq!(auto("POTHOLE", Status::InProgress), None);
}

#[test]
fn what_cannot_be_kept_is_refused_naming_the_template_and_field() {
    assert!(problem(json!({"templates": 3})).starts_with("the templates are not"));
    assert!(problem(one(json!({"colour": "red"}))).contains("unknown field"));
    assert_eq!(
        problem(one(json!({"id": "Has Space"}))),
        format!("template Has Space: id must be 1 to {MAX_ID_CHARS} lower-case letters, digits, '-' or '_'")
    );
    assert!(problem(one(json!({"name": " "}))).starts_with("template t1: name must be"));
    assert!(
        problem(one(json!({"text": "x".repeat(MAX_TEXT_CHARS + 1)})))
            .starts_with("template t1: text must be")
    );
    assert!(problem(one(json!({"text_es": "a\u{7}"}))).starts_with("template t1: text_es must be"));
    assert!(
        problem(one(json!({"text": "Hi {name}"})))
            .starts_with("template t1: text: unknown placeholder {name} (known: {ticket}, ")
    );
    assert!(
        problem(one(json!({"text_es": "Hola {nombre}"})))
            .starts_with("template t1: text_es: unknown placeholder {nombre}")
    );
    assert_eq!(
        problem(one(json!({"services": ["NOPE"]}))),
        "template t1: services: NOPE is not in the catalog"
    );
    assert_eq!(problem(one(json!({"statuses": ["done"]}))), "template t1: statuses: done is not a status");
    assert_eq!(problem(one(json!({"use": "sms"}))), "template t1: use must be note, message or both");
    assert_eq!(
        problem(one(json!({"auto_on_status": "fixed"}))),
        "template t1: auto_on_status: fixed is not a status"
    );
    assert!(
        problem(one(json!({"auto_on_status": "closed", "use": "note"})))
            .contains("use must be message or both")
    );
    let twice =
        json!({"templates": [{"id": "a", "name": "A", "text": "a"}, {"id": "a", "name": "B", "text": "b"}]});
    assert_eq!(problem(twice), "template a: id appears twice");
    let clash = json!({"templates": [
        {"id": "a", "name": "A", "text": "a", "services": ["POTHOLE", "SIGN"], "auto_on_status": "closed"},
        {"id": "b", "name": "B", "text": "b", "services": ["SIGN"], "auto_on_status": "closed"}
    ]});
    assert!(problem(clash).starts_with("template b: auto_on_status: template a already goes out"));
    let many: Vec<_> =
        (0..=MAX_TEMPLATES).map(|i| json!({"id": format!("t{i}"), "name": "n", "text": "t"})).collect();
    assert_eq!(parse(json!({ "templates": many })).unwrap_err(), TemplatesError::TooMany);
    let huge = vec![b' '; MAX_TEMPLATES_BYTES + 1];
    assert_eq!(CannedResponses::parse(&huge, &[]).unwrap_err(), TemplatesError::TooLarge);
}

#[test]
fn a_document_read_back_from_get_may_be_sent_again() {
    let kept = demo();
    let again =
        serde_json::to_vec(&CannedResponses { version: 4, updated_by: Some("ada".into()), ..kept.clone() })
            .unwrap();
    assert_eq!(CannedResponses::parse(&again, &services()).unwrap().templates, kept.templates);
}
