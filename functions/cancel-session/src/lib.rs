//! `POST /v1/checkout/sessions/{id}/cancel`: pending → cancelled in one conditional write.

use checkout_api::service::Ending;
use checkout_api::{App, auth, http, service};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Handles one cancel request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    let exchange = http::Exchange::new(&request);
    exchange.finish(cancel(app, &exchange, &request).await)
}

async fn cancel(
    app: &App,
    exchange: &http::Exchange,
    request: &Request,
) -> Result<Response<Body>, checkout_api::ApiError> {
    let merchant = auth::authenticate(app, exchange, request).await?;
    let id = http::session_id(request)?;
    let session = service::end_session(app, &merchant, &id, Ending::Cancel).await?;
    http::json(
        StatusCode::OK,
        &app.resource(&session, &http::public_base_url(app, request)),
    )
}
