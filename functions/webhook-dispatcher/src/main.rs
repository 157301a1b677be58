use checkout_api::webhook::WebhookSender;
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};
use serde_json::Value;
use tokio::sync::OnceCell;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    checkout_api::telemetry::init();
    let app = checkout_api::App::from_env().await?;
    // Built at the first invocation, not in init: it loads the platform's root certificates
    // (merchants' endpoints may use any public CA), which would otherwise double the init time.
    let sender = OnceCell::new();
    let (app, sender) = (&app, &sender);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let sender = sender
            .get_or_try_init(|| async {
                WebhookSender::new(app.config.allow_private_webhook_targets)
            })
            .await?;
        webhook_dispatcher::handle(app, sender, event).await
    }))
    .await
}
