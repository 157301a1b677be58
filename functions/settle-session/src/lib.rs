//! `POST /v1/test_helpers/checkout/sessions/{id}/settle` (test mode): settles a processing
//! session at once, as the body's `outcome` says.

use checkout_api::service::settlement::{self, SettleOutcome};
use checkout_api::{App, auth, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Handles one settle request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    let exchange = http::Exchange::new(&request);
    exchange.finish(settle(app, &exchange, &request).await)
}

async fn settle(
    app: &App,
    exchange: &http::Exchange,
    request: &Request,
) -> Result<Response<Body>, checkout_api::ApiError> {
    let merchant = auth::authenticate(app, exchange, request).await?;
    let id = http::session_id(request)?;
    let outcome = SettleOutcome::from_json(http::optional_json_body(request)?)?;
    let session = settlement::settle_now(app, &merchant, &id, outcome).await?;
    http::json(
        StatusCode::OK,
        &app.resource(&session, &http::public_base_url(app, request)),
    )
}
