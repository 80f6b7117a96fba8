//! Log output: JSON lines when stdout is not a terminal (CloudWatch reads them), readable text
//! on a terminal. Every line inside a request carries the request's span, hence its id.

use std::io::IsTerminal;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

use crate::config::LogFormat;

/// Installs the global subscriber; a second call (tests) is ignored.
pub fn init(level: &str, format: LogFormat) {
    let level: LevelFilter = level.parse().unwrap_or(LevelFilter::INFO);
    let filter = Targets::new().with_default(level);
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let result = if json {
        let layer = tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_target(false)
            .with_writer(std::io::stdout);
        tracing_subscriber::registry()
            .with(layer)
            .with(filter)
            .try_init()
    } else {
        let layer = tracing_subscriber::fmt::layer()
            .with_target(false)
            .with_ansi(std::io::stdout().is_terminal())
            .with_writer(std::io::stdout);
        tracing_subscriber::registry()
            .with(layer)
            .with(filter)
            .try_init()
    };
    let _ = result;
}
