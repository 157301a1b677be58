//! Refunds (SPEC §15): `POST /v1/checkout/sessions/{id}/refunds` (a refund, part or all of what is
//! left), `GET …/{id}/refunds` (the session's refunds) and the stage-one `POST …/{id}/refund` (all
//! that is left, answered with the session). Idempotent per SPEC §6.

use checkout_api::service::{Created, RefundRequest, refund_list};
use checkout_api::{App, auth, http, service};
use lambda_http::http::header::HeaderValue;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

/// Handles one refund request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::answer(app, &request, route).await
}

async fn route(call: &http::Call<'_>) -> http::Answer {
    let path = call.request.uri().path().trim_end_matches('/');
    if call.request.method() == Method::GET {
        let params = http::query_params(call.request);
        let (page, next_cursor) = auth::authenticated_read(
            call.app,
            &call.exchange,
            call.request.headers(),
            async |merchant| {
                let id = http::session_id(call.request)?;
                service::list_refunds(call.app, &merchant, &id, &params).await
            },
        )
        .await?;
        return http::json(StatusCode::OK, &refund_list(&page, next_cursor));
    }
    let merchant = auth::authenticate(call.app, &call.exchange, call.request).await?;
    let id = http::session_id(call.request)?;
    let key = http::idempotency_key_header(call.request)?;
    let answered = if path.ends_with("/refunds") {
        let refund = RefundRequest::from_json(http::json_body(call.request)?, key)?;
        service::create_refund(call.app, &merchant, &id, refund).await?
    } else {
        let base_url = http::public_base_url(call.app, call.request);
        service::refund_session(call.app, &merchant, &id, key, &base_url).await?
    };
    Ok(respond(answered))
}

/// The stored answer, marked when it is a replay.
fn respond(answered: Created) -> Response<Body> {
    let status = StatusCode::from_u16(answered.response.status).unwrap_or(StatusCode::OK);
    let mut response = http::raw_json(status, answered.response.body);
    if answered.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}
