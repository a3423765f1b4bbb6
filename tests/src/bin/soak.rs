//! `make soak`: the storm-night scenario of `town311_tests::soak` at full size on the local
//! stack; writes `bench/report/soak.md` and `soak.json` and fails when a target is missed.
//!
//! Settings: `SOAK_REPORTS` (300), `SOAK_CLIENTS` (16), `SOAK_OUTAGE_SECONDS` (5), `SOAK_OUT`
//! (the report's path without extension, `bench/report/soak`), `EMULATOR_URL` (set by
//! bench/soak.sh), `SOAK_COMMIT` (the commit measured).

use std::time::Duration;
use town311_tests::soak::{Plan, SoakReport, run};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The processor, as /proc/cpuinfo names it, and how many cores there are.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim()))
        .unwrap_or("unknown processor")
        .to_owned();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{cores} cores ({model}), {}", std::env::consts::ARCH)
}

fn markdown(report: &SoakReport, measured: &str, machine: &str, commit: &str) -> String {
    let misses = report.misses();
    let verdict = if misses.is_empty() {
        "**All targets met**: 0 lost, 0 doubled, 0 unrouted, no server error outside the outages, drained within 60 s.".to_owned()
    } else {
        format!("**Targets missed**: {}.", misses.join(", "))
    };
    let rows = [
        ("Reports filed (distinct)", report.reports.to_string()),
        ("Concurrent clients", report.clients.to_string()),
        ("Reports sent twice at once with one Idempotency-Key", report.sent_twice.to_string()),
        ("HTTP requests for them, retries included", report.requests.to_string()),
        ("Tickets created", report.tickets_created.to_string()),
        ("Reports lost", report.lost.to_string()),
        ("Reports refused (4xx)", report.refused.to_string()),
        ("Duplicate tickets", report.duplicate_tickets.to_string()),
        ("Pairs answered with different tickets", report.pairs_answered_differently.to_string()),
        (
            "Staff notes added meanwhile (stale versions retried)",
            format!("{} ({})", report.staff_changes, report.staff_retries),
        ),
        ("Routing decisions written", report.routing_decisions.to_string()),
        ("Tickets never handled by the route function", report.unrouted.to_string()),
        ("Events published", report.events_published.to_string()),
        (
            "Events published twice (at least once; subscribers dedupe by event_id)",
            report.events_doubled.to_string(),
        ),
        ("Events never published", report.events_missing.to_string()),
        ("Notices expected / sent", format!("{} / {}", report.notices_expected, report.notices_sent)),
        ("Notices missing", report.notices_missing.to_string()),
        ("Notices doubled", report.notices_doubled.to_string()),
        (
            "Server errors during the outages (retried by the clients)",
            report.server_errors_in_outages.to_string(),
        ),
        ("Server errors outside the outages", report.server_errors_outside_outages.to_string()),
        (
            "Submission latency p50 / p99",
            format!("{:.0} ms / {:.0} ms", report.latency_p50_ms, report.latency_p99_ms),
        ),
        (
            "Drained after the last outage ended",
            if report.drained {
                format!("{:.1} s", report.drain_seconds)
            } else {
                format!("not within {:.0} s", report.drain_seconds)
            },
        ),
        ("Whole run", format!("{:.0} s", report.run_seconds)),
    ];
    let mut text = format!(
        "# town311 soak report\n\nMeasured {measured} on {machine}, commit {commit}, by `make soak`.\n\n\
         A storm night on the local stack (the emulator and the dev server's functions, debug build): \
         {} residents report at once from {} clients, a third of them sending each report twice at once \
         with one `Idempotency-Key`; a clerk adds a public note to every fifth ticket as it comes in; \
         the events topic (SNS) goes down for {:.0} s a third of the way in and the table (DynamoDB) for \
         {:.0} s two thirds of the way in. Clients retry what an outage refused, after the `Retry-After` \
         they are given, with the same key. A notification that fails is retried {:.0} s later, then {:.0} s \
         after that (Lambda waits about a minute, then two: longer than a short outage).\n\n{verdict}\n\n\
         | | |\n|---|---|\n",
        report.reports,
        report.clients,
        report.outage_seconds,
        report.outage_seconds,
        report.retry_after_seconds,
        2.0 * report.retry_after_seconds
    );
    for (what, value) in rows {
        text.push_str(&format!("| {what} | {value} |\n"));
    }
    text.push_str(
        "\nLatency is the local stack's (an emulator that applies DynamoDB requests one at a time, on \
         a shared machine), an upper bound for AWS, not a prediction of it.\n",
    );
    text
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() -> std::process::ExitCode {
    let plan = Plan {
        reports: usize::try_from(setting("SOAK_REPORTS", 300)).unwrap_or(300),
        clients: usize::try_from(setting("SOAK_CLIENTS", 16)).unwrap_or(16),
        outage: Duration::from_secs(setting("SOAK_OUTAGE_SECONDS", 5)),
        drain_limit: Duration::from_secs(300),
        // Twice the outage: as Lambda's minute before a retry outlasts a short AWS outage.
        retry_after: Duration::from_secs(2 * setting("SOAK_OUTAGE_SECONDS", 5)),
    };
    let out = std::env::var("SOAK_OUT").unwrap_or_else(|_| "bench/report/soak".into());
    let commit = std::env::var("SOAK_COMMIT").unwrap_or_else(|_| "unknown".into());
    eprintln!("soak: {} reports from {} clients, outages of {:?}", plan.reports, plan.clients, plan.outage);
    let report = run(&plan).await;
    let measured = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    let machine = machine();
    let json = serde_json::json!({
        "measured": measured, "machine": machine, "commit": commit, "report": report, "misses": report.misses(),
    });
    let written = std::fs::write(format!("{out}.json"), format!("{json:#}\n"))
        .and_then(|()| std::fs::write(format!("{out}.md"), markdown(&report, &measured, &machine, &commit)));
    if let Err(error) = written {
        eprintln!("soak: cannot write {out}.md/.json: {error}");
        return std::process::ExitCode::FAILURE;
    }
    println!("{}", markdown(&report, &measured, &machine, &commit));
    if report.misses().is_empty() { std::process::ExitCode::SUCCESS } else { std::process::ExitCode::FAILURE }
}
