//! Warm latency: create, get and list through the real handlers in a warm process, beside the
//! bare DynamoDB call each makes (the same store call through the same SDK client, in this
//! process, alternating with the handler's requests), with CPU time per request and peak memory
//! of the function process.

use std::time::{Duration, Instant};

use checkout_domain::ids::SessionId;
use checkout_domain::session::CheckoutSession;
use checkout_domain::values::{IdempotencyKey, OrderId};
use checkout_store::{CreateOutcome, IdempotencyClaim, ListQuery, StoredResponse};
use serde::Serialize;

use super::{Bench, FLOOR, expect_success};
use crate::BenchResult;
use crate::stats::{median, ms, percentile, ratio};

/// Requests before measuring, so that connections and caches are warm.
const WARM_UP_REQUESTS: usize = 50;

#[derive(Serialize)]
pub struct WarmRow {
    operation: String,
    function: String,
    rate_limits: bool,
    p50_ms: f64,
    p99_ms: f64,
    cpu_us_per_request: f64,
    peak_rss_mib: f64,
    bare_call: String,
    bare_p50_ms: f64,
    bare_p99_ms: f64,
    p50_vs_bare: f64,
}

impl WarmRow {
    pub(super) fn operation(&self) -> &str {
        &self.operation
    }

    pub(super) fn rate_limits(&self) -> bool {
        self.rate_limits
    }

    pub(super) fn cpu_us(&self) -> f64 {
        self.cpu_us_per_request
    }
}

/// The DynamoDB call an operation makes, made alone.
#[derive(Clone, Copy)]
enum Bare {
    Create,
    Get,
    List,
    Nothing,
}

impl Bare {
    fn name(self) -> &'static str {
        match self {
            Bare::Create => "TransactWriteItems",
            Bare::Get => "GetItem",
            Bare::List => "Query",
            Bare::Nothing => "-",
        }
    }
}

struct Handler {
    p50: Duration,
    p99: Duration,
    cpu_per_request: Duration,
    peak_rss_kib: u64,
}

impl Bench {
    pub(super) async fn warm(&self) -> BenchResult<Vec<WarmRow>> {
        let session = self.seed_session().await?;
        let cases = [
            ("create", "create-session", false, Bare::Create),
            ("create", "create-session", true, Bare::Create),
            ("get", "get-session", false, Bare::Get),
            ("get", "get-session", true, Bare::Get),
            ("list", "list-sessions", false, Bare::List),
            ("list", "list-sessions", true, Bare::List),
            ("hello (floor)", FLOOR, false, Bare::Nothing),
        ];
        let mut rows = Vec::new();
        for (operation, function, rate_limits, bare_call) in cases {
            let (handler, bare) = self
                .side_by_side(function, &session, rate_limits, bare_call)
                .await?;
            rows.push(WarmRow {
                operation: operation.to_owned(),
                function: function.to_owned(),
                rate_limits,
                p50_ms: ms(handler.p50),
                p99_ms: ms(handler.p99),
                cpu_us_per_request: (handler.cpu_per_request.as_secs_f64() * 1e7).round() / 10.0,
                peak_rss_mib: (handler.peak_rss_kib as f64 / 1024.0 * 10.0).round() / 10.0,
                bare_call: bare_call.name().to_owned(),
                bare_p50_ms: ms(median(&bare)),
                bare_p99_ms: ms(percentile(&bare, 99.0)),
                p50_vs_bare: ratio(handler.p50, median(&bare)),
            });
        }
        println!(
            "\n## Warm: {} sequential requests per row through the Runtime API, beside the bare DynamoDB call\n",
            self.settings.requests
        );
        println!(
            "| operation | rate limits | p50 | p99 | CPU/request | peak RSS | bare call | bare p50 | bare p99 | p50 vs bare |"
        );
        println!("|---|---|---:|---:|---:|---:|---|---:|---:|---:|");
        for row in &rows {
            println!(
                "| {} | {} | {:.2} ms | {:.2} ms | {:.0} µs | {:.1} MiB | {} | {:.2} ms | {:.2} ms | {:.2}× |",
                row.operation,
                if row.rate_limits { "on" } else { "off" },
                row.p50_ms,
                row.p99_ms,
                row.cpu_us_per_request,
                row.peak_rss_mib,
                row.bare_call,
                row.bare_p50_ms,
                row.bare_p99_ms,
                row.p50_vs_bare
            );
        }
        Ok(rows)
    }

    /// Runs `function` warm and, alternating request by request so that DynamoDB Local's drift
    /// touches both alike, the bare call it makes.
    async fn side_by_side(
        &self,
        function: &str,
        session: &CheckoutSession,
        rate_limits: bool,
        bare: Bare,
    ) -> BenchResult<(Handler, Vec<Duration>)> {
        let limits = if rate_limits { "on" } else { "off" };
        let process = self
            .start(function, None, &[("RATE_LIMITS", limits)])
            .await?;
        for _ in 0..WARM_UP_REQUESTS {
            let event = self.request_for(function, session.id.as_str())?;
            let (outcome, _) = process.api.invoke(event.payload()).await?;
            expect_success(function, &outcome)?;
            self.bare_call(bare, session).await?;
        }
        let cpu_before = process.cpu_time(self.settings.ticks_per_second)?;
        let mut samples = Vec::with_capacity(self.settings.requests);
        let mut bare_samples = Vec::with_capacity(self.settings.requests);
        for _ in 0..self.settings.requests {
            let payload = self.request_for(function, session.id.as_str())?.payload();
            let (outcome, took) = process.api.invoke(payload).await?;
            expect_success(function, &outcome)?;
            samples.push(took);
            let started = Instant::now();
            if self.bare_call(bare, session).await? {
                bare_samples.push(started.elapsed());
            }
        }
        let cpu = process
            .cpu_time(self.settings.ticks_per_second)?
            .saturating_sub(cpu_before);
        let peak_rss_kib = process.peak_rss_kib()?;
        process.stop().await;
        let handler = Handler {
            p50: median(&samples),
            p99: percentile(&samples, 99.0),
            cpu_per_request: cpu / self.settings.requests.max(1) as u32,
            peak_rss_kib,
        };
        Ok((handler, bare_samples))
    }

    /// Makes the bare call; `false` when there is none to make.
    async fn bare_call(&self, bare: Bare, session: &CheckoutSession) -> BenchResult<bool> {
        match bare {
            Bare::Create => self.bare_create(session).await?,
            Bare::Get => self.bare_get(&session.id).await?,
            Bare::List => self.bare_list().await?,
            Bare::Nothing => return Ok(false),
        }
        Ok(true)
    }

    /// The create transaction alone: the session, its order-id reservation and its idempotency
    /// record, as the handler writes them for a request with both.
    async fn bare_create(&self, template: &CheckoutSession) -> BenchResult<()> {
        let now = self.app.now();
        let mut session = template.clone();
        session.id = SessionId::generate();
        session.order_id = Some(
            OrderId::parse(&format!("order-{}", uuid::Uuid::new_v4().simple()))
                .map_err(|e| e.message)?,
        );
        let key =
            IdempotencyKey::parse(&uuid::Uuid::new_v4().to_string()).map_err(|e| e.message)?;
        let claim = IdempotencyClaim {
            merchant_id: &session.merchant_id,
            endpoint: checkout_api::service::CREATE_SESSION_ENDPOINT,
            key: &key,
            fingerprint: "bench",
            response: StoredResponse {
                status: 201,
                body: serde_json::to_string(&session.resource(now, "https://pay.example"))?,
            },
        };
        match self
            .app
            .store
            .create_session(&session, Some(claim), now)
            .await?
        {
            CreateOutcome::Created => Ok(()),
            other => Err(format!("bare create: {other:?}").into()),
        }
    }

    async fn bare_get(&self, id: &SessionId) -> BenchResult<()> {
        self.app
            .store
            .get_session(id)
            .await?
            .map(|_| ())
            .ok_or_else(|| "bare get: no session".into())
    }

    async fn bare_list(&self) -> BenchResult<()> {
        let page = self
            .app
            .store
            .list_sessions(&ListQuery::all(
                self.merchant.id.clone(),
                self.merchant.key_shards,
                10,
                self.app.now(),
            ))
            .await?;
        if page.sessions.len() == 10 {
            Ok(())
        } else {
            Err("bare list: short page".into())
        }
    }
}
