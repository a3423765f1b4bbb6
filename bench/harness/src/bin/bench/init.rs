//! What a cold start's init spends, step by step, in a fresh process each time.
//!
//! `bench init` starts this binary again as `bench init-child <function>` `--runs` times per
//! function. The child does what the function's `main` does before asking Lambda for its first
//! event, in the same order, and prints the CPU time of each step (its thread's CPU; the first,
//! "before main", is the process's CPU when `main` begins: loading and relocating the binary,
//! the C runtime). The last, "connection ahead", is the catalog load (update: one absent key)
//! each function starts at init so its connection opens while the first event is fetched, run
//! to its first wait; AWS is pointed at a closed local port, so it is refused at once.
//!
//! The binary is the bench harness, which links every function: its "before main" is an upper
//! bound of each function's own. The cold starts (`coldstart.rs`) time the real binaries.
//!
//! Usage: bench init --out FILE [--runs N]

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;
use town311_bench::{arg, fail, percentiles};

const FUNCTIONS: [&str; 5] = ["submit", "query", "update", "route", "notify"];
const STEPS: [&str; 7] = [
    "before main",
    "tokio runtime",
    "log subscriber",
    "settings",
    "SDK configuration",
    "adapters and state",
    "connection ahead",
];

fn cpu_ns(clock: libc::clockid_t) -> u64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(clock, &mut t) };
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// The environment template.yaml gives the functions, with AWS pointed nowhere (nothing is called).
fn environment() -> Vec<(&'static str, &'static str)> {
    vec![
        ("TOWN_NAME", "Millbrook"),
        ("TOWN_TIMEZONE", "America/New_York"),
        ("JURISDICTION_ID", ""),
        ("TABLE_NAME", "bench-tickets"),
        ("PHOTO_BUCKET", "bench-photos"),
        ("EVENTS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:bench-events"),
        ("API_KEY_POLICY", "open"),
        ("WEB_ORIGIN", "https://www.millbrook.example"),
        ("PUBLIC_URL", "https://311.millbrook.example"),
        ("MAIL_FROM", "311@millbrook.example"),
        ("RUST_LOG", "info"),
        ("CONTACT_SECRET", town311::domain::privacy::LOCAL_SECRET),
        ("CONTACT_RETENTION_DAYS", "90"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_SESSION_TOKEN", "testing"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("DEAD_LETTER_QUEUE_URL", "http://127.0.0.1:9/123456789012/bench-dlq"),
    ]
}

/// The child: one function's init, step by step; prints `{"step": ns, ...}`.
pub fn child() {
    let before_main = cpu_ns(libc::CLOCK_PROCESS_CPUTIME_ID);
    let function = std::env::args().nth(2).unwrap_or_else(|| fail("init-child: which function?"));
    let mut spent = vec![("before main", before_main)];
    let mut mark = cpu_ns(libc::CLOCK_THREAD_CPUTIME_ID);
    let mut step = |name: &'static str| {
        let now = cpu_ns(libc::CLOCK_THREAD_CPUTIME_ID);
        spent.push((name, now - mark));
        mark = cpu_ns(libc::CLOCK_THREAD_CPUTIME_ID);
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(format!("tokio runtime: {e}")));
    step("tokio runtime");
    let _guard = runtime.enter();
    town311::runtime::telemetry::init_with_writer(std::io::sink);
    step("log subscriber");
    let config =
        town311::runtime::config::Config::from_env().unwrap_or_else(|e| fail(format!("settings: {e}")));
    step("settings");
    let sdk = town311::adapters::aws::function_sdk_config(Duration::from_secs(10))
        .unwrap_or_else(|e| fail(format!("SDK configuration: {e}")));
    step("SDK configuration");
    let aws = town311::adapters::aws::Adapters::new(&sdk, &config);
    let states: usize = match function.as_str() {
        "submit" => std::mem::size_of_val(&submit::State::from(&aws)),
        "query" => std::mem::size_of_val(&query::State::from(&aws)),
        "update" => std::mem::size_of_val(&update::State::from(&aws)),
        "route" => std::mem::size_of_val(&route::State::from(&aws)),
        "notify" => std::mem::size_of_val(&notify::State::from(&aws)),
        other => fail(format!("init-child: unknown function {other}")),
    };
    step("adapters and state");
    // As `main` does: let the catalog load it started (or update's connection read) run up to
    // its first wait (here the connection is refused at once; in AWS it waits on the handshake).
    runtime.block_on(tokio::task::yield_now());
    step("connection ahead");
    let out: BTreeMap<&str, u64> = spent.into_iter().collect();
    println!("{}", json!({ "function": function, "state_bytes": states, "ns": out }));
}

pub fn run() {
    let out = arg("--out").unwrap_or_else(|| fail("bench init: --out FILE"));
    let runs: usize = arg("--runs").and_then(|r| r.parse().ok()).unwrap_or(40);
    let exe = std::env::current_exe().unwrap_or_else(|e| fail(format!("bench init: {e}")));
    let mut functions = Vec::new();
    for function in FUNCTIONS {
        let mut by_step: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for _ in 0..runs {
            let output = Command::new(&exe)
                .args(["init-child", function])
                .env_clear()
                .envs(environment())
                .output()
                .unwrap_or_else(|e| fail(format!("bench init: {e}")));
            let line: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
                fail(format!("bench init {function}: {e}: {}", String::from_utf8_lossy(&output.stderr)))
            });
            for step in STEPS {
                let ns = line["ns"][step].as_u64().unwrap_or_default();
                by_step.entry(step).or_default().push(ns as f64 / 1e6);
            }
        }
        let steps: Vec<Value> = STEPS
            .iter()
            .map(|step| json!({ "step": step, "cpu_ms": percentiles(&by_step.remove(step).unwrap_or_default()) }))
            .collect();
        functions.push(json!({ "function": function, "runs": runs, "steps": steps }));
    }
    let report = json!({ "functions": functions });
    std::fs::write(&out, format!("{report:#}\n")).unwrap_or_else(|e| fail(format!("bench init: {out}: {e}")));
    println!("init profile: {out}");
}
