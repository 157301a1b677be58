//! `GET /v1/account` and `PATCH /v1/account`: the merchant's own settings; `POST
//! /v1/account/rotate_webhook_secret`: a new secret for deliveries to sessions' own URLs.

use checkout_api::service::{account, api_keys};
use checkout_api::{App, auth, http};
use checkout_domain::webhook_endpoint::DEFAULT_SECRET_OVERLAP;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

/// Handles one account request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::answer(app, &request, route).await
}

async fn route(call: &http::Call<'_>) -> http::Answer {
    if call.request.method() == Method::GET {
        let merchant = auth::authenticated_read(
            call.app,
            &call.exchange,
            call.request.headers(),
            async |merchant| account::current(call.app, &merchant).await,
        )
        .await?;
        return http::json(StatusCode::OK, &account::account(&merchant));
    }
    let merchant = auth::authenticate(call.app, &call.exchange, call.request).await?;
    let path = call.request.uri().path().trim_end_matches('/');
    match (call.request.method(), path) {
        (&Method::PATCH, "/v1/account") => {
            let patch = account::patch_from_json(http::json_body(call.request)?)?;
            let updated = account::update_account(call.app, &merchant, patch).await?;
            http::json(StatusCode::OK, &account::account(&updated))
        }
        (&Method::POST, "/v1/account/rotate_webhook_secret") => {
            let body = http::optional_json_body(call.request)?;
            let overlap = api_keys::parse_overlap(body, DEFAULT_SECRET_OVERLAP)?;
            let rotated = account::rotate_webhook_secret(call.app, &merchant, overlap).await?;
            let shown = account::WebhookSecretResource::of(&rotated, call.app.now());
            http::json(StatusCode::OK, &shown)
        }
        _ => Err(checkout_api::ApiError::NotFound),
    }
}
