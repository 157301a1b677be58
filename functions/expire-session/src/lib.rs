//! `POST /v1/checkout/sessions/{id}/expire`: pending → expired in one conditional write.

use checkout_api::service::Ending;
use checkout_api::{App, auth, http, service};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Handles one expire request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::answer(app, &request, expire).await
}

async fn expire(call: &http::Call<'_>) -> http::Answer {
    let merchant = auth::authenticate(call.app, &call.exchange, call.request).await?;
    let id = http::session_id(call.request)?;
    let session = service::end_session(call.app, &merchant, &id, Ending::Expire).await?;
    http::json(
        StatusCode::OK,
        &call
            .app
            .resource(&session, &http::public_base_url(call.app, call.request)),
    )
}
