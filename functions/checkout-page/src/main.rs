use std::convert::Infallible;

use checkout_api::payments::TestModeProcessor;
use lambda_http::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    checkout_api::telemetry::init();
    let app = checkout_api::App::from_env().await?;
    let app = &app;
    let processor = &TestModeProcessor::new(app.config.settlement_delay);
    run(service_fn(move |request| async move {
        Ok::<_, Infallible>(checkout_page::handle(app, processor, request).await)
    }))
    .await
}
