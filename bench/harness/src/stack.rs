//! The emulator side of the bench: the table (from template.yaml's own definition), bucket,
//! topic, queue and email identity the functions are pointed at, the demo catalog and routing
//! rules, and the environment template.yaml gives each function.

use crate::fail;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
};
use serde_yaml::Value;
use std::collections::BTreeMap;

/// Names of the bench's resources in the emulator.
pub struct Stack {
    pub endpoint: String,
    pub sdk: aws_config::SdkConfig,
    pub config: town311::runtime::config::Config,
    pub queue_url: String,
}

/// SDK settings pointing at the emulator with dummy credentials.
pub async fn emulator_sdk(endpoint: &str) -> aws_config::SdkConfig {
    town311::adapters::aws::sdk_defaults()
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "bench",
        ))
        .load()
        .await
}

fn get<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(value, |v, key| &v[*key])
}

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_else(|| fail(format!("template.yaml: {key} is not text"))).to_owned()
}

fn key_schema(value: &Value) -> Vec<KeySchemaElement> {
    value["KeySchema"]
        .as_sequence()
        .unwrap_or_else(|| fail("template.yaml: KeySchema missing"))
        .iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(text(k, "AttributeName"))
                .key_type(KeyType::from(text(k, "KeyType").as_str()))
                .build()
                .unwrap_or_else(|e| fail(e))
        })
        .collect()
}

impl Stack {
    /// Creates the bench's resources (names starting with `prefix`) and seeds the demo catalog
    /// and routing rules.
    pub async fn provision(endpoint: &str, root: &std::path::Path, prefix: &str) -> Self {
        let sdk = emulator_sdk(endpoint).await;
        let template_text = std::fs::read_to_string(root.join("template.yaml")).unwrap_or_else(|e| fail(e));
        let template: Value = serde_yaml::from_str(&template_text).unwrap_or_else(|e| fail(e));
        let table = get(&template, &["Resources", "TicketsTable", "Properties"]);

        let table_name = format!("{prefix}-tickets");
        let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
        let mut create = dynamo
            .create_table()
            .table_name(&table_name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(key_schema(table)))
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build()
                    .unwrap_or_else(|e| fail(e)),
            );
        for a in table["AttributeDefinitions"].as_sequence().into_iter().flatten() {
            create = create.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(text(a, "AttributeName"))
                    .attribute_type(ScalarAttributeType::from(text(a, "AttributeType").as_str()))
                    .build()
                    .unwrap_or_else(|e| fail(e)),
            );
        }
        for g in table["GlobalSecondaryIndexes"].as_sequence().into_iter().flatten() {
            create = create.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(text(g, "IndexName"))
                    .set_key_schema(Some(key_schema(g)))
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()
                    .unwrap_or_else(|e| fail(e)),
            );
        }
        if let Err(e) = create.send().await {
            let exists = e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception());
            if !exists {
                fail(format!("CreateTable at {endpoint}: {}", town311::runtime::chain(&e)));
            }
        }
        let bucket = format!("{prefix}-photos");
        let _ = aws_sdk_s3::Client::new(&sdk).create_bucket().bucket(&bucket).send().await;
        let topic_arn = aws_sdk_sns::Client::new(&sdk)
            .create_topic()
            .name(format!("{prefix}-events"))
            .send()
            .await
            .unwrap_or_else(|e| fail(format!("CreateTopic: {}", town311::runtime::chain(&e))))
            .topic_arn
            .unwrap_or_else(|| fail("CreateTopic returned no ARN"));
        let queue_url = aws_sdk_sqs::Client::new(&sdk)
            .create_queue()
            .queue_name(format!("{prefix}-stream-failures"))
            .send()
            .await
            .unwrap_or_else(|e| fail(format!("CreateQueue: {}", town311::runtime::chain(&e))))
            .queue_url
            .unwrap_or_else(|| fail("CreateQueue returned no URL"));
        let mail_from = "311@millbrook.example";
        let _ =
            aws_sdk_sesv2::Client::new(&sdk).create_email_identity().email_identity(mail_from).send().await;

        let config = town311::runtime::config::Config {
            town_name: "Millbrook".into(),
            timezone: town311::domain::zone::TownZone::named("America/New_York").unwrap_or_else(|e| fail(e)),
            jurisdiction_id: None,
            table_name,
            photo_bucket: bucket,
            events_topic_arn: topic_arn,
            s3_force_path_style: true,
            api_key_policy: town311::domain::api_key::KeyPolicy::Open,
            web_origin: Some("https://www.millbrook.example".into()),
            form_key: None,
            public_url: Some("https://311.millbrook.example".into()),
            mail_from: Some(mail_from.into()),
            dead_letter_queue_url: Some(queue_url.clone()),
            notify_topic_arn: None,
            sms_countries: town311::domain::contact::SmsCountries::default(),
            // The benchmarks measure the functions, not the limit: one client sends everything.
            client_write_limit: u32::MAX,
            sms_daily_budget: u32::MAX,
            place_index: None,
            inbound: town311::runtime::config::Inbound {
                triage_department: "CLERK".into(),
                ..Default::default()
            },
            contact_secret: town311::domain::privacy::ContactSecret::new(
                town311::domain::privacy::LOCAL_SECRET.as_bytes(),
            )
            .unwrap_or_else(|e| fail(e.to_string())),
            contact_retention_days: town311::domain::privacy::DEFAULT_RETENTION_DAYS,
        };
        let stack = Self { endpoint: endpoint.to_owned(), sdk, config, queue_url };
        stack.seed(root).await;
        stack
    }

    async fn seed(&self, root: &std::path::Path) {
        use town311::ports::Catalog;
        let store = town311::adapters::aws::DynamoTable::new(&self.sdk, &self.config);
        let read =
            |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_else(|e| fail(format!("{p}: {e}")));
        let catalog = town311::domain::catalog::CatalogSeed::parse(&read("infra/seed/catalog.json"))
            .unwrap_or_else(|e| fail(e));
        town311::app::seed::store(&catalog, &store)
            .await
            .unwrap_or_else(|e| fail(town311::runtime::chain(&e)));
        if store.routing().await.unwrap_or_else(|e| fail(town311::runtime::chain(&e))).is_none() {
            let services = store.services().await.unwrap_or_else(|e| fail(town311::runtime::chain(&e)));
            let departments = store.departments().await.unwrap_or_else(|e| fail(town311::runtime::chain(&e)));
            let rules = town311::domain::routing::RoutingRules::parse(
                read("infra/seed/routing.json").as_bytes(),
                &services,
                &departments,
            )
            .unwrap_or_else(|e| fail(e));
            town311::app::routing::replace(&store, rules, "seed", chrono::Utc::now(), None)
                .await
                .unwrap_or_else(|e| fail(town311::runtime::chain(&e)));
        }
    }

    /// The environment template.yaml (Globals and the function's own) plus Lambda's own
    /// variables give a function, with the AWS endpoint on the emulator.
    pub fn environment(&self, function: &str, memory_mb: u32, runtime_api: &str) -> BTreeMap<String, String> {
        let c = &self.config;
        let mut env: BTreeMap<String, String> = [
            ("TOWN_NAME", c.town_name.as_str()),
            ("TOWN_TIMEZONE", "America/New_York"),
            ("JURISDICTION_ID", ""),
            ("TABLE_NAME", c.table_name.as_str()),
            ("PHOTO_BUCKET", c.photo_bucket.as_str()),
            ("EVENTS_TOPIC_ARN", c.events_topic_arn.as_str()),
            ("API_KEY_POLICY", "open"),
            ("WEB_ORIGIN", "https://www.millbrook.example"),
            ("PUBLIC_URL", "https://311.millbrook.example"),
            ("MAIL_FROM", c.mail_from.as_deref().unwrap_or_default()),
            ("RUST_LOG", "info"),
            ("CONTACT_SECRET", town311::domain::privacy::LOCAL_SECRET),
            ("CONTACT_RETENTION_DAYS", "90"),
            ("S3_FORCE_PATH_STYLE", "true"),
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_SESSION_TOKEN", "testing"),
            ("AWS_LAMBDA_RUNTIME_API", runtime_api),
            ("AWS_LAMBDA_FUNCTION_NAME", function),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
            ("LANG", "en_US.UTF-8"),
            ("TZ", ":UTC"),
            ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        env.insert("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), memory_mb.to_string());
        match function {
            "route" => {
                env.insert("DEAD_LETTER_QUEUE_URL".into(), self.queue_url.clone());
            }
            "web" => {
                env.insert("TOWN_MAP_CENTER".into(), "42.265,-71.805".into());
                env.insert("STAFF_CLIENT_ID".into(), "bench-client".into());
            }
            _ => {}
        }
        env
    }
}
