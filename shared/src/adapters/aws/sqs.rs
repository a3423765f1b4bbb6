//! The SQS adapter: the dead-letter queue, for records no retry can fix.

use crate::ports::{DeadLetters, StoreError};
use async_trait::async_trait;

/// One SQS queue.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(sdk: &aws_config::SdkConfig, queue_url: &str) -> Self {
        Self { client: aws_sdk_sqs::Client::new(sdk), queue_url: queue_url.to_owned() }
    }

    async fn send_message(&self, body: &str) -> Result<(), StoreError> {
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| StoreError::unavailable("SendMessage", e))?;
        Ok(())
    }
}

#[async_trait]
impl DeadLetters for SqsQueue {
    async fn send(&self, letter: &str) -> Result<(), StoreError> {
        self.send_message(letter).await
    }
}
