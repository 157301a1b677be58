//! Invocation payloads, made from the samples in `events/` as API Gateway would send them.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::BenchResult;

const EVENTS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events");

/// One API Gateway HTTP API (payload 2.0) event, filled in from a sample.
#[derive(Clone)]
pub struct ApiEvent(Value);

impl ApiEvent {
    /// `events/<name>.json` with `key` as its API key and `session_id` wherever the sample has a
    /// placeholder session id.
    pub fn sample(name: &str, key: &str, session_id: &str) -> BenchResult<Self> {
        let text = std::fs::read_to_string(format!("{EVENTS_DIR}/{name}.json"))?
            .replace("sk_test_REPLACE_WITH_YOUR_KEY", key)
            .replace("cs_REPLACE_WITH_A_SESSION_ID", session_id);
        Ok(Self(serde_json::from_str(&text)?))
    }

    /// Sets a request header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Some(headers) = self.0.get_mut("headers").and_then(Value::as_object_mut) {
            headers.insert(name.to_owned(), Value::from(value));
        }
        self
    }

    /// Sends `cookie` (`name=value`) as the browser's only cookie.
    pub fn cookie(mut self, cookie: &str) -> Self {
        self.0["cookies"] = Value::from(vec![cookie]);
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: &str) -> Self {
        self.0["body"] = Value::from(body);
        self
    }

    /// Replaces the query string.
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        let raw: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        self.0["rawQueryString"] = Value::from(raw.join("&"));
        self.0["queryStringParameters"] = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
            .collect::<serde_json::Map<_, _>>()
            .into();
        self
    }

    /// Makes it a POST of `form` (URL-encoded already) to the same path.
    pub fn form_post(mut self, form: &str) -> Self {
        self.0["requestContext"]["http"]["method"] = Value::from("POST");
        self.0["routeKey"] = Value::from("POST /pay/{id}");
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(form)
    }

    /// The payload, with a fresh request id and the current time.
    pub fn payload(&self) -> Vec<u8> {
        let mut event = self.0.clone();
        event["requestContext"]["requestId"] = Value::from(uuid::Uuid::new_v4().to_string());
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as u64);
        event["requestContext"]["timeEpoch"] = Value::from(now_ms);
        serde_json::to_vec(&event).unwrap_or_default()
    }
}

/// A non-HTTP sample (`schedule`, `dynamodb-stream`) with `event_id` in place of its placeholder.
pub fn trigger(name: &str, event_id: &str) -> BenchResult<Vec<u8>> {
    Ok(
        std::fs::read_to_string(format!("{EVENTS_DIR}/{name}.json"))?
            .replace("evt_REPLACE_WITH_AN_EVENT_ID", event_id)
            .into_bytes(),
    )
}
