//! The least a `lambda_http` function can be, built with the same profile and runtime features as
//! ours: `make bench` reports every function's init and size against this one.

use lambda_http::{Body, Error, Request, Response, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|_request: Request| async {
        Ok::<_, Error>(Response::new(Body::from("hello")))
    }))
    .await
}
