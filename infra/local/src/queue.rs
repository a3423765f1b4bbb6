//! The local stand-in for Lambda's SQS event source mapping: long-polls a queue, hands the
//! messages to its function (notify, photo for the bucket's upload notifications, inbound for
//! stored mail and texts) as an SQS
//! event, deletes those it handled, and lets the ones it
//! reports as failed come back (locally after a short pause rather than the full visibility
//! timeout, so a retry is seen in seconds; the queue's redrive policy still moves a message
//! that keeps failing to its dead-letter queue).

use crate::template::QueueSource;
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::sync::watch;

/// How long a failed message stays hidden before it is retried, locally.
const LOCAL_RETRY_SECONDS: i32 = 1;

/// A function a queue feeds.
#[derive(Clone)]
pub enum Consumer {
    Notify(Arc<notify::State>),
    Photo(Arc<photo::lambda::State>),
    Inbound(Arc<inbound::State>),
}

/// One queue feeding a function.
pub struct QueueFeed {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub queue_arn: String,
    pub source: QueueSource,
    pub consumer: Consumer,
}

impl QueueFeed {
    /// Polls until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                outcome = self.poll() => {
                    if let Err(error) = outcome {
                        tracing::warn!(error = %town311::runtime::chain(error.as_ref()), "queue poll failed; retrying");
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    }
                }
                _ = shutdown.changed() => break,
            }
        }
    }

    async fn poll(&self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let output = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(self.source.batch_size.clamp(1, 10))
            .wait_time_seconds(1)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await?;
        let messages = output.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(());
        }
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                json!({
                    "messageId": m.message_id(),
                    "receiptHandle": m.receipt_handle(),
                    "body": m.body(),
                    "md5OfBody": m.md5_of_body(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.queue_arn,
                    "awsRegion": "us-east-1",
                    "attributes": {},
                    "messageAttributes": {},
                })
            })
            .collect();
        let event: SqsEvent = serde_json::from_value(json!({ "Records": records }))?;
        let event = LambdaEvent::new(event, crate::invocation_context(self.source.timeout));
        let invocation = async {
            match &self.consumer {
                Consumer::Notify(state) => notify::handle(state, event).await,
                Consumer::Photo(state) => photo::lambda::handle(state, event).await,
                Consumer::Inbound(state) => inbound::handle(state, event).await,
            }
        };
        // Lambda ends an invocation at the function's timeout: the whole batch comes back.
        let outcome = tokio::time::timeout(self.source.timeout, invocation).await.unwrap_or_else(|_| {
            tracing::error!(
                function = %self.source.function,
                timeout_s = self.source.timeout.as_secs(),
                "function timed out; the batch will be redelivered"
            );
            Err("timed out".into())
        });
        let failed: Vec<String> = match outcome {
            Ok(response) if self.source.report_batch_item_failures => {
                response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect()
            }
            Ok(response) if response.batch_item_failures.is_empty() => Vec::new(),
            // Without partial responses, or when the function fails, the whole batch comes back.
            _ => messages.iter().filter_map(|m| m.message_id.clone()).collect(),
        };
        for message in &messages {
            let Some(receipt) = message.receipt_handle() else { continue };
            if message.message_id.as_ref().is_some_and(|id| failed.contains(id)) {
                self.sqs
                    .change_message_visibility()
                    .queue_url(&self.queue_url)
                    .receipt_handle(receipt)
                    .visibility_timeout(LOCAL_RETRY_SECONDS)
                    .send()
                    .await?;
            } else {
                self.sqs.delete_message().queue_url(&self.queue_url).receipt_handle(receipt).send().await?;
            }
        }
        Ok(())
    }
}
