//! The webhook dispatcher: the first attempt of each new event from the table's stream, and every
//! due retry (and any event the stream missed) from a schedule.

use std::time::Instant;

use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::App;
use crate::error::ApiError;
use crate::event::{DeliveryStatus, retry_delay};
use crate::store::{DeliveryOutcome, event_shards};
use crate::timestamp::Timestamp;
use crate::webhook::WebhookSender;

/// Deliveries in flight at once.
const CONCURRENCY: usize = 16;
/// How long a claimed attempt holds its event; longer than the 10 s attempt timeout.
const LEASE: time::Duration = time::Duration::seconds(30);
/// Time kept back before the Lambda deadline so the last records are written.
const DEADLINE_MARGIN: std::time::Duration = std::time::Duration::from_secs(15);

#[derive(Debug, Deserialize)]
struct StreamEvent {
    #[serde(rename = "Records")]
    records: Vec<StreamRecord>,
}

#[derive(Debug, Deserialize)]
struct StreamRecord {
    #[serde(rename = "eventName", default)]
    event_name: String,
    dynamodb: StreamChange,
}

#[derive(Debug, Deserialize)]
struct StreamChange {
    #[serde(rename = "Keys")]
    keys: StreamKeys,
    #[serde(rename = "SequenceNumber", default)]
    sequence_number: String,
}

#[derive(Debug, Deserialize)]
struct StreamKeys {
    pk: StringAttribute,
}

#[derive(Debug, Deserialize)]
struct StringAttribute {
    #[serde(rename = "S")]
    s: String,
}

/// What a scheduled run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DispatchReport {
    /// Attempts made.
    pub attempted: usize,
    /// Of which delivered.
    pub delivered: usize,
    /// Events that ran out of attempts.
    pub failed: usize,
    /// Whether every due event was reached before the deadline.
    pub complete: bool,
}

/// Handles one invocation: a DynamoDB stream batch (answered with the records to retry, per
/// `ReportBatchItemFailures`) or a scheduled event (answered with a [`DispatchReport`]).
pub async fn handle_trigger(
    app: &App,
    sender: &WebhookSender,
    trigger: Value,
    deadline: Option<Instant>,
) -> Result<Value, ApiError> {
    if trigger.get("Records").is_some() {
        let batch: StreamEvent = serde_json::from_value(trigger)
            .map_err(|e| ApiError::Internal(format!("not a DynamoDB stream event: {e}")))?;
        let failures = deliver_stream_batch(app, sender, batch).await;
        let failures: Vec<Value> = failures
            .into_iter()
            .map(|id| serde_json::json!({ "itemIdentifier": id }))
            .collect();
        return Ok(serde_json::json!({ "batchItemFailures": failures }));
    }
    let report = deliver_due(app, sender, app.now(), deadline).await?;
    tracing::info!(?report, "scheduled dispatch");
    serde_json::to_value(report).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Sequence numbers of the records whose event could not be handled (storage trouble), so that
/// Lambda retries them; delivery failures are not among them, they are scheduled as retries.
async fn deliver_stream_batch(
    app: &App,
    sender: &WebhookSender,
    batch: StreamEvent,
) -> Vec<String> {
    let now = app.now();
    let results: Vec<(String, Result<Option<DeliveryStatus>, ApiError>)> = stream::iter(
        batch.records,
    )
    .filter(|record| std::future::ready(record.event_name == "INSERT"))
    .filter_map(|record| {
        let id = record
            .dynamodb
            .keys
            .pk
            .s
            .strip_prefix("EVENT#")
            .map(str::to_owned);
        std::future::ready(id.map(|id| (record.dynamodb.sequence_number, id)))
    })
    .map(|(sequence, id)| async move { (sequence, deliver_event(app, sender, &id, now).await) })
    .buffer_unordered(CONCURRENCY)
    .collect()
    .await;
    results
        .into_iter()
        .filter_map(|(sequence, result)| match result {
            Ok(_) => None,
            Err(e) => {
                tracing::error!(error = %e, sequence, "stream record not handled");
                Some(sequence)
            }
        })
        .collect()
}

/// Attempts every event due at `now`, shard by shard, until done or near `deadline`.
pub async fn deliver_due(
    app: &App,
    sender: &WebhookSender,
    now: Timestamp,
    deadline: Option<Instant>,
) -> Result<DispatchReport, ApiError> {
    let mut report = DispatchReport {
        complete: true,
        ..DispatchReport::default()
    };
    for shard in event_shards() {
        let mut start = None;
        loop {
            if deadline.is_some_and(|d| Instant::now() + DEADLINE_MARGIN >= d) {
                report.complete = false;
                return Ok(report);
            }
            let page = app.store.due_events(&shard, now, start).await?;
            let outcomes: Vec<Result<Option<DeliveryStatus>, ApiError>> = stream::iter(page.ids)
                .map(|id| async move { deliver_event(app, sender, &id, now).await })
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            for outcome in outcomes {
                if let Some(status) = outcome? {
                    report.attempted += 1;
                    report.delivered += usize::from(status == DeliveryStatus::Delivered);
                    report.failed += usize::from(status == DeliveryStatus::Failed);
                }
            }
            start = page.next;
            if start.is_none() {
                break;
            }
        }
    }
    Ok(report)
}

/// Makes the next attempt of event `id` if it is due and nobody else is making it. Returns the
/// event's delivery status afterwards, or `None` when no attempt was made.
pub async fn deliver_event(
    app: &App,
    sender: &WebhookSender,
    id: &str,
    now: Timestamp,
) -> Result<Option<DeliveryStatus>, ApiError> {
    let Some(event) = app.store.get_event(id).await? else {
        return Ok(None);
    };
    let Some(claimed) = app
        .store
        .claim_delivery(&event, now, now.plus(LEASE))
        .await?
    else {
        return Ok(None);
    };
    let merchant = app.store.get_merchant(&claimed.merchant_id).await?;
    let target = claimed.webhook_url.clone().or_else(|| {
        merchant
            .as_ref()?
            .webhook_url
            .as_ref()
            .map(|u| u.as_ref().to_owned())
    });
    let outcome = match (target, &merchant) {
        (Some(url), Some(merchant)) => {
            sender
                .send(
                    &url,
                    &merchant.webhook_secret,
                    &claimed.id,
                    &claimed.payload,
                )
                .await
        }
        _ => DeliveryOutcome::Skipped,
    };
    let next_attempt_at = match &outcome {
        DeliveryOutcome::Failed { .. } => {
            retry_delay(claimed.attempts).map(|delay| now.plus(delay))
        }
        _ => None,
    };
    app.store
        .finish_delivery(&claimed, &outcome, next_attempt_at, now)
        .await?;
    let status = match (&outcome, next_attempt_at) {
        (DeliveryOutcome::Delivered { .. }, _) => DeliveryStatus::Delivered,
        (DeliveryOutcome::Skipped, _) => DeliveryStatus::Skipped,
        (DeliveryOutcome::Failed { .. }, Some(_)) => DeliveryStatus::Pending,
        (DeliveryOutcome::Failed { .. }, None) => DeliveryStatus::Failed,
    };
    tracing::info!(
        event_id = %claimed.id,
        attempt = claimed.attempts,
        status = status.as_str(),
        outcome = ?outcome,
        "webhook attempt"
    );
    Ok(Some(status))
}
