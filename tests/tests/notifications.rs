//! Citizen notifications on the local stack, end to end: a change written by staff reaches the
//! stream, the route function publishes it, the topic's filter lets public events into the
//! notify queue, and the notify function sends SMS (SNS) and email (SES) that the emulator
//! records. Each test tells its own recipients apart by their unique phone or address.

use reqwest::Method;
use serde_json::{Value, json};
use town311_tests::{Mail, TestStack, fault, outbox, spawn, unique_phone};

const ADMIN: (&str, &[&str]) = ("ada", &["admin"]);

async fn file(stack: &TestStack, contact: &[(&str, &str)]) -> String {
    let mut fields = vec![
        ("service_code", "POTHOLE"),
        ("attribute[SIZE]", "large"),
        ("address_string", "12 Elm St"),
        ("description", "Deep hole"),
    ];
    fields.extend_from_slice(contact);
    let answer = stack.post_form("/open311/v2/requests.json", &fields).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()[0]["service_request_id"].as_str().unwrap().to_owned()
}

async fn act(stack: &TestStack, id: &str, version: u64, mut action: Value) {
    action["version"] = json!(version);
    let token = stack.token(ADMIN.0, ADMIN.1);
    let path = format!("/staff/v1/tickets/{id}/actions");
    let answer = stack.staff(Method::POST, &path, Some(&token), &[], Some(action)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// The texts sent to `phone` once there are `count` of them, after one more quiet second
/// (an extra one would show); gives up after 30 seconds.
async fn texts_to(phone: &str, count: usize) -> Vec<String> {
    let mut texts = Vec::new();
    for _ in 0..60 {
        texts = outbox().await.sms.into_iter().filter(|(to, _)| to == phone).map(|(_, t)| t).collect();
        if texts.len() >= count {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            return outbox().await.sms.into_iter().filter(|(to, _)| to == phone).map(|(_, t)| t).collect();
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    texts
}

async fn emails_to(address: &str, count: usize) -> Vec<Mail> {
    let mut emails = Vec::new();
    for _ in 0..60 {
        emails = outbox().await.emails.into_iter().filter(|m| m.to.iter().any(|t| t == address)).collect();
        if emails.len() >= count {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    emails
}

#[tokio::test]
async fn an_sms_reporter_and_a_follower_hear_of_each_public_change_exactly_once() {
    let stack = spawn().await;
    let (phone, typed) = unique_phone();
    let id = file(&stack, &[("phone", typed.as_str()), ("notify_by", "sms")]).await;
    let follower = format!("follower-{}@example.org", &phone[2..]);
    let follow = stack
        .client
        .post(stack.url(&format!("/citizen/v1/requests/{id}/follow")))
        .header("content-type", "application/json")
        .body(json!({"email": follower, "language": "es"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(follow.status().as_u16(), 201);
    assert_eq!(texts_to(&phone, 1).await.len(), 1, "the confirmation first");

    act(&stack, &id, 1, json!({"action": "assign", "assignee": "crew-7"})).await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    act(&stack, &id, 2, json!({"action": "schedule", "at": tomorrow})).await;
    act(&stack, &id, 3, json!({"action": "note", "text": "Caller was rude", "public": false})).await;
    act(&stack, &id, 4, json!({"action": "note", "text": "Patched with cold mix today.", "public": true}))
        .await;
    act(&stack, &id, 5, json!({"action": "set_status", "status": "closed", "resolution": "fixed"})).await;

    let texts = texts_to(&phone, 5).await;
    assert_eq!(texts.len(), 5, "one per public change: {texts:#?}");
    let status_link = format!("{}/status?id={id}", stack.stack.base_url);
    for (text, expected) in texts.iter().zip([
        "We got your Pothole request.",
        "Assigned to a Public Works crew.",
        "Work scheduled for",
        "Update: Patched with cold mix today.",
        "Closed: fixed.",
    ]) {
        assert!(text.starts_with(&format!("Millbrook 311 {id}: ")), "{text}");
        assert!(text.contains(expected), "{text} lacks {expected}");
        assert!(text.contains(&status_link), "{text}");
        assert!(!text.contains("rude") && !text.contains("crew-7"), "nothing internal: {text}");
    }
    // The follower hears of the same changes after they followed, by email, in Spanish.
    let emails = emails_to(&follower, 4).await;
    let subjects: Vec<&str> = emails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            format!("Millbrook 311: solicitud {id} asignada a un equipo"),
            format!("Millbrook 311: solicitud {id} programada"),
            format!("Millbrook 311: solicitud {id} programada"),
            format!("Millbrook 311: solicitud {id} cerrada"),
        ],
        "{emails:#?}"
    );
    assert!(emails[2].body.contains("Patched with cold mix today."));
}

#[tokio::test]
async fn an_email_reporter_can_stop_the_emails_with_one_click() {
    let stack = spawn().await;
    let (phone, typed) = unique_phone();
    let address = format!("reporter-{}@example.org", &phone[2..]);
    let id = file(&stack, &[("email", address.as_str())]).await;
    let emails = emails_to(&address, 1).await;
    assert_eq!(emails.len(), 1);
    let confirmation = &emails[0];
    assert_eq!(confirmation.subject, format!("Millbrook 311: request {id} received"));
    assert!(confirmation.body.contains("We got your Pothole request."));
    assert!(confirmation.body.contains(&confirmation.list_unsubscribe), "the link is in the text too");
    assert!(confirmation.one_click, "RFC 8058 one-click header");

    // Opening the link only asks; a mail scanner fetching it unsubscribes nobody.
    let page = stack.client.get(&confirmation.list_unsubscribe).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("<form method=\"post\""));
    let clicked = stack
        .client
        .post(&confirmation.list_unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(clicked.status().as_u16(), 200);
    let bogus = confirmation.list_unsubscribe.replace("token=", "token=x");
    assert_eq!(stack.client.post(&bogus).send().await.unwrap().status().as_u16(), 404);

    // A follower by SMS still hears; the unsubscribed reporter no longer does.
    let follow = stack
        .client
        .post(stack.url(&format!("/citizen/v1/requests/{id}/follow")))
        .header("content-type", "application/json")
        .body(json!({"phone": typed}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(follow.status().as_u16(), 201);
    act(&stack, &id, 1, json!({"action": "assign", "assignee": "crew-7"})).await;
    assert_eq!(texts_to(&phone, 1).await.len(), 1, "the follower heard of it");
    assert_eq!(emails_to(&address, 1).await.len(), 1, "nothing more to the unsubscribed reporter");
}

#[tokio::test]
async fn a_change_made_while_the_topic_is_down_is_told_once_it_is_back() {
    let stack = spawn().await;
    let (phone, typed) = unique_phone();
    let id = file(&stack, &[("phone", typed.as_str())]).await;
    assert_eq!(texts_to(&phone, 1).await.len(), 1);

    let topic = stack.stack.provisioned.topic_arn.rsplit(':').next().unwrap().to_owned();
    fault("sns", &topic, true).await;
    act(&stack, &id, 1, json!({"action": "assign", "assignee": "crew-7"})).await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let during = outbox().await.sms.into_iter().filter(|(to, _)| to == &phone).count();
    fault("sns", &topic, false).await;
    assert_eq!(during, 1, "nothing could be published while the topic was down");

    let texts = texts_to(&phone, 2).await;
    assert_eq!(texts.len(), 2, "the change arrives once the topic is back, once: {texts:#?}");
    assert!(texts[1].contains("Assigned to a Public Works crew."));
}

/// Has the emulator refuse `to` (a phone number or an address) for good, as AWS refuses an
/// invalid number or a rejected address.
async fn refuse(to: &str) {
    let url = format!(
        "{}/_town311/refuse",
        std::env::var("EMULATOR_URL").expect("EMULATOR_URL is set by make test")
    );
    let answer = reqwest::Client::new().post(url).body(json!({"to": to}).to_string()).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
}

async fn follow(stack: &TestStack, id: &str, contact: Value) {
    let follow = stack
        .client
        .post(stack.url(&format!("/citizen/v1/requests/{id}/follow")))
        .header("content-type", "application/json")
        .body(contact.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(follow.status().as_u16(), 201);
}

#[tokio::test]
async fn a_number_sns_refuses_for_good_holds_back_none_of_the_other_recipients() {
    let stack = spawn().await;
    // The reporter is told first: with an invalid number, nobody after them may wait.
    let (invalid, typed) = unique_phone();
    refuse(&invalid).await;
    let id = file(&stack, &[("phone", typed.as_str()), ("notify_by", "sms")]).await;
    let (follower_phone, follower_typed) = unique_phone();
    let follower_email = format!("follower-{}@example.org", &follower_phone[2..]);
    follow(&stack, &id, json!({"phone": follower_typed})).await;
    follow(&stack, &id, json!({"email": follower_email})).await;

    act(&stack, &id, 1, json!({"action": "assign", "assignee": "crew-7"})).await;
    let texts = texts_to(&follower_phone, 1).await;
    assert_eq!(texts.len(), 1, "the SMS follower heard, once: {texts:#?}");
    assert!(texts[0].contains("Assigned to a Public Works crew."));
    let emails = emails_to(&follower_email, 1).await;
    assert_eq!(emails.len(), 1, "the email follower heard");
    // Given time for redeliveries, still exactly one each, and nothing to the refused number.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let sent = outbox().await;
    let count = |phone: &str| sent.sms.iter().filter(|(to, _)| to == phone).count();
    assert_eq!(count(&follower_phone), 1);
    assert_eq!(count(&invalid), 0, "the refused number got nothing");
    assert_eq!(sent.emails.iter().filter(|m| m.to.contains(&follower_email)).count(), 1);
    // Kept as undeliverable with SNS's code (the confirmation and the change): not retried.
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.stack.sdk);
    let kept = dynamo
        .scan()
        .table_name(&stack.stack.provisioned.table)
        .filter_expression("attribute_exists(undeliverable)")
        .send()
        .await
        .unwrap();
    let codes: Vec<String> =
        kept.items().iter().filter_map(|item| item.get("undeliverable")?.as_s().ok().cloned()).collect();
    assert_eq!(codes, ["InvalidParameter", "InvalidParameter"], "{kept:?}");
}

#[tokio::test]
async fn a_number_outside_the_towns_sms_countries_is_kept_but_never_texted() {
    let stack = spawn().await;
    let (local, _) = unique_phone();
    // A UK mobile number no other test uses.
    let abroad = format!("+447700{}", &local[local.len() - 6..]);
    let id = file(&stack, &[("phone", abroad.as_str()), ("notify_by", "sms")]).await;
    let (follower_phone, follower_typed) = unique_phone();
    follow(&stack, &id, json!({"phone": follower_typed})).await;
    let refused = stack
        .client
        .post(stack.url(&format!("/citizen/v1/requests/{id}/follow")))
        .header("content-type", "application/json")
        .body(json!({"phone": format!("+44 7700 {}", &local[local.len() - 6..])}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    let said = refused.text().await.unwrap();
    assert!(said.contains("phone") && said.contains("+1") && !said.contains("7700"), "{said}");

    act(&stack, &id, 1, json!({"action": "assign", "assignee": "crew-7"})).await;
    assert_eq!(texts_to(&follower_phone, 1).await.len(), 1, "the +1 follower heard");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let sent = outbox().await;
    assert!(sent.sms.iter().all(|(to, _)| to != &abroad), "the number abroad was texted: {:?}", sent.sms);
    let ticket = stack.get(&format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(ticket.status, 200, "the report itself was kept");
}
