//! Citizen notifications on the local stack, end to end: a change written by staff reaches the
//! stream, the route function publishes it, the topic's filter lets public events into the
//! notify queue, and the notify function sends SMS (SNS) and email (SES) that the emulator
//! records. Each test tells its own recipients apart by their unique phone or address.

use reqwest::Method;
use serde_json::{Value, json};
use town311_tests::{
    Mail, TestStack, confirm_follow, confirmation_links, fault, fault_saying, log_path, outbox, spawn,
    unique_phone,
};

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
    let token = stack.token(ADMIN.0, ADMIN.1).await;
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
    confirm_follow(&stack, &follower).await;

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
    // The follower hears of the same changes after they confirmed, by email, in Spanish.
    let emails = emails_to(&follower, 5).await;
    assert!(emails[0].subject.contains("confirme"), "the confirmation first: {emails:#?}");
    let emails = &emails[1..];
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
    confirm_follow(&stack, &phone).await;
    act(&stack, &id, 1, json!({"action": "assign", "assignee": "crew-7"})).await;
    assert_eq!(texts_to(&phone, 2).await.len(), 2, "the follower heard of it, after the confirmation");
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
    confirm_follow(&stack, &follower_phone).await;
    confirm_follow(&stack, &follower_email).await;

    act(&stack, &id, 1, json!({"action": "assign", "assignee": "crew-7"})).await;
    let texts = texts_to(&follower_phone, 2).await;
    assert_eq!(texts.len(), 2, "the SMS follower heard, once, after the confirmation: {texts:#?}");
    assert!(texts[1].contains("Assigned to a Public Works crew."));
    let emails = emails_to(&follower_email, 2).await;
    assert_eq!(emails.len(), 2, "the email follower heard");
    // Given time for redeliveries, still exactly one each, and nothing to the refused number.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let sent = outbox().await;
    let count = |phone: &str| sent.sms.iter().filter(|(to, _)| to == phone).count();
    assert_eq!(count(&follower_phone), 2);
    assert_eq!(count(&invalid), 0, "the refused number got nothing");
    assert_eq!(sent.emails.iter().filter(|m| m.to.contains(&follower_email)).count(), 2);
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
    confirm_follow(&stack, &follower_phone).await;
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
    assert_eq!(texts_to(&follower_phone, 2).await.len(), 2, "the +1 follower heard");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let sent = outbox().await;
    assert!(sent.sms.iter().all(|(to, _)| to != &abroad), "the number abroad was texted: {:?}", sent.sms);
    let ticket = stack.get(&format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(ticket.status, 200, "the report itself was kept");
}

#[tokio::test]
async fn a_follower_hears_nothing_but_the_confirmation_until_they_confirm_and_a_link_works_once() {
    let stack = spawn().await;
    let id = file(&stack, &[]).await;
    let (phone, typed) = unique_phone();
    let address = format!("neighbour-{}@example.org", &phone[2..]);
    follow(&stack, &id, json!({"phone": typed, "language": "es"})).await;
    follow(&stack, &id, json!({"email": address})).await;
    // Following again while pending sends no second confirmation.
    follow(&stack, &id, json!({"phone": typed, "language": "es"})).await;
    act(&stack, &id, 1, json!({"action": "assign", "assignee": "crew-7"})).await;
    act(&stack, &id, 2, json!({"action": "note", "text": "Crew on the way.", "public": true})).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let texts = texts_to(&phone, 1).await;
    assert_eq!(texts.len(), 1, "only the confirmation: {texts:#?}");
    assert!(texts[0].contains("confirme") && texts[0].contains(&id), "in Spanish: {}", texts[0]);
    let emails = emails_to(&address, 1).await;
    assert_eq!(emails.len(), 1, "only the confirmation: {emails:#?}");
    assert!(emails[0].subject.contains("confirm") && !emails[0].body.contains("Crew on the way"));

    // The link's page only asks; the follower is still pending and hears nothing.
    let links = confirmation_links(&phone).await;
    assert_eq!(links.len(), 1);
    assert!(links[0].starts_with(&format!("{}/citizen/v1/follow/confirm?token=", stack.stack.base_url)));
    for _ in 0..2 {
        let page = stack.client.get(&links[0]).send().await.unwrap();
        assert_eq!(page.status().as_u16(), 200);
    }
    let admin = stack.token(ADMIN.0, ADMIN.1).await;
    let listed =
        stack.staff(Method::GET, &format!("/staff/v1/tickets/{id}/followers"), Some(&admin), &[], None).await;
    let followers = listed.json()["followers"].as_array().cloned().unwrap_or_default();
    assert_eq!(followers.len(), 2, "{}", listed.body);
    assert!(followers.iter().all(|f| f["confirmed"] == false), "pending, marked so: {}", listed.body);

    // The button confirms; the link then works no more.
    let confirmed = stack.client.post(&links[0]).send().await.unwrap();
    assert_eq!(confirmed.status().as_u16(), 200);
    let again = stack.client.post(&links[0]).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 404, "a link works once");
    assert_eq!(stack.client.get(&links[0]).send().await.unwrap().status().as_u16(), 404);

    act(&stack, &id, 3, json!({"action": "note", "text": "Patched.", "public": true})).await;
    let texts = texts_to(&phone, 2).await;
    assert_eq!(texts.len(), 2, "the confirmed follower hears the next public change: {texts:#?}");
    assert!(texts[1].contains("Patched."));
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let emails = emails_to(&address, 1).await;
    assert_eq!(emails.len(), 1, "the unconfirmed one still only has the confirmation: {emails:#?}");
    assert_eq!(confirmation_links(&phone).await.len(), 1, "one confirmation, ever");
}

#[tokio::test]
async fn follows_are_capped_per_request_and_per_contact_a_day() {
    let stack = spawn().await;
    let answer = |status: u16, body: &str| {
        let errors: Value = serde_json::from_str(body).unwrap_or_default();
        (status, errors[0]["code"].clone(), errors[0]["description"].as_str().unwrap_or_default().to_owned())
    };
    let post = |id: String, body: Value| {
        let request = stack
            .client
            .post(stack.url(&format!("/citizen/v1/requests/{id}/follow")))
            .header("content-type", "application/json")
            .body(body.to_string());
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    // One contact: ten follows a day, across requests.
    let (phone, typed) = unique_phone();
    let mut ids = Vec::new();
    for _ in 0..11 {
        ids.push(file(&stack, &[]).await);
    }
    for id in &ids[..10] {
        assert_eq!(post(id.clone(), json!({"phone": typed})).await.0, 201);
    }
    let (status, body) = post(ids[10].clone(), json!({"phone": typed})).await;
    let (status, code, description) = answer(status, &body);
    assert_eq!((status, code), (429, json!(429)), "{body}");
    assert!(description.contains("today") && !body.contains(&phone[2..]), "{body}");

    // One request: twenty followers.
    let id = ids[10].clone();
    for n in 0..20 {
        let (status, body) =
            post(id.clone(), json!({"email": format!("n{n}-{}@example.org", &phone[2..])})).await;
        assert_eq!(status, 201, "{body}");
    }
    let late = format!("late-{}@example.org", &phone[2..]);
    let (status, body) = post(id.clone(), json!({"email": late})).await;
    let (status, code, description) = answer(status, &body);
    assert_eq!((status, code), (409, json!(409)), "{body}");
    assert!(description.contains("as many followers") && !body.contains("late-"), "{body}");
}

#[tokio::test]
async fn staff_ask_the_reporter_by_text_and_by_email_and_the_question_stays_out_of_the_public_record() {
    // A town without a mail domain or a two-way number: citizens answer by phone or email
    // (tests/tests/conversations.rs has the town with both).
    let stack = town311_tests::spawn_with(&[("MailDomain", ""), ("SmsNumber", "")]).await;
    let (phone, typed) = unique_phone();
    let by_text = file(&stack, &[("phone", typed.as_str()), ("notify_by", "sms")]).await;
    let address = format!("asked-{}@example.org", &phone[2..]);
    let by_email = file(&stack, &[("email", address.as_str()), ("language", "es")]).await;
    let ask = "Which side of the street is the hole on?";
    act(&stack, &by_text, 1, json!({"action": "message", "text": ask})).await;
    act(&stack, &by_email, 1, json!({"action": "message", "text": ask})).await;

    let texts = texts_to(&phone, 2).await;
    assert_eq!(texts.len(), 2, "the confirmation of the report, then the question: {texts:?}");
    assert!(texts[1].contains(ask) && texts[1].contains("To answer, call (555) 010-2100"), "{}", texts[1]);
    let emails = emails_to(&address, 2).await;
    let asked = emails.iter().find(|m| m.body.contains(ask)).expect("the question by email");
    assert!(
        asked.body.contains("Un mensaje de Public Works") && asked.body.contains("Para responder"),
        "{}",
        asked.body
    );

    let record = stack.get(&format!("/open311/v2/requests/{by_text}.json?extensions=true")).await;
    assert!(!record.body.contains(ask), "an internal message is not public: {}", record.body);
    let staff = stack.ticket_when(&by_text, |t| t["history"].as_array().is_some_and(|h| h.len() >= 2)).await;
    let history = staff["history"].as_array().cloned().unwrap_or_default();
    assert!(
        history.iter().any(|e| e["change"]["type"] == "messaged" && e["change"]["text"] == ask),
        "{staff}"
    );
}

#[tokio::test]
async fn a_send_failure_quoting_the_number_reaches_the_logs_without_it() {
    let stack = spawn().await;
    let (phone, typed) = unique_phone();
    let national = &phone[2..];
    // SNS answering for now with a message that names the number, in two of its forms.
    let message = format!("Rate exceeded for PhoneNumber {phone} ({national}); try again");
    fault_saying("sns", national, true, &message).await;
    let id = file(&stack, &[("phone", typed.as_str()), ("notify_by", "sms")]).await;
    let log = log_path().expect("the tests' log file");
    let mut failed = false;
    for _ in 0..60 {
        let lines = std::fs::read_to_string(&log).unwrap_or_default();
        failed = lines.lines().any(|l| l.contains("send failed; it will be retried") && l.contains(&id));
        if failed {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    fault("sns", national, false).await;
    assert!(failed, "the send failed and was logged");
    assert_eq!(texts_to(&phone, 1).await.len(), 1, "the retry reaches the reporter");
    let lines = std::fs::read_to_string(&log).expect("the log file reads");
    let leaks: Vec<&str> = lines.lines().filter(|l| l.contains(national)).collect();
    assert!(leaks.is_empty(), "the number reached the logs: {leaks:?}");
}
