//! `POST /v1/checkout/sessions/{id}/refund`: completed → refunded, idempotent per SPEC §6.

use checkout_api::{App, auth, http, service};
use lambda_http::http::StatusCode;
use lambda_http::http::header::HeaderValue;
use lambda_http::{Body, Request, Response};

/// Handles one refund request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    let exchange = http::Exchange::new(&request);
    exchange.finish(refund(app, &exchange, &request).await)
}

async fn refund(
    app: &App,
    exchange: &http::Exchange,
    request: &Request,
) -> Result<Response<Body>, checkout_api::ApiError> {
    let merchant = auth::authenticate(app, exchange, request.headers()).await?;
    let id = http::session_id(request)?;
    let key = http::idempotency_key_header(request)?;
    let base_url = http::public_base_url(app, request);
    let refunded = service::refund_session(app, &merchant, &id, key, &base_url).await?;
    let status = StatusCode::from_u16(refunded.response.status).unwrap_or(StatusCode::OK);
    let mut response = http::raw_json(status, refunded.response.body);
    if refunded.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}
