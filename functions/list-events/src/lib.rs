//! `GET /v1/events`: the merchant's webhook events and how their delivery went.

use checkout_api::service::event_list;
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
            service::list_events(app, &merchant, &params).await
        })
        .await?;
    http::json(StatusCode::OK, &event_list(&page, next_cursor))
}
