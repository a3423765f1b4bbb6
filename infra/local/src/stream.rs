//! The local stand-in for Lambda's DynamoDB stream event source mapping: polls the table's
//! stream, hands batches to the route handler, retries from a reported failure, and sends
//! batches that exhaust their retries to the failure queue. Like Lambda's poller it keeps its
//! position in each shard, so an expired iterator or a stream rolled over to new shards loses
//! nothing, and a batch still running at the function's timeout has failed.

use crate::template::StreamSource;
use aws_lambda_events::event::dynamodb::Event;
use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::error::SdkError;
use aws_sdk_dynamodbstreams::operation::get_records::GetRecordsError;
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use base64::Engine as _;
use lambda_runtime::LambdaEvent;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

const POLL_INTERVAL: Duration = Duration::from_millis(100);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How many of `records` there are from the one with `sequence` on.
fn from_sequence(records: &[Record], sequence: &str) -> usize {
    records.iter().skip_while(|r| sequence_of(r) != Some(sequence)).count()
}

/// One stream feeding the route function.
pub struct StreamFeed {
    pub streams: Client,
    pub sqs: aws_sdk_sqs::Client,
    pub stream_arn: String,
    pub failure_queue_url: String,
    pub source: StreamSource,
    pub route: Arc<route::State>,
}

#[derive(Default)]
struct Shard {
    iterator: Option<String>,
    /// The last record handed over for good (processed, or sent to the failure queue): a lost
    /// or expired iterator is taken up again right after it, as Lambda's poller keeps its
    /// position in each shard.
    position: Option<String>,
    /// The shard was closed (DynamoDB rolls a stream over to new shards) and read to its end.
    closed: bool,
    attempts: u32,
    /// After a failure, how many records the retry hands over: Lambda bisects a failing batch
    /// (`BisectBatchOnFunctionError`) until the failing record is alone.
    bisected: Option<i32>,
    /// After a failure, no retry before this instant (backing off, as Lambda does).
    retry_at: Option<tokio::time::Instant>,
}

impl Shard {
    /// A batch went through: the shard reads on from `next`.
    fn delivered(&mut self, records: &[Record], next: Option<String>) {
        if let Some(last) = records.last().and_then(sequence_of) {
            self.position = Some(last.to_owned());
        }
        self.attempts = 0;
        self.bisected = None;
        self.retry_at = None;
        self.read_on(next);
    }

    /// Reads on from `next`; none means the shard is closed and read to its end.
    fn read_on(&mut self, next: Option<String>) {
        self.closed = next.is_none();
        self.iterator = next;
    }
}

fn sequence_of(record: &Record) -> Option<&str> {
    record.dynamodb.as_ref()?.sequence_number.as_deref()
}

/// The longest pause between two retries of a failing batch.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

enum Delivery {
    Done,
    /// Retry from this sequence number.
    Failed(String),
}

/// Whether GetRecords refused the iterator itself (expired after 15 minutes, or pointing at
/// records trimmed away), so a new one must be asked for.
fn iterator_refused(error: &SdkError<GetRecordsError>) -> bool {
    matches!(
        error.as_service_error(),
        Some(GetRecordsError::ExpiredIteratorException(_) | GetRecordsError::TrimmedDataAccessException(_))
    )
}

impl StreamFeed {
    /// Polls until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut shards: BTreeMap<String, Shard> = BTreeMap::new();
        loop {
            if let Err(error) = self.poll(&mut shards).await {
                tracing::warn!(error = %town311::runtime::chain(error.as_ref()), "stream poll failed; retrying");
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
                _ = shutdown.changed() => break,
            }
        }
    }

    async fn poll(&self, shards: &mut BTreeMap<String, Shard>) -> Result<(), BoxError> {
        // New shards appear when the stream rolls over: look again once every known one closed.
        if shards.values().all(|shard| shard.closed) {
            let description = self.streams.describe_stream().stream_arn(&self.stream_arn).send().await?;
            for shard in
                description.stream_description.map(|d| d.shards.unwrap_or_default()).unwrap_or_default()
            {
                if let Some(id) = shard.shard_id {
                    shards.entry(id).or_default();
                }
            }
        }
        for (shard_id, shard) in shards.iter_mut() {
            if shard.closed || shard.retry_at.is_some_and(|at| tokio::time::Instant::now() < at) {
                continue;
            }
            let iterator = match shard.iterator.take() {
                Some(iterator) => iterator,
                None => self.iterator(shard_id, shard.position.as_deref()).await?,
            };
            let output = match self
                .streams
                .get_records()
                .shard_iterator(&iterator)
                .limit(shard.bisected.unwrap_or(self.source.batch_size))
                .send()
                .await
            {
                Ok(output) => output,
                Err(error) if iterator_refused(&error) => {
                    tracing::info!(
                        shard_id,
                        "stream iterator expired; reading on from the last record handled"
                    );
                    continue;
                }
                Err(error) => {
                    shard.iterator = Some(iterator);
                    return Err(error.into());
                }
            };
            let records = output.records.unwrap_or_default();
            let next = output.next_shard_iterator;
            if records.is_empty() {
                shard.read_on(next);
                continue;
            }
            match self.deliver(&records).await {
                Delivery::Done => shard.delivered(&records, next),
                Delivery::Failed(sequence) => {
                    shard.attempts += 1;
                    // The records before the failed one are done; the retry starts at it, and
                    // with bisection, with half as many.
                    let from_failed = match from_sequence(&records, &sequence) {
                        0 => records.len(),
                        n => n,
                    };
                    let failed_at = records.len() - from_failed;
                    if let Some(before) = failed_at.checked_sub(1).and_then(|i| records.get(i)) {
                        shard.position = sequence_of(before).map(str::to_owned);
                    }
                    if self.source.bisect_batch_on_function_error {
                        shard.bisected = Some(i32::try_from(from_failed / 2).unwrap_or(i32::MAX).max(1));
                    }
                    let backoff = POLL_INTERVAL.saturating_mul(1 << shard.attempts.min(5)).min(MAX_BACKOFF);
                    shard.retry_at = Some(tokio::time::Instant::now() + backoff);
                    if self.source.maximum_retry_attempts.is_some_and(|max| shard.attempts > max) {
                        self.give_up(shard_id, &records, &sequence).await?;
                        shard.position = Some(sequence);
                        shard.attempts = 0;
                        shard.bisected = None;
                        shard.retry_at = None;
                    }
                }
            }
        }
        Ok(())
    }

    /// An iterator right after `position`, or at the shard's oldest record when there is none.
    async fn iterator(&self, shard_id: &str, position: Option<&str>) -> Result<String, BoxError> {
        let kind = match position {
            Some(_) => ShardIteratorType::AfterSequenceNumber,
            None => ShardIteratorType::TrimHorizon,
        };
        let output = self
            .streams
            .get_shard_iterator()
            .stream_arn(&self.stream_arn)
            .shard_id(shard_id)
            .shard_iterator_type(kind)
            .set_sequence_number(position.map(str::to_owned))
            .send()
            .await?;
        output.shard_iterator.ok_or_else(|| "GetShardIterator returned no iterator".into())
    }

    async fn deliver(&self, records: &[Record]) -> Delivery {
        let first =
            records.first().and_then(|r| r.dynamodb.as_ref()?.sequence_number.clone()).unwrap_or_default();
        let payload = json!({ "Records": records.iter().map(|r| self.lambda_record(r)).collect::<Vec<_>>() });
        let event: Event = match serde_json::from_value(payload) {
            Ok(event) => event,
            Err(error) => {
                tracing::error!(%error, "stream records do not form a Lambda event");
                return Delivery::Failed(first);
            }
        };
        let invocation = route::handle(
            &self.route,
            LambdaEvent::new(event, crate::invocation_context(self.source.timeout)),
        );
        // Lambda ends an invocation at the function's timeout; what it did not finish is retried.
        let Ok(outcome) = tokio::time::timeout(self.source.timeout, invocation).await else {
            tracing::error!(
                timeout_s = self.source.timeout.as_secs(),
                "route function timed out; retrying the whole batch"
            );
            return Delivery::Failed(first);
        };
        match outcome {
            Ok(response) => match response.batch_item_failures.into_iter().next() {
                Some(failure) if self.source.report_batch_item_failures => {
                    Delivery::Failed(failure.item_identifier.unwrap_or(first))
                }
                Some(_) => Delivery::Failed(first),
                None => Delivery::Done,
            },
            Err(error) => {
                tracing::error!(%error, "route function failed; retrying the whole batch");
                Delivery::Failed(first)
            }
        }
    }

    /// What Lambda sends to the on-failure destination when a batch exhausts its retries.
    async fn give_up(&self, shard_id: &str, records: &[Record], sequence: &str) -> Result<(), BoxError> {
        let last =
            records.last().and_then(|r| r.dynamodb.as_ref()?.sequence_number.clone()).unwrap_or_default();
        let failed = from_sequence(records, sequence);
        let message = json!({
            "requestContext": { "condition": "RetryAttemptsExhausted", "functionArn": self.source.function },
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": sequence,
                "endSequenceNumber": last,
                "batchSize": failed,
                "streamArn": self.stream_arn,
            }
        });
        self.sqs
            .send_message()
            .queue_url(&self.failure_queue_url)
            .message_body(message.to_string())
            .send()
            .await?;
        tracing::error!(shard_id, sequence, "stream batch exhausted its retries; sent to the failure queue");
        Ok(())
    }

    fn lambda_record(&self, record: &Record) -> Value {
        let change = record.dynamodb.as_ref();
        let image = |item: Option<&std::collections::HashMap<String, AttributeValue>>| {
            Value::Object(item.into_iter().flatten().map(|(k, v)| (k.clone(), attribute_json(v))).collect())
        };
        let mut dynamodb = Map::new();
        if let Some(change) = change {
            if let Some(at) = change.approximate_creation_date_time {
                dynamodb.insert("ApproximateCreationDateTime".into(), json!(at.secs()));
            }
            dynamodb.insert("Keys".into(), image(change.keys.as_ref()));
            if change.new_image.is_some() {
                dynamodb.insert("NewImage".into(), image(change.new_image.as_ref()));
            }
            if change.old_image.is_some() {
                dynamodb.insert("OldImage".into(), image(change.old_image.as_ref()));
            }
            dynamodb.insert("SequenceNumber".into(), json!(change.sequence_number));
            dynamodb.insert("SizeBytes".into(), json!(change.size_bytes.unwrap_or_default()));
            dynamodb.insert(
                "StreamViewType".into(),
                json!(change.stream_view_type.as_ref().map(|v| v.as_str().to_owned())),
            );
        }
        json!({
            "eventID": record.event_id,
            "eventName": record.event_name.as_ref().map(|n| n.as_str().to_owned()),
            "eventVersion": record.event_version,
            "eventSource": "aws:dynamodb",
            "awsRegion": record.aws_region,
            "dynamodb": dynamodb,
            "eventSourceARN": self.stream_arn,
        })
    }
}

/// An attribute in DynamoDB's JSON form (`{"S": "…"}`), as Lambda events carry it.
fn attribute_json(value: &AttributeValue) -> Value {
    let b64 = |b: &aws_sdk_dynamodbstreams::primitives::Blob| {
        base64::engine::general_purpose::STANDARD.encode(b.as_ref())
    };
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": b64(b) }),
        AttributeValue::Ss(v) => json!({ "SS": v }),
        AttributeValue::Ns(v) => json!({ "NS": v }),
        AttributeValue::Bs(v) => json!({ "BS": v.iter().map(b64).collect::<Vec<_>>() }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(n) => json!({ "NULL": n }),
        AttributeValue::L(items) => json!({ "L": items.iter().map(attribute_json).collect::<Vec<_>>() }),
        AttributeValue::M(map) => {
            json!({ "M": map.iter().map(|(k, v)| (k.clone(), attribute_json(v))).collect::<Map<_, _>>() })
        }
        _ => json!({ "NULL": true }),
    }
}
