//! Creating the emulator's table, bucket, topics, queues and subscriptions from template.yaml's
//! own resource properties: no second, hand-written schema. A topic that invokes a function
//! (an `SNS` event) gets a queue of the function's own subscribed to it with the event's filter:
//! the stand-in for the queue Lambda keeps of a function's asynchronous invocations, which the
//! local stack invokes the function from (`crate::invoke`).

use crate::template::{Template, TemplateError, get_att, reference, resolve};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
};
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, CorsConfiguration, CorsRule, ExpirationStatus, LifecycleExpiration,
    LifecycleRule, LifecycleRuleAndOperator, LifecycleRuleFilter, PublicAccessBlockConfiguration, Transition,
    TransitionStorageClass,
};
use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;

/// The names the local resources get (in AWS, CloudFormation names them).
#[derive(Debug, Clone)]
pub struct Names {
    pub prefix: String,
    pub table: String,
    pub bucket: String,
    pub topic: String,
    pub failure_queue: String,
}

impl Names {
    /// Every name with the same prefix, e.g. `town311` or a test's own.
    pub fn with_prefix(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
            table: format!("{prefix}-tickets"),
            bucket: format!("{prefix}-photos"),
            topic: format!("{prefix}-events"),
            failure_queue: format!("{prefix}-dead-letters"),
        }
    }

    /// The name of the queue with this logical id (`NotifyQueue` → `<prefix>-notify-queue`).
    pub fn queue(&self, logical_id: &str) -> String {
        if logical_id == STREAM_FAILURE_QUEUE {
            return self.failure_queue.clone();
        }
        let mut name = self.prefix.clone();
        for c in logical_id.chars() {
            if c.is_ascii_uppercase() {
                name.push('-');
            }
            name.push(c.to_ascii_lowercase());
        }
        name
    }
}

/// The queue every function's failures go to (the stream's among them).
const STREAM_FAILURE_QUEUE: &str = "DeadLetterQueue";

/// A queue as created: its URL and ARN.
#[derive(Debug, Clone)]
pub struct Queue {
    pub url: String,
    pub arn: String,
}

/// What was created.
#[derive(Debug, Clone)]
pub struct Provisioned {
    pub table: String,
    pub stream_arn: String,
    pub bucket: String,
    pub topic_arn: String,
    pub failure_queue_url: String,
    /// Every queue, by logical id; a function's asynchronous invocations by the id of the
    /// subscription feeding them (`NotifyFunctionTicketEvents`).
    pub queues: BTreeMap<String, Queue>,
    /// Every topic's ARN, by logical id.
    pub topics: BTreeMap<String, String>,
}

/// A resource that could not be created.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("{resource}: {source}")]
    Aws {
        resource: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

fn aws(resource: &str) -> impl FnOnce(Box<dyn std::error::Error + Send + Sync>) -> ProvisionError + '_ {
    move |source| ProvisionError::Aws { resource: resource.to_owned(), source }
}

fn shape(what: String) -> ProvisionError {
    ProvisionError::Template(TemplateError::Shape(what))
}

fn field<'a>(map: &'a Mapping, name: &str) -> Option<&'a Value> {
    map.get(Value::String(name.to_owned()))
}

fn text(map: &Mapping, name: &str, context: &str) -> Result<String, ProvisionError> {
    field(map, name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| shape(format!("{context}: {name} is missing")))
}

fn list<'a>(map: &'a Mapping, name: &str) -> impl Iterator<Item = &'a Mapping> {
    field(map, name).and_then(Value::as_sequence).into_iter().flatten().filter_map(Value::as_mapping)
}

fn strings(map: &Mapping, name: &str) -> Vec<String> {
    field(map, name)
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn key_schema(map: &Mapping, context: &str) -> Result<Vec<KeySchemaElement>, ProvisionError> {
    list(map, "KeySchema")
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(text(k, "AttributeName", context)?)
                .key_type(KeyType::from(text(k, "KeyType", context)?.as_str()))
                .build()
                .map_err(|e| aws(context)(Box::new(e)))
        })
        .collect()
}

/// Creates every resource the functions use; resources that already exist are kept.
pub async fn provision(
    template: &Template,
    sdk: &aws_config::SdkConfig,
    names: &Names,
    parameters: &BTreeMap<String, String>,
) -> Result<Provisioned, ProvisionError> {
    let (table_id, table) = template.single("AWS::DynamoDB::Table")?;
    let stream_arn = create_table(sdk, &names.table, &resolve_map(&table, parameters)?, &table_id).await?;
    let (bucket_id, mut bucket) = template.single("AWS::S3::Bucket")?;
    // Its notifications name topics, set up once they exist.
    let notifications = bucket.remove(Value::String("NotificationConfiguration".into()));
    create_bucket(sdk, &names.bucket, &resolve_map(&bucket, parameters)?, &bucket_id).await?;
    let topics = create_topics(template, sdk, names).await?;
    let topic_arn = topics
        .get(EVENTS_TOPIC)
        .cloned()
        .ok_or_else(|| shape(format!("no {EVENTS_TOPIC} in the template")))?;
    let mut queues = create_queues(template, sdk, names).await?;
    if let Some(notifications) = notifications.as_ref().and_then(Value::as_mapping) {
        notify_topics(sdk, &names.bucket, notifications, &topics).await?;
    }
    subscribe_queues(template, sdk, &topics, &queues).await?;
    queues.extend(subscribe_functions(template, sdk, names, &topics).await?);
    if let Some(from) = parameters.get("NotificationsFrom").filter(|f| !f.is_empty()) {
        create_email_identity(sdk, from).await?;
    }
    let failure_queue_url = queues
        .get(STREAM_FAILURE_QUEUE)
        .map(|q| q.url.clone())
        .ok_or_else(|| shape(format!("no {STREAM_FAILURE_QUEUE} in the template")))?;
    Ok(Provisioned {
        table: names.table.clone(),
        stream_arn,
        bucket: names.bucket.clone(),
        topic_arn,
        failure_queue_url,
        queues,
        topics,
    })
}

/// The topic ticket events are published to; the others (the inbound texts) are named after
/// their logical id.
const EVENTS_TOPIC: &str = "EventsTopic";

/// Every unconditional `AWS::SNS::Topic`, by logical id.
async fn create_topics(
    template: &Template,
    sdk: &aws_config::SdkConfig,
    names: &Names,
) -> Result<BTreeMap<String, String>, ProvisionError> {
    let client = aws_sdk_sns::Client::new(sdk);
    let mut topics = BTreeMap::new();
    for (id, _) in template.resources_of_type("AWS::SNS::Topic") {
        if template.resource(&id).is_some_and(|r| r.get("Condition").is_some()) {
            continue;
        }
        let name = if id == EVENTS_TOPIC { names.topic.clone() } else { names.queue(&id) };
        let arn = client
            .create_topic()
            .name(&name)
            .send()
            .await
            .map_err(|e| aws(&name)(Box::new(e)))?
            .topic_arn
            .ok_or_else(|| shape("CreateTopic returned no ARN".into()))?;
        topics.insert(id, arn);
    }
    Ok(topics)
}

/// Every `AWS::SQS::Queue`, dead-letter queues before the queues that name them.
async fn create_queues(
    template: &Template,
    sdk: &aws_config::SdkConfig,
    names: &Names,
) -> Result<BTreeMap<String, Queue>, ProvisionError> {
    use aws_sdk_sqs::types::QueueAttributeName;
    let client = aws_sdk_sqs::Client::new(sdk);
    let mut definitions = template.resources_of_type("AWS::SQS::Queue");
    definitions.sort_by_key(|(_, props)| field(props, "RedrivePolicy").is_some());
    let mut queues = BTreeMap::new();
    for (id, props) in definitions {
        let name = names.queue(&id);
        let mut request = client.create_queue().queue_name(&name);
        for (attribute, property) in [
            (QueueAttributeName::MessageRetentionPeriod, "MessageRetentionPeriod"),
            (QueueAttributeName::VisibilityTimeout, "VisibilityTimeout"),
        ] {
            if let Some(value) = field(&props, property).and_then(Value::as_i64) {
                request = request.attributes(attribute, value.to_string());
            }
        }
        if let Some(redrive) = field(&props, "RedrivePolicy").and_then(Value::as_mapping) {
            let target = field(redrive, "deadLetterTargetArn")
                .and_then(get_att)
                .and_then(|(target, _)| queues.get(&target).map(|q: &Queue| q.arn.clone()))
                .ok_or_else(|| shape(format!("{id}: deadLetterTargetArn must be !GetAtt <Queue>.Arn")))?;
            let max = field(redrive, "maxReceiveCount").and_then(Value::as_i64).unwrap_or(10);
            let policy = serde_json::json!({ "deadLetterTargetArn": target, "maxReceiveCount": max });
            request = request.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
        }
        let queue = created(&client, request, &name, &id).await?;
        queues.insert(id, queue);
    }
    Ok(queues)
}

/// The bucket's `TopicConfigurations`: new objects (under a prefix) reported to a topic.
/// Sends a CreateQueue and reads back the new queue's ARN.
async fn created(
    sqs: &aws_sdk_sqs::Client,
    request: aws_sdk_sqs::operation::create_queue::builders::CreateQueueFluentBuilder,
    name: &str,
    id: &str,
) -> Result<Queue, ProvisionError> {
    use aws_sdk_sqs::types::QueueAttributeName;
    let url = request
        .send()
        .await
        .map_err(|e| aws(name)(Box::new(e)))?
        .queue_url
        .ok_or_else(|| shape("CreateQueue returned no URL".into()))?;
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| aws(name)(Box::new(e)))?
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or_else(|| shape(format!("{id}: the queue has no ARN")))?;
    Ok(Queue { url, arn })
}

async fn notify_topics(
    sdk: &aws_config::SdkConfig,
    bucket: &str,
    notifications: &Mapping,
    topics: &BTreeMap<String, String>,
) -> Result<(), ProvisionError> {
    use aws_sdk_s3::types::{
        Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
        S3KeyFilter, TopicConfiguration,
    };
    let mut configurations = Vec::new();
    for configuration in list(notifications, "TopicConfigurations") {
        let topic = field(configuration, "Topic")
            .and_then(reference)
            .and_then(|t| topics.get(&t))
            .ok_or_else(|| shape(format!("{bucket}: a TopicConfiguration's Topic must be !Ref <Topic>")))?;
        let rules = field(configuration, "Filter")
            .and_then(|f| f.get("S3Key"))
            .and_then(Value::as_mapping)
            .map(|key| {
                list(key, "Rules")
                    .map(|rule| {
                        FilterRule::builder()
                            .set_name(field(rule, "Name").and_then(Value::as_str).map(FilterRuleName::from))
                            .set_value(field(rule, "Value").and_then(Value::as_str).map(str::to_owned))
                            .build()
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        configurations.push(
            TopicConfiguration::builder()
                .topic_arn(topic)
                .events(Event::from(text(configuration, "Event", bucket)?.as_str()))
                .filter(
                    NotificationConfigurationFilter::builder()
                        .key(S3KeyFilter::builder().set_filter_rules(Some(rules)).build())
                        .build(),
                )
                .build()
                .map_err(|e| aws(bucket)(Box::new(e)))?,
        );
    }
    let client =
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build());
    client
        .put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(
            NotificationConfiguration::builder().set_topic_configurations(Some(configurations)).build(),
        )
        .send()
        .await
        .map_err(|e| aws(bucket)(Box::new(e)))?;
    Ok(())
}

/// For each topic that invokes a function, a queue of the function's own subscribed to it with
/// the event's filter policy, delivering SNS's whole message (its attributes, the topic) as
/// Lambda receives it; by the subscription's logical id.
async fn subscribe_functions(
    template: &Template,
    sdk: &aws_config::SdkConfig,
    names: &Names,
    topics: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Queue>, ProvisionError> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let sns = aws_sdk_sns::Client::new(sdk);
    let mut queues = BTreeMap::new();
    for source in template.topic_sources()? {
        let id = source.subscription();
        let topic_arn = topics
            .get(&source.topic)
            .ok_or_else(|| shape(format!("{id}: {} is not a topic of the template", source.topic)))?;
        let name = names.queue(&id);
        let Queue { url, arn } = created(&sqs, sqs.create_queue().queue_name(&name), &name, &id).await?;
        let mut request = sns.subscribe().topic_arn(topic_arn).protocol("sqs").endpoint(&arn);
        if let Some(policy) = &source.filter_policy {
            request = request.attributes("FilterPolicy", policy.to_string());
        }
        if let Some(scope) = &source.filter_policy_scope {
            request = request.attributes("FilterPolicyScope", scope);
        }
        request.send().await.map_err(|e| aws(&id)(Box::new(e)))?;
        queues.insert(id, Queue { url, arn });
    }
    Ok(queues)
}

/// Every unconditional `AWS::SNS::Subscription` of a template queue to a template topic, with
/// its raw delivery and filter policy. Conditional ones (a department's email list, an
/// integration) reach outside the machine and are left out locally.
async fn subscribe_queues(
    template: &Template,
    sdk: &aws_config::SdkConfig,
    topics: &BTreeMap<String, String>,
    queues: &BTreeMap<String, Queue>,
) -> Result<(), ProvisionError> {
    let client = aws_sdk_sns::Client::new(sdk);
    for (id, props) in template.resources_of_type("AWS::SNS::Subscription") {
        let conditional = template.resource(&id).is_some_and(|r| r.get("Condition").is_some());
        let protocol = field(&props, "Protocol").and_then(Value::as_str);
        let queue = field(&props, "Endpoint").and_then(get_att).and_then(|(q, _)| queues.get(&q));
        let (false, Some("sqs"), Some(queue)) = (conditional, protocol, queue) else {
            tracing::info!(subscription = %id, "not created locally: it reaches outside the machine");
            continue;
        };
        let topic = field(&props, "TopicArn").and_then(reference).and_then(|t| topics.get(&t));
        let Some(topic_arn) = topic else {
            return Err(shape(format!("{id}: TopicArn must be !Ref <Topic> of a template topic")));
        };
        let mut request =
            client.subscribe().topic_arn(topic_arn.as_str()).protocol("sqs").endpoint(&queue.arn);
        if let Some(raw) = field(&props, "RawMessageDelivery").and_then(Value::as_bool) {
            request = request.attributes("RawMessageDelivery", raw.to_string());
        }
        if let Some(policy) = field(&props, "FilterPolicy") {
            let json = serde_json::to_string(policy).map_err(|e| aws(&id)(Box::new(e)))?;
            request = request.attributes("FilterPolicy", json);
        }
        if let Some(scope) = field(&props, "FilterPolicyScope").and_then(Value::as_str) {
            request = request.attributes("FilterPolicyScope", scope);
        }
        request.send().await.map_err(|e| aws(&id)(Box::new(e)))?;
    }
    Ok(())
}

/// The sender's identity, verified at once (the emulator does not send verification mail).
async fn create_email_identity(sdk: &aws_config::SdkConfig, from: &str) -> Result<(), ProvisionError> {
    let client = aws_sdk_sesv2::Client::new(sdk);
    match client.create_email_identity().email_identity(from).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|se| se.is_already_exists_exception()) => Ok(()),
        Err(e) => Err(aws(from)(Box::new(e))),
    }
}

fn resolve_map(map: &Mapping, parameters: &BTreeMap<String, String>) -> Result<Mapping, ProvisionError> {
    match resolve(&Value::Mapping(map.clone()), parameters)? {
        Value::Mapping(m) => Ok(m),
        _ => Err(shape("properties are not a mapping".into())),
    }
}

async fn create_table(
    sdk: &aws_config::SdkConfig,
    name: &str,
    props: &Mapping,
    context: &str,
) -> Result<String, ProvisionError> {
    let client = aws_sdk_dynamodb::Client::new(sdk);
    let mut request = client.create_table().table_name(name);
    for attribute in list(props, "AttributeDefinitions") {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(text(attribute, "AttributeName", context)?)
                .attribute_type(ScalarAttributeType::from(
                    text(attribute, "AttributeType", context)?.as_str(),
                ))
                .build()
                .map_err(|e| aws(context)(Box::new(e)))?,
        );
    }
    request = request.set_key_schema(Some(key_schema(props, context)?));
    for index in list(props, "GlobalSecondaryIndexes") {
        let projection = field(index, "Projection").and_then(Value::as_mapping).cloned().unwrap_or_default();
        let projection = Projection::builder()
            .set_projection_type(
                field(&projection, "ProjectionType").and_then(Value::as_str).map(ProjectionType::from),
            )
            .set_non_key_attributes(Some(strings(&projection, "NonKeyAttributes")).filter(|v| !v.is_empty()))
            .build();
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(text(index, "IndexName", context)?)
                .set_key_schema(Some(key_schema(index, context)?))
                .projection(projection)
                .build()
                .map_err(|e| aws(context)(Box::new(e)))?,
        );
    }
    if let Some(mode) = field(props, "BillingMode").and_then(Value::as_str) {
        request = request.billing_mode(BillingMode::from(mode));
    }
    if let Some(stream) = field(props, "StreamSpecification").and_then(Value::as_mapping) {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(text(stream, "StreamViewType", context)?.as_str()))
                .build()
                .map_err(|e| aws(context)(Box::new(e)))?,
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|se| se.is_resource_in_use_exception()) => {}
        Err(e) => return Err(aws(name)(Box::new(e))),
    }
    // Time to Live as the template turns it on (the emulator applies it when asked).
    if let Some(ttl) = field(props, "TimeToLiveSpecification").and_then(Value::as_mapping) {
        let attribute = text(ttl, "AttributeName", context)?;
        let enabled = field(ttl, "Enabled").and_then(Value::as_bool).unwrap_or(false);
        let specification = aws_sdk_dynamodb::types::TimeToLiveSpecification::builder()
            .attribute_name(attribute)
            .enabled(enabled)
            .build()
            .map_err(|e| aws(context)(Box::new(e)))?;
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(specification)
            .send()
            .await
            .map_err(|e| aws(name)(Box::new(e)))?;
    }
    let described =
        client.describe_table().table_name(name).send().await.map_err(|e| aws(name)(Box::new(e)))?;
    described
        .table
        .and_then(|t| t.latest_stream_arn)
        .ok_or_else(|| shape(format!("{context}: the table has no stream")))
}

async fn create_bucket(
    sdk: &aws_config::SdkConfig,
    name: &str,
    props: &Mapping,
    context: &str,
) -> Result<(), ProvisionError> {
    let client =
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build());
    match client.create_bucket().bucket(name).send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_bucket_already_owned_by_you() || se.is_bucket_already_exists()) => {}
        Err(e) => return Err(aws(name)(Box::new(e))),
    }
    if let Some(block) = field(props, "PublicAccessBlockConfiguration").and_then(Value::as_mapping) {
        let flag = |n: &str| field(block, n).and_then(Value::as_bool);
        client
            .put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .set_block_public_acls(flag("BlockPublicAcls"))
                    .set_block_public_policy(flag("BlockPublicPolicy"))
                    .set_ignore_public_acls(flag("IgnorePublicAcls"))
                    .set_restrict_public_buckets(flag("RestrictPublicBuckets"))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| aws(name)(Box::new(e)))?;
    }
    let cors = field(props, "CorsConfiguration").and_then(Value::as_mapping).cloned().unwrap_or_default();
    let rules = list(&cors, "CorsRules")
        .map(|rule| {
            CorsRule::builder()
                .set_allowed_origins(Some(strings(rule, "AllowedOrigins")))
                .set_allowed_methods(Some(strings(rule, "AllowedMethods")))
                .set_allowed_headers(Some(strings(rule, "AllowedHeaders")))
                .set_max_age_seconds(
                    field(rule, "MaxAge").and_then(Value::as_i64).and_then(|v| i32::try_from(v).ok()),
                )
                .build()
                .map_err(|e| aws(context)(Box::new(e)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !rules.is_empty() {
        client
            .put_bucket_cors()
            .bucket(name)
            .cors_configuration(
                CorsConfiguration::builder()
                    .set_cors_rules(Some(rules))
                    .build()
                    .map_err(|e| aws(context)(Box::new(e)))?,
            )
            .send()
            .await
            .map_err(|e| aws(name)(Box::new(e)))?;
    }
    let lifecycle =
        field(props, "LifecycleConfiguration").and_then(Value::as_mapping).cloned().unwrap_or_default();
    let rules = list(&lifecycle, "Rules")
        .map(|rule| {
            let enabled = field(rule, "Status").and_then(Value::as_str) == Some("Enabled");
            LifecycleRule::builder()
                .set_id(field(rule, "Id").and_then(Value::as_str).map(str::to_owned))
                .status(if enabled { ExpirationStatus::Enabled } else { ExpirationStatus::Disabled })
                .filter(lifecycle_filter(rule))
                .set_expiration(
                    field(rule, "ExpirationInDays")
                        .and_then(Value::as_i64)
                        .and_then(|d| i32::try_from(d).ok())
                        .map(|days| LifecycleExpiration::builder().days(days).build()),
                )
                .set_transitions(Some(
                    list(rule, "Transitions")
                        .map(|t| {
                            Transition::builder()
                                .set_days(
                                    field(t, "TransitionInDays")
                                        .and_then(Value::as_i64)
                                        .and_then(|d| i32::try_from(d).ok()),
                                )
                                .set_storage_class(
                                    field(t, "StorageClass")
                                        .and_then(Value::as_str)
                                        .map(TransitionStorageClass::from),
                                )
                                .build()
                        })
                        .collect(),
                ))
                .build()
                .map_err(|e| aws(context)(Box::new(e)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !rules.is_empty() {
        client
            .put_bucket_lifecycle_configuration()
            .bucket(name)
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder()
                    .set_rules(Some(rules))
                    .build()
                    .map_err(|e| aws(context)(Box::new(e)))?,
            )
            .send()
            .await
            .map_err(|e| aws(name)(Box::new(e)))?;
    }
    Ok(())
}

/// A lifecycle rule's filter as S3 takes it: a prefix alone, or with a size floor joined by `And`.
fn lifecycle_filter(rule: &Mapping) -> LifecycleRuleFilter {
    let prefix = field(rule, "Prefix").and_then(Value::as_str).unwrap_or_default().to_owned();
    match field(rule, "ObjectSizeGreaterThan").and_then(Value::as_i64) {
        Some(size) => LifecycleRuleFilter::builder()
            .and(LifecycleRuleAndOperator::builder().prefix(prefix).object_size_greater_than(size).build())
            .build(),
        None => LifecycleRuleFilter::builder().prefix(prefix).build(),
    }
}
