//! `PATCH /v1/checkout/sessions/{id}`: a merge patch of an open session, checked like a create.

use checkout_api::service::{self, SessionPatch};
use checkout_api::{App, auth, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Handles one update request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::answer(app, &request, update).await
}

async fn update(call: &http::Call<'_>) -> http::Answer {
    let merchant = auth::authenticate(call.app, &call.exchange, call.request).await?;
    let id = http::session_id(call.request)?;
    let patch = SessionPatch::from_json(http::json_body(call.request)?)?;
    let session = service::update_session(call.app, &merchant, &id, &patch).await?;
    http::json(
        StatusCode::OK,
        &call
            .app
            .resource(&session, &http::public_base_url(call.app, call.request)),
    )
}
