//! Sends one signed webhook: POST, 10 s timeout, redirects not followed, only 2xx counts.

use std::time::Duration;

use reqwest::redirect::Policy;

use super::signing::sign;
use super::target_guard::TargetGuard;
use checkout_domain::ids::EventId;
use checkout_domain::timestamp::Timestamp;
use checkout_store::DeliveryOutcome;

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
            .user_agent("checkout-sessions-webhooks/1")
            .build()?;
        Ok(Self { client, guard })
    }

    /// Delivers `body` as event `event_id` to `url`, signed with `secret`.
    pub async fn send(
        &self,
        url: &str,
        secret: &str,
        event_id: &EventId,
        body: &str,
    ) -> DeliveryOutcome {
        if let Err(why) = self.guard.check(url).await {
            return DeliveryOutcome::Failed {
                status: None,
                error: why,
            };
        }
        // The timestamp is the real send time: receivers compare it with their own clocks.
        let timestamp = Timestamp::now().unix_seconds();
        let signature = match sign(secret, event_id.as_str(), timestamp, body) {
            Ok(signature) => signature,
            Err(e) => {
                return DeliveryOutcome::Failed {
                    status: None,
                    error: e.to_string(),
                };
            }
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
            Ok(response) if response.status().is_success() => DeliveryOutcome::Delivered {
                status: response.status().as_u16(),
            },
            Ok(response) => DeliveryOutcome::Failed {
                status: Some(response.status().as_u16()),
                error: format!("the endpoint answered {}", response.status()),
            },
            Err(e) => DeliveryOutcome::Failed {
                status: None,
                error: describe(&e),
            },
        }
    }
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
