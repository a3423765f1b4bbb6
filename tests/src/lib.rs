//! Helpers for the cross-function tests: each test gets its own local stack (own table, bucket,
//! topic and queue in the shared emulator, own dev server port), started through the same code
//! as `make run`.

pub mod soak;

use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use town311_local::provision::Names;
use town311_local::{
    ASYNC_RETRY_AFTER, DEMO_ADDRESSES_PATH, DEMO_CATALOG_PATH, DEMO_ROUTING_PATH, Settings, Stack,
    TEMPLATE_PATH,
};

/// A running local stack with an HTTP client.
pub struct TestStack {
    pub stack: Stack,
    pub client: reqwest::Client,
}

/// An HTTP answer: status, `Content-Type`, body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn unique_prefix() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("t{}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed), nanos % 1_000_000)
}

/// Starts a fresh stack against the emulator `make test` runs (`EMULATOR_URL`), with the demo
/// catalog and no routing rules (every request stays with its service's department).
pub async fn spawn() -> TestStack {
    spawn_with(&[]).await
}

/// Like `spawn`, with the demo town's routing rules too.
pub async fn spawn_routed() -> TestStack {
    start(&[], Some(PathBuf::from(DEMO_ROUTING_PATH)), None).await
}

/// Like `spawn_routed`, with the demo town's address points too.
pub async fn spawn_addressed() -> TestStack {
    start(&[], Some(PathBuf::from(DEMO_ROUTING_PATH)), Some(PathBuf::from(DEMO_ADDRESSES_PATH))).await
}

/// Like `spawn`, with template parameters set (e.g. `JurisdictionId`).
pub async fn spawn_with(parameters: &[(&str, &str)]) -> TestStack {
    start(parameters, None, None).await
}

/// Like `spawn`, with every function's clock the test's: it moves only when the test sets it.
pub async fn spawn_at(clock: std::sync::Arc<town311::runtime::clock::FixedClock>) -> TestStack {
    start_with(&[], None, None, Some(clock), ASYNC_RETRY_AFTER).await
}

/// Like `spawn_routed`, a failed asynchronous invocation retried `after` its failure (the n-th
/// retry n times that), as Lambda retries a minute, then two minutes, after: longer than the
/// outages a test plays, as Lambda's minutes are longer than a short outage in AWS.
pub async fn spawn_routed_retrying(after: std::time::Duration) -> TestStack {
    start_with(&[], Some(PathBuf::from(DEMO_ROUTING_PATH)), None, None, after).await
}

/// Sends the functions' logs, as the Lambdas write them in production (JSON lines, `RUST_LOG` or
/// `info`), to `target/logs/<test binary>-<pid>.jsonl`, once per test binary: `cargo test` would
/// otherwise capture and drop them, and `tests/privacy/logs.py` checks them for personal data.
fn keep_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Some(path) = log_path() else { return };
        let file = path
            .parent()
            .map(std::fs::create_dir_all)
            .and_then(Result::ok)
            .and_then(|()| std::fs::OpenOptions::new().create(true).append(true).open(&path).ok());
        match file {
            Some(file) => town311::runtime::telemetry::init_with_writer(std::sync::Mutex::new(file)),
            None => eprintln!("the functions' logs cannot be written to {}", path.display()),
        }
    });
}

/// `<target>/logs/<binary>-<pid>.jsonl`: the target directory is `CARGO_TARGET_DIR` when set,
/// else the one the binary was built in (a test's `<target>/debug/deps/<binary>-<hash>`, a
/// program's `<target>/debug/<binary>`).
pub fn log_path() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let target = match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => built_in(&exe)?,
    };
    let stem = exe.file_stem()?.to_string_lossy().into_owned();
    let binary = stem.rsplit_once('-').map_or(stem.as_str(), |(name, _hash)| name).to_owned();
    Some(target.join("logs").join(format!("{binary}-{}.jsonl", std::process::id())))
}

/// The target directory a binary was built in: above its profile directory, and above `deps`
/// for a test.
fn built_in(exe: &std::path::Path) -> Option<PathBuf> {
    let mut dir = exe.parent()?;
    if dir.file_name().is_some_and(|name| name == "deps") {
        dir = dir.parent()?;
    }
    Some(dir.parent()?.to_path_buf())
}

#[cfg(test)]
mod log_path_tests {
    use super::built_in;
    use std::path::{Path, PathBuf};

    #[test]
    fn tests_and_programs_write_their_logs_under_the_target_directory() {
        let test = built_in(Path::new("/repo/target/debug/deps/privacy-0123abcd"));
        assert_eq!(test, Some(PathBuf::from("/repo/target")));
        let program = built_in(Path::new("/repo/target/debug/soak"));
        assert_eq!(program, Some(PathBuf::from("/repo/target")));
    }
}

async fn start(
    parameters: &[(&str, &str)],
    routing_path: Option<PathBuf>,
    addresses_path: Option<PathBuf>,
) -> TestStack {
    start_with(parameters, routing_path, addresses_path, None, ASYNC_RETRY_AFTER).await
}

async fn start_with(
    parameters: &[(&str, &str)],
    routing_path: Option<PathBuf>,
    addresses_path: Option<PathBuf>,
    clock: Option<std::sync::Arc<town311::runtime::clock::FixedClock>>,
    async_retry_after: std::time::Duration,
) -> TestStack {
    keep_logs();
    let emulator_url = std::env::var("EMULATOR_URL")
        .expect("EMULATOR_URL is not set: run these tests with `make test`, which starts the emulator");
    let settings = Settings {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        emulator_url,
        names: Names::with_prefix(&format!("town311-{}", unique_prefix())),
        // Every test client is 127.0.0.1: tests not about the limits lift them.
        parameters: [("ClientWriteLimit", "100000"), ("SmsDailyBudget", "100000")]
            .iter()
            .chain(parameters)
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        template_path: PathBuf::from(TEMPLATE_PATH),
        catalog_path: Some(PathBuf::from(DEMO_CATALOG_PATH)),
        routing_path,
        addresses_path,
        templates_path: None,
        clock,
        // Each test makes the accounts it signs in with (`token`).
        demo_staff: false,
        async_retry_after,
    };
    let stack = Stack::start(settings).await.expect("the local stack starts");
    TestStack { stack, client: reqwest::Client::new() }
}

impl TestStack {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.stack.base_url)
    }

    async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.text().await.expect("a readable body");
        Answer { status, content_type, body }
    }

    pub async fn get(&self, path: &str) -> Answer {
        Self::answer(self.client.get(self.url(path)).send().await.expect("GET is answered")).await
    }

    /// POSTs form fields, urlencoded.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        Self::answer(self.client.post(self.url(path)).form(fields).send().await.expect("POST is answered"))
            .await
    }

    /// POSTs a raw body with a content type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Answer {
        let request = self.client.post(self.url(path)).header("content-type", content_type).body(body);
        Self::answer(request.send().await.expect("POST is answered")).await
    }
}

/// One part of a hand-built multipart body: a field, or a file with its name and type.
pub enum Part<'a> {
    Field(&'a str, &'a str),
    File { name: &'a str, filename: &'a str, content_type: &'a str, data: &'a [u8] },
}

/// The boundary `multipart` uses.
pub const BOUNDARY: &str = "town311-test-boundary-7MA4YWxkTrZu0gW";

/// A `multipart/form-data` body, written out byte by byte as clients send it.
pub fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Field(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                );
                body.extend_from_slice(value.as_bytes());
            }
            Part::File { name, filename, content_type, data } => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                         Content-Type: {content_type}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(data);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// A small JPEG-looking file (its first bytes are JPEG's) with CR, LF and dashes inside.
pub const JPEG_BYTES: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\r\n--\r\n\x00\xFF\xD9";

/// The password the tests' staff accounts get (the pool's policy: 12 characters, upper, lower, a digit).
pub const TEST_PASSWORD: &str = "Test-Passw0rd-311";

impl TestStack {
    /// What the stack's dead-letter queue holds now (waiting up to a second), each body as JSON;
    /// the letters read are taken off the queue.
    pub async fn dead_letters(&self) -> Vec<Value> {
        aws_sdk_sqs::Client::new(&self.stack.sdk)
            .receive_message()
            .queue_url(&self.stack.provisioned.failure_queue_url)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("the dead-letter queue answers")
            .messages()
            .iter()
            .map(|m| serde_json::from_str(m.body().unwrap_or_default()).expect("a JSON letter"))
            .collect()
    }

    /// A staff token from the stack's user pool, valid for an hour: `user` is made anew in just
    /// `groups` (a `dept-<CODE>` group is created the first time) with a password, and signs in
    /// with it (`USER_PASSWORD_AUTH`, as the admin page does).
    pub async fn token(&self, user: &str, groups: &[&str]) -> String {
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(&self.stack.sdk);
        let pool = &self.stack.staff;
        // Anew: in these groups only, whatever an earlier call gave the same name.
        let _ = cognito.admin_delete_user().user_pool_id(&pool.pool_id).username(user).send().await;
        let account = town311_local::cognito::Account { username: user, groups, password: TEST_PASSWORD };
        town311_local::cognito::create_account(&self.stack.sdk, pool, account, true)
            .await
            .expect("the user pool takes the account");
        self.sign_in(&pool.client_id, user, TEST_PASSWORD).await
    }

    /// The ID token of `user` signed in through the pool's app client `client_id`.
    pub async fn sign_in(&self, client_id: &str, user: &str, password: &str) -> String {
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(&self.stack.sdk);
        let signed = cognito
            .initiate_auth()
            .client_id(client_id)
            .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", user)
            .auth_parameters("PASSWORD", password)
            .send()
            .await
            .expect("the user pool signs the account in");
        signed.authentication_result().and_then(|r| r.id_token()).expect("tokens, no challenge").to_owned()
    }

    /// The staff view of a ticket (as an admin sees it) once `ready` holds of it: the stream and
    /// the queues work in the background. Gives up after ten seconds.
    pub async fn ticket_when(&self, id: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let token = self.token("ada", &["admin"]).await;
        let mut last = Value::Null;
        for _ in 0..100 {
            last = self
                .staff(reqwest::Method::GET, &format!("/staff/v1/tickets/{id}"), Some(&token), &[], None)
                .await
                .json();
            if ready(&last) {
                return last;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("ticket {id} never got there: {last}");
    }

    /// A staff action, as an admin, on the ticket as it is now: routing may write to it
    /// meanwhile (a probable duplicate flagged), and then the clerk reads it again, as the admin
    /// page does on a 412.
    pub async fn act(&self, id: &str, action: Value) {
        let token = self.token("ada", &["admin"]).await;
        let path = format!("/staff/v1/tickets/{id}/actions");
        let mut last = String::new();
        for _ in 0..5 {
            let view = self.ticket_when(id, |_| true).await;
            let mut action = action.clone();
            action["version"] = view["ticket"]["version"].clone();
            let answer = self.staff(reqwest::Method::POST, &path, Some(&token), &[], Some(action)).await;
            match answer.status {
                200 => return,
                412 => last = answer.body,
                other => panic!("{other}: {}", answer.body),
            }
        }
        panic!("the ticket kept changing: {last}");
    }

    /// A staff request with a bearer token (or none).
    pub async fn staff(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        Self::answer(request.send().await.expect("answered")).await
    }
}

/// An SQS queue subscribed to the stack's topic, as a department or an integration would be.
pub struct Subscriber {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
}

/// One message the topic delivered: the SNS envelope and the event inside it.
#[derive(Debug)]
pub struct Delivered {
    pub envelope: Value,
    pub event: Value,
}

impl Delivered {
    /// A message attribute's value.
    pub fn attribute(&self, name: &str) -> &str {
        self.envelope["MessageAttributes"][name]["Value"].as_str().unwrap_or_default()
    }
}

impl TestStack {
    /// Subscribes a new queue (named after `name`) to the stack's topic.
    pub async fn subscribe(&self, name: &str) -> Subscriber {
        let sqs = aws_sdk_sqs::Client::new(&self.stack.sdk);
        let sns = aws_sdk_sns::Client::new(&self.stack.sdk);
        let queue_name = format!("{}-{name}", self.stack.provisioned.table);
        let queue_url = sqs
            .create_queue()
            .queue_name(queue_name)
            .send()
            .await
            .expect("queue created")
            .queue_url
            .expect("url");
        let arn_name = aws_sdk_sqs::types::QueueAttributeName::QueueArn;
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(arn_name.clone())
            .send()
            .await
            .expect("queue attributes")
            .attributes
            .and_then(|a| a.get(&arn_name).cloned())
            .expect("queue ARN");
        sns.subscribe()
            .topic_arn(&self.stack.provisioned.topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .send()
            .await
            .expect("subscribed");
        Subscriber { sqs, queue_url }
    }
}

impl Subscriber {
    /// Receives messages until `done` holds of all received so far, then listens one more quiet
    /// second (a duplicate would show); gives up after `seconds`.
    pub async fn receive_until(&self, seconds: u32, done: impl Fn(&[Delivered]) -> bool) -> Vec<Delivered> {
        let mut received = Vec::new();
        for _ in 0..seconds {
            let output = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .wait_time_seconds(1)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive");
            let messages = output.messages.unwrap_or_default();
            let quiet = messages.is_empty();
            for message in messages {
                let envelope: Value =
                    serde_json::from_str(message.body().unwrap_or_default()).expect("an envelope");
                let event =
                    serde_json::from_str(envelope["Message"].as_str().unwrap_or_default()).expect("an event");
                received.push(Delivered { envelope, event });
            }
            if quiet && done(&received) {
                break;
            }
        }
        received
    }
}

/// What the emulator recorded as sent: SMS and emails (decoded).
#[derive(Debug, Default)]
pub struct Outbox {
    pub sms: Vec<(String, String)>,
    pub emails: Vec<Mail>,
}

/// One email as its reader sees it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
    pub list_unsubscribe: String,
    pub one_click: bool,
    /// Where answers go (the ticket's reply address), if the email says.
    pub reply_to: String,
}

/// Reads a raw MIME message as town311 writes it: headers, then a base64 text body.
pub fn read_mail(to: Vec<String>, raw: &str) -> Mail {
    use base64::Engine as _;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    // A folded header continues on lines that start with a space: join them back.
    let head = head.replace("\r\n ", " ").replace("\r\n\t", "\t");
    let header = |name: &str| {
        head.split("\r\n")
            .find_map(|line| {
                line.split_once(": ").filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
            })
            .unwrap_or_default()
            .to_owned()
    };
    let text = base64::engine::general_purpose::STANDARD
        .decode(body.replace(['\r', '\n'], ""))
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    Mail {
        to,
        subject: town311::adapters::aws::mail::decode_header(&header("Subject")),
        body: text,
        list_unsubscribe: header("List-Unsubscribe").trim_matches(['<', '>']).to_owned(),
        one_click: header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click",
        reply_to: header("Reply-To").trim_matches(['<', '>']).to_owned(),
    }
}

fn emulator_url() -> String {
    std::env::var("EMULATOR_URL").expect("EMULATOR_URL is set by make test")
}

/// Everything the emulator recorded as sent (by every test sharing it: filter by recipient).
pub async fn outbox() -> Outbox {
    let url = format!("{}/_town311/outbox", emulator_url());
    let answer: Value = reqwest::get(url).await.expect("the outbox answers").json().await.expect("JSON");
    let sms = answer["sms"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["to"].as_str().unwrap_or_default().to_owned(),
                m["text"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let emails = answer["emails"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let to = m["to"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect();
            read_mail(to, m["raw"].as_str().unwrap_or_default())
        })
        .collect();
    Outbox { sms, emails }
}

/// Makes the emulator answer 503 to `service` requests that mention `matching` (or lifts it).
pub async fn fault(service: &str, matching: &str, down: bool) {
    fault_saying(service, matching, down, "unavailable (fault injected)").await;
}

/// Like `fault`, the 503 carrying `message` (as a service's error may quote the recipient).
pub async fn fault_saying(service: &str, matching: &str, down: bool, message: &str) {
    let url = format!("{}/_town311/faults", emulator_url());
    let body = serde_json::json!({ "service": service, "match": matching, "down": down, "message": message });
    let answer = reqwest::Client::new().post(url).body(body.to_string()).send().await.expect("faults answer");
    assert_eq!(answer.status().as_u16(), 200);
}

/// A phone number no other test uses, in E.164 and as typed.
pub fn unique_phone() -> (String, String) {
    let mut bytes = [0u8; 4];
    town311::domain::id::IdSource::fill(&town311::domain::id::OsRandom, &mut bytes).expect("randomness");
    let n = u32::from_le_bytes(bytes) % 10_000_000;
    let (exchange, subscriber) = (200 + n / 10_000 % 800, n % 10_000);
    (format!("+1555{exchange:03}{subscriber:04}"), format!("555-{exchange:03}-{subscriber:04}"))
}

/// Makes every stream iterator the emulator handed out so far expire, as DynamoDB Streams'
/// do 15 minutes after they were handed out.
pub async fn expire_stream_iterators() {
    let url = format!("{}/_town311/streams/expire", emulator_url());
    let answer = reqwest::Client::new().post(url).send().await.expect("the emulator answers");
    assert_eq!(answer.status().as_u16(), 200);
}

/// The follow confirmation links sent so far to `to` (a number in E.164 or an address), by SMS
/// or email, oldest first; waits up to 30 seconds for the first.
pub async fn confirmation_links(to: &str) -> Vec<String> {
    let link_in = |text: &str| {
        text.split_whitespace()
            .find(|word| word.contains("/citizen/v1/follow/confirm?token="))
            .map(str::to_owned)
    };
    let mut links = Vec::new();
    for _ in 0..60 {
        let sent = outbox().await;
        let texts = sent.sms.iter().filter(|(number, _)| number == to).map(|(_, text)| text.as_str());
        let mails = sent.emails.iter().filter(|m| m.to.iter().any(|t| t == to)).map(|m| m.body.as_str());
        links = texts.chain(mails).filter_map(link_in).collect();
        if !links.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    links
}

/// Confirms the follow of `to` through the one link it was sent: the page (`GET`) only asks,
/// its button (`POST`) confirms.
pub async fn confirm_follow(stack: &TestStack, to: &str) {
    let links = confirmation_links(to).await;
    assert_eq!(links.len(), 1, "one confirmation to the follower: {links:?}");
    let page = stack.client.get(&links[0]).send().await.expect("the page answers");
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap_or_default().contains("<form method=\"post\""));
    let confirmed = stack.client.post(&links[0]).send().await.expect("the button answers");
    assert_eq!(confirmed.status().as_u16(), 200);
}

/// Delivers a raw email to the town's mail domain, as SES receives it (the emulator scans it,
/// stores it in the stack's bucket and the bucket tells the inbound queue). `verdicts` as SES
/// would give them, e.g. `spam=FAIL` (empty: everything passes).
pub async fn deliver_email(stack: &TestStack, raw: &str, verdicts: &str) {
    let url = format!("{}/_town311/inbound/email?bucket={}", emulator_url(), stack.stack.provisioned.bucket);
    let answer = reqwest::Client::new()
        .post(url)
        .header("x-town311-verdicts", verdicts)
        .body(raw.to_owned())
        .send()
        .await
        .expect("the emulator answers");
    assert_eq!(answer.status().as_u16(), 200, "{}", answer.text().await.unwrap_or_default());
}

/// Texts the town's number from `from`, as End User Messaging SMS publishes it.
pub async fn deliver_text(stack: &TestStack, from: &str, text: &str) {
    let topic =
        stack.stack.provisioned.topics.get("InboundTextsTopic").expect("the template's inbound texts topic");
    let url = format!("{}/_town311/inbound/sms", emulator_url());
    let body = serde_json::json!({ "topic_arn": topic, "from": from, "to": town311_local::LOCAL_SMS_NUMBER, "text": text });
    let answer =
        reqwest::Client::new().post(url).body(body.to_string()).send().await.expect("the emulator answers");
    assert_eq!(answer.status().as_u16(), 200, "{}", answer.text().await.unwrap_or_default());
}

/// The emails sent so far to `to`, waiting up to 30 seconds until `done` holds of them.
pub async fn emails_to(to: &str, done: impl Fn(&[Mail]) -> bool) -> Vec<Mail> {
    let mut mails = Vec::new();
    for _ in 0..60 {
        mails = outbox().await.emails.into_iter().filter(|m| m.to.iter().any(|t| t == to)).collect();
        if done(&mails) {
            return mails;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    mails
}

/// The texts sent so far to `to`, waiting up to 30 seconds until `done` holds of them.
pub async fn texts_to(to: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let mut texts = Vec::new();
    for _ in 0..60 {
        texts = outbox().await.sms.into_iter().filter(|(n, _)| n == to).map(|(_, t)| t).collect();
        if done(&texts) {
            return texts;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    texts
}
