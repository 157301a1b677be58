//! Settling processing payments (SPEC §16): the scheduled settler asks the processor about each
//! processing session, and the test helper settles one at once. Both write through the same
//! conditional transaction, so racing settlements leave one terminal state and one event.

use std::time::Instant;

use serde::Serialize;

use crate::App;
use crate::error::ApiError;
use crate::json_fields::{JsonObject, Violations};
use crate::metrics;
use crate::payments::{PaymentProcessor, Settlement, SettlementRequest, TestModeProcessor};
use crate::service::due_pass;
use crate::service::hosted_checkout::put_payment;
use crate::service::session_lifecycle::get_session;
use crate::service::transition::announce;
use checkout_domain::ids::SessionId;
use checkout_domain::merchant::Merchant;
use checkout_domain::money::Invalid;
use checkout_domain::session::{CheckoutSession, SessionStatus};
use checkout_domain::timestamp::Timestamp;
use checkout_store::{ChangeOutcome, settlement_shards};

/// What one settlement pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettlementReport {
    /// Payments settled in full: their sessions completed.
    pub completed: usize,
    /// Payments settled short: their sessions failed.
    pub failed: usize,
    /// Processing payments the processor has not settled yet.
    pub waiting: usize,
    /// Sessions another writer settled first.
    pub already_settled: usize,
    /// Whether every processing session was reached before the deadline.
    pub complete: bool,
}

/// What became of one processing session.
enum Settled {
    Completed,
    Failed,
    Waiting,
    Already,
}

/// Asks `processor` about every processing session, shard by shard, and writes each settlement,
/// until done or near `deadline`.
pub async fn settle_due<P: PaymentProcessor>(
    app: &App,
    processor: &P,
    now: Timestamp,
    deadline: Option<Instant>,
) -> Result<SettlementReport, ApiError> {
    let pass = due_pass::run(
        settlement_shards(),
        deadline,
        |shard, start| async move { app.store.due_sessions(&shard, now, start).await },
        |id| async move { settle_one(app, processor, &id, now).await },
    )
    .await?;
    due_pass::put_pass(
        app,
        "settlement",
        pass.outcomes.len(),
        pass.complete,
        pass.oldest_due,
        now,
    );
    let mut report = SettlementReport {
        complete: pass.complete,
        ..SettlementReport::default()
    };
    for settled in pass.outcomes {
        match settled {
            Settled::Completed => report.completed += 1,
            Settled::Failed => report.failed += 1,
            Settled::Waiting => report.waiting += 1,
            Settled::Already => report.already_settled += 1,
        }
    }
    if !report.complete {
        tracing::warn!(
            ?report,
            "settlement stopped at the deadline; the next run continues"
        );
        return Ok(report);
    }
    tracing::info!(?report, "settlement");
    Ok(report)
}

async fn settle_one<P: PaymentProcessor>(
    app: &App,
    processor: &P,
    id: &SessionId,
    now: Timestamp,
) -> Result<Settled, ApiError> {
    let Some(session) = app.store.get_session(id).await? else {
        return Ok(Settled::Already);
    };
    let (SessionStatus::Processing, Some(payment), Some(since)) =
        (session.status, &session.payment, session.processing_at)
    else {
        return Ok(Settled::Already);
    };
    let request = SettlementRequest {
        session_id: &session.id,
        amount: session.amount,
        payment,
        processing_since: since,
        now,
    };
    let Some(settlement) = processor.settlement(&request).await else {
        return Ok(Settled::Waiting);
    };
    Ok(
        match write_settlement(app, &session, settlement, now).await? {
            ChangeOutcome::Changed(settled) if settled.status == SessionStatus::Completed => {
                Settled::Completed
            }
            ChangeOutcome::Changed(_) => Settled::Failed,
            _ => Settled::Already,
        },
    )
}

/// Writes `settlement` of the processing `session` with its event.
async fn write_settlement(
    app: &App,
    session: &CheckoutSession,
    settlement: Settlement,
    now: Timestamp,
) -> Result<ChangeOutcome, ApiError> {
    let (to, details, failure_code) = match settlement {
        Settlement::Confirmed(details) => (SessionStatus::Completed, details, None),
        Settlement::Underpaid(details) => (SessionStatus::Failed, details, Some("underpaid")),
    };
    let mut settled = session.ended(to, now);
    settled.payment = Some(details);
    settled.failure_code = failure_code.map(str::to_owned);
    let event = announce(app, &settled, now)?;
    let outcome = app
        .store
        .settle_session(session, &settled, &event, now)
        .await?;
    if let ChangeOutcome::Changed(settled) = &outcome {
        tracing::info!(session_id = %session.id, status = %to, event_id = %event.id, "payment settled");
        let name = if to == SessionStatus::Completed {
            metrics::PAYMENTS_COMPLETED
        } else {
            metrics::PAYMENTS_FAILED
        };
        if let Some(payment) = &settled.payment {
            put_payment(app, name, payment.method);
        }
    }
    Ok(outcome)
}

/// What the settle helper is asked to do with a processing payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SettleOutcome {
    /// Paid in full: the session completes.
    #[default]
    Succeeded,
    /// Paid short: the session fails as underpaid.
    Underpaid,
}

impl SettleOutcome {
    /// The settle helper's body `{ outcome? }` (`succeeded`, the default, or `underpaid`).
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        let mut object = JsonObject::parse_body(body)?;
        let mut v = Violations::default();
        let outcome = match object.string("outcome", &mut v).as_deref() {
            None | Some("succeeded") => Self::Succeeded,
            Some("underpaid") => Self::Underpaid,
            Some(other) => {
                v.push(
                    "outcome",
                    Invalid::new(
                        "invalid_outcome",
                        format!("must be \"succeeded\" or \"underpaid\", got {other:?}"),
                    ),
                );
                Self::Succeeded
            }
        };
        object.finish(&mut v);
        v.into_result(outcome)
    }
}

/// `POST /v1/test_helpers/checkout/sessions/{id}/settle` (test mode): settles `merchant`'s
/// processing session `id` at once as `outcome` says; 409 when it is not processing.
pub async fn settle_now(
    app: &App,
    merchant: &Merchant,
    id: &SessionId,
    outcome: SettleOutcome,
) -> Result<CheckoutSession, ApiError> {
    let session = get_session(app, merchant, id).await?;
    let now = app.now();
    let invalid = |session: &CheckoutSession| ApiError::InvalidStatus {
        status: session.status_at(now),
        action: "settle",
    };
    let (SessionStatus::Processing, Some(payment)) = (session.status, &session.payment) else {
        return Err(invalid(&session));
    };
    let settlement = TestModeProcessor::settle_now(payment, outcome == SettleOutcome::Underpaid);
    match write_settlement(app, &session, settlement, now).await? {
        ChangeOutcome::Changed(settled) => Ok(*settled),
        ChangeOutcome::Refused(current) => Err(invalid(&current)),
        ChangeOutcome::Gone | ChangeOutcome::PriorUse(_) | ChangeOutcome::MerchantInactive => {
            Err(ApiError::NotFound)
        }
    }
}
