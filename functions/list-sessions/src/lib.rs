//! `GET /v1/checkout/sessions`: the merchant's sessions, newest first, with filters and cursor.

use checkout_api::service::session_list;
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
        async |merchant| service::list_sessions(call.app, &merchant, &params).await,
    )
    .await?;
    http::json(
        StatusCode::OK,
        &session_list(
            call.app,
            &page,
            next_cursor,
            &http::public_base_url(call.app, call.request),
        ),
    )
}
