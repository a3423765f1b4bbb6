//! The local stack: the AWS emulator provisioned from template.yaml, a dev server that mounts
//! the function handlers on template.yaml's routes as API Gateway would, the table's stream fed
//! to the route handler as Lambda's event source mapping would, and each topic's messages to
//! the function it invokes asynchronously, as Lambda would.

pub mod auth;
pub mod cognito;
pub mod functions;
pub mod gateway;
pub mod invoke;
pub mod provision;
pub mod router;
pub mod stream;
pub mod template;

use functions::{Functions, UnknownFunction};
use gateway::Gateway;
use provision::{Names, ProvisionError, Provisioned};
use router::RouteTable;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use stream::StreamFeed;
use template::{Template, TemplateError};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use town311::adapters::aws::{Adapters, DynamoTable};
use town311::domain::catalog::CatalogSeed;
use town311::runtime::clock::FixedClock;
use town311::runtime::config::Config;

/// The template this checkout deploys.
pub const TEMPLATE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml");
/// The demo catalog.
pub const DEMO_CATALOG_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../seed/catalog.json");
/// The demo town's routing rules (wards, a downtown crew zone).
pub const DEMO_ROUTING_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../seed/routing.json");

/// The demo town's canned responses ("Which side of the street?", "Crew scheduled", …).
pub const DEMO_TEMPLATES_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../seed/templates.json");

/// The demo town's address points (infra/seed/addresses.py made them).
pub const DEMO_ADDRESSES_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../seed/addresses.csv");

/// The local stack's wait before an asynchronous invocation's first retry, unless set: a
/// second, where Lambda waits about a minute, so that tests of what fails every retry stay short.
pub const ASYNC_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// How to stand the local stack up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the dev server listens (port 0: any free port).
    pub bind: SocketAddr,
    /// The emulator's endpoint, e.g. `http://127.0.0.1:5311`.
    pub emulator_url: String,
    pub names: Names,
    /// Template parameter values that replace the defaults (e.g. `TownName`).
    pub parameters: BTreeMap<String, String>,
    pub template_path: PathBuf,
    /// The catalog to seed, if any.
    pub catalog_path: Option<PathBuf>,
    /// The routing rules to seed, if any (checked against the catalog).
    pub routing_path: Option<PathBuf>,
    /// The address points to load, if any (GeoJSON or CSV).
    pub addresses_path: Option<PathBuf>,
    /// The canned responses to seed, if any (checked against the catalog).
    pub templates_path: Option<PathBuf>,
    /// The time the functions see, if not the system's: tests of dates and deadlines move it.
    pub clock: Option<Arc<FixedClock>>,
    /// Whether to create the demo's staff accounts (`cognito::DEMO_STAFF`) before serving.
    pub demo_staff: bool,
    /// How long a failed asynchronous invocation waits before its first retry (the n-th waits n
    /// times as long). Lambda waits about a minute, then two; locally [`ASYNC_RETRY_AFTER`]
    /// unless `ASYNC_RETRY_SECONDS` says otherwise.
    pub async_retry_after: std::time::Duration,
}

/// A setting or step that failed.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("{name} is invalid: {reason}")]
    Setting { name: &'static str, reason: String },
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("could not create the resources in the emulator at {emulator} (is it running?)")]
    Provision {
        emulator: String,
        #[source]
        source: ProvisionError,
    },
    #[error(transparent)]
    Function(#[from] UnknownFunction),
    #[error("could not create the staff user pool in the emulator at {emulator}")]
    Cognito {
        emulator: String,
        #[source]
        source: cognito::CognitoError,
    },
    #[error(transparent)]
    Keys(#[from] auth::KeysError),
    #[error("cannot listen on {address}")]
    Listen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot seed from {path}: {reason}")]
    Seed { path: String, reason: String },
}

impl Settings {
    /// Reads `PORT`, `EMULATOR_PORT` (or `EMULATOR_URL`), `RESOURCE_PREFIX`, and the town's
    /// `TOWN_NAME`, `TOWN_TIMEZONE`, `TOWN_MAP_CENTER`, `JURISDICTION_ID`, `WEB_ORIGIN`,
    /// `API_KEY_POLICY`, `NOTIFICATIONS_FROM`, `CLIENT_WRITE_LIMIT`, `FORM_SECRET` (a new one
    /// each start when unset), and the `CATALOG`, `ROUTING`, `ADDRESSES` and `TEMPLATES` files to
    /// seed (`ROUTING=none` seeds no rules, `ADDRESSES=none` no address points, `TEMPLATES=none`
    /// no canned responses), and `ASYNC_RETRY_SECONDS`; defaults serve a demo.
    pub fn from_env() -> Result<Self, LocalError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let port = |name: &'static str, default: u16| -> Result<u16, LocalError> {
            var(name).map_or(Ok(default), |v| {
                v.parse()
                    .map_err(|_| LocalError::Setting { name, reason: format!("'{v}' is not a port number") })
            })
        };
        let async_retry_after = var("ASYNC_RETRY_SECONDS").map_or(Ok(ASYNC_RETRY_AFTER), |v| {
            v.parse::<u64>().map(std::time::Duration::from_secs).map_err(|_| LocalError::Setting {
                name: "ASYNC_RETRY_SECONDS",
                reason: format!("'{v}' is not a number of seconds"),
            })
        })?;
        let emulator_url = match var("EMULATOR_URL") {
            Some(url) => url,
            None => format!("http://127.0.0.1:{}", port("EMULATOR_PORT", 5311)?),
        };
        let parameters = [
            ("TOWN_NAME", "TownName"),
            ("TOWN_TIMEZONE", "TownTimezone"),
            ("JURISDICTION_ID", "JurisdictionId"),
            ("WEB_ORIGIN", "WebOrigin"),
            ("API_KEY_POLICY", "ApiKeyPolicy"),
            ("NOTIFICATIONS_FROM", "NotificationsFrom"),
            ("TOWN_MAP_CENTER", "TownMapCenter"),
            ("CLIENT_WRITE_LIMIT", "ClientWriteLimit"),
            ("SMS_DAILY_BUDGET", "SmsDailyBudget"),
            ("FORM_SECRET", "FormSecret"),
        ]
        .into_iter()
        .filter_map(|(env, parameter)| Some((parameter.to_owned(), var(env)?)))
        .collect();
        Ok(Self {
            bind: SocketAddr::from(([127, 0, 0, 1], port("PORT", 3311)?)),
            emulator_url,
            names: Names::with_prefix(&var("RESOURCE_PREFIX").unwrap_or_else(|| "town311".into())),
            parameters,
            template_path: PathBuf::from(TEMPLATE_PATH),
            catalog_path: Some(PathBuf::from(var("CATALOG").unwrap_or_else(|| DEMO_CATALOG_PATH.into()))),
            routing_path: match var("ROUTING") {
                Some(none) if none == "none" => None,
                other => Some(PathBuf::from(other.unwrap_or_else(|| DEMO_ROUTING_PATH.into()))),
            },
            addresses_path: match var("ADDRESSES") {
                Some(none) if none == "none" => None,
                other => Some(PathBuf::from(other.unwrap_or_else(|| DEMO_ADDRESSES_PATH.into()))),
            },
            templates_path: match var("TEMPLATES") {
                Some(none) if none == "none" => None,
                other => Some(PathBuf::from(other.unwrap_or_else(|| DEMO_TEMPLATES_PATH.into()))),
            },
            clock: None,
            demo_staff: true,
            async_retry_after,
        })
    }
}

/// What Lambda tells an invocation about itself: here, its deadline (`timeout` from now), which
/// functions read to leave work for a next invocation rather than be cut off.
pub fn invocation_context(timeout: std::time::Duration) -> lambda_runtime::Context {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let mut context = lambda_runtime::Context::default();
    context.deadline = u64::try_from((now + timeout).as_millis()).unwrap_or(u64::MAX);
    context
}

/// AWS SDK settings that point every client at the emulator.
pub async fn emulator_sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    town311::adapters::aws::sdk_defaults()
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "town311-local",
        ))
        .load()
        .await
}

/// A running local stack.
pub struct Stack {
    /// e.g. `http://127.0.0.1:3311`
    pub base_url: String,
    pub provisioned: Provisioned,
    /// The configuration the functions run with.
    pub config: Config,
    pub sdk: aws_config::SdkConfig,
    /// The wiring the functions run with, for tests that build a function's state themselves.
    pub adapters: Adapters,
    pub routes: RouteTable,
    /// The staff user pool, its app client and where its API is.
    pub staff: cognito::StaffPool,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Stack {
    /// Provisions the emulator from the template, seeds the catalog, and starts the dev server
    /// and the stream feed.
    pub async fn start(settings: Settings) -> Result<Self, LocalError> {
        let template = Template::load(&settings.template_path)?;
        let sdk = emulator_sdk_config(&settings.emulator_url).await;
        let listener = TcpListener::bind(settings.bind)
            .await
            .map_err(|source| LocalError::Listen { address: settings.bind, source })?;
        let address =
            listener.local_addr().map_err(|source| LocalError::Listen { address: settings.bind, source })?;
        let base_url = format!("http://{address}");

        let mut parameters = template.parameter_defaults();
        parameters.insert("WebOrigin".into(), base_url.clone());
        parameters.insert("PublicUrl".into(), base_url.clone());
        // Locally every email goes to the emulator's outbox, so the demo sends from a made-up town address.
        parameters.insert("NotificationsFrom".into(), "311@millbrook.example".into());
        // Conversations by email and text, as a town with a mail domain and a two-way number
        // has them: the emulator plays SES's receiving and End User Messaging's inbound texts.
        // A setting of "" turns either off, as an empty parameter does in AWS.
        parameters.insert("MailDomain".into(), LOCAL_MAIL_DOMAIN.into());
        parameters.insert("SmsNumber".into(), LOCAL_SMS_NUMBER.into());
        parameters.extend(settings.parameters.clone());
        // The form tokens' secret: the one given, or a new one for this run, shared by the web
        // and submit functions as template.yaml shares the parameter.
        if parameters.get("FormSecret").is_none_or(|s| s.trim().is_empty()) {
            parameters.insert("FormSecret".into(), random_hex()?);
        }
        if parameters.get("ReplySecret").is_none_or(|s| s.trim().is_empty()) {
            parameters.insert("ReplySecret".into(), random_hex()?);
        }
        let provisioned = provision::provision(&template, &sdk, &settings.names, &parameters)
            .await
            .map_err(|source| LocalError::Provision { emulator: settings.emulator_url.clone(), source })?;
        // Staff sign in at the emulator's Cognito: the page calls its API directly (the
        // emulator answers CORS), as it calls Cognito's in AWS.
        let staff_endpoint = format!("{}/", settings.emulator_url.trim_end_matches('/'));
        let staff =
            cognito::provision(&template, &sdk, &format!("{}-staff", settings.names.prefix), &staff_endpoint)
                .await
                .map_err(|source| LocalError::Cognito { emulator: settings.emulator_url.clone(), source })?;
        if settings.demo_staff {
            cognito::seed_demo_staff(&sdk, &staff)
                .await
                .map_err(|source| LocalError::Cognito { emulator: settings.emulator_url.clone(), source })?;
        }
        let authorizer = auth::Authorizer::fetch(&settings.emulator_url, &staff).await?;
        let config = function_config(&parameters, &provisioned)?;
        let map_center = parameters.get("TownMapCenter").map(String::as_str);
        let form_key = web::form_token::FormKey::new(get_trimmed(&parameters, "FormSecret").as_bytes())
            .map_err(|e| LocalError::Setting { name: "FORM_SECRET", reason: e.to_string() })?;
        let mut adapters = Adapters::new(&sdk, &config);
        if let Some(clock) = settings.clock.clone() {
            adapters = adapters.with_clock(clock);
        }
        // Seeded before the functions start: they load the catalog as they start (and keep it
        // for a minute, as in Lambda).
        if let Some(path) = &settings.catalog_path {
            seed(path, &adapters.table()).await?;
        }
        if let Some(path) = &settings.routing_path {
            seed_routing(path, &adapters.table()).await?;
        }
        if let Some(path) = &settings.templates_path {
            seed_templates(path, &adapters.table()).await?;
        }
        if let Some(path) = &settings.addresses_path {
            seed_addresses(path, adapters.addresses().as_ref()).await?;
        }
        // The web function's environment in template.yaml, from the same parameters.
        let privacy = web::Privacy::from_lookup(|name| match name {
            "CONTACT_RETENTION_DAYS" => parameters.get("ContactRetentionDays").cloned(),
            "LOG_RETENTION_DAYS" => parameters.get("LogRetentionDays").cloned(),
            _ => None,
        });
        let functions = Arc::new(Functions::build(
            &template.functions(),
            &adapters,
            &sdk,
            &staff,
            map_center,
            Some(form_key),
            privacy,
        )?);

        let routes = RouteTable::new(template.routes()?);
        let (shutdown, receiver) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let gateway = Arc::new(Gateway {
            routes: routes.clone(),
            functions: functions.clone(),
            authorizer,
            port: address.port(),
        });
        tasks.spawn(gateway.serve(listener, receiver.clone()));
        let route_state = Arc::new(route::State::from(&adapters));
        for source in template.stream_sources()? {
            if source.function != "RouteFunction" {
                return Err(UnknownFunction(source.function).into());
            }
            let feed = StreamFeed {
                streams: aws_sdk_dynamodbstreams::Client::new(&sdk),
                sqs: aws_sdk_sqs::Client::new(&sdk),
                stream_arn: provisioned.stream_arn.clone(),
                failure_queue_url: provisioned.failure_queue_url.clone(),
                source,
                route: route_state.clone(),
            };
            tasks.spawn(feed.run(receiver.clone()));
        }
        for source in template.topic_sources()? {
            let consumer = match source.function.as_str() {
                "NotifyFunction" => invoke::Consumer::Notify(functions.notify.clone()),
                "PhotoFunction" => invoke::Consumer::Photo(functions.photo.clone()),
                "InboundFunction" => invoke::Consumer::Inbound(functions.inbound.clone()),
                _ => return Err(UnknownFunction(source.function).into()),
            };
            let queue = |id: &str| {
                provisioned.queues.get(id).cloned().ok_or_else(|| LocalError::Setting {
                    name: "template.yaml",
                    reason: format!("{}: no queue {id} was provisioned", source.function),
                })
            };
            let invocations = queue(&source.subscription())?;
            let on_failure_url = match &source.on_failure {
                Some(id) => Some(queue(id)?.url),
                None => None,
            };
            let invoker = invoke::AsyncInvoker {
                sqs: aws_sdk_sqs::Client::new(&sdk),
                queue_url: invocations.url,
                source,
                consumer,
                on_failure_url,
                retry_after: settings.async_retry_after,
            };
            tasks.spawn(invoker.run(receiver.clone()));
        }
        Ok(Self { base_url, provisioned, config, sdk, adapters, routes, staff, shutdown, tasks })
    }

    /// Stops the dev server and the stream feed.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

/// The demo town's mail domain: mail to `report@` it, and to its reply addresses, goes to the
/// emulator's inbound endpoint (`make send`).
pub const LOCAL_MAIL_DOMAIN: &str = "311.millbrook.example";
/// The demo town's two-way number (a 555 number: fictional).
pub const LOCAL_SMS_NUMBER: &str = "+15555550311";

/// A parameter as the functions read it, trimmed.
fn get_trimmed(parameters: &BTreeMap<String, String>, name: &str) -> String {
    parameters.get(name).map(|v| v.trim().to_owned()).unwrap_or_default()
}

/// 32 random bytes in hex.
fn random_hex() -> Result<String, LocalError> {
    let mut bytes = [0u8; 32];
    town311::domain::id::IdSource::fill(&town311::domain::id::OsRandom, &mut bytes)
        .map_err(|e| LocalError::Setting { name: "random source", reason: e.to_string() })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The functions' configuration: what template.yaml's Globals set from its parameters.
fn function_config(
    parameters: &BTreeMap<String, String>,
    provisioned: &Provisioned,
) -> Result<Config, LocalError> {
    let parameter = |name: &str| parameters.get(name).cloned();
    // The environment template.yaml gives every function, from the same parameters, read by
    // the one loader the functions use in Lambda.
    let environment: BTreeMap<&str, Option<String>> = BTreeMap::from([
        ("TOWN_NAME", parameter("TownName")),
        ("TOWN_TIMEZONE", parameter("TownTimezone")),
        ("JURISDICTION_ID", parameter("JurisdictionId")),
        ("TABLE_NAME", Some(provisioned.table.clone())),
        ("PHOTO_BUCKET", Some(provisioned.bucket.clone())),
        ("EVENTS_TOPIC_ARN", Some(provisioned.topic_arn.clone())),
        ("API_KEY_POLICY", parameter("ApiKeyPolicy")),
        ("WEB_ORIGIN", parameter("WebOrigin")),
        ("PUBLIC_URL", parameter("PublicUrl")),
        ("MAIL_FROM", parameter("NotificationsFrom")),
        ("SMS_COUNTRIES", parameter("SmsCountries")),
        ("CLIENT_WRITE_LIMIT", parameter("ClientWriteLimit")),
        ("SMS_DAILY_BUDGET", parameter("SmsDailyBudget")),
        ("FORM_SECRET", parameter("FormSecret")),
        ("MAIL_DOMAIN", parameter("MailDomain")),
        ("REPLY_SECRET", parameter("ReplySecret")),
        // Contacts are keyed with the local stack's fixed secret unless one is given, so
        // `make privacy` finds them (a town's is its own, given at deploy).
        (
            "CONTACT_SECRET",
            parameter("ContactSecret").or_else(|| Some(town311::domain::privacy::LOCAL_SECRET.to_owned())),
        ),
        ("CONTACT_RETENTION_DAYS", parameter("ContactRetentionDays")),
        ("SMS_NUMBER", parameter("SmsNumber")),
        ("TRIAGE_DEPARTMENT", parameter("TriageDepartment")),
        ("ADDRESS_SOURCE", parameter("AddressSource")),
        ("PLACE_INDEX_NAME", parameter("PlaceIndexName")),
        ("TOWN_MAP_CENTER", parameter("TownMapCenter")),
        ("DEAD_LETTER_QUEUE_URL", Some(provisioned.failure_queue_url.clone())),
        ("NOTIFY_TOPIC_ARN", provisioned.topics.get("NotifyWorkTopic").cloned()),
        // The emulator serves buckets by path.
        ("S3_FORCE_PATH_STYLE", Some("true".to_owned())),
    ]);
    Config::from_lookup(|name| environment.get(name).cloned().flatten())
        .map_err(|e| LocalError::Setting { name: "the functions' environment", reason: e.to_string() })
}

/// Stores routing rules from a file, checked against the catalog already stored.
async fn seed_routing(path: &std::path::Path, store: &DynamoTable) -> Result<(), LocalError> {
    use town311::ports::Catalog;
    let fail = |reason: String| LocalError::Seed { path: path.display().to_string(), reason };
    let text = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let services = store.services().await.map_err(|e| fail(town311::runtime::chain(&e)))?;
    let departments = store.departments().await.map_err(|e| fail(town311::runtime::chain(&e)))?;
    let rules = town311::domain::routing::RoutingRules::parse(&text, &services, &departments)
        .map_err(|e| fail(e.to_string()))?;
    let stored = town311::app::routing::replace(store, rules, "seed", chrono::Utc::now(), None)
        .await
        .map_err(|e| fail(town311::runtime::chain(&e)))?;
    tracing::info!(areas = stored.areas.features.len(), rules = stored.rules.len(), "routing rules seeded");
    Ok(())
}

async fn seed_templates(path: &std::path::Path, store: &DynamoTable) -> Result<(), LocalError> {
    use town311::ports::Catalog;
    let fail = |reason: String| LocalError::Seed { path: path.display().to_string(), reason };
    let text = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let services = store.services().await.map_err(|e| fail(town311::runtime::chain(&e)))?;
    let templates =
        town311::domain::canned::CannedResponses::parse(&text, &services).map_err(|e| fail(e.to_string()))?;
    let stored = town311::app::canned::replace(store, templates, "seed", chrono::Utc::now(), None)
        .await
        .map_err(|e| fail(town311::runtime::chain(&e)))?;
    tracing::info!(templates = stored.templates.len(), "canned responses seeded");
    Ok(())
}

/// Loads the town's address points from a file; a file with rows refused is refused whole, as
/// the demo's must read cleanly.
async fn seed_addresses(
    path: &std::path::Path,
    store: &dyn town311::ports::Addresses,
) -> Result<(), LocalError> {
    let fail = |reason: String| LocalError::Seed { path: path.display().to_string(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let file =
        town311::app::addresses::load(store, &text).await.map_err(|e| fail(town311::runtime::chain(&e)))?;
    if let Some(first) = file.refused.first() {
        return Err(fail(format!("{} rows refused, the first {first}", file.refused.len())));
    }
    tracing::info!(addresses = file.addresses.len(), "address points seeded");
    Ok(())
}

async fn seed(path: &std::path::Path, store: &DynamoTable) -> Result<(), LocalError> {
    let fail = |reason: String| LocalError::Seed { path: path.display().to_string(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let catalog = CatalogSeed::parse(&text).map_err(|e| fail(e.to_string()))?;
    town311::app::seed::store(&catalog, store).await.map_err(|e| fail(town311::runtime::chain(&e)))?;
    tracing::info!(
        services = catalog.services.len(),
        departments = catalog.departments.len(),
        "catalog seeded"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use functions::HttpFunction;

    #[test]
    fn a_clock_handed_to_the_stack_is_the_one_every_function_reads() {
        let template = Template::load(std::path::Path::new(TEMPLATE_PATH)).unwrap();
        let provisioned = Provisioned {
            table: "town311".into(),
            stream_arn: String::new(),
            bucket: "photos".into(),
            topic_arn: "arn:aws:sns:us-east-1:000000000000:events".into(),
            failure_queue_url: String::new(),
            queues: BTreeMap::new(),
            topics: BTreeMap::new(),
        };
        let config = function_config(&template.parameter_defaults(), &provisioned).unwrap();
        // Outside a runtime, nothing the functions start at build time (catalog loads, the
        // connection ahead) runs: the test calls no emulator.
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let sdk = runtime.block_on(emulator_sdk_config("http://127.0.0.1:9"));
        drop(runtime);
        let noon = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let adapters = Adapters::new(&sdk, &config).with_clock(Arc::new(FixedClock::at(noon)));

        let staff = cognito::StaffPool {
            pool_id: "us-east-1_pool".into(),
            client_id: "client".into(),
            region: "us-east-1".into(),
            endpoint: "http://127.0.0.1:9/".into(),
        };
        let functions = Functions::build(
            &template.functions(),
            &adapters,
            &sdk,
            &staff,
            None,
            None,
            web::Privacy::default(),
        )
        .unwrap();

        assert_eq!(functions.route.clock.now(), noon);
        assert_eq!(functions.notify.clock.now(), noon);
        assert_eq!(functions.photo.clock.now(), noon);
        for (id, function) in &functions.http {
            let clock = match function {
                HttpFunction::Submit(state) => &state.clock,
                HttpFunction::Query(state) => &state.clock,
                HttpFunction::Update(state) => &state.clock,
                HttpFunction::Web(_) => continue,
            };
            assert_eq!(clock.now(), noon, "{id}");
        }
    }
}
