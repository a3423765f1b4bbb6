//! Cold starts against a local Lambda Runtime API.
//!
//! For each function, starts its x86-64 release binary (as Lambda starts `bootstrap`) with the
//! environment template.yaml gives it and the AWS endpoint on the emulator, and times, from the
//! moment before spawn: its first `GET /2018-06-01/runtime/invocation/next` (init done), and its
//! first `POST …/response` to a representative event (init plus the first request, with its
//! first AWS calls). HTTP functions get the same event a second time, to show what the first
//! request cost over a warm one. The process's peak RSS (VmHWM) and CPU time (schedstat, all
//! threads) are read while it waits for its next event; then it is killed. Functions are
//! started in turn, round after round, so each sees the same machine as the others.
//!
//! The functions reach the emulator through a forwarder here that notes when each connection
//! opens: a function that connects to AWS before its first `next` has done so during init.
//!
//! Usage: bench coldstart --emulator URL --root DIR --bin-dir DIR --out FILE [--runs N] [--port P]

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};
use town311_bench::{arg, fail, percentiles, requests, stack::Stack};

/// What a connection saw.
enum Seen {
    /// A `next` request; answer with an event (id, body) or drop the sender to hold it.
    Next(Instant, mpsc::Sender<(String, String)>),
    Response(Instant, String),
    Error(String, String),
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, String, Vec<u8>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name == "content-length" {
                length = value.parse().ok()?;
            } else if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).ok()?;
    }
    Some((method, path, body))
}

fn serve(stream: TcpStream, seen: mpsc::Sender<Seen>) {
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    while let Some((method, path, body)) = read_request(&mut reader) {
        let now = Instant::now();
        if method == "GET" && path.ends_with("/runtime/invocation/next") {
            let (tx, rx) = mpsc::channel();
            if seen.send(Seen::Next(now, tx)).is_err() {
                return;
            }
            let Ok((id, event)) = rx.recv() else { return };
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() + 10_000)
                .unwrap_or_default();
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nlambda-runtime-aws-request-id: {id}\r\n\
                 lambda-runtime-deadline-ms: {deadline}\r\n\
                 lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:000000000000:function:bench\r\n\
                 lambda-runtime-trace-id: Root=1-00000000-000000000000000000000000;Sampled=0\r\n\
                 content-length: {}\r\n\r\n",
                event.len()
            );
            if writer.write_all(head.as_bytes()).and_then(|_| writer.write_all(event.as_bytes())).is_err() {
                return;
            }
        } else {
            let text = String::from_utf8_lossy(&body).into_owned();
            let message = if path.ends_with("/response") {
                Seen::Response(now, text)
            } else {
                Seen::Error(path.clone(), text)
            };
            let _ = seen.send(message);
            if writer
                .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 16\r\n\r\n{\"status\":\"OK\"}\n")
                .is_err()
            {
                return;
            }
        }
    }
}

/// When each forwarded connection opened.
type Opened = Arc<Mutex<Vec<Instant>>>;

/// Forwards connections on an ephemeral port to the emulator, noting when each opened; returns
/// the URL to give the functions as their AWS endpoint.
fn forwarder(emulator: &str, opened: Opened) -> String {
    let target = emulator.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap_or_else(|e| fail(format!("forwarder: {e}")));
    let address = listener.local_addr().unwrap_or_else(|e| fail(format!("forwarder: {e}")));
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            opened.lock().unwrap_or_else(|p| p.into_inner()).push(Instant::now());
            let target = target.clone();
            std::thread::spawn(move || {
                let Ok(server) = TcpStream::connect(&target) else { return };
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                let (Ok(mut client_in), Ok(mut server_out)) = (client.try_clone(), server.try_clone()) else {
                    return;
                };
                let upstream = std::thread::spawn(move || {
                    let _ = std::io::copy(&mut client_in, &mut server_out);
                    let _ = server_out.shutdown(std::net::Shutdown::Write);
                });
                let (mut server_in, mut client_out) = (server, client);
                let _ = std::io::copy(&mut server_in, &mut client_out);
                let _ = client_out.shutdown(std::net::Shutdown::Write);
                let _ = upstream.join();
            });
        }
    });
    format!("http://{address}")
}

/// Peak resident set (VmHWM) in KB.
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time of every thread of the process so far, in nanoseconds.
fn cpu_ns(pid: u32) -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let text = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

struct Function {
    name: &'static str,
    kind: &'static str,
    memory_mb: u32,
    /// The events of each run (the first, and for HTTP functions a second).
    events: Vec<Vec<String>>,
}

#[derive(Default)]
struct Run {
    to_next_ms: f64,
    to_response_ms: f64,
    second_ms: Option<f64>,
    init_cpu_ms: f64,
    first_cpu_ms: f64,
    rss_kb: u64,
    /// Log bytes written by the time of the first response (init and the first request).
    log_bytes: u64,
    /// Log bytes of the second (warm) request.
    second_log_bytes: Option<u64>,
    status: Option<i64>,
    /// Whether its first AWS connection opened before its first `next` (None: it made none).
    connected_during_init: Option<bool>,
}

fn start(
    function: &Function,
    run: usize,
    binary: &std::path::Path,
    env: &BTreeMap<String, String>,
    seen: &mpsc::Receiver<Seen>,
    log: &std::path::Path,
    opened: &Opened,
) -> Result<Run, String> {
    let events = &function.events[run % function.events.len()];
    let log_file = std::fs::File::create(log).map_err(|e| e.to_string())?;
    let log_err = log_file.try_clone().map_err(|e| e.to_string())?;
    opened.lock().unwrap_or_else(|p| p.into_inner()).clear();
    let began = Instant::now();
    let mut first_next = began;
    let mut child = Command::new(binary)
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err)
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let pid = child.id();
    let ms = |t: Instant| t.duration_since(began).as_secs_f64() * 1e3;
    let mut result = Run::default();
    let mut handed = 0;
    let mut last_handed = began;
    let outcome = loop {
        match seen.recv_timeout(Duration::from_secs(20)) {
            Err(_) => break Err("no call to the Runtime API within 20 s".to_owned()),
            Ok(Seen::Next(t, reply)) => {
                if handed == 0 {
                    first_next = t;
                    result.to_next_ms = ms(t);
                    result.init_cpu_ms = cpu_ns(pid).unwrap_or(0) as f64 / 1e6;
                }
                if handed < events.len() {
                    last_handed = Instant::now();
                    let _ = reply.send((format!("bench-{run}-{handed}"), events[handed].clone()));
                    handed += 1;
                } else {
                    result.rss_kb = peak_rss_kb(pid).unwrap_or(0);
                    drop(reply);
                    break Ok(());
                }
            }
            Ok(Seen::Response(t, body)) => {
                if handed == 1 {
                    result.to_response_ms = ms(t);
                    result.first_cpu_ms = cpu_ns(pid).unwrap_or(0) as f64 / 1e6 - result.init_cpu_ms;
                    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    result.status = body["statusCode"].as_i64();
                    result.log_bytes = std::fs::metadata(log).map(|m| m.len()).unwrap_or(0);
                    if function.kind != "http"
                        && body
                            .get("batchItemFailures")
                            .and_then(Value::as_array)
                            .is_some_and(|f| !f.is_empty())
                    {
                        break Err(format!("{} reported failed records: {body}", function.name));
                    }
                } else {
                    result.second_ms = Some(t.duration_since(last_handed).as_secs_f64() * 1e3);
                }
            }
            Ok(Seen::Error(path, body)) => break Err(format!("{path}: {body}")),
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let first_connection = opened.lock().unwrap_or_else(|p| p.into_inner()).iter().min().copied();
    result.connected_during_init = first_connection.map(|at| at < first_next);
    if result.second_ms.is_some() {
        let total = std::fs::metadata(log).map(|m| m.len()).unwrap_or(0);
        result.second_log_bytes = Some(total.saturating_sub(result.log_bytes));
    }
    outcome.map(|()| result)
}

pub async fn run() {
    let endpoint = arg("--emulator").unwrap_or_else(|| fail("--emulator URL is required"));
    let root = std::path::PathBuf::from(arg("--root").unwrap_or_else(|| fail("--root DIR is required")));
    let bin_dir =
        std::path::PathBuf::from(arg("--bin-dir").unwrap_or_else(|| fail("--bin-dir DIR is required")));
    let out = arg("--out").unwrap_or_else(|| fail("--out FILE is required"));
    let runs: usize = arg("--runs").and_then(|n| n.parse().ok()).unwrap_or(40);
    let port: u16 = arg("--port").and_then(|n| n.parse().ok()).unwrap_or(3341);
    let memory: BTreeMap<String, u32> = arg("--memory")
        .unwrap_or_default()
        .split(',')
        .filter_map(|p| p.split_once('=').and_then(|(k, v)| Some((k.to_owned(), v.parse().ok()?))))
        .collect();

    let stack = Stack::provision(&endpoint, &root, "bench").await;
    let table = std::sync::Arc::new(town311::adapters::aws::DynamoTable::new(&stack.sdk, &stack.config));
    let submit_state = submit::State {
        config: stack.config.clone(),
        tickets: table.clone(),
        catalog: table.clone(),
        keys: table.clone(),
        photos: std::sync::Arc::new(town311::adapters::aws::S3Photos::new(&stack.sdk, &stack.config)),
        links: std::sync::Arc::new(town311::adapters::aws::S3Links::new(&stack.sdk, &stack.config)),
        clock: std::sync::Arc::new(town311::runtime::clock::SystemClock),
        ids: std::sync::Arc::new(town311::domain::id::OsRandom),
        rates: table.clone(),
        addresses: table.clone(),
    };
    // A fresh ticket per run for route and notify, so no run finds its work done already.
    let raw = aws_sdk_dynamodb::Client::new(&stack.sdk);
    let mut route_events = Vec::new();
    let mut notify_events = Vec::new();
    let mut first_id = String::new();
    for run in 0..runs {
        let request = requests::submit_elsewhere(run).into_request().unwrap_or_else(|e| fail(e));
        let response = submit::handle(&submit_state, request).await.unwrap_or_else(|e| fail(e));
        let answer: Value = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
        let id = answer[0]["service_request_id"]
            .as_str()
            .unwrap_or_else(|| fail(format!("submit: {answer}")))
            .to_owned();
        let image = town311_bench::raw_image(
            &raw,
            &stack.config.table_name,
            &format!("TICKET#{id}"),
            "HISTORY#0000000001",
        )
        .await;
        route_events.push(vec![town311_bench::stream_batch(&[image]).to_string()]);
        let entry = {
            use town311::ports::TicketStore;
            let ticket_id =
                town311::domain::id::TicketId::parse(&id).unwrap_or_else(|_| fail("bad ticket number"));
            table
                .history(&ticket_id)
                .await
                .unwrap_or_else(|e| fail(e))
                .into_iter()
                .next()
                .unwrap_or_else(|| fail("no history"))
        };
        let body = serde_json::to_string(&town311::domain::events::TicketEvent::new(&entry))
            .unwrap_or_else(|e| fail(e));
        notify_events.push(vec![town311_bench::sns_event(&[body]).to_string()]);
        if first_id.is_empty() {
            first_id = id;
        }
    }
    let http = |i: town311::http::apigw::Invocation| i.event().to_string();
    let twice = |e: String| vec![vec![e.clone(), e]];
    let functions = vec![
        Function { name: "hello", kind: "floor", memory_mb: 128, events: vec![vec!["{}".to_owned()]] },
        Function { name: "query", kind: "http", memory_mb: 0, events: twice(http(requests::services())) },
        Function { name: "submit", kind: "http", memory_mb: 0, events: twice(http(requests::submit())) },
        Function {
            name: "update",
            kind: "http",
            memory_mb: 0,
            events: twice(http(requests::follow(&first_id))),
        },
        Function { name: "web", kind: "http", memory_mb: 0, events: twice(http(requests::form_page())) },
        Function { name: "route", kind: "stream", memory_mb: 0, events: route_events },
        Function { name: "notify", kind: "topic", memory_mb: 0, events: notify_events },
        // Its init only: an event without a record (its processing is photo-bench's measure).
        Function {
            name: "photo",
            kind: "topic",
            memory_mb: 0,
            events: vec![vec![r#"{"Records":[]}"#.to_owned()]],
        },
        // Its init only, as photo's: an event without a record.
        Function {
            name: "inbound",
            kind: "topic",
            memory_mb: 0,
            events: vec![vec![r#"{"Records":[]}"#.to_owned()]],
        },
        // The morning digest, as the schedule starts it.
        Function { name: "escalation", kind: "schedule", memory_mb: 0, events: vec![vec!["{}".to_owned()]] },
    ];
    let opened: Opened = Arc::default();
    let aws_endpoint = forwarder(&endpoint, opened.clone());

    let listener =
        TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| fail(format!("127.0.0.1:{port}: {e}")));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = stream.set_nodelay(true);
            let tx = tx.clone();
            std::thread::spawn(move || serve(stream, tx));
        }
    });
    let logs = std::path::Path::new(&out).with_extension("logs");
    std::fs::create_dir_all(&logs).unwrap_or_else(|e| fail(e));
    let api = format!("127.0.0.1:{port}");
    let mut samples: BTreeMap<&str, Vec<Run>> = BTreeMap::new();
    for run in 0..runs {
        for f in &functions {
            let memory_mb =
                memory.get(f.name).copied().unwrap_or(if f.memory_mb > 0 { f.memory_mb } else { 256 });
            let mut env = stack.environment(f.name, memory_mb, &api);
            env.insert("AWS_ENDPOINT_URL".into(), aws_endpoint.clone());
            let binary = bin_dir.join(f.name);
            let log = logs.join(format!("{}.log", f.name));
            // A start that failed leaves a held connection behind; drain what it left.
            while rx.try_recv().is_ok() {}
            match start(f, run, &binary, &env, &rx, &log, &opened) {
                Ok(r) => samples.entry(f.name).or_default().push(r),
                Err(e) => fail(format!(
                    "{} run {run}: {e}\n{}",
                    f.name,
                    std::fs::read_to_string(&log).unwrap_or_default()
                )),
            }
        }
        if run % 10 == 9 {
            eprintln!("  {} rounds of {} starts", run + 1, functions.len());
        }
    }
    let mut report = Vec::new();
    for f in &functions {
        let runs = &samples[f.name];
        let col = |get: fn(&Run) -> f64| runs.iter().map(get).collect::<Vec<_>>();
        let seconds: Vec<f64> = runs.iter().filter_map(|r| r.second_ms).collect();
        let statuses: Vec<i64> = runs.iter().filter_map(|r| r.status).collect();
        let warm_logs: Vec<f64> = runs.iter().filter_map(|r| r.second_log_bytes.map(|b| b as f64)).collect();
        let warm_logs = if warm_logs.is_empty() { Value::Null } else { percentiles(&warm_logs) };
        let connected: Vec<bool> = runs.iter().filter_map(|r| r.connected_during_init).collect();
        report.push(json!({
            "function": f.name,
            "kind": f.kind,
            "runs": runs.len(),
            "to_first_next_ms": percentiles(&col(|r| r.to_next_ms)),
            "to_first_response_ms": percentiles(&col(|r| r.to_response_ms)),
            "second_invocation_ms": if seconds.is_empty() { Value::Null } else { percentiles(&seconds) },
            "init_cpu_ms": percentiles(&col(|r| r.init_cpu_ms)),
            "first_invocation_cpu_ms": percentiles(&col(|r| r.first_cpu_ms)),
            "peak_rss_kb": percentiles(&col(|r| r.rss_kb as f64)),
            "log_bytes_init_and_first": percentiles(&col(|r| r.log_bytes as f64)),
            "log_bytes_warm_request": warm_logs,
            "http_status": statuses.first(),
            "runs_connecting_to_aws": connected.len(),
            "runs_connected_during_init": connected.iter().filter(|c| **c).count(),
        }));
    }
    let report = json!({ "runs": runs, "functions": report });
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap_or_else(|e| fail(e)))
        .unwrap_or_else(|e| fail(format!("{out}: {e}")));
}
