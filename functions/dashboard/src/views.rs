//! The dashboard's pages as templates fill them, and the responses that carry them: every page
//! with the same security headers, its one stylesheet (and the settings page its one script)
//! allowed by hash.

use askama::Template;
use checkout_api::ApiError;
use checkout_api::page_policy::{html_page, source_hash};
use checkout_api::secrets::UseKey;
use checkout_domain::dashboard::sign_in_token;
use checkout_domain::timestamp::Timestamp;
use lambda_http::http::StatusCode;
use lambda_http::http::header::{HeaderValue, LOCATION};
use lambda_http::{Body, Response};

use crate::charts::BarChart;
use crate::cookies;

/// The stylesheet of every page.
const STYLE: &str = include_str!("../templates/dashboard.css");

/// Reloads the settings preview as the merchant types (after a pause), from the form's values;
/// without JavaScript the Preview button does the same by a GET.
pub const PREVIEW_SCRIPT: &str = "(function () {\
var form = document.getElementById('settings');\
var frame = document.getElementById('preview');\
if (!form || !frame) { return; }\
var timer;\
form.addEventListener('input', function () {\
window.clearTimeout(timer);\
timer = window.setTimeout(function () {\
var params = new URLSearchParams(new FormData(form));\
params.delete('csrfToken');\
frame.src = '/dashboard/settings/preview?' + params.toString();\
}, 300);\
});\
})();";

/// The frame of every signed-in page.
pub struct Chrome {
    pub title: String,
    /// Which navigation entry is the current page.
    pub nav: &'static str,
    pub merchant: String,
    pub merchant_id: String,
    /// The anti-forgery token of every form.
    pub csrf: String,
    pub read_only: bool,
    /// What the last action did.
    pub notice: Option<String>,
    /// Why the last action was refused.
    pub error: Option<ErrorBox>,
    /// A secret shown this once.
    pub secret: Option<SecretBox>,
}

/// A refusal, as the API's problem document says it.
pub struct ErrorBox {
    pub title: String,
    pub detail: String,
    /// `(field, message)` of each violation.
    pub fields: Vec<(String, String)>,
}

impl ErrorBox {
    /// The box for `err`.
    pub fn of(err: &ApiError) -> Self {
        let problem = err.problem("");
        Self {
            title: problem.title.to_owned(),
            detail: problem.detail,
            fields: problem
                .errors
                .into_iter()
                .map(|e| (e.field, e.message))
                .collect(),
        }
    }
}

/// A secret the merchant must copy now: it is never shown again.
pub struct SecretBox {
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    csrf: String,
    link_token: Option<&'a str>,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    c: &'a Chrome,
    text: &'a str,
}

/// The overview page.
#[derive(Template)]
#[template(path = "overview.html")]
pub struct OverviewPage {
    pub c: Chrome,
    pub currencies: Vec<CurrencyView>,
    pub first_day: String,
    pub last_day: String,
    pub truncated: bool,
}

/// One currency's 30 days.
pub struct CurrencyView {
    pub code: &'static str,
    pub volume: String,
    pub paid: u32,
    pub created: u32,
    pub conversion: String,
    pub volume_chart: BarChart,
    pub conversion_chart: BarChart,
    pub rows: Vec<DayRow>,
}

/// One day's figures, as the table under the charts lists them.
pub struct DayRow {
    pub date: String,
    pub created: u32,
    pub paid: u32,
    pub volume: String,
    pub conversion: String,
}

/// The sessions page.
#[derive(Template)]
#[template(path = "sessions.html")]
pub struct SessionsPage {
    pub c: Chrome,
    pub q: String,
    pub from: String,
    pub to: String,
    /// `(value, selected)` of the status filter.
    pub statuses: Vec<(&'static str, bool)>,
    pub rows: Vec<SessionRow>,
    /// The next page's address.
    pub next: Option<String>,
    /// What the list shows, in words.
    pub summary: String,
}

/// One session in the list.
pub struct SessionRow {
    pub id: String,
    pub created: String,
    pub reference: String,
    pub order_id: String,
    pub email: String,
    pub amount: String,
    pub status: &'static str,
}

/// A session's page.
#[derive(Template)]
#[template(path = "session.html")]
pub struct SessionPage {
    pub c: Chrome,
    pub id: String,
    pub status: &'static str,
    /// `(label, value)` of what is known of it.
    pub facts: Vec<(&'static str, String)>,
    pub timeline: Vec<TimelineEntry>,
    /// Left to refund, with its currency; none when nothing can be.
    pub refundable: Option<String>,
    pub currency: &'static str,
    pub can_cancel: bool,
    /// Makes a double-submitted refund form one refund.
    pub idempotency_key: String,
    pub back: String,
}

/// One moment of a session's life.
pub struct TimelineEntry {
    pub at: String,
    pub what: String,
    pub event: Option<EventView>,
}

/// An event and where it went.
pub struct EventView {
    pub id: String,
    pub kind: &'static str,
    pub created: String,
    pub status: &'static str,
    pub session_id: Option<String>,
    pub deliveries: Vec<DeliveryView>,
}

/// One target's delivery of an event.
pub struct DeliveryView {
    pub target: String,
    pub status: &'static str,
    pub next_attempt: Option<String>,
    pub attempts: Vec<AttemptView>,
}

/// One try to deliver.
pub struct AttemptView {
    pub at: String,
    pub code: String,
    pub duration: String,
    pub error: String,
}

/// The webhook endpoints page.
#[derive(Template)]
#[template(path = "webhooks.html")]
pub struct WebhooksPage {
    pub c: Chrome,
    pub endpoints: Vec<EndpointView>,
    pub events: Vec<EventView>,
    /// `(type, checked)` for the new endpoint form.
    pub types: Vec<(&'static str, bool)>,
    pub back: String,
}

/// One endpoint with its forms.
pub struct EndpointView {
    pub id: String,
    pub url: String,
    pub description: String,
    pub enabled: bool,
    pub status_text: String,
    pub events_text: String,
    /// `(type, checked)`; every one unchecked when it takes all.
    pub types: Vec<(&'static str, bool)>,
    pub all: bool,
    pub rotating_until: Option<String>,
}

/// The API keys page.
#[derive(Template)]
#[template(path = "keys.html")]
pub struct KeysPage {
    pub c: Chrome,
    pub keys: Vec<KeyView>,
}

/// One key.
pub struct KeyView {
    pub id: String,
    pub name: String,
    pub scope: &'static str,
    pub hint: String,
    pub status: String,
    pub created: String,
    pub last_used: String,
    pub current: bool,
}

/// The settings page.
#[derive(Template)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    pub c: Chrome,
    pub display_name: String,
    pub brand_color: String,
    /// `(code, selected)`.
    pub locales: Vec<(&'static str, bool)>,
    pub success_url: String,
    pub cancel_url: String,
    pub terms_url: String,
    pub preview_src: String,
}

/// An instant as the dashboard shows it: UTC to the minute.
pub fn when(at: Timestamp) -> String {
    let text = at.to_string();
    match (text.get(..10), text.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => text,
    }
}

/// The page of `template` with `status`.
pub fn page<T: Template>(status: StatusCode, template: &T, script: Option<&str>) -> Response<Body> {
    let body = template.render().unwrap_or_else(|err| {
        tracing::error!(error = %err, "dashboard template failed");
        "<!doctype html><html lang=\"en\"><title>Error</title><p>Something went wrong.</p></html>"
            .to_owned()
    });
    html(status, body, script)
}

fn html(status: StatusCode, body: String, script: Option<&str>) -> Response<Body> {
    let script_src = script
        .map(|script| format!("script-src 'sha256-{}'; ", source_hash(script)))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'none'; {script_src}style-src 'sha256-{}'; img-src data:; frame-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        source_hash(STYLE)
    );
    html_page(status, body, &policy)
}

/// The stylesheet, for the templates.
pub(crate) fn style() -> &'static str {
    STYLE
}

/// The sign-in page (with a one-time link's token, to confirm it), and the anti-forgery cookie
/// its form needs when the browser holds none.
pub fn sign_in(
    key: &UseKey,
    link_token: Option<&str>,
    error: Option<&str>,
    held: Option<&str>,
) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    let nonce = cookies::sign_in_nonce(&mut response, held);
    let page = SignInPage {
        csrf: sign_in_token(key.signing(), &nonce),
        link_token,
        error,
    };
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let mut rendered = self::page(status, &page, None);
    for cookie in response.headers().get_all("set-cookie") {
        rendered.headers_mut().append("set-cookie", cookie.clone());
    }
    rendered
}

/// The sign-in page again, saying why the last try failed, with `status`.
pub fn sign_in_refused(
    key: &UseKey,
    status: StatusCode,
    why: &str,
    held: Option<&str>,
) -> Response<Body> {
    let mut response = sign_in(key, None, Some(why), held);
    *response.status_mut() = status;
    response
}

/// A 303 to `location`.
pub fn redirect(location: &str) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
        .headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    response
}

/// A page saying `text`, with `status`.
pub fn message(status: StatusCode, chrome: &Chrome, text: &str) -> Response<Body> {
    page(status, &MessagePage { c: chrome, text }, None)
}

/// 404.
pub fn not_found(chrome: &Chrome) -> Response<Body> {
    message(
        StatusCode::NOT_FOUND,
        chrome,
        "There is nothing here for this account.",
    )
}

/// 403, nothing changed.
pub fn forbidden(chrome: &Chrome, text: &str) -> Response<Body> {
    message(StatusCode::FORBIDDEN, chrome, text)
}

/// 401 to a form sent without a working session.
pub fn unauthenticated() -> Response<Body> {
    let mut response = html(
        StatusCode::UNAUTHORIZED,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signed out</title></head><body><main><h1>Signed out</h1><p>Your dashboard session has ended, so nothing was changed. <a href=\"/dashboard/\">Sign in again</a>.</p></main></body></html>".to_owned(),
        None,
    );
    response
        .headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    response
}

/// What a failure of the table or of the code shows.
pub fn failure(err: &ApiError) -> Response<Body> {
    let status = err.status();
    html(
        status,
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error</title></head><body><main><h1>Something went wrong</h1><p>{}</p><p><a href=\"/dashboard/\">Back to the dashboard</a></p></main></body></html>",
            if status.is_server_error() {
                "The dashboard could not finish this request. Nothing you did is lost: try again in a moment."
            } else {
                "This request could not be understood."
            }
        ),
        None,
    )
}
