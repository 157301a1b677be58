//! `GET /v1/events`: the merchant's webhook events and how their delivery went.

use checkout_api::service::event_list;
use checkout_api::{App, auth, http, service};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Handles one list request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::answer(app, &request, list).await
}

async fn list(call: &http::Call<'_>) -> http::Answer {
    let params = http::query_params(call.request);
    let (page, next_cursor) = auth::authenticated_read(
        call.app,
        &call.exchange,
        call.request.headers(),
        async |merchant| service::list_events(call.app, &merchant, &params).await,
    )
    .await?;
    http::json(StatusCode::OK, &event_list(&page, next_cursor))
}
