use checkout_api::payments::TestModeProcessor;
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    checkout_api::telemetry::init();
    let app = checkout_api::App::from_env().await?;
    let app = &app;
    let processor = &TestModeProcessor::new(app.config.settlement_delay);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        payment_settler::handle(app, processor, event).await
    }))
    .await
}
