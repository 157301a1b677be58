//! `POST /v1/auth/token`: exchanges an API key for a one-hour access token.

use checkout_api::{App, access_token, auth, http};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Handles one token request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::answer(app, &request, issue).await
}

async fn issue(call: &http::Call<'_>) -> http::Answer {
    let (merchant, key) = auth::authenticate_key(call.app, &call.exchange, call.request).await?;
    let token = access_token::issue(
        call.app.config.secrets.tokens().await?.current(),
        &merchant.id,
        &key.key_hash,
        call.app.now(),
    )?;
    http::json(StatusCode::OK, &token)
}
