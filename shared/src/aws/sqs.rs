//! The SQS adapters: dead letters, for records no retry can fix, and a function's own queue.

use crate::ports::{DeadLetters, StoreError};
use async_trait::async_trait;

/// A dead-letter queue.
#[derive(Debug, Clone)]
pub struct SqsDeadLetters {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsDeadLetters {
    pub fn new(sdk: &aws_config::SdkConfig, queue_url: &str) -> Self {
        Self { client: aws_sdk_sqs::Client::new(sdk), queue_url: queue_url.to_owned() }
    }
}

#[async_trait]
impl DeadLetters for SqsDeadLetters {
    async fn send(&self, letter: &str) -> Result<(), StoreError> {
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(letter)
            .send()
            .await
            .map_err(|e| StoreError::unavailable("SendMessage", e))?;
        Ok(())
    }
}

/// A function's own queue, for work it leaves to a later invocation.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(sdk: &aws_config::SdkConfig, queue_url: &str) -> Self {
        Self { client: aws_sdk_sqs::Client::new(sdk), queue_url: queue_url.to_owned() }
    }
}

#[async_trait]
impl crate::ports::WorkQueue for SqsQueue {
    async fn enqueue(&self, body: &str) -> Result<(), StoreError> {
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
