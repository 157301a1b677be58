//! `POST /v1/test_helpers/checkout/sessions/{id}/settle` (test mode): settles a processing
//! session at once, as the body's `outcome` says.

use checkout_api::service::settlement::{self, SettleOutcome};
use checkout_api::{App, auth, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Handles one settle request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::answer(app, &request, settle).await
}

async fn settle(call: &http::Call<'_>) -> http::Answer {
    let merchant = auth::authenticate(call.app, &call.exchange, call.request).await?;
    let id = http::session_id(call.request)?;
    let outcome = SettleOutcome::from_json(http::optional_json_body(call.request)?)?;
    let session = settlement::settle_now(call.app, &merchant, &id, outcome).await?;
    http::json(
        StatusCode::OK,
        &call
            .app
            .resource(&session, &http::public_base_url(call.app, call.request)),
    )
}
