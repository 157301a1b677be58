//! Each dashboard page and form: it reads and acts through the API's services, then fills its
//! view. A form that changes something answers 303 back to its page with what it did; one the
//! service refuses shows its page again with the service's reasons.

use checkout_api::ApiError;
use checkout_api::service::dashboard::{self, Overview, SearchTerm};
use checkout_api::service::endpoint_request::{EndpointPatch, NewEndpoint};
use checkout_api::service::{
    Ending, RefundRequest, account, api_keys, create_refund, end_session, events, get_session,
    list_events, list_refunds, list_sessions, webhook_endpoints,
};
use checkout_domain::delivery::Delivery;
use checkout_domain::event::{EventType, WebhookEvent};
use checkout_domain::ids::{ApiKeyId, EventId, SessionId, WebhookEndpointId};
use checkout_domain::session::{CheckoutSession, SessionStatus};
use checkout_domain::values::Locale;
use checkout_domain::webhook_endpoint::{
    DEFAULT_SECRET_OVERLAP, EndpointStatus, EventFilter, WebhookEndpoint,
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use rust_decimal::Decimal;
use strum::VariantArray;

use crate::charts::bar_chart;
use crate::views::{self, *};
use crate::{Form, Visit};

/// What a form did, by the id its redirect carries: only these texts are ever shown.
const NOTICES: [(&str, &str); 14] = [
    ("refunded", "Refund created."),
    ("cancelled", "Session cancelled."),
    (
        "redelivered",
        "Delivery queued: it goes out within a minute.",
    ),
    ("endpoint-added", "Endpoint added."),
    ("endpoint-saved", "Endpoint saved."),
    ("endpoint-enabled", "Endpoint enabled."),
    (
        "endpoint-disabled",
        "Endpoint disabled: it receives nothing until enabled.",
    ),
    ("endpoint-tested", "Test event sent to the endpoint."),
    ("endpoint-deleted", "Endpoint deleted."),
    ("key-revoked", "Key revoked: it no longer works."),
    ("settings-saved", "Settings saved."),
    ("key-created", "Key created."),
    ("key-rolled", "Key rolled."),
    ("secret-rotated", "Secret rotated."),
];

/// Session statuses the filter offers.
const STATUSES: [&str; 7] = [
    "pending",
    "processing",
    "completed",
    "failed",
    "expired",
    "cancelled",
    "refunded",
];

/// How many sessions a page of the list holds.
const PAGE_SIZE: &str = "100";

/// How many recent events the webhooks page shows.
const RECENT_EVENTS: &str = "20";

fn param<'a>(params: &'a [(String, String)], name: &str) -> &'a str {
    checkout_api::http::first_value(params, name)
}

/// The chrome of a visit with the notice its redirect carries.
fn chrome_with_notice(visit: &Visit<'_>, title: &str, nav: &'static str) -> Chrome {
    let mut chrome = visit.chrome(title, nav);
    let params = visit.params();
    let done = param(&params, "done");
    chrome.notice = NOTICES
        .iter()
        .find(|(id, _)| *id == done)
        .map(|(_, text)| (*text).to_owned());
    chrome
}

fn done(path: &str, notice: &str) -> Response<Body> {
    views::redirect(&format!("{path}?done={notice}"))
}

/// `/dashboard/`: 30 days of volume and conversion per currency.
pub async fn overview(visit: &Visit<'_>) -> Result<Response<Body>, ApiError> {
    let figures = dashboard::overview(visit.app, &visit.signed_in.merchant).await?;
    Ok(views::page(
        StatusCode::OK,
        &overview_page(chrome_with_notice(visit, "Overview", "overview"), &figures),
        None,
    ))
}

fn overview_page(c: Chrome, figures: &Overview) -> OverviewPage {
    let day_names: Vec<String> = figures
        .days
        .iter()
        .map(|d| format!("{} {}", &d.month().to_string()[..3], d.day()))
        .collect();
    let currencies = figures
        .series
        .iter()
        .map(|(currency, days)| {
            let code = currency.code();
            let volume: Decimal = days.iter().map(|d| d.volume).sum();
            let paid: u32 = days.iter().map(|d| d.paid).sum();
            let created: u32 = days.iter().map(|d| d.created).sum();
            let percent = |value: Option<Decimal>| {
                value.map_or_else(|| "–".to_owned(), |v| format!("{}%", v.round_dp(1)))
            };
            let rows: Vec<DayRow> = figures
                .days
                .iter()
                .zip(days)
                .map(|(date, day)| DayRow {
                    date: date.to_string(),
                    created: day.created,
                    paid: day.paid,
                    volume: format!("{} {code}", day.volume),
                    conversion: percent(day.conversion()),
                })
                .collect();
            let volumes: Vec<Decimal> = days.iter().map(|d| d.volume).collect();
            let rates: Vec<Decimal> = days
                .iter()
                .map(|d| d.conversion().unwrap_or_default())
                .collect();
            CurrencyView {
                code,
                volume: format!("{volume} {code}"),
                paid,
                created,
                conversion: percent(
                    (created > 0)
                        .then(|| Decimal::from(paid) * Decimal::from(100) / Decimal::from(created)),
                ),
                volume_chart: bar_chart(
                    &volumes,
                    rows.iter()
                        .map(|r| format!("{}: {}", r.date, r.volume))
                        .collect(),
                    &day_names,
                    |v| v.to_string(),
                ),
                conversion_chart: bar_chart(
                    &rates,
                    rows.iter()
                        .map(|r| {
                            format!("{}: {} ({} of {})", r.date, r.conversion, r.paid, r.created)
                        })
                        .collect(),
                    &day_names,
                    |v| format!("{v}%"),
                ),
                rows,
            }
        })
        .collect();
    OverviewPage {
        c,
        currencies,
        first_day: figures
            .days
            .first()
            .map(ToString::to_string)
            .unwrap_or_default(),
        last_day: figures
            .days
            .last()
            .map(ToString::to_string)
            .unwrap_or_default(),
        truncated: figures.truncated,
    }
}

/// `/dashboard/sessions`: the list with the filters of §8, or a search.
pub async fn sessions(visit: &Visit<'_>) -> Result<Response<Body>, ApiError> {
    let params = visit.params();
    let q = param(&params, "q").trim().to_owned();
    let status = param(&params, "status");
    let (from, to) = (param(&params, "from"), param(&params, "to"));
    let mut c = chrome_with_notice(visit, "Sessions", "sessions");
    let merchant = &visit.signed_in.merchant;
    let mut next = None;
    let (found, summary) = match SearchTerm::read(&q) {
        Some(SearchTerm::Index(search)) => {
            let (found, more) = dashboard::search_sessions(visit.app, merchant, &search).await?;
            let summary = format!(
                "{} session(s) matching “{q}”{}",
                found.len(),
                if more { ", 100 shown" } else { "" }
            );
            (found, summary)
        }
        term => {
            let mut query = vec![("limit".to_owned(), PAGE_SIZE.to_owned())];
            if let Some(SearchTerm::OrderId(order_id)) = term {
                query.push(("orderId".to_owned(), order_id));
            }
            if !status.is_empty() {
                query.push(("status".to_owned(), status.to_owned()));
            }
            if !from.is_empty() {
                query.push(("createdFrom".to_owned(), format!("{from}T00:00:00Z")));
            }
            if !to.is_empty() {
                query.push(("createdTo".to_owned(), format!("{to}T23:59:59.999Z")));
            }
            let cursor = param(&params, "cursor");
            if !cursor.is_empty() {
                query.push(("cursor".to_owned(), cursor.to_owned()));
            }
            match list_sessions(visit.app, merchant, &query).await {
                Ok((page, cursor)) => {
                    next = cursor.map(|cursor| {
                        let mut link = url_query(&[
                            ("q", q.as_str()),
                            ("status", status),
                            ("from", from),
                            ("to", to),
                            ("cursor", cursor.as_str()),
                        ]);
                        link.insert_str(0, "/dashboard/sessions?");
                        link
                    });
                    let summary = if q.is_empty() {
                        format!("{} session(s), newest first", page.sessions.len())
                    } else {
                        format!("{} session(s) of order “{q}”", page.sessions.len())
                    };
                    (page.sessions, summary)
                }
                Err(err @ ApiError::Validation(_)) => {
                    c.error = Some(ErrorBox::of(&err));
                    (Vec::new(), "No sessions: fix the filters.".to_owned())
                }
                Err(other) => return Err(other),
            }
        }
    };
    let now = visit.app.now();
    let rows = found
        .iter()
        .map(|session| SessionRow {
            id: session.id.as_str().to_owned(),
            created: views::when(session.created_at),
            reference: session.reference.clone(),
            order_id: session
                .order_id
                .as_ref()
                .map(|o| o.as_ref().to_owned())
                .unwrap_or_default(),
            email: session
                .customer
                .as_ref()
                .and_then(|c| c.email.clone())
                .unwrap_or_default(),
            amount: format!("{} {}", session.amount, session.currency.code()),
            status: session.status_at(now).as_str(),
        })
        .collect();
    let status_code = if c.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = SessionsPage {
        c,
        statuses: STATUSES.iter().map(|s| (*s, *s == status)).collect(),
        q,
        from: from.to_owned(),
        to: to.to_owned(),
        rows,
        next,
        summary,
    };
    Ok(views::page(status_code, &page, None))
}

fn url_query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, value)| !value.is_empty()))
        .finish()
}

/// `/dashboard/sessions/{id}`: what is known of it, its timeline, refund and cancel.
pub async fn session(
    visit: &Visit<'_>,
    session_id: &SessionId,
    error: Option<ErrorBox>,
) -> Result<Response<Body>, ApiError> {
    let (app, merchant) = (visit.app, &visit.signed_in.merchant);
    let event_query = [
        ("sessionId".to_owned(), session_id.to_string()),
        ("limit".to_owned(), "100".to_owned()),
    ];
    let refund_query = [("limit".to_owned(), "100".to_owned())];
    let (found, listed, refunds) = tokio::join!(
        get_session(app, merchant, session_id),
        list_events(app, merchant, &event_query),
        list_refunds(app, merchant, session_id, &refund_query),
    );
    let found = match found {
        Ok(session) => session,
        Err(ApiError::NotFound) => {
            return Ok(views::not_found(&visit.chrome("Not found", "sessions")));
        }
        Err(other) => return Err(other),
    };
    let (events, _) = listed?;
    let (refunds, _) = refunds?;
    let now = app.now();
    let status = found.status_at(now);
    let mut timeline = moments(&found);
    for refund in &refunds.refunds {
        timeline.push((
            refund.created_at,
            TimelineEntry {
                at: views::when(refund.created_at),
                what: format!(
                    "Refund {} of {} {}{}",
                    refund.id.as_str(),
                    refund.amount,
                    refund.currency.code(),
                    refund
                        .reason
                        .map(|reason| format!(" ({})", <&str>::from(reason)))
                        .unwrap_or_default()
                ),
                event: None,
            },
        ));
    }
    // Oldest first, so that events of the same instant read in the order they happened.
    for event in events.events.iter().rev() {
        timeline.push((
            event.created_at,
            TimelineEntry {
                at: views::when(event.created_at),
                what: format!("Event {}", event.kind.as_str()),
                event: Some(event_view(event)),
            },
        ));
    }
    timeline.sort_by_key(|(at, _)| *at);
    let refunded = found.amount_refunded.map(|a| a.value()).unwrap_or_default();
    let left = found.amount.value() - refunded;
    let refundable = (matches!(status, SessionStatus::Completed) && left > Decimal::ZERO)
        .then(|| left.to_string());
    let mut c = chrome_with_notice(visit, &format!("Session {}", found.reference), "sessions");
    let status_code = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    c.error = error;
    let page = SessionPage {
        c,
        id: found.id.as_str().to_owned(),
        status: status.as_str(),
        facts: facts(&found, refunded),
        timeline: timeline.into_iter().map(|(_, entry)| entry).collect(),
        refundable,
        currency: found.currency.code(),
        can_cancel: found.is_open_at(now),
        idempotency_key: format!("dash_{}", checkout_domain::ids::random_alphanumeric(24)),
        back: format!("/dashboard/sessions/{session_id}"),
    };
    Ok(views::page(status_code, &page, None))
}

fn facts(session: &CheckoutSession, refunded: Decimal) -> Vec<(&'static str, String)> {
    let code = session.currency.code();
    let mut facts = vec![
        ("Reference", session.reference.clone()),
        ("Amount", format!("{} {code}", session.amount)),
        ("Refunded", format!("{refunded} {code}")),
        ("Fee", format!("{} {code}", session.fee)),
    ];
    if let Some(order_id) = &session.order_id {
        facts.push(("Order id", order_id.as_ref().to_owned()));
    }
    if let Some(customer) = &session.customer {
        if let Some(email) = &customer.email {
            facts.push(("Customer e-mail", email.clone()));
        }
        if let Some(name) = &customer.name {
            facts.push(("Customer name", name.as_ref().to_owned()));
        }
    }
    if let Some(description) = &session.description {
        facts.push(("Description", description.as_ref().to_owned()));
    }
    facts.push(("Expires", views::when(session.expires_at)));
    facts
}

/// The moments the session itself records.
fn moments(
    session: &CheckoutSession,
) -> Vec<(checkout_domain::timestamp::Timestamp, TimelineEntry)> {
    let entry = |at, what: &str| {
        (
            at,
            TimelineEntry {
                at: views::when(at),
                what: what.to_owned(),
                event: None,
            },
        )
    };
    let mut moments = vec![entry(session.created_at, "Created")];
    let recorded = [
        (
            session.processing_at,
            "Paid, waiting to settle (processing)",
        ),
        (session.completed_at, "Paid"),
        (session.failed_at, "Payment failed"),
        (session.cancelled_at, "Cancelled"),
        (session.expired_at, "Expired"),
        (session.refunded_at, "Refunded in full"),
    ];
    moments.extend(
        recorded
            .into_iter()
            .filter_map(|(at, what)| at.map(|at| entry(at, what))),
    );
    moments
}

fn event_view(event: &WebhookEvent) -> EventView {
    EventView {
        id: event.id.as_str().to_owned(),
        kind: event.kind.as_str(),
        created: views::when(event.created_at),
        status: event.delivery_status.as_str(),
        session_id: event.session_id.as_ref().map(|s| s.as_str().to_owned()),
        deliveries: event
            .deliveries
            .iter()
            .flatten()
            .map(delivery_view)
            .collect(),
    }
}

fn delivery_view(delivery: &Delivery) -> DeliveryView {
    DeliveryView {
        target: delivery
            .endpoint_id
            .as_ref()
            .map(|id| format!("endpoint {}", id.as_str()))
            .or_else(|| delivery.url.clone())
            .unwrap_or_default(),
        status: delivery.status.as_str(),
        next_attempt: delivery.next_attempt_at.map(views::when),
        attempts: delivery
            .attempts
            .iter()
            .map(|attempt| AttemptView {
                at: views::when(attempt.at),
                code: attempt
                    .status_code
                    .map_or_else(|| "no answer".to_owned(), |code| code.to_string()),
                duration: format!("{} ms", attempt.duration_ms),
                error: attempt.error.clone().unwrap_or_default(),
            })
            .collect(),
    }
}

/// `POST /dashboard/sessions/{id}/refunds`: a refund of the amount given.
pub async fn refund(
    visit: &Visit<'_>,
    session_id: &SessionId,
    form: &Form,
) -> Result<Response<Body>, ApiError> {
    let answered = create_refund(
        visit.app,
        &visit.signed_in.merchant,
        session_id,
        RefundRequest::from_form(&form.0),
    )
    .await;
    let path = format!("/dashboard/sessions/{session_id}");
    match answered {
        Ok(created) => match created.refusal_detail() {
            None => Ok(done(&path, "refunded")),
            // A replayed refusal: the stored problem says why.
            Some(detail) => {
                let refused = ErrorBox {
                    title: "Refund refused".into(),
                    detail,
                    fields: Vec::new(),
                };
                session(visit, session_id, Some(refused)).await
            }
        },
        Err(ApiError::NotFound) => Ok(views::not_found(&visit.chrome("Not found", "sessions"))),
        Err(err) if err.status().is_client_error() => {
            session(visit, session_id, Some(ErrorBox::of(&err))).await
        }
        Err(other) => Err(other),
    }
}

/// `POST /dashboard/sessions/{id}/cancel`.
pub async fn cancel(visit: &Visit<'_>, session_id: &SessionId) -> Result<Response<Body>, ApiError> {
    match end_session(
        visit.app,
        &visit.signed_in.merchant,
        session_id,
        Ending::Cancel,
    )
    .await
    {
        Ok(_) => Ok(done(
            &format!("/dashboard/sessions/{session_id}"),
            "cancelled",
        )),
        Err(ApiError::NotFound) => Ok(views::not_found(&visit.chrome("Not found", "sessions"))),
        Err(err) if err.status().is_client_error() => {
            session(visit, session_id, Some(ErrorBox::of(&err))).await
        }
        Err(other) => Err(other),
    }
}

/// A `back` field that leads into the dashboard, else `fallback`.
fn back_to<'a>(form: &'a Form, fallback: &'a str) -> &'a str {
    let back = form.get("back");
    let inside = back.starts_with("/dashboard/")
        && !back.contains("//")
        && !back.contains('\\')
        && back.bytes().all(|b| b.is_ascii_graphic());
    if inside { back } else { fallback }
}

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
        Err(ApiError::NotFound) => Ok(views::not_found(&visit.chrome("Not found", "webhooks"))),
        Err(err) if err.status().is_client_error() => {
            webhooks(visit, Some(ErrorBox::of(&err))).await
        }
        Err(other) => Err(other),
    }
}

/// `/dashboard/webhooks`: the endpoints with their forms, and the recent events' deliveries.
pub async fn webhooks(
    visit: &Visit<'_>,
    error: Option<ErrorBox>,
) -> Result<Response<Body>, ApiError> {
    let mut c = chrome_with_notice(visit, "Webhooks", "webhooks");
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    c.error = error;
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
        Err(err) if err.status().is_client_error() => {
            webhooks(visit, Some(ErrorBox::of(&err))).await
        }
        Err(other) => Err(other),
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
        Err(ApiError::NotFound) => Ok(views::not_found(&visit.chrome("Not found", "webhooks"))),
        Err(err) if err.status().is_client_error() => {
            webhooks(visit, Some(ErrorBox::of(&err))).await
        }
        Err(other) => Err(other),
    }
}

/// `/dashboard/keys`.
pub async fn keys(visit: &Visit<'_>, error: Option<ErrorBox>) -> Result<Response<Body>, ApiError> {
    let mut c = chrome_with_notice(visit, "API keys", "keys");
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    c.error = error;
    keys_page(visit, c, status).await
}

async fn keys_page(
    visit: &Visit<'_>,
    c: Chrome,
    status: StatusCode,
) -> Result<Response<Body>, ApiError> {
    let now = visit.app.now();
    let listed = api_keys::list_keys(visit.app, &visit.signed_in.merchant).await?;
    let current = visit.signed_in.session.key_hash.as_deref();
    let keys = listed
        .iter()
        .map(|key| {
            let status = key.status_at(now).as_str();
            KeyView {
                id: key.id().to_string(),
                name: key.name.clone().unwrap_or_default(),
                scope: match key.scope {
                    checkout_domain::api_key::KeyScope::Full => "full",
                    checkout_domain::api_key::KeyScope::ReadOnly => "read only",
                },
                hint: format!("{}…{}", key.key_prefix, key.last4.as_deref().unwrap_or("")),
                status: match key.expires_at {
                    Some(at) => format!("{status} until {}", views::when(at)),
                    None => status.to_owned(),
                },
                created: views::when(key.created_at),
                last_used: key
                    .last_used_at
                    .map(views::when)
                    .unwrap_or_else(|| "never".into()),
                current: current == Some(key.key_hash.as_str()),
            }
        })
        .collect();
    Ok(views::page(status, &KeysPage { c, keys }, None))
}

/// `POST /dashboard/keys`: a new key, its secret shown this once.
pub async fn create_key(visit: &Visit<'_>, form: &Form) -> Result<Response<Body>, ApiError> {
    if let Err(refused) = confirmed(visit, form).await {
        return new_key_answer(visit, Err(refused), "").await;
    }
    let created = match api_keys::NewKeyRequest::from_form(&form.0) {
        Ok(asked) => api_keys::create_key(visit.app, &visit.signed_in.merchant, asked).await,
        Err(refused) => Err(refused),
    };
    new_key_answer(visit, created, "Key created.").await
}

/// `POST /dashboard/keys/{id}/{roll|revoke}`.
pub async fn key_action(
    visit: &Visit<'_>,
    id: &ApiKeyId,
    action: &str,
    form: &Form,
) -> Result<Response<Body>, ApiError> {
    let (app, merchant) = (visit.app, &visit.signed_in.merchant);
    match action {
        "roll" => {
            if let Err(refused) = confirmed(visit, form).await {
                return new_key_answer(visit, Err(refused), "").await;
            }
            let chosen = Some(form.get("expiresIn")).filter(|text| !text.is_empty());
            let rolled = match api_keys::overlap(chosen, time::Duration::ZERO) {
                Ok(overlap) => api_keys::roll_key(app, merchant, id, overlap).await,
                Err(refused) => Err(refused),
            };
            let notice = if chosen.is_none() {
                "Key rolled: the old key stopped working."
            } else {
                "Key rolled: the old key works until the time shown beside it."
            };
            new_key_answer(visit, rolled, notice).await
        }
        "revoke" => match api_keys::revoke_key(app, merchant, id).await {
            Ok(_) => Ok(done("/dashboard/keys", "key-revoked")),
            Err(ApiError::NotFound) => Ok(views::not_found(&visit.chrome("Not found", "keys"))),
            Err(err) if err.status().is_client_error() => {
                keys(visit, Some(ErrorBox::of(&err))).await
            }
            Err(other) => Err(other),
        },
        _ => Ok(views::not_found(&visit.chrome("Not found", "keys"))),
    }
}

/// Whether the form carries a current full key of the merchant (`currentKey`).
async fn confirmed(visit: &Visit<'_>, form: &Form) -> Result<(), ApiError> {
    dashboard::confirm_full_key(visit.app, &visit.signed_in, form.get("currentKey")).await
}

async fn new_key_answer(
    visit: &Visit<'_>,
    outcome: Result<checkout_domain::api_key::NewApiKey, ApiError>,
    notice: &str,
) -> Result<Response<Body>, ApiError> {
    match outcome {
        Ok(key) => {
            let mut c = visit.chrome("API keys", "keys");
            c.notice = Some(notice.to_owned());
            c.secret = Some(SecretBox {
                label: format!(
                    "Secret key {}",
                    key.record.name.as_deref().unwrap_or(&key.record.key_prefix)
                ),
                value: key.plaintext.clone(),
            });
            keys_page(visit, c, StatusCode::OK).await
        }
        Err(ApiError::NotFound) => Ok(views::not_found(&visit.chrome("Not found", "keys"))),
        Err(err) if err.status().is_client_error() => keys(visit, Some(ErrorBox::of(&err))).await,
        Err(other) => Err(other),
    }
}

/// `/dashboard/settings`: the branding form beside the checkout page it gives.
pub async fn settings(
    visit: &Visit<'_>,
    error: Option<ErrorBox>,
) -> Result<Response<Body>, ApiError> {
    settings_with(visit, error, None).await
}

/// `POST /dashboard/settings` with the Preview button (what a browser without JavaScript
/// sends): the page with the values typed, saved nowhere.
pub async fn preview_typed(visit: &Visit<'_>, form: &Form) -> Result<Response<Body>, ApiError> {
    let error = account::patch_from_form(&form.0).err();
    settings_with(visit, error.as_ref().map(ErrorBox::of), Some(&form.0)).await
}

async fn settings_with(
    visit: &Visit<'_>,
    error: Option<ErrorBox>,
    typed: Option<&[(String, String)]>,
) -> Result<Response<Body>, ApiError> {
    let merchant = account::current(visit.app, &visit.signed_in.merchant).await?;
    // What is typed shows when it passes; what does not shows as saved.
    let shown = match typed.map(account::patch_from_form) {
        Some(Ok(patch)) => patch.apply(&merchant),
        _ => merchant,
    };
    let mut c = chrome_with_notice(visit, "Settings", "settings");
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    c.error = error;
    let values = [
        ("displayName", shown.display_name.clone()),
        ("brandColor", shown.brand_color.clone().unwrap_or_default()),
        (
            "locale",
            shown
                .locale
                .map(|l| l.as_str().to_owned())
                .unwrap_or_default(),
        ),
    ];
    let mut preview_src = url_query(
        &values
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect::<Vec<_>>(),
    );
    preview_src.insert_str(0, "/dashboard/settings/preview?");
    let url = |url: &Option<checkout_domain::values::HttpUrl>| {
        url.as_ref()
            .map(|u| AsRef::<str>::as_ref(u).to_owned())
            .unwrap_or_default()
    };
    let page = SettingsPage {
        c,
        locales: Locale::VARIANTS
            .iter()
            .map(|l| (l.as_str(), shown.locale == Some(*l)))
            .collect(),
        display_name: shown.display_name.clone(),
        brand_color: shown.brand_color.clone().unwrap_or_default(),
        success_url: url(&shown.success_url),
        cancel_url: url(&shown.cancel_url),
        terms_url: url(&shown.terms_url),
        preview_src,
    };
    Ok(views::page(status, &page, Some(views::PREVIEW_SCRIPT)))
}

/// `POST /dashboard/settings`.
pub async fn save_settings(visit: &Visit<'_>, form: &Form) -> Result<Response<Body>, ApiError> {
    let saved = match account::patch_from_form(&form.0) {
        Ok(patch) => account::update_account(visit.app, &visit.signed_in.merchant, patch).await,
        Err(refused) => Err(refused),
    };
    match saved {
        Ok(_) => Ok(done("/dashboard/settings", "settings-saved")),
        Err(err) if err.status().is_client_error() => {
            settings(visit, Some(ErrorBox::of(&err))).await
        }
        Err(other) => Err(other),
    }
}
