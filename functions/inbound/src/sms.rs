//! A text to the town's two-way number, as AWS End User Messaging SMS publishes it to the
//! inbound topic (delivered to the inbound function as the SNS message).

use serde::Deserialize;

/// The longest text kept: ten segments (a long text arrives joined).
pub const MAX_TEXT_CHARS: usize = 1600;

/// One incoming text.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundText {
    /// The sender's number, in E.164.
    pub origination_number: String,
    /// The town's number it was sent to.
    #[serde(default)]
    pub destination_number: String,
    pub message_body: String,
    /// AWS's id of the text: a redelivery carries the same.
    pub inbound_message_id: String,
}

/// Redacted: neither the number nor the words reach a log line.
impl std::fmt::Debug for InboundText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundText")
            .field("inbound_message_id", &self.inbound_message_id)
            .finish_non_exhaustive()
    }
}

impl InboundText {
    /// Reads a message, if it is a text.
    pub fn read(body: &str) -> Option<Self> {
        let mut text: Self = serde_json::from_str(body).ok()?;
        if text.inbound_message_id.trim().is_empty() {
            return None;
        }
        text.message_body = text.message_body.chars().take(MAX_TEXT_CHARS).collect();
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_end_user_messaging_publishes() {
        let body = r#"{"originationNumber":"+14255550182","destinationNumber":"+15555550311","messageKeyword":"KEYWORD_123456789012","messageBody":"East side","previousPublishedMessageId":"wJ0Tz","inboundMessageId":"cae173d2-66b9-564c-8309-21f858e9fb84"}"#;
        let text = InboundText::read(body).unwrap();
        assert_eq!(text.origination_number, "+14255550182");
        assert_eq!(text.message_body, "East side");
        assert_eq!(text.inbound_message_id, "cae173d2-66b9-564c-8309-21f858e9fb84");
        assert!(!format!("{text:?}").contains("4255550182"));
        assert!(InboundText::read(r#"{"Records":[]}"#).is_none());
    }
}
