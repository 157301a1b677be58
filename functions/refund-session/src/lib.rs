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
    let exchange = http::Exchange::new(&request);
    exchange.finish(route(app, &exchange, &request).await)
}

async fn route(
    app: &App,
    exchange: &http::Exchange,
    request: &Request,
) -> Result<Response<Body>, checkout_api::ApiError> {
    let path = request.uri().path().trim_end_matches('/');
    if request.method() == Method::GET {
        let params = http::query_params(request);
        let (page, next_cursor) =
            auth::authenticated_read(app, exchange, request.headers(), async |merchant| {
                let id = http::session_id(request)?;
                service::list_refunds(app, &merchant, &id, &params).await
            })
            .await?;
        return http::json(StatusCode::OK, &refund_list(&page, next_cursor));
    }
    let merchant = auth::authenticate(app, exchange, request).await?;
    let id = http::session_id(request)?;
    let key = http::idempotency_key_header(request)?;
    let answered = if path.ends_with("/refunds") {
        let refund = RefundRequest::from_json(http::json_body(request)?, key)?;
        service::create_refund(app, &merchant, &id, refund).await?
    } else {
        let base_url = http::public_base_url(app, request);
        service::refund_session(app, &merchant, &id, key, &base_url).await?
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
