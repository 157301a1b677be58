//! `/dashboard/webhooks`: the endpoints and their forms, and the recent events' deliveries
//! with redelivery.

use checkout_api::ApiError;
use checkout_api::service::endpoint_request::{EndpointPatch, NewEndpoint};
use checkout_api::service::{events, list_events, webhook_endpoints};
use checkout_domain::event::EventType;
use checkout_domain::ids::{EventId, WebhookEndpointId};
use checkout_domain::webhook_endpoint::{
    DEFAULT_SECRET_OVERLAP, EndpointStatus, EventFilter, WebhookEndpoint,
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use strum::VariantArray;

use crate::views::{self, *};
use crate::visit::{Form, Visit};

use super::answers::{back_to, chrome_with_error, done, refused};
use super::session::event_view;

/// How many recent events the webhooks page shows.
const RECENT_EVENTS: &str = "20";

/// `POST /dashboard/events/{id}/redeliver`: every delivery of the event again, or the one to
/// the endpoint given.
pub async fn redeliver(
    visit: &Visit<'_>,
    id: &EventId,
    form: &Form,
) -> Result<Response<Body>, ApiError> {
    let endpoint = match form.get("endpointId") {
        "" => None,
        text => match WebhookEndpointId::parse(text) {
            Ok(endpoint) => Some(endpoint),
            Err(_) => return Ok(views::not_found(&visit.chrome("Not found", "webhooks"))),
        },
    };
    let back = back_to(form, "/dashboard/webhooks");
    let merchant = &visit.signed_in.merchant;
    match events::redeliver(visit.app, merchant, id, endpoint.as_ref()).await {
        Ok(_) => Ok(done(back, "redelivered")),
        Err(err) => {
            refused(visit, "webhooks", err, async |error| {
                webhooks(visit, error).await
            })
            .await
        }
    }
}

/// `/dashboard/webhooks`: the endpoints with their forms, and the recent events' deliveries.
pub async fn webhooks(
    visit: &Visit<'_>,
    error: Option<ErrorBox>,
) -> Result<Response<Body>, ApiError> {
    let (c, status) = chrome_with_error(visit, "Webhooks", "webhooks", error);
    webhooks_page(visit, c, status).await
}

async fn webhooks_page(
    visit: &Visit<'_>,
    c: Chrome,
    status: StatusCode,
) -> Result<Response<Body>, ApiError> {
    let (app, merchant) = (visit.app, &visit.signed_in.merchant);
    let recent = [("limit".to_owned(), RECENT_EVENTS.to_owned())];
    let (endpoints, listed) = tokio::join!(
        webhook_endpoints::endpoints_of(app, merchant),
        list_events(app, merchant, &recent)
    );
    let now = app.now();
    let page = WebhooksPage {
        c,
        endpoints: endpoints?
            .iter()
            .map(|endpoint| endpoint_view(endpoint, now))
            .collect(),
        events: listed?.0.events.iter().map(event_view).collect(),
        types: subscribable().map(|kind| (kind, false)).collect(),
        back: "/dashboard/webhooks".to_owned(),
    };
    Ok(views::page(status, &page, None))
}

fn subscribable() -> impl Iterator<Item = &'static str> {
    EventType::VARIANTS
        .iter()
        .filter(|kind| kind.is_subscribable())
        .map(|kind| kind.as_str())
}

fn endpoint_view(
    endpoint: &WebhookEndpoint,
    now: checkout_domain::timestamp::Timestamp,
) -> EndpointView {
    let enabled = endpoint.status == EndpointStatus::Enabled;
    let (all, chosen): (bool, Vec<&str>) = match &endpoint.enabled_events {
        EventFilter::All => (true, Vec::new()),
        EventFilter::Only(kinds) => (false, kinds.iter().map(|k| k.as_str()).collect()),
    };
    EndpointView {
        id: endpoint.id.as_str().to_owned(),
        url: endpoint.url.as_ref().to_owned(),
        description: endpoint.description.clone().unwrap_or_default(),
        enabled,
        status_text: match (&endpoint.disabled_reason, enabled) {
            (_, true) => "enabled".to_owned(),
            (Some(reason), false) => format!("disabled: {reason}"),
            (None, false) => "disabled".to_owned(),
        },
        events_text: if all {
            "every event".to_owned()
        } else {
            chosen.join(", ")
        },
        types: subscribable()
            .map(|kind| (kind, chosen.contains(&kind)))
            .collect(),
        all,
        rotating_until: endpoint.rotation_ends_at(now).map(views::when),
    }
}

/// `POST /dashboard/webhooks`: a new endpoint, its secret shown this once.
pub async fn add_endpoint(visit: &Visit<'_>, form: &Form) -> Result<Response<Body>, ApiError> {
    let guard = visit.app.config.target_guard();
    let created = match NewEndpoint::from_form(&form.0, guard).await {
        Ok(asked) => {
            webhook_endpoints::create_endpoint(visit.app, &visit.signed_in.merchant, asked).await
        }
        Err(invalid) => Err(invalid),
    };
    match created {
        Ok(endpoint) => {
            let mut c = visit.chrome("Webhooks", "webhooks");
            c.notice = Some("Endpoint added.".to_owned());
            c.secret = Some(SecretBox {
                label: format!("Signing secret of {}", endpoint.url.as_ref()),
                value: endpoint.secret.clone(),
            });
            webhooks_page(visit, c, StatusCode::CREATED).await
        }
        Err(err) => {
            refused(visit, "webhooks", err, async |error| {
                webhooks(visit, error).await
            })
            .await
        }
    }
}

/// `POST /dashboard/webhooks/{id}`: a new URL or choice of events.
pub async fn edit_endpoint(
    visit: &Visit<'_>,
    id: &WebhookEndpointId,
    form: &Form,
) -> Result<Response<Body>, ApiError> {
    let changed = match EndpointPatch::from_form(&form.0, visit.app.config.target_guard()).await {
        Ok(patch) => {
            webhook_endpoints::update_endpoint(visit.app, &visit.signed_in.merchant, id, patch)
                .await
        }
        Err(invalid) => Err(invalid),
    };
    endpoint_answer(visit, changed.map(|_| "endpoint-saved")).await
}

/// `POST /dashboard/webhooks/{id}/{enable|disable|rotate|test|delete}`.
pub async fn endpoint_action(
    visit: &Visit<'_>,
    id: &WebhookEndpointId,
    action: &str,
) -> Result<Response<Body>, ApiError> {
    let (app, merchant) = (visit.app, &visit.signed_in.merchant);
    let outcome = match action {
        "enable" => {
            let patch = EndpointPatch::status(EndpointStatus::Enabled);
            webhook_endpoints::update_endpoint(app, merchant, id, patch)
                .await
                .map(|_| "endpoint-enabled")
        }
        "disable" => {
            let patch = EndpointPatch::status(EndpointStatus::Disabled);
            webhook_endpoints::update_endpoint(app, merchant, id, patch)
                .await
                .map(|_| "endpoint-disabled")
        }
        "test" => webhook_endpoints::test_endpoint(app, merchant, id)
            .await
            .map(|_| "endpoint-tested"),
        "delete" => webhook_endpoints::delete_endpoint(app, merchant, id)
            .await
            .map(|_| "endpoint-deleted"),
        "rotate" => {
            return match webhook_endpoints::rotate_secret(app, merchant, id, DEFAULT_SECRET_OVERLAP)
                .await
            {
                Ok(endpoint) => {
                    let mut c = visit.chrome("Webhooks", "webhooks");
                    c.notice = Some(format!(
                        "Secret rotated. Deliveries carry signatures with the old and the new secret until {}.",
                        endpoint
                            .rotation_ends_at(visit.app.now())
                            .map(views::when)
                            .unwrap_or_default()
                    ));
                    c.secret = Some(SecretBox {
                        label: format!("New signing secret of {}", endpoint.url.as_ref()),
                        value: endpoint.secret.clone(),
                    });
                    webhooks_page(visit, c, StatusCode::OK).await
                }
                other => endpoint_answer(visit, other.map(|_| "secret-rotated")).await,
            };
        }
        _ => return Ok(views::not_found(&visit.chrome("Not found", "webhooks"))),
    };
    endpoint_answer(visit, outcome).await
}

async fn endpoint_answer(
    visit: &Visit<'_>,
    outcome: Result<&'static str, ApiError>,
) -> Result<Response<Body>, ApiError> {
    match outcome {
        Ok(notice) => Ok(done("/dashboard/webhooks", notice)),
        Err(err) => {
            refused(visit, "webhooks", err, async |error| {
                webhooks(visit, error).await
            })
            .await
        }
    }
}
