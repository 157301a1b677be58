//! The hosted checkout page: `GET /pay/{id}`, `POST /pay/{id}` (pay), `POST /pay/{id}/cancel`,
//! and `GET /pay/{id}/recover` (an expired session's recovery URL).
//! Server-rendered HTML from auto-escaping templates; works without JavaScript.

mod page;

use checkout_api::payments::PaymentProcessor;
use checkout_api::service::hosted_checkout::{self, PageOutcome};
use checkout_api::{ApiError, App, http};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

/// Handles one page request.
pub async fn handle<P: PaymentProcessor>(
    app: &App,
    processor: &P,
    request: Request,
) -> Response<Body> {
    let request_id = http::request_id(&request);
    let outcome = route(app, processor, &request).await;
    let mut response = match outcome {
        Ok(PageOutcome::Show(model)) => {
            page::checkout(&model, &hosted_checkout::quotes(processor, &model.session))
        }
        Ok(PageOutcome::Redirect(location)) => page::redirect(&location),
        Ok(PageOutcome::NotFound) => page::message(
            StatusCode::NOT_FOUND,
            "Payment not found",
            "This payment link is not valid.",
        ),
        Ok(PageOutcome::RecoveryLapsed) => page::message(
            StatusCode::GONE,
            "This payment link has expired",
            "It can no longer be started again. Return to the shop to place the order anew.",
        ),
        Ok(PageOutcome::Forbidden) => page::message(
            StatusCode::FORBIDDEN,
            "Please try again",
            "This form has expired or was not sent from the payment page. Reload the page and try again.",
        ),
        Ok(PageOutcome::MerchantInactive { display_name }) => page::message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Payments are unavailable",
            &format!(
                "{display_name} cannot take payments at the moment. Nothing was charged; please contact the shop."
            ),
        ),
        Err(err) => {
            http::log_failure(&request_id, &err);
            page::message(
                err.status(),
                "Something went wrong",
                "We could not process this page. Nothing was charged; please try again in a moment.",
            )
        }
    };
    // Like every API answer, every page says which request it answers, for support and logs.
    if let Ok(value) = lambda_http::http::HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("request-id", value);
    }
    response
}

async fn route<P: PaymentProcessor>(
    app: &App,
    processor: &P,
    request: &Request,
) -> Result<PageOutcome, ApiError> {
    let id = match http::session_id(request) {
        Ok(id) => id,
        Err(_) => return Ok(PageOutcome::NotFound),
    };
    let path = request.uri().path().trim_end_matches('/');
    if path.ends_with("/recover") {
        return match request.method() {
            &Method::GET => hosted_checkout::recover(app, &id).await,
            _ => Ok(PageOutcome::NotFound),
        };
    }
    let cancel = path.ends_with("/cancel");
    match (request.method(), cancel) {
        (&Method::GET, false) => hosted_checkout::view(app, &id).await,
        (&Method::POST, false) => {
            let form = http::form_fields(request)?;
            hosted_checkout::pay(app, processor, &id, &form).await
        }
        (&Method::POST, true) => {
            let form = http::form_fields(request)?;
            hosted_checkout::cancel(app, &id, &form).await
        }
        _ => Ok(PageOutcome::NotFound),
    }
}
