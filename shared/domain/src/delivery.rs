//! Deliveries (SPEC §18): each target of an event — every subscribed endpoint, and the session's
//! own `webhookUrl` — is a delivery with its own attempts, retry clock and state.

use serde::{Deserialize, Serialize};

use crate::ids::WebhookEndpointId;
use crate::timestamp::Timestamp;

/// Where a delivery stands (and, summed up, its event: `WebhookEvent::delivery_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::Display, strum::VariantArray)]
#[strum(serialize_all = "lowercase")]
pub enum DeliveryStatus {
    /// Not delivered yet; attempts remain.
    Pending,
    /// A 2xx was received.
    Delivered,
    /// Every attempt failed.
    Failed,
    /// There was nowhere to send it: no endpoint took its type and its session has no URL.
    Skipped,
}

impl DeliveryStatus {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses a lower-case name.
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

/// When the retry after `n` failed attempts is due: the contract's 5 s … 24 h (SPEC §11), then
/// twice more a day later, so that retries span at least three days (SPEC §18) even with every
/// delay cut by the largest [`JITTER`] (80.6 h; 89.6 h as written).
pub const RETRY_DELAYS: [time::Duration; 9] = [
    time::Duration::seconds(5),
    time::Duration::minutes(5),
    time::Duration::minutes(30),
    time::Duration::hours(2),
    time::Duration::hours(5),
    time::Duration::hours(10),
    time::Duration::hours(24),
    time::Duration::hours(24),
    time::Duration::hours(24),
];

/// Attempts a delivery makes on its own before it is failed: the first and one per delay.
pub const MAX_ATTEMPTS: u32 = RETRY_DELAYS.len() as u32 + 1;

/// Each delay is moved by up to this fraction either way, so that the retries of many events
/// that failed together (a receiver's outage) do not arrive together.
pub const JITTER: f64 = 0.1;

/// The longest `Retry-After` honoured.
pub const MAX_RETRY_AFTER: time::Duration = time::Duration::hours(1);

/// Attempts kept on a delivery, the latest; the count goes on.
pub const ATTEMPTS_KEPT: usize = 20;

/// Longest error text kept on an attempt.
const ERROR_MAX: usize = 300;

/// A random factor in `[-JITTER, JITTER]` for [`Delivery::record`].
pub fn jitter() -> f64 {
    (rand::random::<f64>() * 2.0 - 1.0) * JITTER
}

/// What one attempt found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttemptOutcome {
    /// The answer's status code, when one came.
    pub status_code: Option<u16>,
    /// How long the attempt took.
    pub duration_ms: u64,
    /// Why it did not count as delivered; `None` for a 2xx.
    pub error: Option<String>,
    /// The receiver's `Retry-After` on a 429 or 503.
    pub retry_after: Option<time::Duration>,
}

impl AttemptOutcome {
    /// A 2xx.
    pub fn delivered(status_code: u16, duration_ms: u64) -> Self {
        Self {
            status_code: Some(status_code),
            duration_ms,
            ..Self::default()
        }
    }

    /// Anything else.
    pub fn failed(status_code: Option<u16>, duration_ms: u64, error: impl Into<String>) -> Self {
        Self {
            status_code,
            duration_ms,
            error: Some(error.into()),
            retry_after: None,
        }
    }

    /// Whether the receiver took it.
    pub fn is_delivered(&self) -> bool {
        self.error.is_none()
    }

    /// Whether the receiver said it is gone for good (`410 Gone`).
    pub fn is_gone(&self) -> bool {
        self.status_code == Some(410)
    }
}

/// One attempt, as the merchant sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// When it was made.
    pub at: Timestamp,
    /// The answer's status code, if one came.
    pub status_code: Option<u16>,
    /// How long it took.
    pub duration_ms: u64,
    /// Why it failed.
    pub error: Option<String>,
}

/// One target of an event and how delivering to it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// The endpoint delivered to…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_id: Option<WebhookEndpointId>,
    /// …or the session's own webhook URL, signed with the account's secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// The latest [`ATTEMPTS_KEPT`] attempts, oldest first.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// Attempts made in all.
    #[serde(default)]
    pub attempt_count: u32,
    /// Failures since the schedule last started: which retry delay comes next.
    #[serde(default)]
    pub retry_step: u32,
    /// When the next attempt is due (pending only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<Timestamp>,
    /// When a 2xx came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<Timestamp>,
    /// Asked for by the merchant: sent even to an endpoint it has disabled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub requested: bool,
    /// A dispatcher is making an attempt and holds this delivery until then (or until its
    /// finding is written): no other dispatcher sends it meanwhile, while the event's other
    /// deliveries stay free to go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leased_until: Option<Timestamp>,
}

impl Delivery {
    fn pending(
        endpoint_id: Option<WebhookEndpointId>,
        url: Option<String>,
        now: Timestamp,
    ) -> Self {
        Self {
            endpoint_id,
            url,
            status: DeliveryStatus::Pending,
            attempts: Vec::new(),
            attempt_count: 0,
            retry_step: 0,
            next_attempt_at: Some(now),
            delivered_at: None,
            requested: false,
            leased_until: None,
        }
    }

    /// A delivery to endpoint `id`, due at `now`.
    pub fn to_endpoint(id: WebhookEndpointId, now: Timestamp) -> Self {
        Self::pending(Some(id), None, now)
    }

    /// A delivery to a session's own webhook URL, due at `now`.
    pub fn to_url(url: String, now: Timestamp) -> Self {
        Self::pending(None, Some(url), now)
    }

    /// Whether an attempt is due at `now`.
    pub fn is_due(&self, now: Timestamp) -> bool {
        self.status == DeliveryStatus::Pending
            && self.next_attempt_at.is_some_and(|at| at <= now)
            && self.leased_until.is_none_or(|until| until <= now)
    }

    /// Holds it for an attempt until `until`.
    pub fn lease(&mut self, until: Timestamp) {
        self.leased_until = Some(until);
    }

    /// Takes in the attempt made at `at`: delivered, retried after the next delay of the schedule
    /// (moved by `jitter`, and no sooner than a `Retry-After` capped at an hour), or failed when
    /// the schedule is spent or the endpoint is gone.
    pub fn record(&mut self, at: Timestamp, outcome: &AttemptOutcome, jitter: f64) {
        self.note(at, outcome);
        if outcome.is_delivered() {
            self.status = DeliveryStatus::Delivered;
            self.next_attempt_at = None;
            self.delivered_at = Some(at);
            return;
        }
        let delay = usize::try_from(self.retry_step)
            .ok()
            .and_then(|step| RETRY_DELAYS.get(step))
            .filter(|_| !outcome.is_gone());
        match delay {
            Some(delay) => {
                let moved = delay.as_seconds_f64() * (1.0 + jitter.clamp(-JITTER, JITTER));
                let mut wait = time::Duration::milliseconds((moved * 1000.0) as i64);
                if let Some(asked) = outcome.retry_after {
                    wait = wait.max(asked.min(MAX_RETRY_AFTER));
                }
                self.retry_step += 1;
                self.next_attempt_at = Some(at.plus(wait));
            }
            None => {
                self.status = DeliveryStatus::Failed;
                self.next_attempt_at = None;
            }
        }
    }

    /// Fails it without sending: its endpoint was deleted, or disabled and nobody asked for this
    /// delivery.
    pub fn give_up(&mut self, at: Timestamp, why: &str) {
        self.note(at, &AttemptOutcome::failed(None, 0, why));
        self.status = DeliveryStatus::Failed;
        self.next_attempt_at = None;
    }

    /// Queues a fresh attempt at `now` with a fresh schedule, at the merchant's request.
    pub fn requeue(&mut self, now: Timestamp) {
        self.status = DeliveryStatus::Pending;
        self.next_attempt_at = Some(now);
        self.retry_step = 0;
        self.requested = true;
    }

    fn note(&mut self, at: Timestamp, outcome: &AttemptOutcome) {
        self.leased_until = None;
        self.attempt_count += 1;
        self.requested = false;
        self.attempts.push(Attempt {
            at,
            status_code: outcome.status_code,
            duration_ms: outcome.duration_ms,
            error: outcome
                .error
                .as_ref()
                .map(|e| e.chars().take(ERROR_MAX).collect()),
        });
        let excess = self.attempts.len().saturating_sub(ATTEMPTS_KEPT);
        self.attempts.drain(..excess);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> Timestamp {
        Timestamp::from_unix_seconds(1_800_000_000).expect("a time")
    }

    fn unavailable() -> AttemptOutcome {
        AttemptOutcome::failed(Some(503), 12, "the endpoint answered 503")
    }

    #[test]
    fn a_leased_delivery_waits_for_its_lease_or_its_finding() {
        let mut delivery = Delivery::to_url("https://hooks.example/in".into(), start());
        delivery.lease(start().plus(time::Duration::seconds(30)));
        assert!(!delivery.is_due(start().plus(time::Duration::seconds(29))));
        assert!(
            delivery.is_due(start().plus(time::Duration::seconds(30))),
            "a crashed holder"
        );
        delivery.record(start(), &AttemptOutcome::failed(Some(500), 5, "500"), 0.0);
        assert_eq!(delivery.leased_until, None, "the finding lets it go");
    }

    #[test]
    fn retries_span_at_least_three_days_whatever_the_jitter_then_stop() {
        for jitter in [-JITTER, 0.0, JITTER] {
            let mut delivery = Delivery::to_endpoint(WebhookEndpointId::generate(), start());
            let mut at = start();
            while delivery.status == DeliveryStatus::Pending {
                delivery.record(at, &unavailable(), jitter);
                if let Some(next) = delivery.next_attempt_at {
                    at = next;
                }
            }
            assert_eq!(delivery.status, DeliveryStatus::Failed);
            assert_eq!(delivery.attempt_count, MAX_ATTEMPTS);
            assert!(at.since(start()) >= time::Duration::days(3), "{jitter}");
        }
    }

    #[test]
    fn jitter_moves_a_delay_by_at_most_a_tenth() {
        for _ in 0..1_000 {
            let mut delivery = Delivery::to_url("https://hooks.example/".into(), start());
            delivery.record(start(), &unavailable(), jitter());
            let wait = delivery.next_attempt_at.expect("due again").since(start());
            assert!(
                (time::Duration::milliseconds(4_500)..=time::Duration::milliseconds(5_500))
                    .contains(&wait),
                "{wait}"
            );
        }
    }

    #[test]
    fn retry_after_is_a_floor_capped_at_an_hour_and_gone_is_final() {
        let mut asked = Delivery::to_url("https://hooks.example/".into(), start());
        let mut busy = unavailable();
        busy.retry_after = Some(time::Duration::seconds(120));
        asked.record(start(), &busy, 0.0);
        assert_eq!(
            asked.next_attempt_at,
            Some(start().plus(time::Duration::seconds(120)))
        );
        busy.retry_after = Some(time::Duration::days(2));
        asked.record(start(), &busy, 0.0);
        assert_eq!(
            asked.next_attempt_at,
            Some(start().plus(time::Duration::hours(1)))
        );

        let mut gone = Delivery::to_url("https://hooks.example/".into(), start());
        gone.record(start(), &AttemptOutcome::failed(Some(410), 3, "gone"), 0.0);
        assert_eq!(
            (gone.status, gone.next_attempt_at),
            (DeliveryStatus::Failed, None)
        );
    }

    #[test]
    fn only_the_latest_attempts_are_kept_and_a_requeue_restarts_the_schedule() {
        let mut delivery = Delivery::to_url("https://hooks.example/".into(), start());
        for _ in 0..ATTEMPTS_KEPT + 5 {
            delivery.requeue(start());
            delivery.record(start(), &unavailable(), 0.0);
        }
        assert_eq!(delivery.attempts.len(), ATTEMPTS_KEPT);
        assert_eq!(delivery.attempt_count, ATTEMPTS_KEPT as u32 + 5);
        assert_eq!(delivery.retry_step, 1);
        delivery.record(start(), &AttemptOutcome::delivered(204, 8), 0.0);
        assert_eq!(
            (delivery.status, delivery.delivered_at),
            (DeliveryStatus::Delivered, Some(start()))
        );
    }
}
