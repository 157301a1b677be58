//! What the pages share: the chrome with the notice a redirect carries, the redirect that
//! answers a form, a refusal shown on the form's page, and the query strings they read and link.

use checkout_api::ApiError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};

use crate::views::{self, Chrome, ErrorBox};
use crate::visit::{Form, Visit};

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

pub(super) fn param<'a>(params: &'a [(String, String)], name: &str) -> &'a str {
    checkout_api::http::first_value(params, name)
}

/// The chrome of a page shown again with `error` (the service's refusal of its form), and the
/// status it answers with: 400 with an error, else 200.
pub(super) fn chrome_with_error(
    visit: &Visit<'_>,
    title: &str,
    nav: &'static str,
    error: Option<ErrorBox>,
) -> (Chrome, StatusCode) {
    let mut chrome = chrome_with_notice(visit, title, nav);
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    chrome.error = error;
    (chrome, status)
}

/// The chrome of a visit with the notice its redirect carries.
pub(super) fn chrome_with_notice(visit: &Visit<'_>, title: &str, nav: &'static str) -> Chrome {
    let mut chrome = visit.chrome(title, nav);
    let params = visit.params();
    let done = param(&params, "done");
    chrome.notice = NOTICES
        .iter()
        .find(|(id, _)| *id == done)
        .map(|(_, text)| (*text).to_owned());
    chrome
}

pub(super) fn done(path: &str, notice: &str) -> Response<Body> {
    views::redirect(&format!("{path}?done={notice}"))
}

/// `pairs` with a value, as a URL query.
pub(super) fn url_query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, value)| !value.is_empty()))
        .finish()
}

/// A `back` field that leads into the dashboard, else `fallback`.
pub(super) fn back_to<'a>(form: &'a Form, fallback: &'a str) -> &'a str {
    let back = form.get("back");
    let inside = back.starts_with("/dashboard/")
        && !back.contains("//")
        && !back.contains('\\')
        && back.bytes().all(|b| b.is_ascii_graphic());
    if inside { back } else { fallback }
}

/// The answer to a form the service refused with `err`: a 404 page for what does not exist, the
/// form's `page` again with the service's reasons for any other refusal, the failure otherwise.
pub(super) async fn refused(
    visit: &Visit<'_>,
    nav: &'static str,
    err: ApiError,
    page: impl AsyncFnOnce(Option<ErrorBox>) -> Result<Response<Body>, ApiError>,
) -> Result<Response<Body>, ApiError> {
    match err {
        ApiError::NotFound => Ok(views::not_found(&visit.chrome("Not found", nav))),
        err if err.status().is_client_error() => page(Some(ErrorBox::of(&err))).await,
        other => Err(other),
    }
}
