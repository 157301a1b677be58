//! `GET /v1/events`: a merchant's events with their delivery records, to reconcile what it missed.

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::App;
use crate::cursor;
use crate::error::ApiError;
use crate::json_fields::Violations;
use crate::service::List;
use crate::service::query_params;
use checkout_domain::delivery::DeliveryStatus;
use checkout_domain::delivery::{Attempt, Delivery};
use checkout_domain::event::{EventType, WebhookEvent};
use checkout_domain::ids::{EventId, SessionId, WebhookEndpointId};
use checkout_domain::merchant::Merchant;
use checkout_domain::money::Invalid;
use checkout_domain::timestamp::Timestamp;
use checkout_store::{EventPage, EventQuery};

/// The `event` object of the API.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventResource<'a> {
    id: &'a EventId,
    object: &'static str,
    #[serde(rename = "type")]
    kind: EventType,
    created_at: Timestamp,
    session_id: Option<&'a SessionId>,
    delivery_status: DeliveryStatus,
    attempts: u32,
    next_attempt_at: Option<Timestamp>,
    last_status_code: Option<u16>,
    last_error: Option<&'a str>,
    delivered_at: Option<Timestamp>,
    data: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deliveries: Option<Vec<DeliveryResource<'a>>>,
}

/// One delivery of an event, as `GET /v1/events/{id}` shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryResource<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint_id: Option<&'a WebhookEndpointId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    status: DeliveryStatus,
    attempts: &'a [Attempt],
    attempt_count: u32,
    next_attempt_at: Option<Timestamp>,
    delivered_at: Option<Timestamp>,
}

impl<'a> DeliveryResource<'a> {
    fn of(delivery: &'a Delivery) -> Self {
        Self {
            endpoint_id: delivery.endpoint_id.as_ref(),
            url: delivery.url.as_deref(),
            status: delivery.status,
            attempts: &delivery.attempts,
            attempt_count: delivery.attempt_count,
            next_attempt_at: delivery.next_attempt_at,
            delivered_at: delivery.delivered_at,
        }
    }
}

impl<'a> EventResource<'a> {
    /// The resource of `event`, its `data` exactly as delivered.
    pub fn of(event: &'a WebhookEvent) -> Self {
        let data = serde_json::from_str::<Value>(&event.payload)
            .ok()
            .and_then(|payload| RawValue::from_string(payload.get("data")?.to_string()).ok());
        Self {
            id: &event.id,
            object: "event",
            kind: event.kind,
            created_at: event.created_at,
            session_id: event.session_id.as_ref(),
            delivery_status: event.delivery_status,
            attempts: event.attempts,
            next_attempt_at: event.next_attempt_at,
            last_status_code: event.last_status_code,
            last_error: event.last_error.as_deref(),
            delivered_at: event.delivered_at,
            data,
            deliveries: None,
        }
    }

    /// The resource of `event` with each of its deliveries and their attempts.
    pub fn with_deliveries(event: &'a WebhookEvent) -> Self {
        Self {
            deliveries: Some(
                event
                    .deliveries
                    .iter()
                    .flatten()
                    .map(DeliveryResource::of)
                    .collect(),
            ),
            ..Self::of(event)
        }
    }
}

/// `page` of events as the API lists it, with the cursor of its next page.
pub fn event_list(page: &EventPage, next_cursor: Option<String>) -> List<Vec<EventResource<'_>>> {
    List::page(
        page.events.iter().map(EventResource::of).collect(),
        next_cursor,
    )
}

/// One page of `merchant`'s events for the query parameters `params`, and its next cursor.
pub async fn list_events(
    app: &App,
    merchant: &Merchant,
    params: &[(String, String)],
) -> Result<(EventPage, Option<String>), ApiError> {
    let mut v = Violations::default();
    let mut query = EventQuery {
        merchant_id: merchant.id.clone(),
        key_shards: merchant.key_shards,
        session_id: None,
        kind: None,
        delivery_status: None,
        limit: query_params::DEFAULT_LIMIT,
        after: None,
    };
    let mut cursor_text = None;
    for (name, value) in query_params::distinct(params, &mut v) {
        match name {
            "limit" => query.limit = query_params::limit(value, &mut v).unwrap_or(query.limit),
            "sessionId" => match SessionId::parse(value) {
                Ok(id) => query.session_id = Some(id),
                Err(invalid) => v.push("sessionId", invalid),
            },
            "type" => match EventType::parse(value) {
                Some(kind) => query.kind = Some(kind),
                None => v.push("type", Invalid::new("invalid_type", "not an event type")),
            },
            "deliveryStatus" => match DeliveryStatus::parse(value) {
                Some(status) => query.delivery_status = Some(status),
                None => v.push(
                    "deliveryStatus",
                    Invalid::new(
                        "invalid_delivery_status",
                        "must be pending, delivered, failed or skipped",
                    ),
                ),
            },
            "cursor" => cursor_text = Some(value.to_owned()),
            other => query_params::unknown(other, &mut v),
        }
    }
    let query_id = format!(
        "events|{}|{}|{}|{}",
        query.merchant_id,
        query
            .session_id
            .as_ref()
            .map(SessionId::as_str)
            .unwrap_or_default(),
        query.kind.map(EventType::as_str).unwrap_or_default(),
        query
            .delivery_status
            .map(DeliveryStatus::as_str)
            .unwrap_or_default(),
    );
    let cursor_key = app.config.secrets.cursors().await?;
    query.after = cursor::position(cursor_text.as_deref(), &query_id, cursor_key, &mut v);
    v.into_result(())?;
    let page = app.store.list_events(&query).await?;
    let next_cursor = cursor::after(page.next.as_ref(), &query_id, cursor_key);
    Ok((page, next_cursor))
}
