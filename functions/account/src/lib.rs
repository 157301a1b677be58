//! `GET /v1/account` and `PATCH /v1/account`: the merchant's own settings; `POST
//! /v1/account/rotate_webhook_secret`: a new secret for deliveries to sessions' own URLs.

use checkout_api::service::{account, api_keys};
use checkout_api::{App, auth, http};
use checkout_domain::webhook_endpoint::DEFAULT_SECRET_OVERLAP;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

/// Handles one account request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    let exchange = http::Exchange::new(&request);
    exchange.finish(route(app, &exchange, &request).await)
}

async fn route(
    app: &App,
    exchange: &http::Exchange,
    request: &Request,
) -> Result<Response<Body>, checkout_api::ApiError> {
    if request.method() == Method::GET {
        let merchant =
            auth::authenticated_read(app, exchange, request.headers(), async |merchant| {
                account::current(app, &merchant).await
            })
            .await?;
        return http::json(StatusCode::OK, &account::account(&merchant));
    }
    let merchant = auth::authenticate(app, exchange, request).await?;
    let path = request.uri().path().trim_end_matches('/');
    match (request.method(), path) {
        (&Method::PATCH, "/v1/account") => {
            let patch = account::patch_from_json(http::json_body(request)?)?;
            let updated = account::update_account(app, &merchant, patch).await?;
            http::json(StatusCode::OK, &account::account(&updated))
        }
        (&Method::POST, "/v1/account/rotate_webhook_secret") => {
            let body = http::optional_json_body(request)?;
            let overlap = api_keys::parse_overlap(body, DEFAULT_SECRET_OVERLAP)?;
            let rotated = account::rotate_webhook_secret(app, &merchant, overlap).await?;
            let shown = account::WebhookSecretResource::of(&rotated, app.now());
            http::json(StatusCode::OK, &shown)
        }
        _ => Err(checkout_api::ApiError::NotFound),
    }
}
