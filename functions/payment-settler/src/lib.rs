//! The payment settler, on a one-minute schedule: settles every processing payment the
//! processor has settled (SPEC §16).

use checkout_api::App;
use checkout_api::payments::PaymentProcessor;
use checkout_api::service::settlement;
use checkout_domain::clock::deadline_from_epoch_ms;
use lambda_http::lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

/// Handles one scheduled event; answers with the pass's report.
pub async fn handle<P: PaymentProcessor>(
    app: &App,
    processor: &P,
    event: LambdaEvent<Value>,
) -> Result<Value, Error> {
    let deadline = deadline_from_epoch_ms(event.context.deadline);
    let report = settlement::settle_due(app, processor, app.now(), deadline).await?;
    Ok(serde_json::to_value(report)?)
}
