//! `GET /v1/events/{id}` (an event with its deliveries) and `POST /v1/events/{id}/redeliver`.

use crate::App;
use crate::error::ApiError;
use crate::json_fields::{JsonObject, Violations};
use crate::service::webhook_endpoints;
use checkout_domain::event::WebhookEvent;
use checkout_domain::ids::{EventId, WebhookEndpointId};
use checkout_domain::merchant::Merchant;
use checkout_domain::timestamp::Timestamp;
use checkout_store::{Store, StoreError};

/// Times a redelivery is written again over a change that came first.
const ATTEMPTS: usize = 5;

/// The merchant's event named by the path id `id`; 404 for any other.
pub async fn get_event(
    app: &App,
    merchant: &Merchant,
    id: &EventId,
) -> Result<WebhookEvent, ApiError> {
    app.store
        .get_event(id)
        .await?
        .filter(|event| event.merchant_id == merchant.id)
        .ok_or(ApiError::NotFound)
}

/// The endpoint the JSON body `{ endpointId? }` of a redelivery names, if any. It is taken as
/// a path id is: one of no endpoint's shape is no endpoint of this merchant's (404).
pub fn redelivery_target(body: &[u8]) -> Result<Option<WebhookEndpointId>, ApiError> {
    let mut object = JsonObject::parse_body(body)?;
    let mut v = Violations::default();
    let endpoint = object.string("endpointId", &mut v);
    object.finish(&mut v);
    v.into_result(endpoint)?
        .map(|text| WebhookEndpointId::parse(&text).map_err(|_| ApiError::NotFound))
        .transpose()
}

/// `POST /v1/events/{id}/redeliver`: a fresh attempt of every delivery of the merchant's event,
/// or of the one to `endpoint` (even one the event never went to).
pub async fn redeliver(
    app: &App,
    merchant: &Merchant,
    id: &EventId,
    endpoint: Option<&WebhookEndpointId>,
) -> Result<WebhookEvent, ApiError> {
    let event = get_event(app, merchant, id).await?;
    let endpoint_id = match endpoint {
        Some(endpoint) => Some(
            webhook_endpoints::get_endpoint(app, merchant, endpoint)
                .await?
                .id,
        ),
        None => None,
    };
    requeue(&app.store, &event.id, endpoint_id.as_ref(), app.now())
        .await?
        .ok_or(ApiError::NotFound)
}

/// Queues a fresh attempt of event `id`'s deliveries (or of the one to `endpoint_id`); the event
/// as written, `None` if there is no such event. An event not fanned out yet is left as it is:
/// its first attempts are still to come.
pub async fn requeue(
    store: &Store,
    id: &EventId,
    endpoint_id: Option<&WebhookEndpointId>,
    now: Timestamp,
) -> Result<Option<WebhookEvent>, StoreError> {
    for _ in 0..ATTEMPTS {
        let Some(mut event) = store.get_event(id).await? else {
            return Ok(None);
        };
        if !event.requeue(endpoint_id, now) {
            return Ok(Some(event));
        }
        event.revision += 1;
        if store.save_deliveries(&event).await? {
            tracing::info!(event_id = %id, endpoint_id = ?endpoint_id, "redelivery queued");
            return Ok(Some(event));
        }
    }
    Err(StoreError::Contention)
}
