//! `/dashboard/sessions/{id}`: one session's facts and timeline, and its refund and cancel
//! forms.

use checkout_api::ApiError;
use checkout_api::service::{
    Ending, RefundRequest, create_refund, end_session, get_session, list_events, list_refunds,
};
use checkout_domain::delivery::Delivery;
use checkout_domain::event::WebhookEvent;
use checkout_domain::ids::SessionId;
use checkout_domain::refund::Refund;
use checkout_domain::session::{CheckoutSession, SessionStatus};
use lambda_http::{Body, Response};
use rust_decimal::Decimal;

use crate::views::{self, *};
use crate::visit::{Form, Visit};

use super::answers::{chrome_with_error, done, refused};

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
    let refunded = found.amount_refunded.map(|a| a.value()).unwrap_or_default();
    let left = found.amount.value() - refunded;
    let refundable = (matches!(status, SessionStatus::Completed) && left > Decimal::ZERO)
        .then(|| left.to_string());
    let (c, status_code) = chrome_with_error(
        visit,
        &format!("Session {}", found.reference),
        "sessions",
        error,
    );
    let page = SessionPage {
        c,
        id: found.id.as_str().to_owned(),
        status: status.as_str(),
        facts: facts(&found, refunded),
        timeline: timeline(&found, &refunds.refunds, &events.events),
        refundable,
        currency: found.currency.code(),
        can_cancel: found.is_open_at(now),
        idempotency_key: format!("dash_{}", checkout_domain::ids::random_alphanumeric(24)),
        back: format!("/dashboard/sessions/{session_id}"),
    };
    Ok(views::page(status_code, &page, None))
}

/// What happened to `session`, oldest first: its own moments, its `refunds` and its `events`
/// (listed newest first).
fn timeline(
    session: &CheckoutSession,
    refunds: &[Refund],
    events: &[WebhookEvent],
) -> Vec<TimelineEntry> {
    let mut timeline = moments(session);
    for refund in refunds {
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
    for event in events.iter().rev() {
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
    timeline.into_iter().map(|(_, entry)| entry).collect()
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

pub(super) fn event_view(event: &WebhookEvent) -> EventView {
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
        Err(err) => {
            refused(visit, "sessions", err, async |error| {
                session(visit, session_id, error).await
            })
            .await
        }
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
        Err(err) => {
            refused(visit, "sessions", err, async |error| {
                session(visit, session_id, error).await
            })
            .await
        }
    }
}
