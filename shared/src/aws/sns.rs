//! The SNS adapter: ticket events on one topic, with attributes subscribers filter on.

use crate::config::Config;
use crate::events::TicketEvent;
use crate::ports::{EventPublisher, StoreError};
use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

/// Publishes ticket events to the SNS topic.
#[derive(Debug, Clone)]
pub struct SnsEvents {
    client: Client,
    topic_arn: String,
}

impl SnsEvents {
    pub fn new(sdk: &aws_config::SdkConfig, config: &Config) -> Self {
        Self::with_client(Client::new(sdk), &config.events_topic_arn)
    }

    pub fn with_client(client: Client, topic_arn: &str) -> Self {
        Self { client, topic_arn: topic_arn.to_owned() }
    }
}

fn attribute(value: &str) -> Result<MessageAttributeValue, StoreError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| StoreError::unavailable("Publish", e))
}

#[async_trait]
impl EventPublisher for SnsEvents {
    #[tracing::instrument(skip_all, fields(ticket_id = %event.ticket_id, event = event.event_type.as_str()))]
    async fn publish(&self, event: &TicketEvent) -> Result<(), StoreError> {
        let message = serde_json::to_string(event).map_err(|e| StoreError::unavailable("Publish", e))?;
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .message(message)
            .message_attributes("event_type", attribute(event.event_type.as_str())?)
            .message_attributes("department", attribute(&event.department)?)
            .message_attributes("service", attribute(&event.service_code)?)
            .message_attributes("public", attribute(if event.public { "true" } else { "false" })?)
            .send()
            .await
            .map_err(|e| StoreError::unavailable("Publish", e))?;
        Ok(())
    }
}
