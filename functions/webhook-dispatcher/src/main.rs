use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};
use serde_json::Value;
use shared::webhook::WebhookSender;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let app = shared::App::from_env().await;
    let sender = WebhookSender::new(app.config.allow_private_webhook_targets)?;
    let (app, sender) = (&app, &sender);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        webhook_dispatcher::handle(app, sender, event).await
    }))
    .await
}
