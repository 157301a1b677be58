//! The webhook dispatcher: the first attempt of each new event from the table's stream, and every
//! due retry (and any event the stream missed) from a schedule.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use futures::FutureExt;
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::App;
use crate::error::ApiError;
use crate::metrics::{self, Metric, Unit};
use crate::service::{due_pass, webhook_endpoints};
use crate::webhook::WebhookSender;
use checkout_domain::delivery::DeliveryStatus;
use checkout_domain::delivery::{AttemptOutcome, Delivery, jitter};
use checkout_domain::event::WebhookEvent;
use checkout_domain::ids::{EventId, MerchantId};
use checkout_domain::merchant::Merchant;
use checkout_domain::timestamp::Timestamp;
use checkout_domain::webhook_endpoint::{EndpointStatus, WebhookEndpoint};
use checkout_store::{event_id_of, event_shards};

/// Deliveries in flight at once.
const CONCURRENCY: usize = 16;
/// How often a run waiting on deliveries looks for events that fell due meanwhile.
const REFILL_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// Most events one look queues; the rest are found by later looks and runs.
const LOOK_LIMIT: usize = 1_000;
/// How long a claimed attempt holds its event; longer than the 10 s attempt timeout.
const LEASE: time::Duration = time::Duration::seconds(30);
/// Times the findings of a turn are written again over a redelivery request that came first.
const RECORD_ATTEMPTS: usize = 5;
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
    /// Requests sent.
    pub attempted: usize,
    /// Deliveries that ended delivered.
    pub delivered: usize,
    /// Deliveries that ran out of attempts (or whose endpoint went).
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
    let oldest_due = run.oldest_due;
    let (report, failed) = run.finish().await?;
    let handled = report.delivered + report.failed;
    due_pass::put_pass(
        app,
        "delivery",
        handled,
        report.complete,
        oldest_due,
        app.now(),
    );
    match failed.into_iter().next() {
        Some((_, err)) => Err(err),
        None => Ok(report),
    }
}

type Attempt<'a> = BoxFuture<'a, (EventId, Result<Turn, ApiError>)>;

/// One dispatcher run: up to [`CONCURRENCY`] deliveries in flight, refilled from a queue as each
/// ends, so that a slow receiver holds one slot, never the run. A scheduled run looks for newly
/// due events every [`REFILL_EVERY`] while deliveries are in flight: an event written while a
/// slow delivery holds a run is still attempted within about a second. A stream run delivers its
/// batch and nothing else: a look reads every due shard (64 queries), which would be paid again by
/// every batch that meets a receiver slower than a second.
struct Run<'a> {
    app: &'a App,
    sender: &'a WebhookSender,
    deadline: Option<Instant>,
    /// Whether the run looks for due events (while it delivers, and after its last delivery).
    looks: bool,
    waiting: VecDeque<EventId>,
    /// Every event this run queued: each is attempted at most once per run.
    seen: HashSet<EventId>,
    in_flight: FuturesUnordered<Attempt<'a>>,
    started_since_look: bool,
    report: DispatchReport,
    failed: Vec<(EventId, ApiError)>,
    /// When the oldest due event the run's looks so far met fell due.
    oldest_due: Option<Timestamp>,
}

impl<'a> Run<'a> {
    fn new(
        app: &'a App,
        sender: &'a WebhookSender,
        deadline: Option<Instant>,
        looks: bool,
    ) -> Self {
        Self {
            app,
            sender,
            deadline,
            looks,
            waiting: VecDeque::new(),
            seen: HashSet::new(),
            in_flight: FuturesUnordered::new(),
            started_since_look: false,
            report: DispatchReport {
                complete: true,
                ..DispatchReport::default()
            },
            failed: Vec::new(),
            oldest_due: None,
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
            let mut oldest = None;
            loop {
                let page = app.store.due_events(&shard, now, start).await?;
                oldest = due_pass::earliest(oldest, page.oldest);
                found.extend(page.ids.into_iter().filter(|id| !seen.contains(id)));
                start = page.next;
                if start.is_none() || found.len() >= LOOK_LIMIT {
                    return Ok::<_, ApiError>((found, oldest));
                }
            }
        });
        let found = futures::future::try_join_all(shards).await?;
        let mut ids = Vec::new();
        for (shard_ids, oldest) in found {
            ids.extend(shard_ids);
            self.oldest_due = due_pass::earliest(self.oldest_due, oldest);
        }
        for id in ids.into_iter().take(LOOK_LIMIT) {
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

    fn record(&mut self, id: EventId, outcome: Result<Turn, ApiError>) {
        match outcome {
            Ok(turn) => {
                self.report.attempted += turn.attempted;
                self.report.delivered += turn.delivered;
                self.report.failed += turn.failed;
            }
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
                let more = self.looks && self.started_since_look && !self.near_deadline();
                if !more {
                    break;
                }
                self.look_for_due().await?;
                if self.waiting.is_empty() {
                    break;
                }
                continue;
            }
            if !self.looks {
                if let Some((id, outcome)) = self.in_flight.next().await {
                    self.record(id, outcome);
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

/// What one event's turn in a run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Turn {
    /// Requests sent.
    pub attempted: usize,
    /// Deliveries that ended delivered.
    pub delivered: usize,
    /// Deliveries that ended failed.
    pub failed: usize,
}

/// Where one due delivery goes, or why it goes nowhere.
enum Plan<'a> {
    Send { url: &'a str, secrets: Vec<&'a str> },
    GiveUp(&'static str),
}

/// Fans event `id` out to its targets if that is still to do, then makes the attempts due at
/// `now` of its deliveries, unless another dispatcher holds it. One read of the event, one query
/// of its merchant and endpoints, one write of the fan-out with the lease, one write per wave of
/// attempts (and, the first time a stage-one merchant's event is delivered, the move of its URL).
pub async fn deliver_event(
    app: &App,
    sender: &WebhookSender,
    id: &EventId,
    now: Timestamp,
) -> Result<Turn, ApiError> {
    let Some(mut event) = app.store.get_event(id).await? else {
        return Ok(Turn::default());
    };
    let mut targets = None;
    if event.awaits_fan_out() {
        let found = fan_out(app, &mut event, now).await?;
        targets = Some(found);
    }
    let due = event.due_deliveries(now);
    if due.is_empty() && targets.is_none() {
        return Ok(Turn::default());
    }
    // The fan-out and the lease of what it made due are one write; losing it means another
    // dispatcher fanned out or claimed the event first, and goes on with it.
    if !claim(app, &mut event, &due, now).await? || due.is_empty() {
        return Ok(Turn::default());
    }
    let deliveries = event.deliveries.clone().unwrap_or_default();
    let due: Vec<&Delivery> = due.iter().filter_map(|&i| deliveries.get(i)).collect();
    let Targets {
        merchant,
        endpoints,
    } = match targets {
        Some(targets) => targets,
        None => targets_of(app, &event.merchant_id).await?,
    };
    let payload = event.payload.clone();
    let mut attempts: FuturesUnordered<_> = due
        .iter()
        .map(|&delivery| {
            let plan = plan(delivery, &endpoints, merchant.as_ref(), now);
            let payload = payload.as_str();
            async move {
                let outcome = match plan {
                    Plan::Send { url, secrets } => {
                        Ok(sender.send(url, &secrets, id, payload).await)
                    }
                    Plan::GiveUp(why) => Err(why),
                };
                (delivery.clone(), outcome, jitter())
            }
        })
        .collect();
    // Each wave of attempts that have ended is written as soon as it ends, which frees those
    // deliveries while the others still run: a slow target holds back neither the record nor
    // the retry of a fast one. Targets that end together make one write.
    let merchant_id = event.merchant_id.clone();
    let (mut turn, mut results) = (Turn::default(), Vec::new());
    while let Some(first) = attempts.next().await {
        let mut wave = vec![first];
        while let Some(Some(ended)) = attempts.next().now_or_never() {
            wave.push(ended);
        }
        let (saved, wave_turn) = record(app, event, &wave, now).await?;
        event = saved;
        turn.attempted += wave_turn.attempted;
        turn.delivered += wave_turn.delivered;
        turn.failed += wave_turn.failed;
        results.extend(wave);
    }
    observe_endpoints(app, &merchant_id, &endpoints, &results, now).await?;
    Ok(turn)
}

/// Tells each endpoint attempted what its attempt found, where that changes its health (its
/// failing clock, or disabling it).
async fn observe_endpoints(
    app: &App,
    merchant_id: &MerchantId,
    endpoints: &[WebhookEndpoint],
    results: &[(Delivery, Result<AttemptOutcome, &'static str>, f64)],
    now: Timestamp,
) -> Result<(), ApiError> {
    for (delivery, outcome, _) in results {
        let (Some(endpoint_id), Ok(outcome)) = (&delivery.endpoint_id, outcome) else {
            continue;
        };
        let changes = endpoints
            .iter()
            .find(|e| e.id == *endpoint_id)
            .is_some_and(|e| {
                e.clone()
                    .observe(outcome.is_delivered(), outcome.is_gone(), now)
            });
        if changes {
            webhook_endpoints::observe_attempt(
                app,
                merchant_id,
                endpoint_id,
                outcome.is_delivered(),
                outcome.is_gone(),
                now,
            )
            .await?;
        }
    }
    Ok(())
}

/// Leases the deliveries at `due` of `event` to this dispatcher for [`LEASE`], over the
/// revision it was read at: `false` when another dispatcher changed the event first.
async fn claim(
    app: &App,
    event: &mut WebhookEvent,
    due: &[usize],
    now: Timestamp,
) -> Result<bool, ApiError> {
    let lease = now.plus(LEASE);
    if let Some(deliveries) = event.deliveries.as_mut() {
        for &index in due {
            if let Some(delivery) = deliveries.get_mut(index) {
                delivery.lease(lease);
            }
        }
    }
    event.revision += 1;
    Ok(app.store.save_deliveries(event).await?)
}

/// Where `delivery` goes now: its endpoint (signed with each of its current secrets) unless the
/// endpoint is gone or disabled and nobody asked for this delivery, or the session's URL
/// (signed with the account's secrets).
fn plan<'a>(
    delivery: &'a Delivery,
    endpoints: &'a [WebhookEndpoint],
    merchant: Option<&'a Merchant>,
    now: Timestamp,
) -> Plan<'a> {
    if let Some(id) = &delivery.endpoint_id {
        return match endpoints.iter().find(|e| e.id == *id) {
            None => Plan::GiveUp("the endpoint was deleted"),
            Some(e) if e.status == EndpointStatus::Disabled && !delivery.requested => {
                Plan::GiveUp("the endpoint is disabled")
            }
            Some(e) => Plan::Send {
                url: e.url.as_ref(),
                secrets: e.signing_secrets(now),
            },
        };
    }
    match (&delivery.url, merchant) {
        (Some(url), Some(merchant)) => Plan::Send {
            url,
            secrets: merchant.webhook_signing_secrets(now),
        },
        _ => Plan::GiveUp("the merchant no longer exists"),
    }
}

/// The merchant of an event and its endpoints.
struct Targets {
    merchant: Option<Merchant>,
    endpoints: Vec<WebhookEndpoint>,
}

/// The merchant `merchant_id` and its endpoints, in one query; a stage-one webhook URL still on
/// the merchant is moved to an endpoint first (once per merchant, ever).
async fn targets_of(app: &App, merchant_id: &MerchantId) -> Result<Targets, ApiError> {
    let (merchant, mut endpoints) = app.store.merchant_with_endpoints(merchant_id).await?;
    if let Some(merchant) = merchant.as_ref().filter(|m| m.webhook_url.is_some()) {
        match webhook_endpoints::migrate_stage_one_url(app, merchant).await? {
            Some(endpoint) => endpoints.push(endpoint),
            // Another request moved it first: read what it wrote.
            None => endpoints = app.store.list_endpoints(merchant_id).await?,
        }
    }
    Ok(Targets {
        merchant,
        endpoints,
    })
}

/// Gives `event` its targets: every enabled endpoint of the merchant that takes its type, and
/// the session's own URL. Written with the lease of its first attempts, by [`claim`].
async fn fan_out(app: &App, event: &mut WebhookEvent, now: Timestamp) -> Result<Targets, ApiError> {
    if app.faults.fan_out_fails() {
        return Err(ApiError::Internal(
            "fan-out failed (injected by a test)".into(),
        ));
    }
    let targets = targets_of(app, &event.merchant_id).await?;
    // Each delivery is due when the event was: its place in the due index stays where it is, and
    // the write of the fan-out moves no index entry.
    let due = event.next_attempt_at.map_or(now, |at| at.min(now));
    let mut deliveries = Vec::new();
    if targets.merchant.is_some() {
        for endpoint in &targets.endpoints {
            if endpoint.receives(event.kind) {
                deliveries.push(Delivery::to_endpoint(endpoint.id.clone(), due));
            }
        }
    }
    if let Some(url) = &event.webhook_url {
        deliveries.push(Delivery::to_url(url.clone(), due));
    }
    event.fan_out(deliveries);
    Ok(targets)
}

/// Counts the attempts of `results` as `event` now records them: each by where it left its
/// delivery, with how long it took.
fn put_attempts(
    app: &App,
    event: &WebhookEvent,
    results: &[(Delivery, Result<AttemptOutcome, &'static str>, f64)],
) {
    let deliveries = event.deliveries.as_deref().unwrap_or_default();
    for (attempted, outcome, _) in results {
        let Some(delivery) = deliveries
            .iter()
            .find(|d| (&d.endpoint_id, &d.url) == (&attempted.endpoint_id, &attempted.url))
        else {
            continue;
        };
        let where_left = match delivery.status {
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            _ => "retrying",
        };
        app.metrics
            .put(Metric::count(metrics::WEBHOOK_DELIVERIES, 1).by("Outcome", where_left));
        if let Ok(outcome) = outcome {
            // Milliseconds of one attempt are far inside f64's exact integers.
            let took = outcome.duration_ms as f64;
            app.metrics.put(Metric::time(
                metrics::WEBHOOK_LATENCY,
                Unit::Milliseconds,
                took,
            ));
        }
    }
}

/// Writes what the attempts found, which lets their deliveries go (the event's others stay
/// held while their attempts run); when a redelivery request or another dispatcher's finding
/// came in meanwhile, reads the event again and writes the findings over it. The event as
/// written, and what these attempts did.
async fn record(
    app: &App,
    mut event: WebhookEvent,
    results: &[(Delivery, Result<AttemptOutcome, &'static str>, f64)],
    now: Timestamp,
) -> Result<(WebhookEvent, Turn), ApiError> {
    for _ in 0..RECORD_ATTEMPTS {
        let mut turn = Turn::default();
        if let Some(deliveries) = event.deliveries.as_mut() {
            for (attempted, outcome, jitter) in results {
                let Some(delivery) = deliveries
                    .iter_mut()
                    .find(|d| (&d.endpoint_id, &d.url) == (&attempted.endpoint_id, &attempted.url))
                else {
                    continue;
                };
                match outcome {
                    Ok(outcome) => {
                        turn.attempted += 1;
                        delivery.record(now, outcome, *jitter);
                    }
                    Err(why) => delivery.give_up(now, why),
                }
                turn.delivered += usize::from(delivery.status == DeliveryStatus::Delivered);
                turn.failed += usize::from(delivery.status == DeliveryStatus::Failed);
                tracing::info!(
                    event_id = %event.id,
                    endpoint_id = ?delivery.endpoint_id,
                    attempt = delivery.attempt_count,
                    status = delivery.status.as_str(),
                    outcome = ?outcome,
                    "webhook attempt"
                );
            }
        }
        event.summarize();
        event.revision += 1;
        if app.store.save_deliveries(&event).await? {
            put_attempts(app, &event, results);
            return Ok((event, turn));
        }
        event = app
            .store
            .get_event(&event.id)
            .await?
            .ok_or_else(|| ApiError::Internal("an event went while it was delivered".into()))?;
    }
    Err(ApiError::Contention)
}
