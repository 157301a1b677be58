//! `GET /v1/checkout/sessions/{id}`.

use checkout_api::{App, auth, http, service};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Handles one read.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::answer(app, &request, get).await
}

async fn get(call: &http::Call<'_>) -> http::Answer {
    let session = auth::authenticated_read(
        call.app,
        &call.exchange,
        call.request.headers(),
        async |merchant| {
            let id = http::session_id(call.request)?;
            service::get_session(call.app, &merchant, &id).await
        },
    )
    .await?;
    http::json(
        StatusCode::OK,
        &call
            .app
            .resource(&session, &http::public_base_url(call.app, call.request)),
    )
}
