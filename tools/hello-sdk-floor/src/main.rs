//! The hello-world floor plus what every function of ours does before its first poll and cannot
//! do without: JSON logging and a DynamoDB client, built as the functions build them. `make bench`
//! reports each function's init against it as well as against the bare floor, which separates
//! the AWS SDK's share of init from the share of our own code.
//!
//! `FLOOR_STEPS` (comma-separated, default `logging,client`) runs only some of those steps, so
//! that the bench can show what each costs; `none` runs neither, which leaves the price of merely
//! carrying the SDK and the `checkout-api` crate in the binary.

use lambda_http::{Body, Error, Request, Response, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let steps = std::env::var("FLOOR_STEPS").unwrap_or_else(|_| "logging,client".to_owned());
    let step = |name: &str| steps.split(',').any(|s| s.trim() == name);
    if step("logging") {
        checkout_api::telemetry::init();
    }
    if step("client") {
        let endpoint = std::env::var("DYNAMODB_ENDPOINT").ok();
        let _client = checkout_api::aws_clients::dynamodb_client(
            endpoint.as_deref().filter(|e| !e.is_empty()),
        );
    }
    run(service_fn(|_request: Request| async {
        Ok::<_, Error>(Response::new(Body::from("hello")))
    }))
    .await
}
