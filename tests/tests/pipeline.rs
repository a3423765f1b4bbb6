//! The event pipeline under concurrent load, on the local stack: every report that was
//! answered with a ticket reaches the stream, the route function and its reporter, once, also
//! when some writes are cancelled transactions (a retried submission racing its first try).

use std::collections::BTreeMap;
use town311_tests::{TestStack, expire_stream_iterators, outbox, spawn, spawn_routed};

/// Files one pothole report for `email` (with an `Idempotency-Key`, if given); the ticket number.
async fn report(stack: &TestStack, email: &str, n: usize, key: Option<&str>) -> String {
    let description = format!("Storm damage, report {n}");
    let fields = [
        ("service_code", "POTHOLE"),
        ("attribute[SIZE]", "large"),
        ("lat", "42.2801"),
        ("long", "-71.8001"),
        ("description", description.as_str()),
        ("email", email),
    ];
    let mut request = stack.client.post(stack.url("/open311/v2/requests.json")).form(&fields);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.expect("answered");
    let status = response.status().as_u16();
    let body = response.text().await.expect("a body");
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    answer[0]["service_request_id"].as_str().expect("a ticket number").to_owned()
}

/// A phone that retries on a flaky network: the same report sent twice at once, one key.
async fn report_twice(stack: &TestStack, email: &str, n: usize) -> String {
    let key = format!("retry-{email}");
    let (first, second) =
        tokio::join!(report(stack, email, n, Some(&key)), report(stack, email, n, Some(&key)));
    assert_eq!(first, second, "one key, one ticket");
    first
}

/// How many "received" emails each of `addresses` got, once every one has at least one and one more quiet
/// second has passed (a doubled one would show); gives up after 60 seconds.
async fn emails_per_address(addresses: &[String]) -> BTreeMap<String, usize> {
    let count = |emails: &[town311_tests::Mail]| {
        let mut counts: BTreeMap<String, usize> = addresses.iter().map(|a| (a.clone(), 0)).collect();
        for (address, n) in counts.iter_mut() {
            *n = emails
                .iter()
                .filter(|mail| mail.to.contains(address) && mail.subject.ends_with(" received"))
                .count();
        }
        counts
    };
    let mut counts = BTreeMap::new();
    for _ in 0..120 {
        counts = count(&outbox().await.emails);
        if counts.values().all(|n| *n >= 1) {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            return count(&outbox().await.emails);
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_reports_from_four_concurrent_clients_each_tell_their_reporter_exactly_once() {
    // Every third report is sent twice at once with one key: the second write of the pair is a
    // cancelled transaction, which must not stop the stream for the reports after it.
    let stack = std::sync::Arc::new(spawn_routed().await);
    let run = format!("{:x}", chrono::Utc::now().timestamp_micros());
    let addresses: Vec<String> = (0..30).map(|n| format!("storm-{run}-{n}@example.org")).collect();
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..4 {
        let stack = stack.clone();
        let mine: Vec<(usize, String)> =
            addresses.iter().cloned().enumerate().filter(|(n, _)| n % 4 == client).collect();
        clients.spawn(async move {
            let mut ids = Vec::new();
            for (n, email) in mine {
                let id = if n % 3 == 0 {
                    report_twice(&stack, &email, n).await
                } else {
                    report(&stack, &email, n, None).await
                };
                ids.push(id);
            }
            ids
        });
    }
    let mut ids = Vec::new();
    while let Some(filed) = clients.join_next().await {
        ids.extend(filed.expect("a client finished"));
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 30, "thirty tickets");

    let counts = emails_per_address(&addresses).await;
    let wrong: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(wrong.is_empty(), "every reporter hears once; these did not: {wrong:?}");

    // The stream still flows after the burst: a later report is routed and told too.
    let late = format!("storm-{run}-late@example.org");
    report(&stack, &late, 30, None).await;
    assert_eq!(emails_per_address(std::slice::from_ref(&late)).await[&late], 1);
}

#[tokio::test]
async fn the_stream_is_read_on_from_where_it_was_after_its_iterators_expire() {
    let stack = spawn().await;
    let run = format!("{:x}", chrono::Utc::now().timestamp_micros());
    let before = format!("expiry-{run}-before@example.org");
    report(&stack, &before, 0, None).await;
    assert_eq!(emails_per_address(std::slice::from_ref(&before)).await[&before], 1);

    expire_stream_iterators().await;
    let after = format!("expiry-{run}-after@example.org");
    report(&stack, &after, 1, None).await;
    let counts = emails_per_address(&[before.clone(), after.clone()]).await;
    assert_eq!(counts[&after], 1, "the report after the expiry is routed and told");
    assert_eq!(counts[&before], 1, "nothing before it is handled again");
}

/// Publishes nothing and never returns the first time (a call that hangs past the function's
/// timeout); records every event after that.
#[derive(Default)]
struct HangsOnce {
    calls: std::sync::atomic::AtomicUsize,
    published: std::sync::Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl town311::ports::EventPublisher for HangsOnce {
    async fn publish(
        &self,
        event: &town311::domain::events::TicketEvent,
    ) -> Result<(), town311::ports::StoreError> {
        if self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            std::future::pending::<()>().await;
        }
        self.published.lock().unwrap().push(event.event_type.as_str().to_owned());
        Ok(())
    }
}

#[tokio::test]
async fn a_batch_that_runs_past_the_route_functions_timeout_fails_and_is_retried() {
    use std::sync::Arc;
    use town311_local::stream::StreamFeed;
    use town311_local::template::Template;

    let stack = spawn().await;
    let table = stack.stack.adapters.table();
    let publisher = Arc::new(HangsOnce::default());
    // A second reader of the stack's stream, as route with a publisher that hangs once and its
    // own memory of what went out.
    let route = Arc::new(route::State {
        tickets: table.clone(),
        catalog: table.clone(),
        outbox: Arc::new(town311::adapters::memory::MemoryStore::default()),
        events: publisher.clone(),
        uploads: table,
        photos: stack.stack.adapters.photos(),
        clock: stack.stack.adapters.clock(),
        dead_letters: None,
        work: None,
        // Its own figures: the stack's route counts the stack's.
        stats: Arc::new(town311::adapters::memory::MemoryStore::default()),
        timezone: stack.stack.config.timezone,
        privacy: stack.stack.adapters.privacy(),
        contact_retention_days: stack.stack.config.contact_retention_days,
    });
    let template = Template::load(std::path::Path::new(town311_local::TEMPLATE_PATH)).unwrap();
    let mut source = template.stream_sources().unwrap().remove(0);
    source.timeout = std::time::Duration::from_secs(1);
    let feed = StreamFeed {
        streams: aws_sdk_dynamodbstreams::Client::new(&stack.stack.sdk),
        sqs: aws_sdk_sqs::Client::new(&stack.stack.sdk),
        stream_arn: stack.stack.provisioned.stream_arn.clone(),
        failure_queue_url: stack.stack.provisioned.failure_queue_url.clone(),
        source,
        route,
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let feeding = tokio::spawn(feed.run(stopped));

    report(&stack, "timeout@example.org", 0, None).await;
    let mut published = Vec::new();
    for _ in 0..100 {
        published = publisher.published.lock().unwrap().clone();
        if !published.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = stop.send(true);
    // A feed still waiting on the hung batch would never see the stop.
    feeding.abort();
    let _ = feeding.await;
    assert!(publisher.calls.load(std::sync::atomic::Ordering::SeqCst) >= 2, "the hung batch was tried again");
    assert_eq!(published.first().map(String::as_str), Some("created"), "{published:?}");
}
