//! The local stand-in for Lambda's asynchronous invocation, as a topic invokes a function
//! (notify, photo for the bucket's uploads, inbound for stored mail and texts): each message the
//! topic delivers to the function's own queue (see `crate::provision`) is one invocation with
//! an SNS event; an invocation that fails (an error, or running past the function's timeout) is
//! tried again, up to the `MaximumRetryAttempts` of the function's `EventInvokeConfig`, the
//! n-th retry n times `retry_after` after the failure before it (Lambda waits about a minute,
//! then two: a short outage is over before the retries are spent), and then, as an event older than
//! `MaximumEventAgeInSeconds`, recorded on its on-failure destination with Lambda's record
//! (the condition, the function, the event) and dropped.

use crate::template::TopicSource;
use aws_lambda_events::event::sns::SnsEvent;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::sync::watch;

/// A function a topic invokes.
#[derive(Clone)]
pub enum Consumer {
    Notify(Arc<notify::State>),
    Photo(Arc<photo::lambda::State>),
    Inbound(Arc<inbound::State>),
}

/// One topic's deliveries to one function.
pub struct AsyncInvoker {
    pub sqs: aws_sdk_sqs::Client,
    /// The function's own queue of deliveries.
    pub queue_url: String,
    pub source: TopicSource,
    pub consumer: Consumer,
    /// The on-failure destination's URL, if the function has one.
    pub on_failure_url: Option<String>,
    /// The wait before the first retry; the n-th waits n times as long.
    pub retry_after: std::time::Duration,
}

/// Why an event was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GivenUp {
    RetriesExhausted,
    EventAgeExceeded,
}

impl GivenUp {
    fn as_str(self) -> &'static str {
        match self {
            Self::RetriesExhausted => "RetriesExhausted",
            Self::EventAgeExceeded => "EventAgeExceeded",
        }
    }
}

impl AsyncInvoker {
    /// Invokes until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                outcome = self.poll() => {
                    if let Err(error) = outcome {
                        tracing::warn!(error = %town311::runtime::chain(error.as_ref()), "invocation queue poll failed; retrying");
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
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await?;
        for message in output.messages.unwrap_or_default() {
            let Some(receipt) = message.receipt_handle() else { continue };
            let attribute = |name: MessageSystemAttributeName| {
                message.attributes().and_then(|a| a.get(&name)).and_then(|v| v.parse::<u64>().ok())
            };
            let attempts = attribute(MessageSystemAttributeName::ApproximateReceiveCount).unwrap_or(1);
            let sent_ms = attribute(MessageSystemAttributeName::SentTimestamp).unwrap_or(0);
            let event = sns_event(message.body().unwrap_or_default(), &self.source);
            let age = now_ms().saturating_sub(sent_ms);
            let outcome = if u128::from(age) > self.source.maximum_event_age.as_millis() {
                Err((
                    GivenUp::EventAgeExceeded,
                    "the event is older than MaximumEventAgeInSeconds".to_owned(),
                ))
            } else {
                match self.invoke(&event).await {
                    Ok(()) => Ok(()),
                    Err(error) if attempts > u64::from(self.source.maximum_retry_attempts) => {
                        Err((GivenUp::RetriesExhausted, error))
                    }
                    Err(error) => {
                        tracing::warn!(function = %self.source.function, attempts, %error, "invocation failed; it will be retried");
                        self.sqs
                            .change_message_visibility()
                            .queue_url(&self.queue_url)
                            .receipt_handle(receipt)
                            .visibility_timeout(retry_wait(self.retry_after, attempts))
                            .send()
                            .await?;
                        continue;
                    }
                }
            };
            if let Err((condition, error)) = outcome {
                self.give_up(&event, condition, attempts, &error).await?;
            }
            self.sqs.delete_message().queue_url(&self.queue_url).receipt_handle(receipt).send().await?;
        }
        Ok(())
    }

    /// One invocation, ended as Lambda ends it at the function's timeout.
    async fn invoke(&self, event: &Value) -> Result<(), String> {
        let payload: SnsEvent = serde_json::from_value(event.clone()).map_err(|e| e.to_string())?;
        let event = LambdaEvent::new(payload, crate::invocation_context(self.source.timeout));
        let invocation = async {
            match &self.consumer {
                Consumer::Notify(state) => notify::handle(state, event).await,
                Consumer::Photo(state) => photo::lambda::handle(state, event).await,
                Consumer::Inbound(state) => inbound::handle(state, event).await,
            }
        };
        match tokio::time::timeout(self.source.timeout, invocation).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("Task timed out after {} seconds", self.source.timeout.as_secs())),
        }
    }

    /// Records an event given up on its on-failure destination, as Lambda's record; without
    /// one, Lambda drops it (the template check sees that every function has one).
    async fn give_up(
        &self,
        event: &Value,
        condition: GivenUp,
        attempts: u64,
        error: &str,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        tracing::error!(
            function = %self.source.function,
            condition = condition.as_str(),
            "asynchronous invocation given up; recorded on its on-failure destination"
        );
        let Some(url) = &self.on_failure_url else { return Ok(()) };
        let record = json!({
            "version": "1.0",
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "requestContext": {
                "functionArn": self.source.function,
                "condition": condition.as_str(),
                "approximateInvokeCount": attempts,
            },
            "requestPayload": event,
            "responseContext": { "statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled" },
            "responsePayload": { "errorMessage": error },
        });
        self.sqs.send_message().queue_url(url).message_body(record.to_string()).send().await?;
        Ok(())
    }
}

fn now_ms() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    u64::try_from(now.as_millis()).unwrap_or(u64::MAX)
}

/// The SNS event Lambda invokes the function with, from the message SNS delivered to the queue
/// (its JSON envelope: `Type`, `MessageId`, `TopicArn`, `Message`, `MessageAttributes`, …).
fn sns_event(body: &str, source: &TopicSource) -> Value {
    let mut sns = json!({
        "Type": "Notification",
        "MessageId": "",
        "TopicArn": "",
        "Subject": null,
        "Message": body,
        "Timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "SignatureVersion": "1",
        "Signature": "",
        "SigningCertUrl": "",
        "UnsubscribeUrl": "",
        "MessageAttributes": {},
    });
    if let (Ok(Value::Object(envelope)), Some(fields)) =
        (serde_json::from_str::<Value>(body), sns.as_object_mut())
    {
        for (name, value) in envelope {
            // Lambda's event spells these two `Url`, SNS's envelope `URL`.
            let name = name.replace("URL", "Url");
            if fields.contains_key(&name) && !value.is_null() {
                fields.insert(name, value);
            }
        }
    }
    json!({ "Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": format!("{}:{}", sns["TopicArn"].as_str().unwrap_or_default(), source.subscription()),
        "Sns": sns,
    }]})
}

/// The seconds before the retry that follows failed attempt `attempts` (1 for the first
/// retry): `attempts` times `retry_after`, at least a second, within SQS's 12-hour visibility.
fn retry_wait(retry_after: std::time::Duration, attempts: u64) -> i32 {
    let seconds = retry_after.as_secs().max(1).saturating_mul(attempts.max(1));
    i32::try_from(seconds.min(43_200)).unwrap_or(43_200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_retry_waits_longer_as_lambdas_do() {
        let minute = std::time::Duration::from_secs(60);
        assert_eq!((retry_wait(minute, 1), retry_wait(minute, 2)), (60, 120), "Lambda's own schedule");
        assert_eq!(retry_wait(std::time::Duration::ZERO, 1), 1);
        assert_eq!(retry_wait(std::time::Duration::from_secs(u64::MAX), 3), 43_200);
    }

    fn source() -> TopicSource {
        TopicSource {
            function: "NotifyFunction".into(),
            event: "TicketEvents".into(),
            topic: "EventsTopic".into(),
            filter_policy: None,
            filter_policy_scope: None,
            maximum_retry_attempts: 2,
            maximum_event_age: std::time::Duration::from_secs(60),
            on_failure: Some("DeadLetterQueue".into()),
            timeout: std::time::Duration::from_secs(30),
        }
    }

    #[test]
    fn the_envelope_sns_delivered_becomes_the_event_lambda_invokes_with() {
        let envelope = json!({
            "Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-east-1:000000000000:events",
            "Message": "{\"event_type\":\"created\"}", "Timestamp": "2026-05-04T13:07:09.123Z",
            "SignatureVersion": "1", "Signature": "EXAMPLE", "SigningCertURL": "https://example/cert.pem",
            "UnsubscribeURL": "https://example/unsubscribe",
            "MessageAttributes": {"notify": {"Type": "String", "Value": "true"}},
        });
        let event: SnsEvent = serde_json::from_value(sns_event(&envelope.to_string(), &source())).unwrap();
        let message = &event.records[0].sns;
        assert_eq!(message.message, "{\"event_type\":\"created\"}");
        assert_eq!(message.message_id, "m-1");
        assert_eq!(message.message_attributes["notify"].value, "true");
        assert_eq!(message.signing_cert_url, "https://example/cert.pem");
    }
}
