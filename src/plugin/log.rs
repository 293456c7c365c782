//! Logs as Terraform reads them: one JSON object per stderr line with `@level`, `@message`,
//! `@timestamp` and `@module`, plus the event's fields. Terraform folds these lines into its own
//! log when `TF_LOG` asks for them. Stdout is never written to after the handshake line.

use std::io::Write as _;

use serde_json::{Map, Value as Json};
use time::format_description::FormatItem;
use time::macros::format_description;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::Layer;

/// The module name Terraform shows beside each line.
pub const LOG_MODULE: &str = concat!("provider.terraform-provider-", provider_type!());

/// Environment variables that set the level, most specific first.
const LEVEL_VARS: [&str; 3] = ["TF_LOG_PROVIDER_GATEWAY", "TF_LOG_PROVIDER", "TF_LOG"];

/// The level when none of [`LEVEL_VARS`] is set: only what a user must see.
const DEFAULT_LEVEL: LevelFilter = LevelFilter::WARN;

/// Terraform's timestamp layout: microseconds, always six digits, UTC.
const TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Reads the level from the environment as terraform-plugin-log does.
pub fn level_from_env(get: impl Fn(&str) -> Option<String>) -> LevelFilter {
    LEVEL_VARS
        .iter()
        .find_map(|key| get(key).filter(|v| !v.trim().is_empty()))
        .map(|v| parse_level(&v))
        .unwrap_or(DEFAULT_LEVEL)
}

fn parse_level(value: &str) -> LevelFilter {
    match value.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "INFO" => LevelFilter::INFO,
        "WARN" => LevelFilter::WARN,
        "ERROR" => LevelFilter::ERROR,
        "OFF" => LevelFilter::OFF,
        // Terraform treats an unknown level as TRACE.
        _ => LevelFilter::TRACE,
    }
}

/// Installs the JSON-lines logger for the whole process. The provider's own events follow the
/// configured level; the AWS SDK is capped at DEBUG and the transport crates at WARN, which keeps
/// TRACE readable.
pub fn init(level: LevelFilter) {
    let sdk_level = level.min(LevelFilter::DEBUG);
    let filter = Targets::new()
        .with_default(level.min(LevelFilter::WARN))
        .with_target("gateway", level)
        .with_target("terraform_provider_gateway", level)
        // aws-config logs the access key id of assumed roles at DEBUG.
        .with_target("aws_config", level.min(LevelFilter::INFO))
        .with_target("aws_smithy_runtime", sdk_level)
        .with_target("aws_sdk_cloudfront", sdk_level)
        .with_target("aws_sdk_route53", sdk_level)
        .with_target("aws_sdk_elasticloadbalancingv2", sdk_level);
    let subscriber = tracing_subscriber::registry().with(JsonLines.with_filter(filter));
    // A second install (tests) keeps the first.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Formats one event as a Terraform log line.
pub fn format_line(
    level: &Level,
    message: &str,
    fields: Map<String, Json>,
    now: time::OffsetDateTime,
) -> String {
    let mut line = Map::new();
    line.insert("@level".into(), Json::from(level_name(level)));
    line.insert("@message".into(), Json::from(message));
    line.insert("@module".into(), Json::from(LOG_MODULE));
    if let Ok(ts) = now.to_offset(time::UtcOffset::UTC).format(TIMESTAMP) {
        line.insert("@timestamp".into(), Json::from(ts));
    }
    for (key, value) in fields {
        // The `@` keys belong to the envelope.
        if !key.starts_with('@') {
            line.insert(key, value);
        }
    }
    Json::Object(line).to_string()
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

struct JsonLines;

impl<S: Subscriber> Layer<S> for JsonLines {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut visitor = Fields::default();
        event.record(&mut visitor);
        let mut fields = visitor.fields;
        let target = event.metadata().target();
        if !target.starts_with("gateway") {
            fields.insert("target".into(), Json::from(target));
        }
        let line = format_line(
            event.metadata().level(),
            &visitor.message,
            fields,
            time::OffsetDateTime::now_utc(),
        );
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    fields: Map<String, Json>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Json::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Json::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Json::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Json::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, Json::from(format!("{value:?}")));
    }
}

impl Fields {
    fn put(&mut self, field: &Field, value: Json) {
        if field.name() == "message" {
            self.message = match value {
                Json::String(s) => s,
                other => other.to_string(),
            };
        } else {
            self.fields.insert(field.name().to_string(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_has_terraforms_envelope() {
        let mut fields = Map::new();
        fields.insert("tf_rpc".into(), Json::from("PlanResourceChange"));
        fields.insert("@level".into(), Json::from("spoofed"));
        let now = time::macros::datetime!(2026-01-02 03:04:05.1 UTC);
        let line = format_line(&Level::DEBUG, "planning", fields, now);
        let parsed: Json = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["@level"], "debug");
        assert_eq!(parsed["@message"], "planning");
        assert_eq!(parsed["@module"], LOG_MODULE);
        assert_eq!(parsed["@timestamp"], "2026-01-02T03:04:05.100000Z");
        assert_eq!(parsed["tf_rpc"], "PlanResourceChange");
    }

    #[test]
    fn level_precedence_and_names() {
        let get = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(level_from_env(get(&[])), DEFAULT_LEVEL);
        assert_eq!(
            level_from_env(get(&[("TF_LOG", "debug")])),
            LevelFilter::DEBUG
        );
        assert_eq!(
            level_from_env(get(&[("TF_LOG", "debug"), ("TF_LOG_PROVIDER", "ERROR")])),
            LevelFilter::ERROR
        );
        assert_eq!(
            level_from_env(get(&[
                ("TF_LOG", "debug"),
                ("TF_LOG_PROVIDER", "ERROR"),
                ("TF_LOG_PROVIDER_GATEWAY", "trace")
            ])),
            LevelFilter::TRACE
        );
        assert_eq!(
            level_from_env(get(&[("TF_LOG", "json")])),
            LevelFilter::TRACE
        );
        assert_eq!(level_from_env(get(&[("TF_LOG", "off")])), LevelFilter::OFF);
    }
}
