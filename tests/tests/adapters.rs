//! The AWS adapters against the emulator: conditional writes, photos, and the outbox from the
//! table's stream through the route function to the SNS topic.

use chrono::Utc;
use std::time::Duration;
use town311::adapters::aws::{DynamoTable, S3Links, S3Photos};
use town311::domain::id::TicketId;
use town311::domain::ticket::Ticket;
use town311::ports::{Catalog, PhotoLinks, PhotoStore, StoreError, TicketStore};
use town311_tests::{spawn, spawn_routed};

#[tokio::test]
async fn a_taken_ticket_number_is_refused_and_nothing_is_overwritten() {
    let stack = spawn().await;
    let store = DynamoTable::new(&stack.stack.sdk, &stack.stack.config);
    let catalog = store.clone();
    let service = catalog.service("SIGN").await.unwrap().expect("seeded");
    let request = |address: &str| town311::adapters::memory::phone_request("SIGN", address);
    let id = TicketId::parse("AAAA-0001").unwrap();
    let (first, entry) = Ticket::open(id.clone(), &service, request("1 Main St"), Utc::now());
    store.create(&first, &entry, None, None).await.unwrap();
    let (second, entry) = Ticket::open(id.clone(), &service, request("2 Elm St"), Utc::now());
    assert!(matches!(store.create(&second, &entry, None, None).await, Err(StoreError::IdTaken)));
    let stored = store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored, first);
    assert_eq!(store.get(&TicketId::parse("AAAA-0002").unwrap()).await.unwrap(), None);
}

#[tokio::test]
async fn the_catalog_reads_in_one_query_what_its_three_reads_return() {
    let stack = spawn_routed().await;
    let store = DynamoTable::new(&stack.stack.sdk, &stack.stack.config);
    assert!(store.routing().await.unwrap().is_some(), "the routing rules share the partition");
    let reference = store.reference().await.unwrap();
    let codes = |services: &[town311::domain::catalog::Service]| {
        services.iter().map(|s| s.code.clone()).collect::<Vec<_>>()
    };
    let services = store.services().await.unwrap();
    assert!(!services.is_empty());
    assert_eq!(codes(&reference.services), codes(&services), "same services, same order");
    let departments = store.departments().await.unwrap();
    let department_codes = |d: &[town311::domain::catalog::Department]| {
        let mut codes = d.iter().map(|d| d.code.clone()).collect::<Vec<_>>();
        codes.sort();
        codes
    };
    assert_eq!(department_codes(&reference.departments), department_codes(&departments));
    assert_eq!(
        reference.calendar.map(|c| serde_json::to_value(c).unwrap()),
        store.calendar().await.unwrap().map(|c| serde_json::to_value(c).unwrap())
    );
}

#[tokio::test]
async fn a_function_configured_from_lambdas_environment_reaches_its_table() {
    let stack = spawn().await;
    let endpoint = std::env::var("EMULATOR_URL").expect("EMULATOR_URL is set by make test");
    let env = |name: &str| match name {
        "AWS_REGION" => Some("us-east-1".to_owned()),
        "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" | "AWS_SESSION_TOKEN" => Some("testing".to_owned()),
        "AWS_ENDPOINT_URL" => Some(endpoint.clone()),
        _ => None,
    };
    let sdk = town311::adapters::aws::function_sdk_config_from(
        env,
        town311::adapters::aws::SHORTEST_FUNCTION_TIMEOUT,
    )
    .unwrap();
    let store = DynamoTable::new(&sdk, &stack.stack.config);
    assert!(store.service("SIGN").await.unwrap().is_some());

    let missing = town311::adapters::aws::function_sdk_config_from(
        |name| env(name).filter(|_| name != "AWS_REGION"),
        town311::adapters::aws::SHORTEST_FUNCTION_TIMEOUT,
    );
    assert!(matches!(missing, Err(town311::runtime::config::ConfigError::Missing("AWS_REGION"))));
}

#[tokio::test]
async fn photos_are_stored_privately_and_read_through_presigned_links() {
    let stack = spawn().await;
    let photos = S3Photos::new(&stack.stack.sdk, &stack.stack.config);
    let bytes = b"\xff\xd8\xff\xe0 not really a jpeg".to_vec();
    photos.put("processed/AAAA-0001/1.jpg", bytes.clone(), "image/jpeg").await.unwrap();
    assert_eq!(photos.get("processed/AAAA-0001/1.jpg").await.unwrap(), Some(bytes.clone()));
    assert_eq!(photos.get("processed/none.jpg").await.unwrap(), None);
    let links = S3Links::new(&stack.stack.sdk, &stack.stack.config);
    let link = links.presigned_get("processed/AAAA-0001/1.jpg", Duration::from_secs(60)).await.unwrap();
    assert!(link.contains("X-Amz-Signature="), "{link}");
    let fetched = reqwest::get(&link).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), bytes);
}

#[tokio::test]
async fn a_new_ticket_reaches_topic_subscribers_through_the_stream() {
    let stack = spawn().await;
    let subscriber = stack.subscribe("subscriber").await;

    let answer = stack
        .post_form(
            "/open311/v2/requests.json",
            &[
                ("service_code", "GRAFFITI"),
                ("attribute[SURFACE]", "bridge"),
                ("address_string", "Mill St bridge"),
                ("email", "ana@example.org"),
                ("description", "Tags on the north wall"),
            ],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let id = answer.json()[0]["service_request_id"].as_str().unwrap().to_owned();

    let received = subscriber.receive_until(20, |r| !r.is_empty()).await;
    assert_eq!(received.len(), 1, "exactly one event for one new ticket");
    let (envelope, event) = (&received[0].envelope, &received[0].event);
    let message = envelope["Message"].as_str().unwrap();
    assert_eq!(event["event_type"], "created");
    assert_eq!(event["ticket_id"], id.as_str());
    assert_eq!(event["department"], "CODE");
    assert_eq!(event["service_code"], "GRAFFITI");
    assert_eq!(received[0].attribute("event_type"), "created");
    assert_eq!(received[0].attribute("department"), "CODE");
    assert!(
        !message.contains("ana@example.org") && !message.contains("north wall"),
        "no personal data: {message}"
    );
}

#[tokio::test]
async fn concurrent_writers_of_one_version_one_wins_and_history_holds_one_entry() {
    use town311::domain::lifecycle::{Action, Targets};
    use town311::domain::ticket::Actor;
    let stack = spawn().await;
    let store = std::sync::Arc::new(DynamoTable::new(&stack.stack.sdk, &stack.stack.config));
    let service = store.service("SIGN").await.unwrap().expect("seeded");
    let request = town311::adapters::memory::phone_request("SIGN", "1 Main St");
    let (ticket, entry) = Ticket::open(TicketId::parse("CCCC-0001").unwrap(), &service, request, Utc::now());
    store.create(&ticket, &entry, None, None).await.unwrap();
    let writers: Vec<_> = (0..4)
        .map(|n| {
            let store = store.clone();
            let ticket = ticket.clone();
            tokio::spawn(async move {
                let action = Action::Assign { assignee: Some(format!("crew-{n}")) };
                let change = ticket
                    .apply(&action, Actor::Staff(format!("clerk-{n}")), Utc::now(), Targets::default())
                    .unwrap();
                store.apply(&[change]).await
            })
        })
        .collect();
    let mut won = 0;
    for writer in writers {
        match writer.await.unwrap() {
            Ok(()) => won += 1,
            Err(StoreError::Conflict) => {}
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    assert_eq!(won, 1, "exactly one writer of version 2");
    let history = store.history(&ticket.id).await.unwrap();
    assert_eq!(history.iter().filter(|e| e.version == 2).count(), 1);
    assert_eq!(store.get(&ticket.id).await.unwrap().unwrap().version, 2);
}

#[tokio::test]
async fn the_admin_command_creates_staff_users_in_their_groups() {
    let stack = spawn().await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&stack.stack.sdk);
    let pool = cognito
        .create_user_pool()
        .pool_name(format!("{}-staff", stack.stack.provisioned.table))
        .send()
        .await
        .unwrap()
        .user_pool
        .and_then(|p| p.id)
        .unwrap();
    town311_ops::create_user(
        &cognito,
        &pool,
        "clerk@millbrook.example",
        &["admin".into(), "dept-DPW".into()],
    )
    .await
    .unwrap();
    let groups = cognito
        .admin_list_groups_for_user()
        .user_pool_id(&pool)
        .username("clerk@millbrook.example")
        .send()
        .await
        .unwrap()
        .groups
        .unwrap_or_default();
    let mut names: Vec<String> = groups.into_iter().filter_map(|g| g.group_name).collect();
    names.sort();
    assert_eq!(names, vec!["admin", "dept-DPW"]);
    for bad in [vec![], vec!["superuser".to_owned()], vec!["dept-".to_owned()]] {
        assert!(
            town311_ops::create_user(&cognito, &pool, "x@millbrook.example", &bad).await.is_err(),
            "{bad:?}"
        );
    }
    assert!(town311_ops::create_user(&cognito, &pool, "not-an-email", &["admin".into()]).await.is_err());
}

#[tokio::test]
async fn an_idempotency_key_past_its_expiry_is_free_before_ttl_removes_it() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use town311::ports::Idempotency;
    let stack = spawn().await;
    let store = DynamoTable::new(&stack.stack.sdk, &stack.stack.config);
    let service = store.service("SIGN").await.unwrap().expect("seeded");
    let now = Utc::now();
    // What a submission two days ago left, still in the table: TTL lags expiry by up to days.
    let s = |v: &str| AttributeValue::S(v.to_owned());
    aws_sdk_dynamodb::Client::new(&stack.stack.sdk)
        .put_item()
        .table_name(&stack.stack.provisioned.table)
        .item("pk", s("IDEMPOTENCY#expired-key"))
        .item("sk", s("IDEMPOTENCY"))
        .item("entity", s("replay"))
        .item("expires_at", AttributeValue::N((now - chrono::Duration::days(1)).timestamp().to_string()))
        .item("ticket_id", s("OLDT-0001"))
        .send()
        .await
        .unwrap();
    assert_eq!(store.replay("expired-key", now).await.unwrap(), None, "expired counts as gone");

    let idempotency = Idempotency {
        key_hash: "expired-key".into(),
        fingerprint: "f1".into(),
        received_at: now,
        expires_at: now + chrono::Duration::hours(24),
    };
    let request = town311::adapters::memory::phone_request("SIGN", "1 Main St");
    let (ticket, entry) = Ticket::open(TicketId::parse("DDDD-0001").unwrap(), &service, request, now);
    store.create(&ticket, &entry, None, Some(&idempotency)).await.unwrap();
    let replay = store.replay("expired-key", now).await.unwrap().expect("the new record");
    assert_eq!((&replay.ticket_id, replay.fingerprint.as_deref()), (&ticket.id, Some("f1")));
    assert!(!replay.matches("f2"), "another request under the key is told apart (422)");
}
