//! The route function: consumes the table's stream and publishes one event per history entry
//! to the SNS topic (the outbox), so an event goes out exactly for a change that was written.
//!
//! Records are handled in order; on the first failure the batch stops and reports that record,
//! so Lambda retries from it (partial batch response) and nothing after it is skipped.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{Error, LambdaEvent};
use std::sync::Arc;
use town311::aws::TableItem;
use town311::events::TicketEvent;
use town311::ports::{EventPublisher, StoreError};
use tracing::Instrument;

/// What the handler needs, built once per cold start.
pub struct State {
    pub events: Arc<dyn EventPublisher>,
}

impl State {
    /// The production wiring: the SNS topic.
    pub fn from_aws(config: &town311::config::Config, sdk: &town311::aws::SdkConfig) -> Self {
        Self { events: Arc::new(town311::aws::SnsEvents::new(sdk, config)) }
    }
}

/// Handles one batch of stream records.
pub async fn handle(state: &State, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
    let mut response = DynamoDbEventResponse::default();
    for record in event.payload.records {
        if let Err(error) = process(state, &record).await {
            tracing::error!(
                event_id = %record.event_id,
                error = %town311::http::chain(&error),
                "stream record failed; the batch resumes from it"
            );
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
            break;
        }
    }
    Ok(response)
}

async fn process(state: &State, record: &EventRecord) -> Result<(), StoreError> {
    if record.event_name != "INSERT" {
        tracing::debug!(event_name = %record.event_name, "no event for this change yet");
        return Ok(());
    }
    match TableItem::from_stream_image(record.change.new_image.clone())? {
        TableItem::History(entry) => {
            let span = tracing::info_span!("route", ticket_id = %entry.ticket_id);
            let event = TicketEvent::new(&entry);
            state.events.publish(&event).instrument(span.clone()).await?;
            span.in_scope(|| tracing::info!(event_id = %event.event_id, "ticket event published"));
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
