//! `GET /v1/events`: the merchant's webhook events and how their delivery went.

use checkout_api::service::EventList;
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
    let merchant = auth::authenticate(app, exchange, request.headers()).await?;
    let params = http::query_params(request);
    let (page, next_cursor) = service::list_events(app, &merchant, &params).await?;
    http::json(StatusCode::OK, &EventList::render(&page, next_cursor))
}
