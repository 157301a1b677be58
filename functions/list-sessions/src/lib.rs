//! `GET /v1/checkout/sessions`: the merchant's sessions, newest first, with filters and cursor.

use checkout_api::service::session_list;
use checkout_api::{App, auth, http, service};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Handles one list request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    let exchange = http::Exchange::new(&request);
    exchange.finish(list(app, &exchange, &request).await)
}

async fn list(
    app: &App,
    exchange: &http::Exchange,
    request: &Request,
) -> Result<Response<Body>, checkout_api::ApiError> {
    let params = http::query_params(request);
    let (page, next_cursor) =
        auth::authenticated_read(app, exchange, request.headers(), async |merchant| {
            service::list_sessions(app, &merchant, &params).await
        })
        .await?;
    http::json(
        StatusCode::OK,
        &session_list(
            app,
            &page,
            next_cursor,
            &http::public_base_url(app, request),
        ),
    )
}
