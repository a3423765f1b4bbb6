//! Sending citizens their notices: SMS by SNS direct publish to the phone number (SNS handles
//! STOP replies and its opt-out list), email through SES as a raw MIME message (so it carries
//! the one-click unsubscribe headers).
//!
//! A failure is a refusal of the recipient for good ([`SendError::Refused`]) only when the
//! service says this one message can never be sent, so retrying would only block the others:
//! - SNS Publish: `InvalidParameter` and `ParameterValueInvalid` (a number SNS cannot send to).
//! - SES SendEmail: `MessageRejected` (the message to this address is refused; in the SES
//!   sandbox, an address that is not verified) and `BadRequest` (an address SES cannot parse).
//!
//! Everything else may succeed later and is retried: throttling (`Throttled`,
//! `TooManyRequests`, `LimitExceeded`), 5xx and internal errors, timeouts and connection
//! failures, and refusals of the whole account or sender, which the operator fixes and which
//! would otherwise mark every recipient undeliverable (`AuthorizationError`, KMS errors,
//! `AccountSuspended`, `SendingPaused`, `MailFromDomainNotVerified`, `NotFound`). SNS drops
//! SMS to numbers on its opt-out list without an error, and SES accepts mail to addresses on
//! the suppression list and reports a bounce later: neither reaches this code.

use crate::domain::contact::Phone;
use crate::ports::{Messenger, OutgoingEmail, SendError, StoreError};
use async_trait::async_trait;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{EmailContent, RawMessage};
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sns::types::MessageAttributeValue;

/// SMS through SNS, email through SES.
#[derive(Debug, Clone)]
pub struct AwsMessenger {
    sns: aws_sdk_sns::Client,
    ses: aws_sdk_sesv2::Client,
    /// The town's name, shown as the sender.
    sender_name: String,
    /// The SES-verified address emails come from.
    from: Option<String>,
}

impl AwsMessenger {
    pub fn new(sdk: &aws_config::SdkConfig, config: &crate::runtime::config::Config) -> Self {
        Self {
            sns: aws_sdk_sns::Client::new(sdk),
            ses: aws_sdk_sesv2::Client::new(sdk),
            sender_name: format!("{} 311", config.town_name),
            from: config.mail_from.clone(),
        }
    }
}

#[async_trait]
impl Messenger for AwsMessenger {
    async fn send_sms(&self, to: &Phone, text: &str) -> Result<(), SendError> {
        let transactional = MessageAttributeValue::builder()
            .data_type("String")
            .string_value("Transactional")
            .build()
            .map_err(|e| StoreError::unavailable("Publish", e))?;
        self.sns
            .publish()
            .phone_number(to.as_str())
            .message(text)
            .message_attributes("AWS.SNS.SMS.SMSType", transactional)
            .send()
            .await
            .map_err(|e| {
                let refused = e.as_service_error().is_some_and(|e| {
                    e.is_invalid_parameter_exception() || e.is_invalid_parameter_value_exception()
                });
                classify(refused, e, "Publish")
            })?;
        Ok(())
    }

    async fn send_email(&self, email: &OutgoingEmail) -> Result<(), SendError> {
        let from = self
            .from
            .as_deref()
            .ok_or_else(|| StoreError::unavailable("SendEmail", "MAIL_FROM is not set"))?;
        let raw = crate::adapters::aws::mail::plain_text(
            &self.sender_name,
            from,
            email.to.as_str(),
            &email.subject,
            &email.body,
            &email.unsubscribe_url,
            email.reply_to.as_deref(),
        );
        let message = RawMessage::builder()
            .data(Blob::new(raw.into_bytes()))
            .build()
            .map_err(|e| StoreError::unavailable("SendEmail", e))?;
        self.ses
            .send_email()
            .from_email_address(from)
            .destination(aws_sdk_sesv2::types::Destination::builder().to_addresses(email.to.as_str()).build())
            .content(EmailContent::builder().raw(message).build())
            .send()
            .await
            .map_err(|e| {
                let refused = e
                    .as_service_error()
                    .is_some_and(|e| e.is_message_rejected() || e.is_bad_request_exception());
                classify(refused, e, "SendEmail")
            })?;
        Ok(())
    }
}

/// A service's answer keeps only its error code (its message may quote the address, which
/// must not reach a log); a failure to get an answer (timeout, connection) keeps its cause.
fn classify<E, R>(refused: bool, error: SdkError<E, R>, operation: &'static str) -> SendError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let code = error.as_service_error().map(|e| e.code().unwrap_or("unknown").to_owned());
    match code {
        Some(code) if refused => SendError::Refused { code },
        Some(code) => StoreError::unavailable(operation, format!("service error {code}")).into(),
        None => StoreError::unavailable(operation, error).into(),
    }
}
