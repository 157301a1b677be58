//! `GET /v1/events/{id}` (the event with each delivery and its attempts) and
//! `POST /v1/events/{id}/redeliver` `{ endpointId? }`.

use checkout_api::service::{EventResource, events};
use checkout_api::{App, auth, http};
use checkout_domain::ids::EventId;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

/// Handles one event request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::answer(app, &request, route).await
}

async fn route(call: &http::Call<'_>) -> http::Answer {
    if call.request.method() == Method::GET {
        let event = auth::authenticated_read(
            call.app,
            &call.exchange,
            call.request.headers(),
            async |merchant| {
                events::get_event(
                    call.app,
                    &merchant,
                    &http::path_id(call.request, EventId::parse)?,
                )
                .await
            },
        )
        .await?;
        return http::json(StatusCode::OK, &EventResource::with_deliveries(&event));
    }
    let merchant = auth::authenticate(call.app, &call.exchange, call.request).await?;
    if !call
        .request
        .uri()
        .path()
        .trim_end_matches('/')
        .ends_with("/redeliver")
    {
        return Err(checkout_api::ApiError::NotFound);
    }
    let id = http::path_id(call.request, EventId::parse)?;
    let endpoint = events::redelivery_target(http::optional_json_body(call.request)?)?;
    let event = events::redeliver(call.app, &merchant, &id, endpoint.as_ref()).await?;
    http::json(
        StatusCode::ACCEPTED,
        &EventResource::with_deliveries(&event),
    )
}
