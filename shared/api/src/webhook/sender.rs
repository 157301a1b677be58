//! Sends one signed webhook: POST, 10 s timeout, redirects not followed, only 2xx counts.

use std::time::{Duration, Instant, SystemTime};

use reqwest::redirect::Policy;

use super::signing::sign_all;
use super::target_guard::TargetGuard;
use checkout_domain::delivery::AttemptOutcome;
use checkout_domain::ids::EventId;
use checkout_domain::timestamp::Timestamp;

/// How long one attempt may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP client for webhooks, built once per container.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    guard: TargetGuard,
}

impl WebhookSender {
    /// A sender; `allow_private_targets` turns the SSRF guard off (local development only).
    pub fn new(allow_private_targets: bool) -> Result<Self, reqwest::Error> {
        let guard = TargetGuard::new(allow_private_targets);
        let client = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .redirect(Policy::none())
            .dns_resolver(guard.resolver())
            // A proxy from HTTP(S)_PROXY would resolve the host itself, past the guard's resolver.
            .no_proxy()
            .user_agent("checkout-sessions-webhooks/1")
            .build()?;
        Ok(Self { client, guard })
    }

    /// Delivers `body` as event `event_id` to `url`, signed with each of `secrets`.
    pub async fn send(
        &self,
        url: &str,
        secrets: &[&str],
        event_id: &EventId,
        body: &str,
    ) -> AttemptOutcome {
        let started = Instant::now();
        let elapsed = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if let Err(why) = self.guard.check(url).await {
            return AttemptOutcome::failed(None, elapsed(), why);
        }
        // The timestamp is the real send time: receivers compare it with their own clocks.
        let timestamp = Timestamp::now().unix_seconds();
        let signature = match sign_all(secrets, event_id.as_str(), timestamp, body) {
            Ok(signature) => signature,
            Err(e) => return AttemptOutcome::failed(None, elapsed(), e.to_string()),
        };
        let response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", event_id.as_str())
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body.to_owned())
            .send()
            .await;
        match response {
            Ok(response) if response.status().is_success() => {
                AttemptOutcome::delivered(response.status().as_u16(), elapsed())
            }
            Ok(response) => {
                let status = response.status();
                let mut outcome = AttemptOutcome::failed(
                    Some(status.as_u16()),
                    elapsed(),
                    format!("the endpoint answered {status}"),
                );
                if matches!(status.as_u16(), 429 | 503) {
                    outcome.retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| retry_after(value, SystemTime::now()));
                }
                outcome
            }
            Err(e) => AttemptOutcome::failed(None, elapsed(), describe(&e)),
        }
    }
}

/// A `Retry-After` value (delay-seconds or an HTTP-date) as a wait from `now`.
fn retry_after(value: &str, now: SystemTime) -> Option<time::Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u32>() {
        return Some(time::Duration::seconds(i64::from(seconds)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let wait = at.duration_since(now).unwrap_or_default();
    time::Duration::try_from(wait).ok()
}

fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_as_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(retry_after("120", now), Some(time::Duration::seconds(120)));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(time::Duration::seconds(0))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 09:49:37 GMT", now),
            Some(time::Duration::hours(1))
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-5", now), None);
    }
}
