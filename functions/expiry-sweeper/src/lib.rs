//! The expiry sweeper, on a one-minute schedule: expires every pending session past its expiry.

use lambda_http::lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;
use shared::App;
use shared::clock::deadline_from_epoch_ms;
use shared::service::sweeper;

/// Handles one scheduled event; answers with the sweep's report.
pub async fn handle(app: &App, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let deadline = deadline_from_epoch_ms(event.context.deadline);
    let report = sweeper::sweep(app, app.now(), deadline).await?;
    Ok(serde_json::to_value(report)?)
}
