//! The webhook dispatcher: triggered by the table's stream (new events) and by a schedule (due
//! retries, and anything the stream missed).

use checkout_api::App;
use checkout_api::service::dispatch;
use checkout_api::webhook::WebhookSender;
use checkout_domain::clock::deadline_from_epoch_ms;
use lambda_http::lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

/// Handles one stream batch or scheduled event.
pub async fn handle(
    app: &App,
    sender: &WebhookSender,
    event: LambdaEvent<Value>,
) -> Result<Value, Error> {
    let deadline = deadline_from_epoch_ms(event.context.deadline);
    Ok(dispatch::handle_trigger(app, sender, event.payload, deadline).await?)
}
