//! What every function runs with: its configuration, JSON logging, the clock and the pauses
//! between retries.

pub mod backoff;
pub mod clock;
pub mod config;
pub mod telemetry;

/// The error with its causes, for logs.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
