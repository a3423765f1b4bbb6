//! Logging: JSON lines with the current span's fields (ticket ids, never personal data).

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the JSON log subscriber. `RUST_LOG` filters by level and target (`info`,
/// `warn,town311=debug`); unset or unreadable, `info`. Safe to call twice.
pub fn init() {
    init_with_writer(std::io::stdout);
}

/// Like `init`, writing the same lines, at the same levels, to `writer` instead of standard
/// output: the tests keep the functions' logs in a file to check them for personal data.
pub fn init_with_writer<W>(writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref());
    let format = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true);
    let _ = tracing_subscriber::registry().with(format).with(filter).try_init();
}

/// The filter `RUST_LOG` asks for: level directives by target, without span or field filters.
fn filter(setting: Option<&str>) -> Targets {
    setting
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| s.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn rust_log_sets_levels_by_target_and_defaults_to_info() {
        let default = filter(None);
        assert!(default.would_enable("town311", &Level::INFO));
        assert!(!default.would_enable("town311", &Level::DEBUG));
        let set = filter(Some("warn,town311=debug"));
        assert!(set.would_enable("town311::adapters::aws", &Level::DEBUG));
        assert!(!set.would_enable("aws_smithy_runtime", &Level::INFO));
        assert!(set.would_enable("aws_smithy_runtime", &Level::WARN));
        assert!(filter(Some("town311=loud")).would_enable("x", &Level::INFO));
    }
}
