//! `POST /v1/auth/token`: exchanges an API key for a one-hour access token.

use checkout_api::{App, access_token, auth, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Handles one token request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    let exchange = http::Exchange::new(&request);
    exchange.finish(issue(app, &exchange, &request).await)
}

async fn issue(
    app: &App,
    exchange: &http::Exchange,
    request: &Request,
) -> Result<Response<Body>, checkout_api::ApiError> {
    let (merchant, key) = auth::authenticate_key(app, exchange, request).await?;
    let token = access_token::issue(
        &app.config.jwt_secret,
        &merchant.id,
        &key.key_hash,
        app.now(),
    )?;
    http::json(StatusCode::OK, &token)
}
