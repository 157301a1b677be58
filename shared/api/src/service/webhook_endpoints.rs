//! `/v1/webhook_endpoints` (SPEC §18): a merchant's endpoints, their filters and secrets, and
//! the stage-one webhook URL becoming the first of them.

use serde::Serialize;

use crate::App;
use crate::error::ApiError;
use crate::service::endpoint_request::{EndpointPatch, NewEndpoint};
use checkout_domain::event::WebhookEvent;
use checkout_domain::ids::{MerchantId, WebhookEndpointId};
use checkout_domain::merchant::Merchant;
use checkout_domain::signing_secret::{MAX_RETIRING_SECRETS, TooManySecrets};
use checkout_domain::timestamp::Timestamp;
use checkout_domain::values::HttpUrl;
use checkout_domain::webhook_endpoint::{
    EndpointStatus, EventFilter, MAX_ENDPOINTS, WebhookEndpoint,
};
use checkout_store::EndpointWrite;

/// Times a change is tried again when another change to the same endpoint came first.
const ATTEMPTS: usize = 5;

/// The `webhook_endpoint` object: the secret only in the answers that make one.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointResource<'a> {
    id: &'a WebhookEndpointId,
    object: &'static str,
    url: &'a HttpUrl,
    enabled_events: &'a EventFilter,
    description: Option<&'a str>,
    status: EndpointStatus,
    disabled_reason: Option<&'a str>,
    previous_secret_expires_at: Option<Timestamp>,
    created_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
}

impl<'a> EndpointResource<'a> {
    /// `endpoint` without its secret.
    pub fn of(endpoint: &'a WebhookEndpoint, now: Timestamp) -> Self {
        Self {
            id: &endpoint.id,
            object: "webhook_endpoint",
            url: &endpoint.url,
            enabled_events: &endpoint.enabled_events,
            description: endpoint.description.as_deref(),
            status: endpoint.status,
            disabled_reason: endpoint.disabled_reason.as_deref(),
            previous_secret_expires_at: endpoint.rotation_ends_at(now),
            created_at: endpoint.created_at,
            secret: None,
        }
    }

    /// `endpoint` with its secret, as its creation and each rotation answer it.
    pub fn with_secret(endpoint: &'a WebhookEndpoint, now: Timestamp) -> Self {
        Self {
            secret: Some(&endpoint.secret),
            ..Self::of(endpoint, now)
        }
    }
}

/// The endpoints of `merchant`, oldest first. A merchant still holding a stage-one webhook URL
/// has it made into its first endpoint here, on first use, keeping its secret: existing tables
/// upgrade without a manual step.
pub async fn endpoints_of(
    app: &App,
    merchant: &Merchant,
) -> Result<Vec<WebhookEndpoint>, ApiError> {
    migrate_stage_one_url(app, merchant).await?;
    Ok(app.store.list_endpoints(&merchant.id).await?)
}

/// Moves `merchant`'s stage-one webhook URL, if it still has one, to an endpoint of its own
/// (with the same secret, taking every event): the endpoint when this call wrote it.
pub async fn migrate_stage_one_url(
    app: &App,
    merchant: &Merchant,
) -> Result<Option<WebhookEndpoint>, ApiError> {
    let Some(url) = &merchant.webhook_url else {
        return Ok(None);
    };
    let endpoint = WebhookEndpoint::migrated(
        merchant.id.clone(),
        url.clone(),
        merchant.webhook_secret.clone(),
        merchant.created_at,
    );
    // `Changed`: another request migrated it first. `LimitReached` cannot happen to a
    // merchant that had no endpoints, and is logged if it ever does.
    match app.store.migrate_webhook_url(&endpoint, url).await? {
        EndpointWrite::Done => {
            app.auth_cache.forget_merchant(&merchant.id);
            tracing::info!(merchant_id = %merchant.id, endpoint_id = %endpoint.id, "webhook URL migrated");
            Ok(Some(endpoint))
        }
        EndpointWrite::LimitReached => {
            tracing::warn!(merchant_id = %merchant.id, "webhook URL not migrated: endpoints full");
            Ok(None)
        }
        EndpointWrite::Changed => Ok(None),
    }
}

/// The merchant's endpoint `id`; 404 for any other.
pub async fn get_endpoint(
    app: &App,
    merchant: &Merchant,
    id: &WebhookEndpointId,
) -> Result<WebhookEndpoint, ApiError> {
    if merchant.webhook_url.is_some() {
        endpoints_of(app, merchant).await?;
    }
    app.store
        .get_endpoint(&merchant.id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// `POST /v1/webhook_endpoints`: the endpoint `request` describes, with a new secret.
pub async fn create_endpoint(
    app: &App,
    merchant: &Merchant,
    request: NewEndpoint,
) -> Result<WebhookEndpoint, ApiError> {
    endpoints_of(app, merchant).await?;
    let endpoint = WebhookEndpoint::new(
        merchant.id.clone(),
        request.url,
        request.filter,
        request.description,
        app.now(),
    );
    match app.store.create_endpoint(&endpoint).await? {
        EndpointWrite::Done => {
            tracing::info!(merchant_id = %merchant.id, endpoint_id = %endpoint.id, "webhook endpoint created");
            Ok(endpoint)
        }
        _ => Err(ApiError::LimitReached {
            what: "webhook endpoints",
            limit: MAX_ENDPOINTS,
        }),
    }
}

/// `PATCH /v1/webhook_endpoints/{id}`: the endpoint with each field `patch` names changed.
pub async fn update_endpoint(
    app: &App,
    merchant: &Merchant,
    id: &WebhookEndpointId,
    patch: EndpointPatch,
) -> Result<WebhookEndpoint, ApiError> {
    change(app, merchant, id, |endpoint| {
        if let Some(url) = &patch.url {
            endpoint.url = url.clone();
        }
        if let Some(filter) = &patch.filter {
            endpoint.enabled_events = filter.clone();
        }
        if let Some(description) = &patch.description {
            endpoint.description = description.clone();
        }
        if let Some(status) = patch.status {
            endpoint.set_status(status);
        }
        Ok(())
    })
    .await
}

/// `POST /v1/webhook_endpoints/{id}/rotate_secret` `{ expiresIn? }`: a new secret; the old one
/// keeps signing beside it for `expiresIn` (up to 7 days, a day by default).
pub async fn rotate_secret(
    app: &App,
    merchant: &Merchant,
    id: &WebhookEndpointId,
    overlap: time::Duration,
) -> Result<WebhookEndpoint, ApiError> {
    let now = app.now();
    change(app, merchant, id, |endpoint| {
        endpoint
            .rotate_secret(overlap, now)
            .map_err(|TooManySecrets| ApiError::LimitReached {
                what: "secrets signing beside the current one",
                limit: MAX_RETIRING_SECRETS,
            })
    })
    .await
}

/// `DELETE /v1/webhook_endpoints/{id}`.
pub async fn delete_endpoint(
    app: &App,
    merchant: &Merchant,
    id: &WebhookEndpointId,
) -> Result<WebhookEndpoint, ApiError> {
    let endpoint = get_endpoint(app, merchant, id).await?;
    if !app
        .store
        .delete_endpoint(&merchant.id, &endpoint.id)
        .await?
    {
        return Err(ApiError::NotFound);
    }
    tracing::info!(merchant_id = %merchant.id, endpoint_id = %endpoint.id, "webhook endpoint deleted");
    Ok(endpoint)
}

/// `POST /v1/webhook_endpoints/{id}/test`: a `webhook_endpoint.test` event for that endpoint
/// alone, queued at once.
pub async fn test_endpoint(
    app: &App,
    merchant: &Merchant,
    id: &WebhookEndpointId,
) -> Result<WebhookEvent, ApiError> {
    let endpoint = get_endpoint(app, merchant, id).await?;
    let now = app.now();
    let event = WebhookEvent::endpoint_test(
        merchant.id.clone(),
        endpoint.id.clone(),
        &EndpointResource::of(&endpoint, now),
        now,
    )
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    app.store.put_event(&event).await?;
    Ok(event)
}

/// Applies `edit` to the merchant's endpoint `id` and writes it over the revision it was read
/// at, reading again when another change came first.
async fn change(
    app: &App,
    merchant: &Merchant,
    id: &WebhookEndpointId,
    edit: impl Fn(&mut WebhookEndpoint) -> Result<(), ApiError>,
) -> Result<WebhookEndpoint, ApiError> {
    for _ in 0..ATTEMPTS {
        let mut endpoint = get_endpoint(app, merchant, id).await?;
        let before = endpoint.clone();
        edit(&mut endpoint)?;
        if endpoint == before {
            return Ok(endpoint);
        }
        endpoint.revision += 1;
        if app.store.replace_endpoint(&endpoint).await? {
            return Ok(endpoint);
        }
    }
    Err(ApiError::Contention)
}

/// Records the dispatcher's observation of an attempt to `id` at `at` on the endpoint (its
/// failing clock, and disabling it on `410 Gone` or after three days of failures).
pub async fn observe_attempt(
    app: &App,
    merchant_id: &MerchantId,
    id: &WebhookEndpointId,
    delivered: bool,
    gone: bool,
    at: Timestamp,
) -> Result<(), ApiError> {
    for _ in 0..ATTEMPTS {
        let Some(mut endpoint) = app.store.get_endpoint(merchant_id, id).await? else {
            return Ok(());
        };
        if !endpoint.observe(delivered, gone, at) {
            return Ok(());
        }
        endpoint.revision += 1;
        if app.store.replace_endpoint(&endpoint).await? {
            if let Some(reason) = &endpoint.disabled_reason {
                tracing::warn!(%merchant_id, endpoint_id = %id, reason, "webhook endpoint disabled");
            }
            return Ok(());
        }
    }
    Err(ApiError::Contention)
}
