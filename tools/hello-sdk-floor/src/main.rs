//! The hello-world floor plus what every function of ours does before its first poll and cannot
//! do without: JSON logging and a DynamoDB client, built as the functions build them. `make bench`
//! reports each function's init against it as well as against the bare floor, which separates
//! the AWS SDK's share of init from the share of our own code.

use lambda_http::{Body, Error, Request, Response, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let endpoint = std::env::var("DYNAMODB_ENDPOINT").ok();
    let _client = shared::app::dynamodb_client(endpoint.as_deref().filter(|e| !e.is_empty()));
    run(service_fn(|_request: Request| async {
        Ok::<_, Error>(Response::new(Body::from("hello")))
    }))
    .await
}
