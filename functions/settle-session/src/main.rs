use std::convert::Infallible;

use lambda_http::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    checkout_api::telemetry::init();
    let app = checkout_api::App::from_env().await?;
    let app = &app;
    run(service_fn(move |request| async move {
        Ok::<_, Infallible>(settle_session::handle(app, request).await)
    }))
    .await
}
