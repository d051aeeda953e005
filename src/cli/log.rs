//! The CLI's log lines on stderr: what ecstpl's own code reports (failed ECS attempts with
//! their reason, adoptions, fallbacks), one plain line each, at `ECSTPL_LOG` level (default
//! info; `warn`, `debug`, `trace` or `off`). Only what callers pass to `tracing` is written,
//! and callers never pass a request, a credential or a secret value.

use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

pub const LEVEL_VARIABLE: &str = "ECSTPL_LOG";

fn level_from(value: Option<&str>) -> Option<Level> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("info") => Some(Level::INFO),
        Some("off") => None,
        Some("error") => Some(Level::ERROR),
        Some("warn") => Some(Level::WARN),
        Some("debug") => Some(Level::DEBUG),
        Some(_) => Some(Level::TRACE),
    }
}

/// Installs the stderr logger for the process.
pub fn init() {
    let Some(max_level) = level_from(std::env::var(LEVEL_VARIABLE).ok().as_deref()) else {
        return;
    };
    let _ = tracing_subscriber::registry()
        .with(PlainLayer { max_level })
        .try_init();
}

struct PlainLayer {
    max_level: Level,
}

impl<S: Subscriber> Layer<S> for PlainLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        *metadata.level() <= self.max_level && metadata.target().starts_with("ecstpl")
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let line = format_event(event);
        // A log line that cannot be written is dropped: logging must never fail a deploy.
        crate::cli::report::log_line(&line);
    }
}

fn format_event(event: &Event<'_>) -> String {
    let mut fields = Fields::default();
    event.record(&mut fields);
    let mut line = String::from("ecstpl: ");
    if *event.metadata().level() <= Level::WARN {
        let _ = write!(
            line,
            "{}: ",
            event.metadata().level().as_str().to_lowercase()
        );
    }
    line.push_str(&fields.message);
    if !fields.rest.is_empty() {
        let _ = write!(line, " ({})", fields.rest.join(", "));
    }
    line
}

#[derive(Default)]
struct Fields {
    message: String,
    rest: Vec<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.rest.push(format!("{}: {value}", field.name()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.rest.push(format!("{}: {value:?}", field.name()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_default_to_info() {
        assert_eq!(level_from(None), Some(Level::INFO));
        assert_eq!(level_from(Some("WARN")), Some(Level::WARN));
        assert_eq!(level_from(Some("off")), None);
    }

    #[test]
    fn an_event_is_one_plain_line_with_its_fields() {
        use std::sync::{Arc, Mutex};
        struct Capture(Arc<Mutex<Vec<String>>>);
        impl<S: Subscriber> Layer<S> for Capture {
            fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
                if let Ok(mut lines) = self.0.lock() {
                    lines.push(format_event(event));
                }
            }
        }
        let lines = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture(lines.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(operation = "RegisterTaskDefinition", attempt = 2, reason = %"HTTP 503", "ECS call attempt failed");
            tracing::warn!("careful");
        });
        let lines = lines.lock().map(|l| l.clone()).unwrap_or_default();
        assert_eq!(
            lines,
            [
                "ecstpl: ECS call attempt failed (operation: RegisterTaskDefinition, attempt: 2, reason: HTTP 503)",
                "ecstpl: warn: careful"
            ]
        );
    }
}
