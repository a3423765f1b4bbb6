//! Warm latency of each handler in-process, and the AWS calls and DynamoDB request units of
//! each operation.
//!
//! Part one calls the handlers with the in-memory adapters (no AWS call at all), so the time
//! is the handler's own CPU per request: thread CPU time, immune to other processes on the
//! machine, with wall time alongside. Part two runs one resident's journey through the real
//! DynamoDB adapter against the emulator, with a meter on the client: every call and the
//! request units it would be billed; SNS publishes and messages sent are counted at their ports.
//!
//! Usage: bench warm --out FILE [--iterations N] [--emulator URL --root DIR]

use lambda_http::{Body, Request, Response};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;
use town311::adapters::memory::{MemoryPhotos, MemoryStore, RecordingMessenger, RecordingPublisher};
use town311::domain::id::OsRandom;
use town311::runtime::clock::SystemClock;
use town311_bench::meter::{DynamoMeter, Tally};
use town311_bench::{arg, fail, percentiles, requests, stack::Stack};

fn thread_cpu_ns() -> u64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

fn request(invocation: town311::http::apigw::Invocation) -> Request {
    invocation.into_request().unwrap_or_else(|e| fail(e))
}

fn body_json(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null)
}

fn expect_ok(what: &str, response: &Response<Body>) {
    if !response.status().is_success() {
        fail(format!(
            "{what} answered {}: {}",
            response.status(),
            String::from_utf8_lossy(response.body().as_ref())
        ));
    }
}

/// Times `n` calls (after a warm-up) and summarises CPU and wall time in milliseconds.
struct Timer {
    cpu: Vec<f64>,
    wall: Vec<f64>,
}

impl Timer {
    fn new() -> Self {
        Self { cpu: Vec::new(), wall: Vec::new() }
    }
    fn start() -> (u64, Instant) {
        (thread_cpu_ns(), Instant::now())
    }
    fn stop(&mut self, (cpu, wall): (u64, Instant)) {
        self.cpu.push((thread_cpu_ns() - cpu) as f64 / 1e6);
        self.wall.push(wall.elapsed().as_secs_f64() * 1e3);
    }
    fn summary(&self, function: &str, operation: &str, warmup: usize) -> Value {
        json!({
            "function": function, "operation": operation,
            "cpu_ms": percentiles(&self.cpu[warmup..]), "wall_ms": percentiles(&self.wall[warmup..]),
        })
    }
}

/// The in-memory functions' settings: one client sends every request here, so no rate limit
/// and no SMS budget.
fn memory_config() -> town311::runtime::config::Config {
    town311::runtime::config::Config {
        client_write_limit: u32::MAX,
        sms_daily_budget: u32::MAX,
        ..town311::adapters::memory::config(None)
    }
}

fn submit_state(store: &Arc<MemoryStore>) -> submit::State {
    submit::State {
        config: memory_config(),
        tickets: store.clone(),
        catalog: store.clone(),
        keys: store.clone(),
        photos: Arc::new(MemoryPhotos::default()),
        links: Arc::new(MemoryPhotos::default()),
        clock: Arc::new(SystemClock),
        ids: Arc::new(OsRandom),
        rates: store.clone(),
        addresses: store.clone(),
    }
}

async fn submit_one(state: &submit::State) -> String {
    let response = submit::handle(state, request(requests::submit())).await.unwrap_or_else(|e| fail(e));
    expect_ok("submit", &response);
    body_json(&response)[0]["service_request_id"]
        .as_str()
        .unwrap_or_else(|| fail("no ticket number"))
        .to_owned()
}

async fn handler_cpu(iterations: usize) -> Vec<Value> {
    let warmup = (iterations / 10).max(10);
    let n = iterations + warmup;
    let store = Arc::new(MemoryStore::with_demo_routing().await);
    let submit = submit_state(&store);
    let query = query::State {
        config: memory_config(),
        tickets: store.clone(),
        stats: store.clone(),
        catalog: store.clone(),
        uploads: store.clone(),
        banners: store.clone(),
        templates: store.clone(),
        links: Arc::new(town311::adapters::memory::MemoryPhotos::default()),
        addresses: store.clone(),
        directory: Arc::new(town311::adapters::memory::MemoryDirectory::default()),
        clock: Arc::new(SystemClock),
    };
    let update = update::State {
        config: memory_config(),
        tickets: store.clone(),
        catalog: store.clone(),
        deliveries: store.clone(),
        rates: store.clone(),
        banners: store.clone(),
        templates: store.clone(),
        addresses: store.clone(),
        photos: Arc::new(MemoryPhotos::default()),
        ids: Arc::new(OsRandom),
        clock: Arc::new(SystemClock),
        privacy: store.clone(),
    };
    let publisher = Arc::new(RecordingPublisher::default());
    let route = route::State {
        tickets: store.clone(),
        catalog: store.clone(),
        outbox: store.clone(),
        uploads: store.clone(),
        photos: Arc::new(MemoryPhotos::default()),
        events: publisher.clone(),
        clock: Arc::new(SystemClock),
        dead_letters: None,
        work: None,
        stats: store.clone(),
        timezone: memory_config().timezone,
        privacy: store.clone(),
        contact_retention_days: town311::domain::privacy::DEFAULT_RETENTION_DAYS,
    };
    let notify = notify::State {
        config: memory_config(),
        tickets: store.clone(),
        catalog: store.clone(),
        deliveries: store.clone(),
        rates: store.clone(),
        messenger: Arc::new(RecordingMessenger::default()),
        work: None,
        clock: Arc::new(SystemClock),
        ids: Arc::new(OsRandom),
    };
    let web = web::State::from_env();
    let mut results = Vec::new();

    let mut timer = Timer::new();
    let mut ids = Vec::new();
    for _ in 0..n {
        // Timed in a town with no open pothole nearby (as most reports are): the in-memory
        // store scans every ticket for the duplicate check where DynamoDB reads a few cells, so
        // a store holding the earlier reports would time the adapter, not the handler.
        let town = Arc::new(MemoryStore::with_demo_routing().await);
        let timed = submit_state(&town);
        let r = request(requests::submit());
        let t = Timer::start();
        let response = submit::handle(&timed, r).await.unwrap_or_else(|e| fail(e));
        timer.stop(t);
        expect_ok("submit", &response);
        // The same report in the shared store, for the lookups and changes below.
        ids.push(submit_one(&submit).await);
    }
    results.push(timer.summary("submit", "POST requests.json (a pothole, form-encoded, with email)", warmup));

    for (operation, make) in [
        ("GET services.json", Box::new(|_: &str| requests::services()) as Box<dyn Fn(&str) -> _>),
        ("GET requests/{id}.json (lookup)", Box::new(requests::lookup)),
    ] {
        let mut timer = Timer::new();
        for id in ids.iter().take(n) {
            let r = request(make(id));
            let t = Timer::start();
            let response = query::handle(&query, r).await.unwrap_or_else(|e| fail(e));
            timer.stop(t);
            expect_ok(operation, &response);
        }
        results.push(timer.summary("query", operation, warmup));
    }

    let mut timer = Timer::new();
    for id in ids.iter().take(n) {
        // Submit routes as it writes: a ticket a rule gives someone is at version 2.
        let version = {
            use town311::ports::TicketStore;
            let ticket_id =
                town311::domain::id::TicketId::parse(id).unwrap_or_else(|_| fail("bad ticket number"));
            store.get(&ticket_id).await.unwrap_or_else(|e| fail(e)).map_or(1, |t| t.version)
        };
        let r = request(requests::status_change(id, version, "in_progress"));
        let t = Timer::start();
        let response = update::handle(&update, r).await.unwrap_or_else(|e| fail(e));
        timer.stop(t);
        expect_ok("status change", &response);
    }
    results.push(timer.summary("update", "POST staff/v1/tickets/{id}/actions (set_status)", warmup));

    let mut timer = Timer::new();
    for id in ids.iter().take(n) {
        let r = request(requests::follow(id));
        let t = Timer::start();
        let response = update::handle(&update, r).await.unwrap_or_else(|e| fail(e));
        timer.stop(t);
        expect_ok("follow", &response);
    }
    results.push(timer.summary("update", "POST citizen/v1/requests/{id}/follow", warmup));

    let mut timer = Timer::new();
    for _ in 0..n {
        let r = request(requests::form_page());
        let t = Timer::start();
        let response = web::handle(&web, r).await.unwrap_or_else(|e| fail(e));
        timer.stop(t);
        expect_ok("form page", &response);
    }
    results.push(timer.summary("web", "GET / (the citizen form)", warmup));

    // The stream: each ticket's first history entry, as route receives it.
    let history = store.history();
    let firsts: Vec<_> = history.iter().filter(|e| e.version == 1).take(n).cloned().collect();
    let mut timer = Timer::new();
    for entry in &firsts {
        let image = town311::adapters::aws::TableItem::history_image(entry).unwrap_or_else(|e| fail(e));
        let image = serde_json::to_value(&image).unwrap_or_else(|e| fail(e));
        let event = serde_json::from_value(town311_bench::stream_batch(&[image])).unwrap_or_else(|e| fail(e));
        let t = Timer::start();
        let response = route::handle(&route, LambdaEvent::new(event, Context::default()))
            .await
            .unwrap_or_else(|e| fail(e));
        timer.stop(t);
        if !response.batch_item_failures.is_empty() {
            fail("route reported a failed record");
        }
    }
    results.push(timer.summary(
        "route",
        "a stream batch: one new ticket's first history entry",
        warmup.min(firsts.len() / 2),
    ));

    let mut timer = Timer::new();
    for entry in &firsts {
        let body = serde_json::to_string(&town311::domain::events::TicketEvent::new(entry))
            .unwrap_or_else(|e| fail(e));
        let event = serde_json::from_value(town311_bench::sns_event(&[body])).unwrap_or_else(|e| fail(e));
        let t = Timer::start();
        notify::handle(&notify, LambdaEvent::new(event, Context::default()))
            .await
            .unwrap_or_else(|e| fail(format!("notify failed a message: {e}")));
        timer.stop(t);
    }
    results.push(timer.summary(
        "notify",
        "an SNS delivery: one created event, an email to the reporter",
        warmup.min(firsts.len() / 2),
    ));
    results
}

/// One operation's cost: DynamoDB calls and units, SNS publishes, messages sent.
fn cost(operation: &str, tally: &Tally, publishes: usize, emails: usize) -> Value {
    json!({
        "operation": operation,
        "dynamodb": tally,
        "sns_publishes": publishes,
        "emails": emails,
    })
}

fn add(total: &mut Tally, more: Tally) {
    for (k, v) in more.calls {
        *total.calls.entry(k).or_default() += v;
    }
    total.read_calls += more.read_calls;
    total.write_calls += more.write_calls;
    total.read_units += more.read_units;
    total.write_units += more.write_units;
    total.written.extend(more.written);
    total.written_bytes.extend(more.written_bytes);
    total.written_index_bytes.extend(more.written_index_bytes);
    total.read_bytes.extend(more.read_bytes);
}

struct Journey {
    meter: DynamoMeter,
    raw: aws_sdk_dynamodb::Client,
    table: String,
    publisher: Arc<RecordingPublisher>,
    messenger: Arc<RecordingMessenger>,
    route: route::State,
    notify: notify::State,
}

impl Journey {
    /// Feeds the history entries an operation wrote to route, and route's own writes again,
    /// as the stream would; then the public events to notify. Returns the route and notify costs.
    async fn downstream(&self, written: &[(String, String)], label: &str) -> Vec<Value> {
        let mut route_total = Tally::default();
        let published_before = self.publisher.events().len();
        let mut pending: Vec<(String, String)> =
            written.iter().filter(|(_, sk)| sk.starts_with("HISTORY#")).cloned().collect();
        let mut invocations = 0;
        while !pending.is_empty() {
            let mut images = Vec::new();
            for (pk, sk) in &pending {
                images.push(town311_bench::raw_image(&self.raw, &self.table, pk, sk).await);
            }
            let event =
                serde_json::from_value(town311_bench::stream_batch(&images)).unwrap_or_else(|e| fail(e));
            self.meter.take();
            let response = route::handle(&self.route, LambdaEvent::new(event, Context::default()))
                .await
                .unwrap_or_else(|e| fail(e));
            if !response.batch_item_failures.is_empty() {
                fail(format!("route failed a record after {label}"));
            }
            invocations += 1;
            let tally = self.meter.take();
            pending = tally.written.iter().filter(|(_, sk)| sk.starts_with("HISTORY#")).cloned().collect();
            add(&mut route_total, tally);
        }
        let events: Vec<_> = self.publisher.events().into_iter().skip(published_before).collect();
        let mut route_cost = cost(&format!("route after {label}"), &route_total, events.len(), 0);
        route_cost["invocations"] = json!(invocations);
        route_cost["events"] = json!(events.iter().map(|e| e.event_type.as_str()).collect::<Vec<_>>());
        let public: Vec<String> = events
            .iter()
            .filter(|e| e.public)
            .map(|e| serde_json::to_string(e).unwrap_or_else(|e| fail(e)))
            .collect();
        let mut out = vec![route_cost];
        if !public.is_empty() {
            let sent_before = self.messenger.sent().len();
            let event = serde_json::from_value(town311_bench::sns_event(&public)).unwrap_or_else(|e| fail(e));
            self.meter.take();
            notify::handle(&self.notify, LambdaEvent::new(event, Context::default()))
                .await
                .unwrap_or_else(|e| fail(format!("notify failed a message after {label}: {e}")));
            let tally = self.meter.take();
            let sent = self.messenger.sent().len() - sent_before;
            let mut c = cost(&format!("notify after {label}"), &tally, 0, sent);
            c["messages_in"] = json!(public.len());
            out.push(c);
        }
        out
    }
}

async fn journey(endpoint: &str, root: &std::path::Path) -> Vec<Value> {
    // A table of its own: the town holds only what this journey files.
    let stack = Stack::provision(endpoint, root, "journey").await;
    let meter = DynamoMeter::new(town311_bench::meter::template_indexes(root));
    let table = Arc::new(town311::adapters::aws::DynamoTable::with_client(
        meter.client(&stack.sdk),
        &stack.config.table_name,
    ));
    let config = stack.config.clone();
    // As each function holds it (town311::adapters::cached_catalog): its own copy per instance.
    let cached = || {
        town311::adapters::cached_catalog::CachedCatalog::new(
            table.clone(),
            town311::adapters::cached_catalog::MAX_AGE,
        )
    };
    let catalogs = [cached(), cached(), cached(), cached()];
    let publisher = Arc::new(RecordingPublisher::default());
    let messenger = Arc::new(RecordingMessenger::default());
    let submit = submit::State {
        config: config.clone(),
        tickets: table.clone(),
        catalog: catalogs[0].clone(),
        keys: table.clone(),
        photos: Arc::new(town311::adapters::aws::S3Photos::new(&stack.sdk, &config)),
        links: Arc::new(town311::adapters::aws::S3Links::new(&stack.sdk, &config)),
        clock: Arc::new(SystemClock),
        ids: Arc::new(OsRandom),
        rates: table.clone(),
        addresses: table.clone(),
    };
    let query = query::State {
        config: config.clone(),
        tickets: table.clone(),
        stats: table.clone(),
        catalog: catalogs[1].clone(),
        uploads: table.clone(),
        banners: table.clone(),
        templates: table.clone(),
        links: Arc::new(town311::adapters::aws::S3Links::new(&stack.sdk, &config)),
        addresses: table.clone(),
        directory: Arc::new(town311::adapters::aws::directory::NoDirectory),
        clock: Arc::new(SystemClock),
    };
    let update = update::State {
        config: config.clone(),
        tickets: table.clone(),
        catalog: table.clone(),
        deliveries: table.clone(),
        rates: table.clone(),
        banners: table.clone(),
        templates: table.clone(),
        addresses: table.clone(),
        photos: Arc::new(town311::adapters::aws::S3Photos::new(&stack.sdk, &config)),
        ids: Arc::new(OsRandom),
        clock: Arc::new(SystemClock),
        privacy: table.clone(),
    };
    let j = Journey {
        meter: meter.clone(),
        raw: aws_sdk_dynamodb::Client::new(&stack.sdk),
        table: config.table_name.clone(),
        publisher: publisher.clone(),
        messenger: messenger.clone(),
        route: route::State {
            tickets: table.clone(),
            catalog: catalogs[2].clone(),
            outbox: table.clone(),
            uploads: table.clone(),
            photos: Arc::new(town311::adapters::aws::S3Photos::new(&stack.sdk, &config)),
            events: publisher.clone(),
            clock: Arc::new(SystemClock),
            dead_letters: None,
            work: None,
            stats: table.clone(),
            timezone: config.timezone,
            privacy: table.clone(),
            contact_retention_days: town311::domain::privacy::DEFAULT_RETENTION_DAYS,
        },
        notify: notify::State {
            config: config.clone(),
            tickets: table.clone(),
            catalog: catalogs[3].clone(),
            deliveries: table.clone(),
            rates: table.clone(),
            messenger: messenger.clone(),
            work: None,
            clock: Arc::new(SystemClock),
            ids: Arc::new(OsRandom),
        },
    };
    let mut costs = Vec::new();

    // What each cold start of submit, query, route and notify reads before its first request.
    meter.take();
    {
        use town311::ports::Catalog;
        catalogs[1].departments().await.unwrap_or_else(|e| fail(e));
        costs.push(cost(
            "catalog load (at each cold start of submit, query, route, notify)",
            &meter.take(),
            0,
            0,
        ));
        for catalog in [&catalogs[0], &catalogs[2], &catalogs[3]] {
            catalog.departments().await.unwrap_or_else(|e| fail(e));
        }
    }

    // A warm-up submission elsewhere in town, so the journey below sees warm clients (as a warm
    // function does) and no duplicate nearby.
    let response =
        submit::handle(&submit, request(requests::submit_elsewhere(20))).await.unwrap_or_else(|e| fail(e));
    expect_ok("submit", &response);
    meter.take();

    let id = submit_one(&submit).await;
    let tally = meter.take();
    costs.push(cost("submit", &tally, 0, 0));
    costs.extend(j.downstream(&tally.written, "submit").await);

    let response = query::handle(&query, request(requests::lookup(&id))).await.unwrap_or_else(|e| fail(e));
    expect_ok("lookup", &response);
    costs.push(cost("lookup (GET requests/{id}.json)", &meter.take(), 0, 0));

    let response = query::handle(&query, request(requests::services())).await.unwrap_or_else(|e| fail(e));
    expect_ok("services", &response);
    costs.push(cost("catalog (GET services.json)", &meter.take(), 0, 0));

    let version = {
        use town311::ports::TicketStore;
        let ticket_id =
            town311::domain::id::TicketId::parse(&id).unwrap_or_else(|_| fail("bad ticket number"));
        table
            .get(&ticket_id)
            .await
            .unwrap_or_else(|e| fail(e))
            .unwrap_or_else(|| fail("ticket vanished"))
            .version
    };
    meter.take();
    let response = update::handle(&update, request(requests::status_change(&id, version, "in_progress")))
        .await
        .unwrap_or_else(|e| fail(e));
    expect_ok("status change", &response);
    let tally = meter.take();
    costs.push(cost("status change (set_status)", &tally, 0, 0));
    costs.extend(j.downstream(&tally.written, "status change").await);

    let response = update::handle(&update, request(requests::follow(&id))).await.unwrap_or_else(|e| fail(e));
    expect_ok("follow", &response);
    let tally = meter.take();
    costs.push(cost("follow", &tally, 0, 0));

    // A page of requests with their public history, as an Open311 client reads the town.
    let raw_table = town311::adapters::aws::DynamoTable::with_client(j.raw.clone(), &config.table_name);
    file_listed(&raw_table, LISTED).await;
    meter.take();
    let response = query::handle(&query, request(requests::listing_with_extensions(LISTED)))
        .await
        .unwrap_or_else(|e| fail(e));
    expect_ok("listing", &response);
    if body_json(&response).as_array().map(Vec::len) != Some(LISTED) {
        fail(format!("the listing did not hold {LISTED} requests"));
    }
    let label =
        format!("list {LISTED} requests with extensions (each with 2 history entries, 1 public note)");
    costs.push(cost(&label, &meter.take(), 0, 0));
    costs
}

/// The requests of a listing's page (Open311's largest page with extensions).
const LISTED: usize = town311::open311::params::MAX_EXTENDED_PAGE;

/// Files `n` requests, each with a public note after its submission, unmetered.
async fn file_listed(table: &town311::adapters::aws::DynamoTable, n: usize) {
    use town311::domain::lifecycle::{Action, Targets};
    use town311::domain::ticket::Actor;
    use town311::ports::{Catalog, TicketStore};
    let service = table
        .service("POTHOLE")
        .await
        .unwrap_or_else(|e| fail(e))
        .unwrap_or_else(|| fail("no POTHOLE service"));
    let now = chrono::Utc::now();
    for i in 0..n {
        let id = town311::domain::id::TicketId::generate(&OsRandom).unwrap_or_else(|e| fail(e));
        let at = now - chrono::Duration::minutes(i as i64 + 1);
        let request = town311::adapters::memory::phone_request("POTHOLE", &format!("{} Elm St", i + 1));
        let (ticket, entry) = town311::domain::ticket::Ticket::open(id, &service, request, at);
        table.create(&ticket, &entry, None, None).await.unwrap_or_else(|e| fail(e));
        let note = Action::Note { text: "Crew booked for this week".into(), public: true };
        let changed = ticket
            .apply(&note, Actor::Staff("bo".into()), at, Targets::default())
            .unwrap_or_else(|e| fail(format!("{e:?}")));
        table.apply(std::slice::from_ref(&changed)).await.unwrap_or_else(|e| fail(e));
    }
}

pub async fn run() {
    let out = arg("--out").unwrap_or_else(|| fail("--out FILE is required"));
    let iterations: usize = arg("--iterations").and_then(|n| n.parse().ok()).unwrap_or(2000);
    let handlers = handler_cpu(iterations).await;
    for h in &handlers {
        eprintln!(
            "  {:<8} {:<60} cpu median {:.3} ms p99 {:.3} ms",
            h["function"].as_str().unwrap_or_default(),
            h["operation"].as_str().unwrap_or_default(),
            h["cpu_ms"]["median"].as_f64().unwrap_or(f64::NAN),
            h["cpu_ms"]["p99"].as_f64().unwrap_or(f64::NAN)
        );
    }
    let calls = match (arg("--emulator"), arg("--root")) {
        (Some(endpoint), Some(root)) => journey(&endpoint, std::path::Path::new(&root)).await,
        _ => Vec::new(),
    };
    let report = json!({ "iterations": iterations, "handlers": handlers, "operations": calls });
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap_or_else(|e| fail(e)))
        .unwrap_or_else(|e| fail(format!("{out}: {e}")));
}
