//! `GET /v1/checkout/sessions/{id}`.

use checkout_api::{App, auth, http, service};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Handles one read.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    let exchange = http::Exchange::new(&request);
    exchange.finish(get(app, &exchange, &request).await)
}

async fn get(
    app: &App,
    exchange: &http::Exchange,
    request: &Request,
) -> Result<Response<Body>, checkout_api::ApiError> {
    let session = auth::authenticated_read(app, exchange, request.headers(), async |merchant| {
        let id = http::session_id(request)?;
        service::get_session(app, &merchant, &id).await
    })
    .await?;
    http::json(
        StatusCode::OK,
        &app.resource(&session, &http::public_base_url(app, request)),
    )
}
