//! Sending citizens their notices: SMS by SNS direct publish to the phone number (SNS handles
//! STOP replies and its opt-out list), email through SES as a raw MIME message (so it carries
//! the one-click unsubscribe headers).

use crate::contact::Phone;
use crate::ports::{Messenger, OutgoingEmail, StoreError};
use async_trait::async_trait;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{EmailContent, RawMessage};
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
    pub fn new(sdk: &aws_config::SdkConfig, config: &crate::config::Config) -> Self {
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
    async fn send_sms(&self, to: &Phone, text: &str) -> Result<(), StoreError> {
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
            .map_err(|e| StoreError::unavailable("Publish", e))?;
        Ok(())
    }

    async fn send_email(&self, email: &OutgoingEmail) -> Result<(), StoreError> {
        let from = self
            .from
            .as_deref()
            .ok_or_else(|| StoreError::unavailable("SendEmail", "MAIL_FROM is not set"))?;
        let raw = crate::mail::plain_text(
            &self.sender_name,
            from,
            email.to.as_str(),
            &email.subject,
            &email.body,
            &email.unsubscribe_url,
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
            .map_err(|e| StoreError::unavailable("SendEmail", e))?;
        Ok(())
    }
}
