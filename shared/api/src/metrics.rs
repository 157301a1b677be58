//! What the business watches, as CloudWatch embedded metric format (EMF) lines: one JSON object
//! per line on standard output, which CloudWatch Logs turns into metrics without an API call.
//! The names and what each counts are in `docs/operations.md`.
//!
//! A dimension's value is a `&'static str` from a closed set (a stage, a payment method, an
//! outcome): no merchant or session id can become one, which would make a metric per merchant
//! (cost and cardinality) and put ids where alarms are read.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};

/// The namespace every metric is published under.
pub const NAMESPACE: &str = "CheckoutSessions";

/// Sessions created (a replayed create counts nothing).
pub const SESSIONS_CREATED: &str = "SessionsCreated";
/// Payments that completed their session, by `Method`.
pub const PAYMENTS_COMPLETED: &str = "PaymentsCompleted";
/// Payments that failed their session (a third decline, an underpayment), by `Method`.
pub const PAYMENTS_FAILED: &str = "PaymentsFailed";
/// Card attempts the processor declined, by `Method`.
pub const PAYMENTS_DECLINED: &str = "PaymentsDeclined";
/// Refunds made.
pub const REFUNDS: &str = "Refunds";
/// Webhook attempts by `Outcome`: `delivered`, `retrying` (a later attempt is due) or `failed`
/// (out of attempts, or the endpoint went).
pub const WEBHOOK_DELIVERIES: &str = "WebhookDeliveries";
/// How long a webhook attempt took, answered or not.
pub const WEBHOOK_LATENCY: &str = "WebhookLatency";
/// Items a scheduled pass handled, by `Pass`.
pub const DUE_ITEMS_HANDLED: &str = "DueItemsHandled";
/// 1 for a scheduled pass that stopped at its deadline with items left, else 0, by `Pass`.
pub const RUNS_INCOMPLETE: &str = "RunsIncomplete";
/// How long the oldest item a scheduled pass met had been due, by `Pass` (0 when none was).
pub const OLDEST_DUE_AGE: &str = "OldestDueAge";

/// What a value measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A number of things.
    Count,
    /// A time in milliseconds.
    Milliseconds,
    /// A time in seconds.
    Seconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
            Self::Seconds => "Seconds",
        }
    }
}

/// One value of one metric, with its dimensions besides the stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    name: &'static str,
    unit: Unit,
    value: f64,
    dimensions: Vec<(&'static str, &'static str)>,
}

impl Metric {
    /// `value` things of `name`.
    pub fn count(name: &'static str, value: usize) -> Self {
        Self {
            name,
            unit: Unit::Count,
            // Counts per line are small; f64 holds every one exactly.
            value: value as f64,
            dimensions: Vec::new(),
        }
    }

    /// A duration of `name`, in `unit`.
    pub fn time(name: &'static str, unit: Unit, value: f64) -> Self {
        Self {
            name,
            unit,
            value,
            dimensions: Vec::new(),
        }
    }

    /// The same metric split by `name` = `value` as well.
    pub fn by(mut self, name: &'static str, value: &'static str) -> Self {
        self.dimensions.push((name, value));
        self
    }
}

/// Where metric lines go.
#[derive(Clone, Default)]
enum Sink {
    /// Standard output, where Lambda sends them to CloudWatch Logs.
    #[default]
    Stdout,
    /// Kept in memory, for a test to read back.
    Kept(Arc<Mutex<Vec<String>>>),
}

/// The metrics a container writes, each line stamped with its stage.
#[derive(Clone)]
pub struct Metrics {
    stage: &'static str,
    sink: Sink,
}

impl Metrics {
    /// Metrics of `stage` written to standard output.
    pub fn new(stage: &'static str) -> Self {
        Self {
            stage,
            sink: Sink::Stdout,
        }
    }

    /// Metrics of `stage` kept in memory; the lines come back through the handle.
    pub fn kept(stage: &'static str) -> (Self, KeptLines) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let metrics = Self {
            stage,
            sink: Sink::Kept(lines.clone()),
        };
        (metrics, KeptLines(lines))
    }

    /// Writes `metric` as one EMF line.
    pub fn put(&self, metric: Metric) {
        let line = self.line(&metric, now_millis()).to_string();
        match &self.sink {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                // A metric that cannot be written is lost, never a failed request.
                let _ = writeln!(out, "{line}");
            }
            Sink::Kept(lines) => {
                if let Ok(mut lines) = lines.lock() {
                    lines.push(line);
                }
            }
        }
    }

    fn line(&self, metric: &Metric, timestamp: u128) -> Value {
        let mut names = vec!["Stage"];
        names.extend(metric.dimensions.iter().map(|(name, _)| *name));
        let mut object = Map::new();
        object.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [names],
                    "Metrics": [{ "Name": metric.name, "Unit": metric.unit.as_str() }],
                }],
            }),
        );
        object.insert("Stage".into(), self.stage.into());
        for (name, value) in &metric.dimensions {
            object.insert((*name).into(), (*value).into());
        }
        object.insert(metric.name.into(), metric.value.into());
        Value::Object(object)
    }
}

/// The lines a kept [`Metrics`] wrote.
#[derive(Clone)]
pub struct KeptLines(Arc<Mutex<Vec<String>>>);

impl KeptLines {
    /// Every line so far, oldest first.
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().map(|lines| lines.clone()).unwrap_or_default()
    }
}

fn now_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_an_emf_object_with_its_stage_and_dimensions() {
        let (metrics, kept) = Metrics::kept("test");
        metrics.put(Metric::count("PaymentsCompleted", 1).by("Method", "card"));
        let lines = kept.lines();
        let line: Value = serde_json::from_str(&lines[0]).expect("JSON");
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Dimensions"], json!([["Stage", "Method"]]));
        assert_eq!(
            directive["Metrics"],
            json!([{"Name": "PaymentsCompleted", "Unit": "Count"}])
        );
        assert_eq!(line["Stage"], "test");
        assert_eq!(line["Method"], "card");
        assert_eq!(line["PaymentsCompleted"], 1.0);
        assert!(line["_aws"]["Timestamp"].as_u64().is_some_and(|t| t > 0));
    }
}
