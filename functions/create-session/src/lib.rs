//! `POST /v1/checkout/sessions`: creates a checkout session (idempotent per SPEC §6).

use checkout_api::{App, auth, http, service};
use lambda_http::http::StatusCode;
use lambda_http::http::header::HeaderValue;
use lambda_http::{Body, Request, Response};

/// Handles one create request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::answer(app, &request, create).await
}

async fn create(call: &http::Call<'_>) -> http::Answer {
    let merchant = auth::authenticate(call.app, &call.exchange, call.request).await?;
    let body = http::json_body(call.request)?;
    let idempotency_key = http::idempotency_key_header(call.request)?;
    let created = service::create_session(
        call.app,
        &merchant,
        body,
        idempotency_key,
        &http::public_base_url(call.app, call.request),
    )
    .await?;
    let status = StatusCode::from_u16(created.response.status).unwrap_or(StatusCode::CREATED);
    let mut response = http::raw_json(status, created.response.body);
    if created.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}
