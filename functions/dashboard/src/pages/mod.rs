//! Each dashboard page and form: it reads and acts through the API's services, then fills its
//! view. A form that changes something answers 303 back to its page with what it did; one the
//! service refuses shows its page again with the service's reasons.

mod keys;
mod overview;
mod session;
mod sessions;
mod settings;
mod webhooks;

pub use keys::{create_key, key_action, keys};
pub use overview::overview;
pub use session::{cancel, refund, session};
pub use sessions::sessions;
pub use settings::{preview_typed, save_settings, settings};
pub use webhooks::{add_endpoint, edit_endpoint, endpoint_action, redeliver, webhooks};

use checkout_api::ApiError;
use lambda_http::{Body, Response};

use crate::views::{self, Chrome, ErrorBox};
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

/// `pairs` with a value, as a URL query.
fn url_query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, value)| !value.is_empty()))
        .finish()
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

/// The answer to a form the service refused with `err`: a 404 page for what does not exist, the
/// form's `page` again with the service's reasons for any other refusal, the failure otherwise.
async fn refused(
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
