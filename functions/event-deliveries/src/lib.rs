//! `GET /v1/events/{id}` (the event with each delivery and its attempts) and
//! `POST /v1/events/{id}/redeliver` `{ endpointId? }`.

use checkout_api::service::{EventResource, events};
use checkout_api::{App, auth, http};
use checkout_domain::ids::EventId;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

/// Handles one event request.
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
        let event = auth::authenticated_read(app, exchange, request.headers(), async |merchant| {
            events::get_event(app, &merchant, &http::path_id(request, EventId::parse)?).await
        })
        .await?;
        return http::json(StatusCode::OK, &EventResource::with_deliveries(&event));
    }
    let merchant = auth::authenticate(app, exchange, request).await?;
    if !request
        .uri()
        .path()
        .trim_end_matches('/')
        .ends_with("/redeliver")
    {
        return Err(checkout_api::ApiError::NotFound);
    }
    let id = http::path_id(request, EventId::parse)?;
    let endpoint = events::redelivery_target(http::optional_json_body(request)?)?;
    let event = events::redeliver(app, &merchant, &id, endpoint.as_ref()).await?;
    http::json(
        StatusCode::ACCEPTED,
        &EventResource::with_deliveries(&event),
    )
}
