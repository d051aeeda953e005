//! Logs on stderr as hclog-style JSON lines, which go-plugin parses and Terraform shows under
//! `TF_LOG` / `TF_LOG_PROVIDER` with the provider's name in front.
//!
//! Only what callers pass to `tracing` is written; nothing here inspects requests, so secrets
//! never reach a log line unless a caller logs one (and callers must not).

use std::io::Write;

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// The level Terraform asked for: `TF_LOG_PROVIDER` wins over `TF_LOG`; unset means warnings only.
pub fn level_from_env() -> Option<Level> {
    let setting = std::env::var("TF_LOG_PROVIDER")
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| std::env::var("TF_LOG").ok().filter(|v| !v.is_empty()));
    match setting {
        None => Some(Level::WARN),
        Some(value) => parse_level(&value),
    }
}

/// hclog level names; `json` and anything unrecognised mean trace, as in Terraform; `off` is none.
fn parse_level(value: &str) -> Option<Level> {
    match value.trim().to_ascii_lowercase().as_str() {
        "off" => None,
        "error" => Some(Level::ERROR),
        "warn" => Some(Level::WARN),
        "info" => Some(Level::INFO),
        "debug" => Some(Level::DEBUG),
        _ => Some(Level::TRACE),
    }
}

/// Installs the JSON-lines logger on stderr for the whole process.
pub fn init() {
    let Some(level) = level_from_env() else {
        return;
    };
    let layer = HclogLayer { max_level: level };
    // A second init (tests) keeps the first subscriber; that is fine.
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

struct HclogLayer {
    max_level: Level,
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        *metadata.level() <= self.max_level && metadata.target().starts_with("ecstpl")
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let line = format_event(event);
        let mut stderr = std::io::stderr().lock();
        // A log line that cannot be written is dropped: logging must never fail a request.
        let _ = writeln!(stderr, "{line}");
    }
}

fn format_event(event: &Event<'_>) -> String {
    let mut fields = FieldCollector(Map::new());
    event.record(&mut fields);
    let mut object = Map::new();
    object.insert(
        "@level".into(),
        Json::from(hclog_level(*event.metadata().level())),
    );
    let message = fields.0.remove("message").unwrap_or(Json::from(""));
    object.insert("@message".into(), message);
    object.insert("@module".into(), Json::from(event.metadata().target()));
    object.insert(
        "@timestamp".into(),
        Json::from(humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string()),
    );
    object.extend(fields.0);
    Json::Object(object).to_string()
}

fn hclog_level(level: Level) -> &'static str {
    match level {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

struct FieldCollector(Map<String, Json>);

impl Visit for FieldCollector {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Json::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), Json::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), Json::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Json::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().into(), Json::from(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_hclog_names() {
        assert_eq!(parse_level("DEBUG"), Some(Level::DEBUG));
        assert_eq!(parse_level("warn"), Some(Level::WARN));
        assert_eq!(parse_level("off"), None);
        assert_eq!(parse_level("json"), Some(Level::TRACE));
        assert_eq!(parse_level("trace"), Some(Level::TRACE));
    }

    #[test]
    fn events_become_hclog_json_lines() {
        use std::sync::{Arc, Mutex};
        struct Capture(Arc<Mutex<Vec<String>>>);
        impl<S: Subscriber> Layer<S> for Capture {
            fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
                self.0.lock().unwrap().push(format_event(event));
            }
        }
        let lines = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture(lines.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(family = "web", revision = 3, "registered");
        });
        let lines = lines.lock().unwrap();
        let parsed: Json = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(parsed["@level"], "debug");
        assert_eq!(parsed["@message"], "registered");
        assert_eq!(parsed["family"], "web");
        assert_eq!(parsed["revision"], 3);
        assert!(parsed["@timestamp"].as_str().unwrap().ends_with('Z'));
    }
}
