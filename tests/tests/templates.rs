//! Canned responses on the local stack, over HTTP: admins replace them one version at a time,
//! other staff read them, and a status change that a template goes out on sends it to the
//! reporter through the stream, the topic and the notify function, in the reporter's language.

use reqwest::Method;
use serde_json::{Value, json};
use town311_tests::{TestStack, outbox, spawn, unique_phone};

const ADMIN: (&str, &[&str]) = ("ada", &["admin"]);
const CLERK: (&str, &[&str]) = ("bo", &["dept-DPW"]);

fn templates() -> Value {
    json!({"templates": [
        {"id": "which-side", "name": "Which side of the street?", "use": "message",
         "statuses": ["submitted", "acknowledged"],
         "text": "About request {ticket}: which side of the street is it on?",
         "text_es": "Sobre la solicitud {ticket}: ¿de qué lado de la calle está?"},
        {"id": "thanks", "name": "Fixed — thank you", "services": ["POTHOLE"], "auto_on_status": "closed",
         "text": "Request {ticket} is {status}. Thank you! Questions: {department_phone}.",
         "text_es": "La solicitud {ticket} está {status}. ¡Gracias! Preguntas: {department_phone}."}
    ]})
}

async fn put(stack: &TestStack, who: (&str, &[&str]), if_match: Option<&str>, body: Value) -> (u16, Value) {
    let token = stack.token(who.0, who.1).await;
    let headers: Vec<(&str, &str)> = if_match.map(|v| ("if-match", v)).into_iter().collect();
    let answer = stack.staff(Method::PUT, "/staff/v1/templates", Some(&token), &headers, Some(body)).await;
    (answer.status, serde_json::from_str(&answer.body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn admins_replace_the_templates_one_version_at_a_time_and_staff_read_them() {
    let stack = spawn().await;
    let clerk = stack.token(CLERK.0, CLERK.1).await;
    let empty = stack.staff(Method::GET, "/staff/v1/templates", Some(&clerk), &[], None).await;
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert_eq!(empty.json()["templates"], json!([]));

    let (status, body) = put(&stack, CLERK, None, templates()).await;
    assert_eq!(status, 403, "only admins: {body}");
    let (status, body) = put(&stack, ADMIN, Some("\"0\""), templates()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["version"].as_u64(), body["updated_by"].as_str()), (Some(1), Some("ada")));
    let (status, body) = put(&stack, ADMIN, Some("\"0\""), templates()).await;
    assert_eq!(status, 412, "a stale If-Match: {body}");
    let (status, body) =
        put(&stack, ADMIN, None, json!({"templates": [{"id": "x", "name": "X", "text": "{nope}"}]})).await;
    assert_eq!(status, 400);
    assert!(
        body[0]["description"]
            .as_str()
            .unwrap_or_default()
            .starts_with("template x: text: unknown placeholder")
    );

    let read = stack.staff(Method::GET, "/staff/v1/templates", Some(&clerk), &[], None).await;
    assert_eq!(read.status, 200);
    let read = read.json();
    assert_eq!(read["version"], 1);
    assert_eq!(read["templates"][1]["auto_on_status"], "closed");
    assert_eq!(read["templates"][0]["statuses"], json!(["submitted", "acknowledged"]));
}

#[tokio::test]
async fn closing_a_pothole_sends_the_canned_thanks_to_the_reporter_in_their_language() {
    let stack = spawn().await;
    assert_eq!(put(&stack, ADMIN, None, templates()).await.0, 200);
    let (phone, _) = unique_phone();
    let address = format!("canned-{}@example.org", &phone[2..]);
    let fields = [
        ("service_code", "POTHOLE"),
        ("attribute[SIZE]", "large"),
        ("address_string", "12 Elm St"),
        ("description", "Deep hole"),
        ("email", address.as_str()),
        ("language", "es"),
    ];
    let filed = stack.post_form("/open311/v2/requests.json", &fields).await;
    assert_eq!(filed.status, 200, "{}", filed.body);
    let id = filed.json()[0]["service_request_id"].as_str().unwrap().to_owned();

    // The clerk picks a fitting template for the ticket, filled in.
    let clerk = stack.token(CLERK.0, CLERK.1).await;
    let fitting =
        stack.staff(Method::GET, &format!("/staff/v1/templates?ticket={id}"), Some(&clerk), &[], None).await;
    assert_eq!(fitting.status, 200, "{}", fitting.body);
    let fitting = fitting.json();
    assert_eq!(fitting["templates"][0]["id"], "which-side");
    assert_eq!(
        fitting["templates"][0]["message"],
        format!("Sobre la solicitud {id}: ¿de qué lado de la calle está?")
    );

    let close = json!({"action": "set_status", "status": "closed", "resolution": "fixed", "version": 1});
    let path = format!("/staff/v1/tickets/{id}/actions");
    let answer = stack.staff(Method::POST, &path, Some(&clerk), &[], Some(close)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let thanks = format!("La solicitud {id} está cerrada. ¡Gracias! Preguntas: (555) 010-2100.");
    let view = answer.json();
    assert_eq!(view["ticket"]["version"], 3, "the status change and its message, one write");
    let last = &view["history"][2];
    assert_eq!(
        (last["change"]["type"].as_str(), last["change"]["text"].as_str()),
        (Some("messaged"), Some(thanks.as_str()))
    );
    assert_eq!((last["actor"]["name"].as_str(), last["public"].as_bool()), (Some("bo"), Some(false)));

    // The stream, the topic and notify deliver it as any message.
    let mut sent = Vec::new();
    for _ in 0..60 {
        sent = outbox().await.emails.into_iter().filter(|m| m.to.contains(&address)).collect();
        if sent.iter().any(|m| m.body.contains(&thanks)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let mail = sent
        .iter()
        .find(|m| m.body.contains(&thanks))
        .unwrap_or_else(|| panic!("the thanks by email: {sent:?}"));
    assert!(mail.body.contains("Un mensaje de Public Works"), "{}", mail.body);
    let record = stack.get(&format!("/open311/v2/requests/{id}.json?extensions=true")).await;
    assert!(!record.body.contains("Gracias"), "a message to the reporter is not public: {}", record.body);
}
