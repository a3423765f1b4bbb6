//! Logging: JSON lines with the current span's fields (ticket ids, never personal data).

use tracing_subscriber::EnvFilter;

/// Installs the JSON log subscriber; `RUST_LOG` filters (default `info`). Safe to call twice.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_env_filter(filter)
        .try_init();
}
