//! Personal data that leaves on time, on the local stack with the test's clock: contacts kept
//! apart from the public ticket and removed by TTL after the retention period (the emulator
//! applies TTL when asked, as DynamoDB does by itself), a person's data exported then erased,
//! and the unsubscribe link forgetting the contact on its request.

use chrono::{Duration, TimeZone, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use town311::runtime::clock::FixedClock;
use town311_tests::{TestStack, confirm_follow, emails_to, spawn, spawn_at, unique_phone};

/// Files a pothole with the reporter's contact; its number.
async fn file(stack: &TestStack, contact: &[(&str, &str)]) -> String {
    let mut fields = vec![
        ("service_code", "POTHOLE"),
        ("attribute[SIZE]", "large"),
        ("address_string", "12 Elm St"),
        ("description", "Deep hole by the school"),
    ];
    fields.extend_from_slice(contact);
    let answer = stack.post_form("/open311/v2/requests.json", &fields).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()[0]["service_request_id"].as_str().unwrap().to_owned()
}

fn contact(text: &str) -> town311::domain::follower::Contact {
    town311_ops::privacy::contact(text).unwrap()
}

/// Asks to follow `id` with `email`: pending until confirmed.
async fn ask_to_follow(stack: &TestStack, id: &str, email: &str) {
    let path = format!("/citizen/v1/requests/{id}/follow");
    let answer = stack.staff(Method::POST, &path, None, &[], Some(json!({ "email": email }))).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
}

async fn follow(stack: &TestStack, id: &str, email: &str) {
    ask_to_follow(stack, id, email).await;
    confirm_follow(stack, email).await;
}

/// Every item of the stack's table, as JSON text, one per item (a test may scan: the product
/// never does).
async fn table_items(stack: &TestStack) -> Vec<String> {
    let client = aws_sdk_dynamodb::Client::new(&stack.stack.sdk);
    let mut pages = client.scan().table_name(&stack.stack.provisioned.table).into_paginator().items().send();
    let mut items = Vec::new();
    while let Some(item) = pages.next().await {
        let item: Value = serde_dynamo::from_item(item.expect("a scan page")).expect("an item");
        items.push(item.to_string());
    }
    items
}

/// The items holding any of `traces` (in any case).
async fn holding(stack: &TestStack, traces: &[&str]) -> Vec<String> {
    let traces: Vec<String> = traces.iter().map(|t| t.to_lowercase()).collect();
    table_items(stack)
        .await
        .into_iter()
        .filter(|item| traces.iter().any(|t| item.to_lowercase().contains(t)))
        .collect()
}

/// Applies DynamoDB's TTL in the emulator as of `now`; how many items it deleted.
async fn time_to_live(stack: &TestStack, now: chrono::DateTime<Utc>) -> u64 {
    let url = format!("{}/_town311/ttl", std::env::var("EMULATOR_URL").unwrap());
    let body = json!({ "table": stack.stack.provisioned.table, "now": now.timestamp() });
    let answer = reqwest::Client::new().post(url).body(body.to_string()).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    answer.json::<Value>().await.unwrap()["deleted"].as_u64().unwrap()
}

/// The public record of a request in both formats, as any Open311 client reads it.
async fn public_record(stack: &TestStack, id: &str) -> (String, String) {
    let json = stack.get(&format!("/open311/v2/requests/{id}.json?extensions=true")).await;
    let xml = stack.get(&format!("/open311/v2/requests/{id}.xml?extensions=true")).await;
    assert_eq!((json.status, xml.status), (200, 200));
    (json.body, xml.body)
}

/// Waits until every item of ticket `id` holding a contact (its reporter's, its followers') is
/// kept until `want` (`None`: for good), as routing sets them after a closing or a reopening.
async fn until_kept(stack: &TestStack, id: &str, want: Option<i64>) {
    let mut kept = Vec::new();
    for _ in 0..100 {
        kept = table_items(stack)
            .await
            .into_iter()
            .map(|item| serde_json::from_str::<Value>(&item).unwrap())
            .filter(|item| item["pk"] == json!(format!("TICKET#{id}")))
            .filter(|item| {
                matches!(item["entity"].as_str(), Some("reporter" | "reporter_phone" | "follower"))
            })
            .map(|item| item["expires_at"].as_i64())
            .collect();
        if !kept.is_empty() && kept.iter().all(|at| *at == want) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the contacts of {id} were never all kept until {want:?}: {kept:?}");
}

#[tokio::test]
async fn contacts_leave_after_the_retention_period_and_the_public_record_stays() {
    let opened = Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::at(opened));
    let stack = spawn_at(clock.clone()).await;
    let (phone, typed) = unique_phone();
    let email = format!("reporter-{}@example.org", &phone[2..]);
    let follower = format!("follower-{}@example.org", &phone[2..]);
    let id = file(
        &stack,
        &[("email", &email), ("phone", &typed), ("first_name", "Wilhelmina"), ("last_name", "Quarrington")],
    )
    .await;
    follow(&stack, &id, &follower).await;
    let traces = [email.as_str(), follower.as_str(), &phone[1..], "Wilhelmina", "Quarrington"];
    assert!(!holding(&stack, &traces).await.is_empty(), "the contacts are stored while the request is open");
    let ticket_item = holding(&stack, &["\"sk\":\"TICKET\""]).await;
    assert!(
        ticket_item.iter().all(|item| !item.contains(&email) && !item.contains("Wilhelmina")),
        "the ticket item itself holds no contact: {ticket_item:?}"
    );

    // Closed on day 3; the staff view still shows the reporter.
    let closed = opened + Duration::days(1);
    clock.set(closed);
    stack.act(&id, json!({"action": "set_status", "status": "closed", "resolution": "fixed"})).await;
    let until = closed + Duration::days(90);
    until_kept(&stack, &id, Some(until.timestamp())).await;
    let view = stack.ticket_when(&id, |_| true).await;
    assert_eq!(view["ticket"]["reporter"]["email"], json!(email));
    let before = public_record(&stack, &id).await;

    // Reopened within the window: kept for good again; closed again: from the new closing.
    clock.set(closed + Duration::days(2));
    stack.act(&id, json!({"action": "set_status", "status": "reopened"})).await;
    until_kept(&stack, &id, None).await;
    let closed = closed + Duration::days(3);
    clock.set(closed);
    stack.act(&id, json!({"action": "set_status", "status": "closed", "resolution": "fixed"})).await;
    let until = closed + Duration::days(90);
    until_kept(&stack, &id, Some(until.timestamp())).await;

    // A day before the end the contacts stay (marks kept for days go); after it, TTL removes
    // every contact.
    time_to_live(&stack, until - Duration::days(1)).await;
    assert_eq!(holding(&stack, &traces[..2]).await.len(), 2, "the reporter and the follower stay");
    clock.set(until + Duration::days(1));
    let deleted = time_to_live(&stack, until + Duration::days(1)).await;
    assert!(deleted >= 2, "the reporter and the follower, and more: {deleted}");
    let left = holding(&stack, &traces).await;
    assert!(left.is_empty(), "no item holds a contact or a name: {left:#?}");

    // The staff view shows a resident with no contact; the public record is as it was but
    // for what changed since (the reopening and second closing).
    let view = stack.ticket_when(&id, |_| true).await;
    assert_eq!(view["ticket"]["reporter"].get("email"), None, "{view}");
    assert_eq!(view["ticket"]["reporter"].get("first_name"), None, "{view}");
    let after = public_record(&stack, &id).await;
    assert!(after.0.contains("Deep hole by the school") && after.1.contains("Deep hole by the school"));
    assert!(!before.0.contains(&email) && !after.0.contains(&email));
    let strip = |record: &str| -> Value {
        let mut value: Value = serde_json::from_str(record).unwrap();
        value[0]["extended_attributes"] = Value::Null;
        value[0]["updated_datetime"] = Value::Null;
        value
    };
    assert_eq!(strip(&before.0), strip(&after.0), "the public record is unchanged by the contacts leaving");
}

#[tokio::test]
async fn a_contact_used_on_three_tickets_is_exported_then_erased_without_a_trace() {
    let stack = spawn().await;
    let (phone, typed) = unique_phone();
    let email = format!("ana-{}@example.org", &phone[2..]);
    let first = file(&stack, &[("email", &email), ("first_name", "Anastasia")]).await;
    let second = file(&stack, &[("phone", &typed), ("email", &email)]).await;
    let third = file(&stack, &[("phone", &typed)]).await;
    follow(&stack, &third, &email).await;
    // The notices went out: each left a delivery claim and an unsubscribe link behind.
    assert!(emails_to(&email, |m| m.len() >= 3).await.len() >= 3);
    let key = town311::domain::follower::Contact::parse_any(&email).unwrap().key();
    let phone_key = town311::domain::follower::Contact::parse_any(&phone).unwrap().key();

    let admin = stack.token("ada", &["admin"]).await;
    let clerk = stack.token("bo", &["dept-DPW"]).await;
    let refused = stack
        .staff(Method::POST, "/staff/v1/privacy", Some(&clerk), &[], Some(json!({"contact": email})))
        .await;
    assert_eq!(refused.status, 403, "only admins: {}", refused.body);
    let bad = stack
        .staff(Method::POST, "/staff/v1/privacy", Some(&admin), &[], Some(json!({"contact": "not one"})))
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("contact"), "{}", bad.body);

    let export = stack
        .staff(Method::POST, "/staff/v1/privacy", Some(&admin), &[], Some(json!({"contact": email})))
        .await;
    assert_eq!(export.status, 200, "{}", export.body);
    let items = export.json()["items"].as_array().unwrap().clone();
    let tickets: std::collections::BTreeSet<&str> =
        items.iter().filter_map(|i| i["pk"].as_str()).filter(|pk| pk.starts_with("TICKET#")).collect();
    let expected: Vec<String> = [&first, &second, &third].iter().map(|id| format!("TICKET#{id}")).collect();
    assert!(
        expected.iter().all(|pk| tickets.contains(pk.as_str())),
        "the email's items on all three tickets: {items:#?}"
    );
    assert!(items.iter().any(|i| i["entity"] == "reporter" && i["email"] == json!(email)));
    assert!(items.iter().any(|i| i["entity"] == "follower"));
    assert!(items.iter().any(|i| i["entity"] == "unsubscribe"), "the links sent to it too");

    // The admin tool finds the same items, with the stack's contact secret.
    let tool = town311_ops::privacy::export(stack.stack.adapters.privacy().as_ref(), &contact(&email))
        .await
        .unwrap();
    assert_eq!(tool.len(), items.len());

    let erased = stack
        .staff(
            Method::POST,
            "/staff/v1/privacy",
            Some(&admin),
            &[],
            Some(json!({"contact": email, "erase": true})),
        )
        .await;
    assert_eq!(erased.status, 200, "{}", erased.body);
    assert_eq!(erased.json()["erased"], json!(items.len()));
    // The phone went with the email on the ticket that had both; the third still has it.
    let erased_phone =
        town311_ops::privacy::erase(stack.stack.adapters.privacy().as_ref(), &contact(&phone)).await.unwrap();
    assert!(erased_phone >= 1);
    let traces = [email.as_str(), &phone[1..], &typed, "Anastasia", &key, &phone_key];
    let left = holding(&stack, &traces).await;
    assert!(left.is_empty(), "no trace of the contact: {left:#?}");
    let again = stack
        .staff(Method::POST, "/staff/v1/privacy", Some(&admin), &[], Some(json!({"contact": email})))
        .await;
    assert_eq!(again.json()["items"], json!([]));
    // The requests themselves stay public.
    for id in [&first, &second, &third] {
        assert_eq!(stack.get(&format!("/open311/v2/requests/{id}.json")).await.status, 200);
    }
}

#[tokio::test]
async fn the_link_in_an_email_forgets_the_contact_on_its_request() {
    let stack = spawn().await;
    let (phone, _) = unique_phone();
    let email = format!("forget-{}@example.org", &phone[2..]);
    let id = file(&stack, &[("email", &email), ("first_name", "Bartholomew")]).await;
    let mails = emails_to(&email, |m| !m.is_empty()).await;
    let link = mails[0]
        .body
        .split_whitespace()
        .find(|w| w.contains("/citizen/v1/unsubscribe?token="))
        .expect("every email carries the link")
        .to_owned();
    let page = stack.client.get(&link).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("forget") && page.contains("<form method=\"post\""), "{page}");
    assert!(!holding(&stack, &[&email]).await.is_empty(), "opening the page changes nothing");
    let done = stack.client.post(&link).send().await.unwrap();
    assert_eq!(done.status().as_u16(), 200);
    assert!(holding(&stack, &[&email, "Bartholomew"]).await.is_empty(), "the contact is gone");
    let view = stack.ticket_when(&id, |_| true).await;
    assert_eq!(view["ticket"]["reporter"].get("email"), None);
    // A second click answers the same.
    assert_eq!(stack.client.post(&link).send().await.unwrap().status().as_u16(), 200);
    // And nothing more is sent there.
    stack.act(&id, json!({"action": "set_status", "status": "closed", "resolution": "fixed"})).await;
    stack.ticket_when(&id, |v| v["ticket"]["status"] == "closed").await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let sent = town311_tests::outbox().await.emails.into_iter().filter(|m| m.to.iter().any(|t| t == &email));
    assert_eq!(sent.count(), mails.len());
}

#[tokio::test]
async fn a_follow_confirmed_after_the_closing_is_kept_on_the_closings_clock() {
    let closed = Utc.with_ymd_and_hms(2026, 4, 6, 15, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::at(closed - Duration::hours(2)));
    let stack = spawn_at(clock.clone()).await;
    let (phone, _) = unique_phone();
    let follower = format!("late-{}@example.org", &phone[2..]);
    let id = file(&stack, &[]).await;
    ask_to_follow(&stack, &id, &follower).await;
    clock.set(closed);
    stack.act(&id, json!({"action": "set_status", "status": "closed", "resolution": "fixed"})).await;
    clock.set(closed + Duration::hours(1));
    confirm_follow(&stack, &follower).await;
    let key = contact(&follower).key();
    let client = aws_sdk_dynamodb::Client::new(&stack.stack.sdk);
    let want = (closed + Duration::days(90)).timestamp();
    let mut kept = None;
    for _ in 0..100 {
        let item = client
            .get_item()
            .table_name(&stack.stack.provisioned.table)
            .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("TICKET#{id}")))
            .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(format!("FOLLOWER#{key}")))
            .send()
            .await
            .unwrap()
            .item
            .unwrap_or_default();
        kept = item.get("expires_at").and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<i64>().ok());
        if kept == Some(want) && item.get("confirmed").and_then(|v| v.as_bool().ok()) == Some(&true) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the late follower is kept until {kept:?}, not {want}");
}

#[tokio::test]
async fn a_texting_reporter_forgets_their_number_from_the_status_page_and_the_answer_tells_nobody() {
    let stack = spawn().await;
    let (phone, typed) = unique_phone();
    let (other, _) = unique_phone();
    let id = file(&stack, &[("phone", &typed), ("notify_by", "sms")]).await;
    let path = format!("/citizen/v1/requests/{id}/forget");
    let not_theirs = stack.post_form(&path, &[("contact", &other)]).await;
    let bad = stack.post_form(&path, &[("contact", "somewhere")]).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("contact"), "{}", bad.body);
    assert!(!holding(&stack, &[&phone[1..]]).await.is_empty(), "another number removes nothing");
    let theirs = stack.post_form(&path, &[("contact", &typed)]).await;
    assert_eq!((not_theirs.status, theirs.status), (200, 200));
    assert_eq!(not_theirs.json()["message"], theirs.json()["message"], "the same answer either way");
    assert!(holding(&stack, &[&phone[1..]]).await.is_empty(), "the number is gone from the request");
    assert_eq!(
        stack.post_form("/citizen/v1/requests/ZZZZ-ZZZZ/forget", &[("contact", &typed)]).await.status,
        404
    );
}

#[tokio::test]
async fn a_ticket_from_before_keeps_its_reporter_until_migrated_and_a_mute_becomes_a_forgetting() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let stack = spawn().await;
    let client = aws_sdk_dynamodb::Client::new(&stack.stack.sdk);
    let table = stack.stack.provisioned.table.clone();
    let (phone, _) = unique_phone();
    let email = format!("before-{}@example.org", &phone[2..]);
    let follower = format!("muted-{}@example.org", &phone[2..]);
    let id = file(&stack, &[("email", &email), ("first_name", "Ottoline")]).await;
    follow(&stack, &id, &follower).await;
    let key = |sk: &str| {
        std::collections::HashMap::from([
            ("pk".to_owned(), AttributeValue::S(format!("TICKET#{id}"))),
            ("sk".to_owned(), AttributeValue::S(sk.to_owned())),
        ])
    };
    let get = |sk: String| {
        let (client, table, key) = (client.clone(), table.clone(), key(&sk));
        async move { client.get_item().table_name(table).set_key(Some(key)).send().await.unwrap().item }
    };
    // As an earlier version stored it: the reporter inside the ticket item, followers and mutes
    // keyed by a plain SHA-256 of the contact.
    let mut reporter = get("REPORTER".into()).await.expect("the reporter's item");
    for name in ["pk", "sk", "entity", "gsi8pk"] {
        reporter.remove(name);
    }
    client
        .update_item()
        .table_name(&table)
        .set_key(Some(key("TICKET")))
        .update_expression("SET reporter = :r")
        .expression_attribute_values(":r", AttributeValue::M(reporter))
        .send()
        .await
        .unwrap();
    client.delete_item().table_name(&table).set_key(Some(key("REPORTER"))).send().await.unwrap();
    let followed = contact(&follower);
    let mut item = get(format!("FOLLOWER#{}", followed.key())).await.expect("the follower");
    client
        .delete_item()
        .table_name(&table)
        .set_key(Some(key(&format!("FOLLOWER#{}", followed.key()))))
        .send()
        .await
        .unwrap();
    item.insert("sk".into(), AttributeValue::S(format!("FOLLOWER#{}", followed.unkeyed())));
    item.remove("gsi8pk");
    client.put_item().table_name(&table).set_item(Some(item)).send().await.unwrap();
    let mut mute = key(&format!("MUTE#{}", followed.unkeyed()));
    mute.insert("entity".into(), AttributeValue::S("mute".into()));
    mute.insert("at".into(), AttributeValue::S("2026-11-01T00:00:00Z".into()));
    client.put_item().table_name(&table).set_item(Some(mute)).send().await.unwrap();

    // Read as it was stored; erasure cannot find the reporter in the ticket item yet.
    let view = stack.ticket_when(&id, |_| true).await;
    assert_eq!(view["ticket"]["reporter"]["email"], json!(email));
    let privacy = stack.stack.adapters.privacy();
    let reporters = |items: Vec<Value>| items.iter().filter(|i| i["entity"] == "reporter").count();
    assert_eq!(reporters(town311_ops::privacy::export(privacy.as_ref(), &contact(&email)).await.unwrap()), 0);

    let table_store = stack.stack.adapters.table();
    let done = town311_ops::privacy::migrate(table_store.as_ref(), table_store.as_ref()).await.unwrap();
    assert!(done.written >= 1, "{done:?}");
    let ticket = get("TICKET".into()).await.unwrap();
    assert!(!format!("{ticket:?}").contains(&email), "the ticket item holds no contact any more");
    assert!(get("REPORTER".into()).await.is_some(), "the reporter in its own item");
    assert_eq!(reporters(town311_ops::privacy::export(privacy.as_ref(), &contact(&email)).await.unwrap()), 1);
    assert!(get(format!("MUTE#{}", followed.unkeyed())).await.is_none(), "the mute is gone");
    assert!(holding(&stack, &[&follower]).await.is_empty(), "the muted follower is forgotten");
    let view = stack.ticket_when(&id, |_| true).await;
    assert_eq!(view["ticket"]["reporter"]["first_name"], json!("Ottoline"));
}
