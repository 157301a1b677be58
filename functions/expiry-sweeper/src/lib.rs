//! The expiry sweeper, on a one-minute schedule: expires every pending session past its expiry.

use checkout_api::App;
use checkout_api::service::sweeper;
use checkout_domain::clock::deadline_from_epoch_ms;
use lambda_http::lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

/// Handles one scheduled event; answers with the sweep's report.
pub async fn handle(app: &App, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let deadline = deadline_from_epoch_ms(event.context.deadline);
    let report = sweeper::sweep(app, app.now(), deadline).await?;
    Ok(serde_json::to_value(report)?)
}
