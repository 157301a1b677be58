//! `PATCH /v1/checkout/sessions/{id}`: a merge patch of an open session, checked like a create.

use checkout_api::service::{self, SessionPatch};
use checkout_api::{App, auth, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Handles one update request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    let exchange = http::Exchange::new(&request);
    exchange.finish(update(app, &exchange, &request).await)
}

async fn update(
    app: &App,
    exchange: &http::Exchange,
    request: &Request,
) -> Result<Response<Body>, checkout_api::ApiError> {
    let merchant = auth::authenticate(app, exchange, request).await?;
    let id = http::session_id(request)?;
    let patch = SessionPatch::from_json(http::json_body(request)?)?;
    let session = service::update_session(app, &merchant, &id, &patch).await?;
    http::json(
        StatusCode::OK,
        &app.resource(&session, &http::public_base_url(app, request)),
    )
}
