//! Structured JSON logs, as CloudWatch ingests them (it adds the timestamp itself).

use tracing_subscriber::EnvFilter;

/// Installs the JSON log subscriber; `RUST_LOG` sets the level (default `info`). Outside Lambda,
/// where nothing stamps the lines, `LOG_TIMESTAMPS=true` adds the time to each.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_target(false)
        .with_current_span(false);
    // A second install (tests, tools) keeps the first subscriber, which is what we want.
    let _ = if std::env::var("LOG_TIMESTAMPS").is_ok_and(|v| v == "true") {
        builder.try_init()
    } else {
        builder.without_time().try_init()
    };
}
