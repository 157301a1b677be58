//! `/v1/webhook_endpoints`: `GET` (list), `POST` (create, its secret shown once), `GET`,
//! `PATCH` and `DELETE /v1/webhook_endpoints/{id}`, `POST …/{id}/rotate_secret` and
//! `POST …/{id}/test`.

use checkout_api::service::api_keys;
use checkout_api::service::endpoint_request::{EndpointPatch, NewEndpoint};
use checkout_api::service::webhook_endpoints::{self, EndpointResource};
use checkout_api::service::{EventResource, List};
use checkout_api::{App, auth, http};
use checkout_domain::ids::WebhookEndpointId;
use checkout_domain::webhook_endpoint::DEFAULT_SECRET_OVERLAP;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;

/// Handles one webhook-endpoint request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::answer(app, &request, route).await
}

/// `GET /v1/webhook_endpoints` (the list) and `GET …/{id}` (one), for a read-only key too.
async fn read(call: &http::Call<'_>) -> http::Answer {
    let has_id = http::has_path_id(call.request);
    let listed = auth::authenticated_read(
        call.app,
        &call.exchange,
        call.request.headers(),
        async |merchant| {
            if has_id {
                let id = http::path_id(call.request, WebhookEndpointId::parse)?;
                Ok(vec![
                    webhook_endpoints::get_endpoint(call.app, &merchant, &id).await?,
                ])
            } else {
                webhook_endpoints::endpoints_of(call.app, &merchant).await
            }
        },
    )
    .await?;
    let now = call.app.now();
    let data: Vec<EndpointResource> = listed
        .iter()
        .map(|e| EndpointResource::of(e, now))
        .collect();
    match (has_id, data.first()) {
        (true, Some(one)) => http::json(StatusCode::OK, one),
        _ => http::json(StatusCode::OK, &List::whole(data)),
    }
}

async fn route(call: &http::Call<'_>) -> http::Answer {
    if call.request.method() == Method::GET {
        return read(call).await;
    }
    let merchant = auth::authenticate(call.app, &call.exchange, call.request).await?;
    let now = call.app.now();
    let path = call.request.uri().path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    if let (&Method::POST, ["v1", "webhook_endpoints"]) =
        (call.request.method(), segments.as_slice())
    {
        let asked = NewEndpoint::from_json(
            http::json_body(call.request)?,
            call.app.config.target_guard(),
        );
        let created = webhook_endpoints::create_endpoint(call.app, &merchant, asked.await?).await?;
        return http::json(
            StatusCode::CREATED,
            &EndpointResource::with_secret(&created, now),
        );
    }
    let id = http::path_id(call.request, WebhookEndpointId::parse)?;
    match (call.request.method(), segments.as_slice()) {
        (&Method::DELETE, ["v1", "webhook_endpoints", _]) => {
            let deleted = webhook_endpoints::delete_endpoint(call.app, &merchant, &id).await?;
            http::json(
                StatusCode::OK,
                &json!({"id": deleted.id, "object": "webhook_endpoint", "deleted": true}),
            )
        }
        (&Method::PATCH, ["v1", "webhook_endpoints", _]) => {
            let patch = EndpointPatch::from_json(
                http::json_body(call.request)?,
                call.app.config.target_guard(),
            );
            let updated =
                webhook_endpoints::update_endpoint(call.app, &merchant, &id, patch.await?).await?;
            http::json(StatusCode::OK, &EndpointResource::of(&updated, now))
        }
        (&Method::POST, ["v1", "webhook_endpoints", _, "rotate_secret"]) => {
            let body = http::optional_json_body(call.request)?;
            let overlap = api_keys::parse_overlap(body, DEFAULT_SECRET_OVERLAP)?;
            let rotated =
                webhook_endpoints::rotate_secret(call.app, &merchant, &id, overlap).await?;
            http::json(
                StatusCode::OK,
                &EndpointResource::with_secret(&rotated, now),
            )
        }
        (&Method::POST, ["v1", "webhook_endpoints", _, "test"]) => {
            let event = webhook_endpoints::test_endpoint(call.app, &merchant, &id).await?;
            http::json(
                StatusCode::ACCEPTED,
                &EventResource::with_deliveries(&event),
            )
        }
        _ => Err(checkout_api::ApiError::NotFound),
    }
}
