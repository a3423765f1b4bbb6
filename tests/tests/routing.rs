//! Routing, duplicates and followers on the local stack, over HTTP and through the real stream:
//! a request lands with its ward's crew and its event reaches a subscribed queue; the nearby
//! query finds exactly the open requests within the radius; citizens follow requests; admins
//! edit the rules; the route function replays safely and a poison record goes to the
//! dead-letter queue, with why, while the rest of the stream flows.

use reqwest::Method;
use serde_json::{Value, json};
use town311::adapters::aws::{DynamoTable, TableItem};
use town311::ports::TicketStore;
use town311_tests::{TestStack, spawn, spawn_routed};

const ADMIN: (&str, &[&str]) = ("ada", &["admin"]);

async fn file(stack: &TestStack, service: &str, lat: f64, long: f64, description: &str) -> Value {
    let (lat, long) = (lat.to_string(), long.to_string());
    let answer = stack
        .post_form(
            "/open311/v2/requests.json",
            &[
                ("service_code", service),
                ("attribute[SIZE]", "large"),
                ("attribute[PROBLEM]", "out"),
                ("attribute[SURFACE]", "sign"),
                ("lat", &lat),
                ("long", &long),
                ("description", description),
            ],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()[0].clone()
}

fn id_of(created: &Value) -> String {
    created["service_request_id"].as_str().expect("a ticket number").to_owned()
}

#[tokio::test]
async fn a_request_lands_with_its_ward_crew_and_its_events_reach_a_subscribed_queue() {
    let stack = spawn_routed().await;
    let subscriber = stack.subscribe("department").await;
    let created = file(&stack, "POTHOLE", 42.280, -71.800, "Deep hole by the school").await;
    let id = id_of(&created);
    assert_eq!(created["department_name"], "Public Works");
    assert_eq!(created["department_phone"], "(555) 010-2100");

    let view = stack.ticket_when(&id, |t| t["ticket"]["assignee"] == "ana").await;
    assert_eq!(view["ticket"]["department"], "DPW");
    assert_eq!(view["ticket"]["status"], "assigned");
    let routed = &view["history"][1];
    assert_eq!(routed["change"]["type"], "routed");
    assert_eq!(routed["change"]["rule"], "potholes-ward-1");
    assert_eq!(routed["actor"]["kind"], "system");

    let received = subscriber.receive_until(20, |r| r.len() >= 2).await;
    let kinds: Vec<&str> = received.iter().map(|d| d.attribute("event_type")).collect();
    assert_eq!(kinds, vec!["created", "routed"], "each change once, in order");
    for delivered in &received {
        assert_eq!(delivered.attribute("department"), "DPW");
        assert_eq!(delivered.attribute("service"), "POTHOLE");
        assert_eq!(delivered.event["ticket_id"], id.as_str());
    }
    // The citizen sees that a crew has it, not who.
    let public = stack.get(&format!("/open311/v2/requests/{id}.json?extensions=true")).await;
    assert!(!public.body.contains("ana"), "{}", public.body);
}

#[tokio::test]
async fn routing_by_area_takes_the_boundary_as_inside_and_falls_back_outside() {
    let stack = spawn_routed().await;
    // On Main Street, the line between wards 1 and 2: ward 1's rule comes first.
    let boundary = id_of(&file(&stack, "POTHOLE", 42.2645, -71.8325, "on the line").await);
    // Just east of the town line: no area, so the service's department keeps it, unassigned.
    let outside = id_of(&file(&stack, "POTHOLE", 42.2600, -71.7690, "out of town").await);
    // A tree blocking a road is Public Works' job by keyword, wherever it is.
    let tree = id_of(&file(&stack, "TREE_DOWN", 42.2500, -71.8200, "a tree is blocking the road").await);
    let view = stack.ticket_when(&boundary, |t| t["ticket"]["version"] == 2).await;
    assert_eq!(view["ticket"]["assignee"], "ana");
    let view = stack.ticket_when(&tree, |t| t["ticket"]["department"] == "DPW").await;
    assert_eq!(view["history"][0]["department"], "DPW", "submit already told the citizen Public Works");
    // The outside one: give the stream a moment, then it is still as filed.
    stack.ticket_when(&boundary, |t| t["ticket"]["version"] == 2).await;
    let view = stack.ticket_when(&outside, |t| t["ticket"]["version"] == 1).await;
    assert!(view["ticket"]["assignee"].is_null());
    assert_eq!(view["ticket"]["department"], "DPW");
}

#[tokio::test]
async fn the_nearby_query_finds_every_open_request_of_the_service_within_the_radius() {
    let stack = spawn().await;
    // Metres north of 42.2800, -71.8000 (1 m of latitude is 1/111195 degree).
    let north = |metres: f64| 42.28 + metres / 111_195.0;
    let mut inside = Vec::new();
    for metres in [0.0, 40.0, 95.0] {
        inside.push(id_of(&file(&stack, "POTHOLE", north(metres), -71.8, "crater").await));
    }
    let beyond = id_of(&file(&stack, "POTHOLE", north(105.0), -71.8, "crater").await);
    let far = id_of(&file(&stack, "POTHOLE", north(240.0), -71.8, "crater").await);
    let other_service = id_of(&file(&stack, "STREETLIGHT", north(5.0), -71.8, "crater").await);
    let closed = id_of(&file(&stack, "POTHOLE", north(10.0), -71.8, "crater").await);
    let admin = stack.token(ADMIN.0, ADMIN.1).await;
    let version =
        stack.ticket_when(&closed, |t| t["ticket"]["version"].is_u64()).await["ticket"]["version"].clone();
    let close =
        json!({"action": "set_status", "status": "closed", "resolution": "fixed", "version": version});
    let path = format!("/staff/v1/tickets/{closed}/actions");
    let answer = stack.staff(Method::POST, &path, Some(&admin), &[], Some(close)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    let nearby = |radius: &str| {
        let stack = &stack;
        let path = format!("/citizen/v1/nearby?service_code=POTHOLE&lat=42.28&long=-71.8&radius={radius}");
        async move { stack.get(&path).await }
    };
    let ids = |answer: &Value| -> Vec<String> {
        answer["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let answer = nearby("100").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        ids(&answer.json()),
        inside,
        "nearest first, none beyond 100 m, none closed, none of another service"
    );
    assert_eq!(answer.json()["requests"][1]["distance_m"], 40);
    let wider = ids(&nearby("250").await.json());
    assert!(
        wider.contains(&beyond)
            && wider.contains(&far)
            && !wider.contains(&closed)
            && !wider.contains(&other_service)
    );
    // Public: no contact, no free text.
    assert!(!nearby("250").await.body.contains("crater"));
    for bad in ["10", "251", "far"] {
        let answer = nearby(bad).await;
        assert_eq!(answer.status, 400, "radius={bad}: {}", answer.body);
        assert!(answer.json()[0]["description"].as_str().unwrap().contains("radius"));
    }
    assert_eq!(stack.get("/citizen/v1/nearby?lat=42.28&long=-71.8").await.status, 400);
    assert_eq!(stack.get("/citizen/v1/nearby?service_code=POTHOLE&lat=42.28").await.status, 400);
    assert_eq!(stack.get("/citizen/v1/nearby?service_code=UFO&lat=42.28&long=-71.8").await.status, 404);
}

#[tokio::test]
async fn a_new_request_next_to_an_open_one_is_flagged_as_a_probable_duplicate() {
    let stack = spawn().await;
    let first = id_of(&file(&stack, "POTHOLE", 42.2800, -71.8000, "hole").await);
    stack.ticket_when(&first, |t| t["ticket"]["version"] == 1).await;
    let second = id_of(&file(&stack, "POTHOLE", 42.2802, -71.8001, "same hole").await);
    let view = stack.ticket_when(&second, |t| t["ticket"]["possible_duplicates"].is_array()).await;
    assert_eq!(view["ticket"]["possible_duplicates"], json!([first]));
    let entry = view["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(entry["public"], false, "flagging is staff business");
}

async fn follow(stack: &TestStack, id: &str, body: Value) -> (u16, Value) {
    let response = stack
        .client
        .post(stack.url(&format!("/citizen/v1/requests/{id}/follow")))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn citizens_follow_a_request_and_a_merge_carries_its_followers_to_the_parent() {
    let stack = spawn().await;
    let parent = id_of(&file(&stack, "POTHOLE", 42.2800, -71.8000, "hole").await);
    let child = id_of(&file(&stack, "POTHOLE", 42.2900, -71.8000, "another hole").await);
    let (phone, typed) = town311_tests::unique_phone();
    let (status, body) =
        follow(&stack, &child, json!({"phone": typed, "notify_by": "sms", "language": "es"})).await;
    assert_eq!((status, &body["service_request_id"]), (201, &json!(child)));
    // Following twice is still one follower.
    follow(
        &stack,
        &child,
        json!({"phone": format!("+1 {}", typed.replace('-', " ")), "notify_by": "sms", "language": "es"}),
    )
    .await;
    // A merge carries confirmed followers.
    town311_tests::confirm_follow(&stack, &phone).await;
    for (bad, why) in [
        (json!({"notify_by": "sms"}), "no phone"),
        (json!({"email": "not-an-email"}), "bad email"),
        (json!({"email": "a@b.org", "notify_by": "pigeon"}), "unknown channel"),
        (json!({"email": "a@b.org", "language": "tlh"}), "unknown language"),
    ] {
        let (status, body) = follow(&stack, &child, bad).await;
        assert_eq!(status, 400, "{why}: {body}");
        assert!(body[0]["description"].is_string(), "an Open311 error list: {body}");
    }
    assert_eq!(follow(&stack, "ZZZZ-ZZZZ", json!({"email": "a@b.org"})).await.0, 404);

    let admin = stack.token(ADMIN.0, ADMIN.1).await;
    let view = stack
        .ticket_when(&child, |t| {
            t["followers"].as_array().is_some_and(|f| f.len() == 1 && f[0]["confirmed"] == true)
        })
        .await;
    assert_eq!(view["followers"][0]["contact"]["channel"], "sms");
    let public = stack.get(&format!("/open311/v2/requests/{child}.json?extensions=true")).await;
    assert!(!public.body.contains(&phone[2..]), "followers are never public: {}", public.body);

    let merge = json!({"action": "merge", "parent": parent, "version": view["ticket"]["version"]});
    let path = format!("/staff/v1/tickets/{child}/actions");
    assert_eq!(stack.staff(Method::POST, &path, Some(&admin), &[], Some(merge)).await.status, 200);
    let parent_view =
        stack.ticket_when(&parent, |t| t["followers"].as_array().is_some_and(|f| !f.is_empty())).await;
    assert_eq!(parent_view["followers"][0]["via"], json!(child));
    assert_eq!(parent_view["followers"][0]["language"], "es");
    assert_eq!(parent_view["followers"][0]["confirmed"], true, "handed over as confirmed");
    // The merge reads, on each side, as a code naming the other request.
    let absorbed = parent_view["history"].as_array().and_then(|h| h.last()).cloned().unwrap_or_default();
    assert_eq!(
        (&absorbed["summary_code"], &absorbed["summary_params"]),
        (&json!("absorbed"), &json!({"child": child}))
    );
    let public = stack.get(&format!("/open311/v2/requests/{child}.json?extensions=true")).await.json();
    let merged = public[0]["extended_attributes"]["notes"]
        .as_array()
        .and_then(|n| n.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (&merged["summary_code"], &merged["summary_params"]),
        (&json!("merged_into"), &json!({"parent": parent}))
    );
    assert_eq!(merged["summary"], format!("Merged into request {parent}, which carries on"));
    // Following the merged duplicate now follows its parent.
    let (status, body) = follow(&stack, &child, json!({"email": "late@example.org"})).await;
    assert_eq!((status, &body["service_request_id"]), (201, &json!(parent)));
    // A closed request cannot be followed.
    let close = json!({"action": "set_status", "status": "closed", "resolution": "fixed", "version": parent_view["ticket"]["version"]});
    let path = format!("/staff/v1/tickets/{parent}/actions");
    assert_eq!(stack.staff(Method::POST, &path, Some(&admin), &[], Some(close)).await.status, 200);
    assert_eq!(follow(&stack, &parent, json!({"email": "later@example.org"})).await.0, 409);
}

#[tokio::test]
async fn admins_edit_the_routing_rules_and_new_requests_follow_them() {
    let stack = spawn_routed().await;
    let admin = stack.token(ADMIN.0, ADMIN.1).await;
    let clerk = stack.token("bo", &["dept-DPW"]).await;
    let current = stack.staff(Method::GET, "/staff/v1/routing", Some(&clerk), &[], None).await;
    assert_eq!(current.status, 200);
    let mut rules = current.json();
    assert_eq!(rules["version"], 1);
    // All graffiti to one officer from now on.
    rules["rules"] =
        json!([{"id": "all-graffiti", "services": ["GRAFFITI"], "department": "CODE", "assignee": "gil"}]);
    let put = |token: &str, headers: Vec<(&'static str, &'static str)>, body: Value| {
        let (stack, token) = (&stack, token.to_owned());
        async move { stack.staff(Method::PUT, "/staff/v1/routing", Some(&token), &headers, Some(body)).await }
    };
    assert_eq!(put(&clerk, vec![], rules.clone()).await.status, 403, "only admins");
    let mut broken = rules.clone();
    broken["rules"][0]["department"] = json!("NOPE");
    let refused = put(&admin, vec![], broken).await;
    assert_eq!(refused.status, 400);
    assert!(refused.json()[0]["description"].as_str().unwrap().contains("NOPE"));
    assert_eq!(put(&admin, vec![("if-match", "\"7\"")], rules.clone()).await.status, 412, "stale version");
    let stored = put(&admin, vec![("if-match", "\"1\"")], rules).await;
    assert_eq!(stored.status, 200, "{}", stored.body);
    assert_eq!(stored.json()["version"], 2);
    assert_eq!(stored.json()["updated_by"], "ada");

    let id = id_of(&file(&stack, "GRAFFITI", 42.30, -71.90, "tag").await);
    stack.ticket_when(&id, |t| t["ticket"]["assignee"] == "gil").await;
}

/// The stream record Lambda would hand the route function for a history entry.
fn stream_record(sequence: &str, image: serde_dynamo::Item) -> Value {
    json!({
        "eventID": format!("e{sequence}"), "eventName": "INSERT", "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
        "dynamodb": {"Keys": {}, "NewImage": serde_json::to_value(image).unwrap(), "SequenceNumber": sequence,
                     "SizeBytes": 1, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x"
    })
}

#[tokio::test]
async fn replaying_a_stream_batch_publishes_no_event_twice() {
    let stack = spawn().await;
    let subscriber = stack.subscribe("replay").await;
    let a = id_of(&file(&stack, "GRAFFITI", 42.30, -71.90, "tag").await);
    let b = id_of(&file(&stack, "SIGN", 42.31, -71.90, "bent").await);
    // The stack's own stream feed publishes both once.
    assert_eq!(subscriber.receive_until(20, |r| r.len() >= 2).await.len(), 2);
    // The same entries, handed to the route function again and again, as a retried batch is.
    let table = DynamoTable::new(&stack.stack.sdk, &stack.stack.config);
    let mut records = Vec::new();
    for (n, id) in [&a, &b].into_iter().enumerate() {
        let history = table.history(&town311::domain::id::TicketId::parse(id).unwrap()).await.unwrap();
        records.push(stream_record(&n.to_string(), TableItem::history_image(&history[0]).unwrap()));
    }
    let state = route::State::from(&stack.stack.adapters);
    for _ in 0..2 {
        let event = serde_json::from_value(json!({ "Records": records })).unwrap();
        let response =
            route::handle(&state, lambda_runtime::LambdaEvent::new(event, Default::default())).await;
        assert!(response.unwrap().batch_item_failures.is_empty());
    }
    let again = subscriber.receive_until(3, |_| true).await;
    assert!(again.is_empty(), "replays published {again:?}");
}

#[tokio::test]
async fn a_poison_record_goes_to_the_dead_letter_queue_and_the_stream_flows_on() {
    let stack = spawn().await;
    let subscriber = stack.subscribe("poison").await;
    // A history item no version of town311 could have written: its status is unknown.
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.stack.sdk);
    let s = |v: &str| aws_sdk_dynamodb::types::AttributeValue::S(v.to_owned());
    dynamo
        .put_item()
        .table_name(&stack.stack.provisioned.table)
        .item("pk", s("TICKET#PPPP-PPPP"))
        .item("sk", s("HISTORY#0000000001"))
        .item("entity", s("history"))
        .item("ticket_id", s("PPPP-PPPP"))
        .item("status", s("exploded"))
        .send()
        .await
        .unwrap();
    let after = id_of(&file(&stack, "SIGN", 42.31, -71.90, "bent").await);

    let received = subscriber.receive_until(30, |r| !r.is_empty()).await;
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].event["ticket_id"],
        after.as_str(),
        "the record after the poison one went through"
    );
    let mut dead = Vec::new();
    for _ in 0..10 {
        dead.extend(stack.dead_letters().await);
        if !dead.is_empty() {
            break;
        }
    }
    assert_eq!(dead.len(), 1, "the poison record, once");
    let letter = &dead[0];
    assert_eq!(letter["keys"]["pk"]["S"], "TICKET#PPPP-PPPP", "{letter}");
    assert!(letter["reason"].as_str().unwrap().contains("unreadable"), "{letter}");
}
