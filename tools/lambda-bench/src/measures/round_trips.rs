//! DynamoDB round trips and capacity units per operation, counted by a proxy in front of DynamoDB
//! Local, for one checkout's whole life: create → get → pay → webhook (and list). Each function
//! runs with the deployed defaults (rate limits on, auth cache on); the warm row is the second
//! request of a container, the first request's extra calls are listed beside it.

use checkout_api::service::webhook_endpoints;
use checkout_domain::event::EventType;
use checkout_domain::ids::{EventId, SessionId};
use checkout_store::EventQuery;
use serde::Serialize;

use super::{Bench, expect_success};
use crate::BenchResult;
use crate::dynamo_proxy::{Call, DynamoProxy};
use crate::events::{ApiEvent, trigger};
use crate::function_process::FunctionProcess;

#[derive(Serialize)]
pub struct RoundTripRow {
    step: String,
    function: String,
    calls: usize,
    operations: Vec<String>,
    read_units: f64,
    /// Write units as DynamoDB bills them (`billing`).
    write_units: f64,
    /// Those write units by table and index, e.g. `table 10, by-merchant 4`.
    write_units_where: String,
    /// The write units DynamoDB Local reported (it under-counts some transactions: `billing`).
    local_write_units: f64,
    first_request_extra_calls: Vec<String>,
    why: String,
}

impl RoundTripRow {
    pub(super) fn step(&self) -> &str {
        &self.step
    }

    pub(super) fn calls(&self) -> usize {
        self.calls
    }

    pub(super) fn write_units(&self) -> f64 {
        self.write_units
    }
}

impl Bench {
    pub(super) async fn round_trips(&self) -> BenchResult<Vec<RoundTripRow>> {
        let proxy = DynamoProxy::start(&self.settings.endpoint, super::table_shape()?).await?;
        let session = self.seed_session().await?;
        let other = self.seed_session().await?;
        let mut rows = Vec::new();

        let create = |_: &str| self.request_for("create-session", "");
        rows.push(
            self.count_on(&proxy, "create", "create-session", &create, &create, "")
                .await?,
        );
        let get = |id: &str| self.request_for("get-session", id);
        let get_other = |_: &str| self.request_for("get-session", other.id.as_str());
        let list = |_: &str| self.request_for("list-sessions", "");
        let get_id = session.id.to_string();
        rows.push(
            self.count_on(&proxy, "get", "get-session", &get_other, &get, &get_id)
                .await?,
        );
        rows.push(
            self.count_on(&proxy, "list", "list-sessions", &list, &list, "")
                .await?,
        );

        // Paying: the priming request shows another session's page; the measured one pays.
        let page = |id: &str| self.request_for("checkout-page", id);
        let pay = |id: &str| -> BenchResult<ApiEvent> {
            let (token, version) = (session.form_token.clone(), session.version);
            Ok(self.request_for("checkout-page", id)?.form_post(&format!(
                "method=card&token={token}&version={version}&cardNumber=4242424242424242&cardExpiry=12%2F34&cardCvc=123&cardName=Jane+Doe"
            )))
        };
        rows.push(
            self.count_on(&proxy, "pay", "checkout-page", &page, &pay, &get_id)
                .await?,
        );

        let event_id = self.completed_event_of(&session.id).await?;
        rows.push(self.count_webhook(&proxy, event_id.as_str()).await?);

        // The merchant has hundreds of sessions by now (the warm-up seeded them): a full page.
        let dashboard = |_: &str| self.request_for("dashboard", "");
        rows.push(
            self.count_on(
                &proxy,
                "dashboard: a page of 100 sessions",
                "dashboard",
                &dashboard,
                &dashboard,
                "",
            )
            .await?,
        );

        rows.push(lifecycle_row(&rows));
        print_rows(&rows);
        Ok(rows)
    }

    /// The id of the completion event the payment of `session_id` wrote.
    async fn completed_event_of(&self, session_id: &SessionId) -> BenchResult<EventId> {
        let event_id = self
            .app
            .store
            .list_events(&EventQuery {
                merchant_id: self.merchant.id.clone(),
                key_shards: self.merchant.key_shards,
                session_id: Some(session_id.clone()),
                kind: Some(EventType::Completed),
                delivery_status: None,
                limit: 1,
                after: None,
            })
            .await?
            .events
            .first()
            .map(|event| event.id.clone())
            .ok_or("the payment wrote no event")?;
        Ok(event_id)
    }

    /// Starts `function` through the proxy, sends the priming request (a first request in the
    /// container), then the measured one for `id`, and returns what each made DynamoDB do.
    async fn count_on(
        &self,
        proxy: &DynamoProxy,
        step: &str,
        function: &str,
        priming: &dyn Fn(&str) -> BenchResult<ApiEvent>,
        measured: &dyn Fn(&str) -> BenchResult<ApiEvent>,
        id: &str,
    ) -> BenchResult<RoundTripRow> {
        let process = self
            .start(function, Some(&proxy.endpoint()), &[("WARM_UP", "off")])
            .await?;
        proxy.take();
        let (outcome, _) = process.api.invoke(priming(id)?.payload()).await?;
        expect_success(function, &outcome)?;
        let first = proxy.take();
        let (outcome, _) = process.api.invoke(measured(id)?.payload()).await?;
        expect_success(function, &outcome)?;
        let warm = proxy.take();
        process.stop().await;
        Ok(row(step, function, &warm, extra(&first, &warm)))
    }

    async fn count_webhook(
        &self,
        proxy: &DynamoProxy,
        event_id: &str,
    ) -> BenchResult<RoundTripRow> {
        let function = "webhook-dispatcher";
        let process: FunctionProcess = self
            .start(function, Some(&proxy.endpoint()), &[("WARM_UP", "off")])
            .await?;
        // The merchant's stage-one webhook URL becomes an endpoint at its first event, once ever:
        // made here through the proxy, it is the first request's extra, and the row is the
        // delivery every later event costs.
        proxy.take();
        let proxied = self.app_through(&proxy.endpoint());
        webhook_endpoints::migrate_stage_one_url(&proxied, &self.merchant).await?;
        let first = proxy.take();
        let (outcome, _) = process
            .api
            .invoke(trigger("dynamodb-stream", event_id)?)
            .await?;
        if let crate::runtime_api::Outcome::Error(body) = &outcome {
            return Err(format!("dispatcher: {}", String::from_utf8_lossy(body)).into());
        }
        let calls = proxy.take();
        process.stop().await;
        let moved = first
            .iter()
            .map(|call| format!("{} (once per merchant: its URL moved)", call.operation))
            .collect();
        Ok(row("webhook", function, &calls, moved))
    }
}

/// Calls the first request made beyond those of a warm one (the auth reads the cache then saves).
fn extra(first: &[Call], warm: &[Call]) -> Vec<String> {
    let mut left: Vec<&str> = warm.iter().map(|c| c.operation.as_str()).collect();
    first
        .iter()
        .filter_map(
            |call| match left.iter().position(|op| *op == call.operation) {
                Some(at) => {
                    left.remove(at);
                    None
                }
                None => Some(call.operation.clone()),
            },
        )
        .collect()
}

fn row(step: &str, function: &str, calls: &[Call], first_extra: Vec<String>) -> RoundTripRow {
    let operations: Vec<String> = calls.iter().map(|c| c.operation.clone()).collect();
    let why = match step {
        "create" => {
            "the transaction, after UpdateItem: the rate-limit slot (a container busy with the merchant the second before leases slots and skips it; RATE_LIMITS=off drops it)"
        }
        "get" | "list" => {
            "the read, and beside it (not before) UpdateItem: the rate-limit slot (RATE_LIMITS=off drops it)"
        }
        "pay" => {
            "GetItem ×2: the session (its form token) and its merchant (page and fees); then the payment's one transaction"
        }
        "dashboard: a page of 100 sessions" => {
            "BatchGetItem: the merchant, the dashboard session and its key (the sign-in check); Query: 101 sessions of the by-merchant index, one per key shard"
        }
        "webhook" => {
            "GetItem of the event; one Query of its merchant's partition (the merchant and its endpoints); the fan-out and the lease of its first attempt in one UpdateItem; the HTTP POST; the recorded outcome. The first event of a merchant with a stage-one URL adds the move of the URL (TransactWriteItems)"
        }
        _ => "",
    };
    RoundTripRow {
        step: step.to_owned(),
        function: function.to_owned(),
        calls: calls.len(),
        operations,
        read_units: calls.iter().map(|c| c.read_units).sum(),
        write_units: calls.iter().map(Call::billed_units).fold(0.0, |a, b| a + b),
        write_units_where: units_where(calls),
        local_write_units: calls.iter().map(|c| c.write_units).sum(),
        first_request_extra_calls: first_extra,
        why: why.to_owned(),
    }
}

/// The write units of `calls` summed by table and index, in the order first seen.
fn units_where(calls: &[Call]) -> String {
    let mut sums: Vec<(String, f64)> = Vec::new();
    for call in calls {
        for (target, units) in &call.billed {
            match sums.iter_mut().find(|(t, _)| t == target) {
                Some((_, sum)) => *sum += units,
                None => sums.push((target.clone(), *units)),
            }
        }
    }
    sums.iter()
        .map(|(target, units)| format!("{target} {units}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_rows(rows: &[RoundTripRow]) {
    println!(
        "\n## DynamoDB round trips and capacity (deployed defaults; warm container; WCU as DynamoDB bills them)\n"
    );
    println!(
        "| step | function | calls | operations | RCU | WCU | WCU where | Local said | first request adds | why |"
    );
    println!("|---|---|---:|---|---:|---:|---|---:|---|---|");
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {:.1} | {:.1} | {} | {:.1} | {} | {} |",
            row.step,
            row.function,
            row.calls,
            row.operations.join(", "),
            row.read_units,
            row.write_units,
            row.write_units_where,
            row.local_write_units,
            row.first_request_extra_calls.join(", "),
            row.why
        );
    }
}

/// The sum of the steps of one checkout's life.
fn lifecycle_row(rows: &[RoundTripRow]) -> RoundTripRow {
    let lifecycle: Vec<&RoundTripRow> = rows
        .iter()
        .filter(|row| ["create", "get", "pay", "webhook"].contains(&row.step.as_str()))
        .collect();
    RoundTripRow {
        step: "lifecycle: create → get → pay → webhook".into(),
        function: "-".into(),
        calls: lifecycle.iter().map(|row| row.calls).sum(),
        operations: Vec::new(),
        read_units: lifecycle.iter().map(|row| row.read_units).sum(),
        write_units: lifecycle.iter().map(|row| row.write_units).sum(),
        write_units_where: String::new(),
        local_write_units: lifecycle.iter().map(|row| row.local_write_units).sum(),
        first_request_extra_calls: Vec::new(),
        why: String::new(),
    }
}
