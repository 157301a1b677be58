//! `/v1/api_keys`: `GET` (the working keys, never a secret), `POST` (a new key, its secret shown
//! once), `POST /v1/api_keys/{id}/roll` and `DELETE /v1/api_keys/{id}`.

use checkout_api::service::List;
use checkout_api::service::api_keys::{self, ApiKeyResource};
use checkout_api::{App, auth, http};
use checkout_domain::ids::ApiKeyId;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

/// Handles one API-key request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::answer(app, &request, route).await
}

async fn route(call: &http::Call<'_>) -> http::Answer {
    if call.request.method() == Method::GET {
        let keys = auth::authenticated_read(
            call.app,
            &call.exchange,
            call.request.headers(),
            async |merchant| api_keys::list_keys(call.app, &merchant).await,
        )
        .await?;
        let now = call.app.now();
        let data: Vec<ApiKeyResource> = keys.iter().map(|k| ApiKeyResource::of(k, now)).collect();
        return http::json(StatusCode::OK, &List::whole(data));
    }
    let merchant = auth::authenticate(call.app, &call.exchange, call.request).await?;
    let now = call.app.now();
    let path = call.request.uri().path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    match (call.request.method(), segments.as_slice()) {
        (&Method::POST, ["v1", "api_keys"]) => {
            let asked =
                api_keys::NewKeyRequest::from_json(http::optional_json_body(call.request)?)?;
            let key = api_keys::create_key(call.app, &merchant, asked).await?;
            http::json(StatusCode::CREATED, &ApiKeyResource::created(&key, now))
        }
        (&Method::POST, ["v1", "api_keys", _, "roll"]) => {
            let id = http::path_id(call.request, ApiKeyId::parse)?;
            let body = http::optional_json_body(call.request)?;
            let overlap = api_keys::parse_overlap(body, time::Duration::ZERO)?;
            let key = api_keys::roll_key(call.app, &merchant, &id, overlap).await?;
            http::json(StatusCode::CREATED, &ApiKeyResource::created(&key, now))
        }
        (&Method::DELETE, ["v1", "api_keys", _]) => {
            let id = http::path_id(call.request, ApiKeyId::parse)?;
            let revoked = api_keys::revoke_key(call.app, &merchant, &id).await?;
            http::json(StatusCode::OK, &ApiKeyResource::of(&revoked, now))
        }
        _ => Err(checkout_api::ApiError::NotFound),
    }
}
