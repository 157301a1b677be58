//! The webhook dispatcher: the first attempt of each new event from the table's stream, and every
//! due retry (and any event the stream missed) from a schedule.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::App;
use crate::error::ApiError;
use crate::webhook::WebhookSender;
use checkout_domain::event::{DeliveryStatus, retry_delay};
use checkout_domain::ids::EventId;
use checkout_domain::timestamp::Timestamp;
use checkout_store::{DeliveryOutcome, event_id_of, event_shards};

/// Deliveries in flight at once.
const CONCURRENCY: usize = 16;
/// How often a run waiting on deliveries looks for events that fell due meanwhile.
const REFILL_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// Most events one look queues; the rest are found by later looks and runs.
const LOOK_LIMIT: usize = 1_000;
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
        let mut answer = DynamoDbEventResponse::default();
        for sequence in deliver_stream_batch(app, sender, batch, deadline).await? {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(sequence);
            answer.batch_item_failures.push(failure);
        }
        return serde_json::to_value(answer).map_err(|e| ApiError::Internal(e.to_string()));
    }
    let report = deliver_due(app, sender, deadline).await?;
    tracing::info!(?report, "scheduled dispatch");
    serde_json::to_value(report).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Sequence numbers of the records whose event could not be handled (storage trouble), so that
/// Lambda retries them; delivery failures are not among them, they are scheduled as retries.
async fn deliver_stream_batch(
    app: &App,
    sender: &WebhookSender,
    batch: StreamEvent,
    deadline: Option<Instant>,
) -> Result<Vec<String>, ApiError> {
    let mut sequences = HashMap::new();
    let mut run = Run::new(app, sender, deadline, false);
    for record in batch.records {
        if record.event_name != "INSERT" {
            continue;
        }
        if let Some(id) = event_id_of(&record.dynamodb.keys.pk.s) {
            sequences.insert(id.clone(), record.dynamodb.sequence_number);
            run.queue(id);
        }
    }
    let failed = run.finish().await?.1;
    Ok(failed
        .into_iter()
        .filter_map(|(id, e)| {
            let sequence = sequences.get(&id)?;
            tracing::error!(error = %e, sequence, "stream record not handled");
            Some(sequence.clone())
        })
        .collect())
}

/// Attempts every event due now until done or near `deadline`, and those that fall due while
/// it runs.
pub async fn deliver_due(
    app: &App,
    sender: &WebhookSender,
    deadline: Option<Instant>,
) -> Result<DispatchReport, ApiError> {
    let mut run = Run::new(app, sender, deadline, true);
    run.look_for_due().await?;
    let (report, failed) = run.finish().await?;
    match failed.into_iter().next() {
        Some((_, err)) => Err(err),
        None => Ok(report),
    }
}

type Attempt<'a> = BoxFuture<'a, (EventId, Result<Option<DeliveryStatus>, ApiError>)>;

/// One dispatcher run: up to [`CONCURRENCY`] deliveries in flight, refilled from a queue as each
/// ends, so that a slow receiver holds one slot, never the run. While deliveries are in flight it
/// looks for newly due events every [`REFILL_EVERY`]: an event written while a slow delivery
/// holds this run (and, on the stream, the next batch) is still attempted within about a second.
struct Run<'a> {
    app: &'a App,
    sender: &'a WebhookSender,
    deadline: Option<Instant>,
    /// Whether the run takes one more look for due events after its last delivery.
    final_look: bool,
    waiting: VecDeque<EventId>,
    /// Every event this run queued: each is attempted at most once per run.
    seen: HashSet<EventId>,
    in_flight: FuturesUnordered<Attempt<'a>>,
    started_since_look: bool,
    report: DispatchReport,
    failed: Vec<(EventId, ApiError)>,
}

impl<'a> Run<'a> {
    fn new(
        app: &'a App,
        sender: &'a WebhookSender,
        deadline: Option<Instant>,
        final_look: bool,
    ) -> Self {
        Self {
            app,
            sender,
            deadline,
            final_look,
            waiting: VecDeque::new(),
            seen: HashSet::new(),
            in_flight: FuturesUnordered::new(),
            started_since_look: false,
            report: DispatchReport {
                complete: true,
                ..DispatchReport::default()
            },
            failed: Vec::new(),
        }
    }

    fn queue(&mut self, id: EventId) {
        if self.seen.insert(id.clone()) {
            self.waiting.push_back(id);
        }
    }

    fn near_deadline(&self) -> bool {
        self.deadline
            .is_some_and(|d| Instant::now() + DEADLINE_MARGIN >= d)
    }

    /// Queues the events due now that this run has not seen, at most [`LOOK_LIMIT`].
    async fn look_for_due(&mut self) -> Result<(), ApiError> {
        self.started_since_look = false;
        let now = self.app.now();
        let app = self.app;
        let seen = &self.seen;
        let shards = event_shards().map(|shard| async move {
            let mut found = Vec::new();
            let mut start = None;
            loop {
                let page = app.store.due_events(&shard, now, start).await?;
                found.extend(page.ids.into_iter().filter(|id| !seen.contains(id)));
                start = page.next;
                if start.is_none() || found.len() >= LOOK_LIMIT {
                    return Ok::<_, ApiError>(found);
                }
            }
        });
        let found = futures::future::try_join_all(shards).await?;
        for id in found.into_iter().flatten().take(LOOK_LIMIT) {
            self.queue(id);
        }
        Ok(())
    }

    fn start_waiting(&mut self) {
        while self.in_flight.len() < CONCURRENCY && !self.near_deadline() {
            let Some(id) = self.waiting.pop_front() else {
                return;
            };
            let (app, sender) = (self.app, self.sender);
            let now = app.now();
            self.started_since_look = true;
            self.in_flight.push(Box::pin(async move {
                let outcome = deliver_event(app, sender, &id, now).await;
                (id, outcome)
            }));
        }
    }

    fn record(&mut self, id: EventId, outcome: Result<Option<DeliveryStatus>, ApiError>) {
        match outcome {
            Ok(Some(status)) => {
                self.report.attempted += 1;
                self.report.delivered += usize::from(status == DeliveryStatus::Delivered);
                self.report.failed += usize::from(status == DeliveryStatus::Failed);
            }
            Ok(None) => {}
            Err(err) => self.failed.push((id, err)),
        }
    }

    /// Works through the queue and whatever falls due meanwhile; returns the report and the
    /// events that could not be handled.
    async fn finish(mut self) -> Result<(DispatchReport, Vec<(EventId, ApiError)>), ApiError> {
        let mut next_look = tokio::time::Instant::now() + REFILL_EVERY;
        loop {
            self.start_waiting();
            if self.in_flight.is_empty() {
                let more = self.final_look && self.started_since_look && !self.near_deadline();
                if !more {
                    break;
                }
                self.look_for_due().await?;
                if self.waiting.is_empty() {
                    break;
                }
                continue;
            }
            tokio::select! {
                Some((id, outcome)) = self.in_flight.next() => self.record(id, outcome),
                () = tokio::time::sleep_until(next_look) => {
                    if !self.near_deadline() {
                        self.look_for_due().await?;
                    }
                    next_look = tokio::time::Instant::now() + REFILL_EVERY;
                }
            }
        }
        if !self.waiting.is_empty() {
            self.report.complete = false;
        }
        Ok((self.report, self.failed))
    }
}

/// Makes the next attempt of event `id` if it is due and nobody else is making it. Returns the
/// event's delivery status afterwards, or `None` when no attempt was made.
pub async fn deliver_event(
    app: &App,
    sender: &WebhookSender,
    id: &EventId,
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
