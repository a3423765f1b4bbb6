//! The reliability scenario behind `make soak` and its smaller run in `make test`: a storm
//! night on the local stack. Many clients report at once (a third of the reports sent twice at
//! once with one `Idempotency-Key`, as a phone retrying on a flaky network), staff act on some
//! tickets meanwhile, SNS and then DynamoDB go down mid-run; every client retries what the
//! outage refused. Afterwards it counts what a town would care about: reports lost, tickets
//! doubled, tickets the route function never handled, notices missing or doubled, server
//! errors outside the outages, and how long the pipeline took to drain once AWS was back.

use crate::{TestStack, fault, outbox, spawn_routed_retrying, unique_phone};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use town311::domain::events::TicketEvent;
use town311::domain::notice::{Context, Notice};
use town311::domain::ticket::Change;
use town311::ports::TicketStore;

/// The size of a run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Distinct reports filed.
    pub reports: usize,
    /// Clients filing them at once.
    pub clients: usize,
    /// How long each outage (SNS, then DynamoDB) lasts.
    pub outage: Duration,
    /// How long the pipeline may take to drain after the last outage before the run gives up.
    pub drain_limit: Duration,
    /// How long a failed asynchronous invocation (notify) waits before its first retry, the
    /// second twice as long: Lambda waits about a minute, then two, longer than a short outage;
    /// the run keeps that order with waits longer than its outages.
    pub retry_after: Duration,
}

/// What a run found. Every "lost", "doubled", "unrouted" and "missing" figure should be 0.
#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    pub reports: usize,
    pub clients: usize,
    pub outage_seconds: f64,
    /// The wait before a failed asynchronous invocation's first retry (the second waits twice).
    pub retry_after_seconds: f64,
    /// Reports sent twice at once with one key.
    pub sent_twice: usize,
    /// HTTP requests made for the reports, retries included.
    pub requests: usize,
    /// Reports no attempt ever got a ticket for, or whose ticket is not in the table.
    pub lost: usize,
    /// Reports refused with a 4xx (a report that cannot be understood; none is sent here).
    pub refused: usize,
    pub tickets_created: usize,
    /// Tickets beyond the first for one report.
    pub duplicate_tickets: usize,
    /// Pairs sent at once with one key that were answered with different tickets.
    pub pairs_answered_differently: usize,
    /// Public notes staff added while the run went on, and the stale versions they retried.
    pub staff_changes: usize,
    pub staff_retries: usize,
    /// Routing decisions the route function wrote (history entries by the rules).
    pub routing_decisions: usize,
    /// Tickets whose creation never reached the topic (the route function never handled them).
    pub unrouted: usize,
    /// Events published to the topic, and those published more than once: the route function
    /// publishes at least once (an outage between publishing and remembering it means a second
    /// publish), and every subscriber tells events apart by `event_id` (notify sends nothing
    /// twice).
    pub events_published: usize,
    pub events_doubled: usize,
    /// History entries whose event never reached the topic.
    pub events_missing: usize,
    pub notices_expected: usize,
    pub notices_sent: usize,
    pub notices_doubled: usize,
    pub notices_missing: usize,
    /// Server errors answered to a request that overlapped an outage, and to one that did not.
    pub server_errors_in_outages: usize,
    pub server_errors_outside_outages: usize,
    /// Latency of the answered submissions (every attempt that got an answer).
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    /// From the last outage's end to the moment every event and notice was out.
    pub drain_seconds: f64,
    pub drained: bool,
    pub run_seconds: f64,
}

impl SoakReport {
    /// The targets a run must meet: nothing lost, doubled or unrouted, no server error outside
    /// an outage, and drained within 60 seconds of the last outage.
    pub fn misses(&self) -> Vec<String> {
        let zero = [
            ("lost reports", self.lost),
            ("refused reports", self.refused),
            ("duplicate tickets", self.duplicate_tickets),
            ("pairs answered with different tickets", self.pairs_answered_differently),
            ("unrouted tickets", self.unrouted),
            ("events missing", self.events_missing),
            ("notices missing", self.notices_missing),
            ("notices doubled", self.notices_doubled),
            ("server errors outside outages", self.server_errors_outside_outages),
        ];
        let mut misses: Vec<String> =
            zero.iter().filter(|(_, n)| *n > 0).map(|(what, n)| format!("{n} {what}")).collect();
        if !self.drained || self.drain_seconds > 60.0 {
            misses.push(format!("drained in {:.1} s (target: 60 s)", self.drain_seconds));
        }
        misses
    }
}

/// One report as a resident files it.
#[derive(Debug, Clone)]
struct Report {
    n: usize,
    marker: String,
    contact: Contact,
    fields: Vec<(String, String)>,
    key: String,
    twice: bool,
    staff_note: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Contact {
    Email(String),
    /// E.164, as the outbox records it.
    Sms(String),
}

/// One HTTP attempt: when it ran and what it got (0: no answer).
#[derive(Debug, Clone, Copy)]
struct Attempt {
    start: Instant,
    end: Instant,
    status: u16,
}

#[derive(Default)]
struct Tally {
    attempts: Vec<Attempt>,
    /// The ticket each report got (two for a pair sent at once).
    answered: BTreeMap<usize, Vec<String>>,
    refused: usize,
    staff_changes: usize,
    staff_retries: usize,
}

/// Services of the demo town and the answers they require.
const SERVICES: &[(&str, &[(&str, &str)])] = &[
    ("POTHOLE", &[("attribute[SIZE]", "large")]),
    ("TREE_DOWN", &[]),
    ("DRAIN", &[]),
    ("STREETLIGHT", &[("attribute[PROBLEM]", "out")]),
    ("SIGN", &[]),
];

fn plan_reports(run: &str, count: usize) -> Vec<Report> {
    (0..count)
        .map(|n| {
            let marker = format!("soak-{run}-{n}");
            let (service, answers) = SERVICES[n % SERVICES.len()];
            // Spread over the demo town's wards, some close enough to be probable duplicates.
            let lat = 42.270 + (n % 17) as f64 * 0.0012;
            let long = -71.810 + (n % 13) as f64 * 0.0015;
            let mut fields: Vec<(String, String)> = vec![
                ("service_code".into(), service.into()),
                ("lat".into(), format!("{lat:.6}")),
                ("long".into(), format!("{long:.6}")),
                ("description".into(), format!("Storm damage here ({marker})")),
            ];
            fields.extend(answers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
            let contact = if n % 4 == 3 {
                let (e164, typed) = unique_phone();
                fields.push(("phone".into(), typed));
                fields.push(("notify_by".into(), "sms".into()));
                Contact::Sms(e164)
            } else {
                let email = format!("{marker}@example.org");
                fields.push(("email".into(), email.clone()));
                Contact::Email(email)
            };
            Report {
                n,
                key: marker.clone(),
                marker,
                contact,
                fields,
                twice: n % 3 == 0,
                staff_note: n % 5 == 1,
            }
        })
        .collect()
}

/// The pause between two reports of one client.
const THINK_TIME: Duration = Duration::from_millis(150);

/// How long a client keeps retrying one report before it gives up (the report is then lost).
const CLIENT_PATIENCE: Duration = Duration::from_secs(180);

/// Sends a report until it is answered with a ticket (or refused), retrying server errors and
/// lost answers with the same key after the `Retry-After` the server asks for.
async fn file(stack: &TestStack, report: &Report, tally: &Mutex<Tally>) -> Option<String> {
    let given_up = Instant::now() + CLIENT_PATIENCE;
    while Instant::now() < given_up {
        let start = Instant::now();
        let sent = stack
            .client
            .post(stack.url("/open311/v2/requests.json"))
            .header("idempotency-key", &report.key)
            .form(&report.fields)
            .timeout(Duration::from_secs(30))
            .send()
            .await;
        let (status, retry_after, body) = match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                (status, retry_after, response.text().await.unwrap_or_default())
            }
            Err(_) => (0, None, String::new()),
        };
        tally.lock().await.attempts.push(Attempt { start, end: Instant::now(), status });
        match status {
            200..=299 => {
                let answer: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                return answer[0]["service_request_id"].as_str().map(str::to_owned);
            }
            400..=499 => {
                tally.lock().await.refused += 1;
                eprintln!("soak: report {} refused {status}: {body}", report.n);
                return None;
            }
            _ => {
                let wait = Duration::from_secs(retry_after.unwrap_or(1).clamp(1, 5));
                tokio::time::sleep(wait).await;
            }
        }
    }
    None
}

/// A clerk adds a public note as soon as the ticket is there, racing the route function:
/// a stale version is read again and retried, an outage waited out.
async fn staff_note(stack: &TestStack, token: &str, id: &str, tally: &Mutex<Tally>) {
    let given_up = Instant::now() + CLIENT_PATIENCE;
    while Instant::now() < given_up {
        let view = stack
            .staff(reqwest::Method::GET, &format!("/staff/v1/tickets/{id}"), Some(token), &[], None)
            .await;
        if view.status != 200 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        let version = view.json()["ticket"]["version"].clone();
        let action =
            json!({"action": "note", "text": "A crew is on the way.", "public": true, "version": version});
        let answer = stack
            .staff(
                reqwest::Method::POST,
                &format!("/staff/v1/tickets/{id}/actions"),
                Some(token),
                &[],
                Some(action),
            )
            .await;
        match answer.status {
            200 => {
                tally.lock().await.staff_changes += 1;
                return;
            }
            409 | 412 => tally.lock().await.staff_retries += 1,
            _ => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
    eprintln!("soak: the note on {id} was never written");
}

/// An outage's window.
#[derive(Debug, Clone, Copy)]
struct Window {
    down: Instant,
    up: Instant,
}

/// Takes one service down for `plan.outage` once `share` thirds of the reports are in.
async fn outage(service: &str, matching: &str, share: usize, plan: &Plan, filed: &AtomicUsize) -> Window {
    while filed.load(Ordering::Relaxed) * 3 < plan.reports * share {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    fault(service, matching, true).await;
    let down = Instant::now();
    tokio::time::sleep(plan.outage).await;
    fault(service, matching, false).await;
    Window { down, up: Instant::now() }
}

/// What the topic delivered to a queue subscribed to it: event ids, by ticket.
#[derive(Default)]
struct Published {
    /// How often each event id arrived.
    events: BTreeMap<String, usize>,
}

async fn receive_published(subscriber: &crate::Subscriber, published: &mut Published) {
    for _ in 0..1000 {
        let Ok(output) = subscriber
            .sqs
            .receive_message()
            .queue_url(&subscriber.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await
        else {
            return;
        };
        let messages = output.messages.unwrap_or_default();
        if messages.is_empty() {
            return;
        }
        for message in messages {
            let envelope: Value =
                serde_json::from_str(message.body().unwrap_or_default()).unwrap_or_default();
            let event: Value =
                serde_json::from_str(envelope["Message"].as_str().unwrap_or_default()).unwrap_or_default();
            if let Some(id) = event["event_id"].as_str() {
                *published.events.entry(id.to_owned()).or_default() += 1;
            }
            if let Some(receipt) = message.receipt_handle() {
                let _ = subscriber
                    .sqs
                    .delete_message()
                    .queue_url(&subscriber.queue_url)
                    .receipt_handle(receipt)
                    .send()
                    .await;
            }
        }
    }
}

/// Every ticket in the table, from the public listing (the run's stack holds only its own).
async fn listed_tickets(stack: &TestStack) -> Vec<Value> {
    let mut tickets = Vec::new();
    for page in 1..=10 {
        let answer = stack.get(&format!("/open311/v2/requests.json?page_size=1000&page={page}")).await;
        let listed = match answer.status {
            200 => answer.json().as_array().cloned().unwrap_or_default(),
            _ => Vec::new(),
        };
        let last = listed.len() < 1000;
        tickets.extend(listed);
        if last {
            break;
        }
    }
    tickets
}

/// What the pipeline owes each ticket, from its history as stored: the events to publish and
/// the notices its reporter should get.
struct Owed {
    events: BTreeSet<String>,
    /// The event of the ticket's creation, which the route function publishes after routing it.
    created: Option<String>,
    notices: usize,
    routing_decisions: usize,
}

async fn owed(stack: &TestStack, store: &dyn TicketStore, id: &str) -> Owed {
    let mut owed = Owed { events: BTreeSet::new(), created: None, notices: 0, routing_decisions: 0 };
    let Ok(ticket_id) = town311::domain::id::TicketId::parse(id) else { return owed };
    let (Ok(Some(ticket)), Ok(history)) = (store.get(&ticket_id).await, store.history(&ticket_id).await)
    else {
        return owed;
    };
    for entry in &history {
        let event_id = TicketEvent::new(entry).event_id;
        match entry.change {
            Change::Submitted { .. } => owed.created = Some(event_id.clone()),
            Change::Routed { .. } => owed.routing_decisions += 1,
            _ => {}
        }
        owed.events.insert(event_id);
        let context = Context {
            town: &stack.stack.config.town_name,
            timezone: stack.stack.config.timezone,
            ticket: &ticket,
            entry,
            department: None,
            status_url: None,
            language: ticket.reporter.language,
            replies: false,
        };
        if Notice::compose(&context).is_some() {
            owed.notices += 1;
        }
    }
    owed
}

/// Every ticket in the table and what the pipeline owes each.
async fn audit(stack: &TestStack, store: &dyn TicketStore) -> (Vec<Value>, BTreeMap<String, Owed>) {
    let tickets = listed_tickets(stack).await;
    let mut owed_by_ticket = BTreeMap::new();
    for ticket in &tickets {
        let id = ticket["service_request_id"].as_str().unwrap_or_default().to_owned();
        let owed = owed(stack, store, &id).await;
        owed_by_ticket.insert(id, owed);
    }
    (tickets, owed_by_ticket)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Runs the scenario on a fresh local stack (the emulator at `EMULATOR_URL`).
pub async fn run(plan: &Plan) -> SoakReport {
    let started = Instant::now();
    let stack = Arc::new(spawn_routed_retrying(plan.retry_after).await);
    let subscriber = stack.subscribe("soak").await;
    let run = format!("{:x}", chrono::Utc::now().timestamp_micros());
    let reports = Arc::new(plan_reports(&run, plan.reports));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let filed = Arc::new(AtomicUsize::new(0));
    // One clerk, signed in once (a token is good for an hour), whose notes race the reports.
    let clerk: Arc<str> = stack.token("soak-clerk", &["admin"]).await.into();

    let mut clients = tokio::task::JoinSet::new();
    for client in 0..plan.clients {
        let (stack, reports, tally, filed) = (stack.clone(), reports.clone(), tally.clone(), filed.clone());
        let clerk = clerk.clone();
        let count = plan.clients;
        clients.spawn(async move {
            let mut notes = Vec::new();
            for report in reports.iter().skip(client).step_by(count) {
                let ids: Vec<String> = if report.twice {
                    let (a, b) = tokio::join!(file(&stack, report, &tally), file(&stack, report, &tally));
                    a.into_iter().chain(b).collect()
                } else {
                    file(&stack, report, &tally).await.into_iter().collect()
                };
                filed.fetch_add(1, Ordering::Relaxed);
                if report.staff_note
                    && let Some(id) = ids.first()
                {
                    let (stack, tally, id, clerk) = (stack.clone(), tally.clone(), id.clone(), clerk.clone());
                    notes.push(tokio::spawn(async move { staff_note(&stack, &clerk, &id, &tally).await }));
                }
                tally.lock().await.answered.insert(report.n, ids);
                // A moment between two residents' reports from one client.
                tokio::time::sleep(THINK_TIME).await;
            }
            for note in notes {
                let _ = note.await;
            }
        });
    }
    // SNS (the events topic) goes down a third of the way in, DynamoDB (the table) two thirds.
    let (topic, table) = (&stack.stack.provisioned.topic_arn, &stack.stack.provisioned.table);
    let (sns, dynamodb) =
        tokio::join!(outage("sns", topic, 1, plan, &filed), outage("dynamodb", table, 2, plan, &filed));
    while clients.join_next().await.is_some() {}
    let cleared = sns.up.max(dynamodb.up);

    // Drain: every history entry's event on the topic, every notice in the outbox.
    let store = town311::adapters::aws::DynamoTable::new(&stack.stack.sdk, &stack.stack.config);
    let mut published = Published::default();
    let mut drained_at = None;
    let mut tickets: Vec<Value>;
    let mut owed_by_ticket: BTreeMap<String, Owed>;
    let mut sent_by_contact: BTreeMap<usize, usize>;
    let by_marker = |tickets: &[Value]| -> BTreeMap<String, Vec<String>> {
        let mut by_marker: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for ticket in tickets {
            let description = ticket["description"].as_str().unwrap_or_default();
            let id = ticket["service_request_id"].as_str().unwrap_or_default().to_owned();
            if let Some(marker) = description.split('(').nth(1).and_then(|m| m.strip_suffix(')')) {
                by_marker.entry(marker.to_owned()).or_default().push(id);
            }
        }
        by_marker
    };
    let deadline = Instant::now() + plan.drain_limit;
    let sent_to = |outbox: &crate::Outbox| -> BTreeMap<usize, usize> {
        reports
            .iter()
            .map(|report| {
                let sent = match &report.contact {
                    Contact::Email(address) => {
                        outbox.emails.iter().filter(|m| m.to.contains(address)).count()
                    }
                    Contact::Sms(phone) => outbox.sms.iter().filter(|(to, _)| to == phone).count(),
                };
                (report.n, sent)
            })
            .collect()
    };
    // Cheap looks (the topic's queue, the outbox) every half second; the audit of every
    // ticket's history only once nothing moved for a second, so the measuring does not slow
    // down what it measures.
    let (mut last_seen, mut last_progress, mut last_said) = ((0, 0), Instant::now(), Instant::now());
    let mut next_audit = Instant::now();
    loop {
        receive_published(&subscriber, &mut published).await;
        sent_by_contact = sent_to(&outbox().await);
        let seen = (published.events.len(), sent_by_contact.values().sum::<usize>());
        if seen != last_seen {
            (last_seen, last_progress) = (seen, Instant::now());
        }
        if last_said.elapsed() >= Duration::from_secs(10) {
            eprintln!(
                "soak: {:.0} s after the outages: {} events published, {} notices sent",
                cleared.elapsed().as_secs_f64(),
                seen.0,
                seen.1
            );
            last_said = Instant::now();
        }
        let quiet = last_progress.elapsed() >= Duration::from_secs(1);
        let out_of_time = Instant::now() > deadline;
        if (quiet && Instant::now() >= next_audit) || out_of_time {
            (tickets, owed_by_ticket) = audit(&stack, &store).await;
            let markers = by_marker(&tickets);
            let events_out = owed_by_ticket
                .values()
                .all(|owed| owed.events.iter().all(|id| published.events.contains_key(id)));
            let notices_out = reports.iter().all(|report| {
                let owed: usize = markers
                    .get(&report.marker)
                    .into_iter()
                    .flatten()
                    .filter_map(|id| owed_by_ticket.get(id))
                    .map(|o| o.notices)
                    .sum();
                sent_by_contact.get(&report.n).copied().unwrap_or_default() >= owed
            });
            if events_out && notices_out && tickets.len() >= reports.len() {
                drained_at = Some(last_progress);
                // One more quiet moment: a doubled event or notice would show.
                tokio::time::sleep(Duration::from_secs(2)).await;
                receive_published(&subscriber, &mut published).await;
                sent_by_contact = sent_to(&outbox().await);
                break;
            }
            if out_of_time {
                break;
            }
            next_audit = Instant::now() + Duration::from_secs(3);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let tally = tally.lock().await;
    let markers = by_marker(&tickets);
    let mut report = SoakReport {
        reports: plan.reports,
        clients: plan.clients,
        outage_seconds: plan.outage.as_secs_f64(),
        retry_after_seconds: plan.retry_after.as_secs_f64(),
        sent_twice: reports.iter().filter(|r| r.twice).count(),
        requests: tally.attempts.len(),
        lost: 0,
        refused: tally.refused,
        tickets_created: tickets.len(),
        duplicate_tickets: 0,
        pairs_answered_differently: 0,
        staff_changes: tally.staff_changes,
        staff_retries: tally.staff_retries,
        routing_decisions: owed_by_ticket.values().map(|o| o.routing_decisions).sum(),
        unrouted: 0,
        events_published: published.events.len(),
        events_doubled: published.events.values().filter(|n| **n > 1).count(),
        events_missing: owed_by_ticket
            .values()
            .map(|o| o.events.iter().filter(|id| !published.events.contains_key(*id)).count())
            .sum(),
        notices_expected: 0,
        notices_sent: 0,
        notices_doubled: 0,
        notices_missing: 0,
        server_errors_in_outages: 0,
        server_errors_outside_outages: 0,
        latency_p50_ms: 0.0,
        latency_p99_ms: 0.0,
        drain_seconds: drained_at
            .map_or(plan.drain_limit.as_secs_f64(), |at| at.saturating_duration_since(cleared).as_secs_f64()),
        drained: drained_at.is_some(),
        run_seconds: 0.0,
    };
    for r in reports.iter() {
        let ids = markers.get(&r.marker).cloned().unwrap_or_default();
        let answered = tally.answered.get(&r.n).cloned().unwrap_or_default();
        if ids.is_empty() || answered.is_empty() || answered.iter().any(|a| !ids.contains(a)) {
            report.lost += 1;
        }
        report.duplicate_tickets += ids.len().saturating_sub(1);
        if answered.windows(2).any(|pair| pair[0] != pair[1]) {
            report.pairs_answered_differently += 1;
        }
        let owed: usize = ids.iter().filter_map(|id| owed_by_ticket.get(id)).map(|o| o.notices).sum();
        let sent = sent_by_contact.get(&r.n).copied().unwrap_or_default();
        report.notices_expected += owed;
        report.notices_sent += sent;
        report.notices_doubled += sent.saturating_sub(owed);
        report.notices_missing += owed.saturating_sub(sent);
        for id in &ids {
            let created = owed_by_ticket.get(id).and_then(|o| o.created.clone());
            if created.is_none_or(|event| !published.events.contains_key(&event)) {
                report.unrouted += 1;
            }
        }
    }
    let overlaps = |a: &Attempt, w: &Window| a.start <= w.up && a.end >= w.down;
    for attempt in &tally.attempts {
        if attempt.status >= 500 || attempt.status == 0 {
            if overlaps(attempt, &sns) || overlaps(attempt, &dynamodb) {
                report.server_errors_in_outages += 1;
            } else {
                report.server_errors_outside_outages += 1;
            }
        }
    }
    let mut latencies: Vec<f64> = tally
        .attempts
        .iter()
        .filter(|a| (200..300).contains(&a.status))
        .map(|a| a.end.duration_since(a.start).as_secs_f64() * 1000.0)
        .collect();
    latencies.sort_by(f64::total_cmp);
    report.latency_p50_ms = percentile(&latencies, 50.0);
    report.latency_p99_ms = percentile(&latencies, 99.0);
    report.run_seconds = started.elapsed().as_secs_f64();
    report
}
