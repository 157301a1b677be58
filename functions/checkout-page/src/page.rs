//! Rendering: the checkout page and its small siblings, in the payer's language, with the
//! security headers of SPEC §9.

use askama::Template;
use checkout_api::http;
use checkout_api::page_policy::{content_security_policy, html_page, preview_security_policy};
use checkout_api::payments::CryptoQuote;
use checkout_api::service::hosted_checkout::{MAX_DECLINES, PageModel, redirect_url};
use checkout_domain::merchant::is_brand_color;
use checkout_domain::session::{PaymentDetails, SessionStatus};
use checkout_domain::timestamp::Timestamp;
use checkout_domain::values::{Locale, Origin, PaymentMethod};
use lambda_http::http::StatusCode;
use lambda_http::http::header::{HeaderValue, LOCATION};
use lambda_http::{Body, Response};

use crate::i18n::Texts;
use crate::inputs::{Input, inputs};
use crate::state::{PageState, Shown};

/// The stylesheet, inlined so the page needs no second request; its hash goes in the CSP.
#[derive(Template)]
#[template(path = "checkout.css", escape = "none")]
struct Style<'a> {
    brand: &'a str,
    on_brand: &'a str,
}

/// The pay page's one script, allowed by its hash in the CSP. It counts the last hour down every
/// second from the time left the server said (so that neither clock's skew matters) and loads
/// the page again when it runs out; without JavaScript the page shows the time left when it was
/// served. And when the payer comes Back to the page (from the back/forward cache, or with the
/// browser refilling its form), it empties the card fields and, from the cache, loads the page
/// as it is now: a paid session shows it is paid, and no card number waits behind a Pay button.
const PAGE_SCRIPT: &str = "(function () {\
window.addEventListener('pageshow', function (e) {\
var nav = window.performance && performance.getEntriesByType ? performance.getEntriesByType('navigation')[0] : null;\
if (!e.persisted && !(nav && nav.type === 'back_forward')) { return; }\
['cardNumber', 'cardExpiry', 'cardCvc'].forEach(function (id) { var f = document.getElementById(id); if (f) { f.value = ''; } });\
if (e.persisted) { window.location.replace(window.location.pathname); }\
});\
var el = document.getElementById('countdown');\
if (!el) { return; }\
var left = Number(el.getAttribute('data-left'));\
if (!(left > 0)) { return; }\
var end = Date.now() + left * 1000;\
var format = el.getAttribute('data-format');\
function tick() {\
var s = Math.max(0, Math.ceil((end - Date.now()) / 1000));\
if (s === 0) { window.location.replace(window.location.pathname); return; }\
if (s > 3600) { window.setTimeout(tick, Math.min(s - 3600, 3600) * 1000); return; }\
var m = Math.floor(s / 60), r = s % 60;\
el.textContent = format.replace('{}', m + ':' + (r < 10 ? '0' : '') + r);\
window.setTimeout(tick, 1000);\
}\
tick();\
})();";

/// One asset the payer can pay in, at its locked rate.
struct Quote {
    code: &'static str,
    amount: String,
    network: &'static str,
}

/// A crypto payment waiting for its confirmations.
struct Deposit {
    asset_amount: String,
    network: String,
    address: String,
    tx_hash: String,
    confirmations: String,
}

struct Line {
    name: String,
    description: Option<String>,
    quantity: String,
    unit: String,
    total: String,
}

#[derive(Template)]
#[template(path = "checkout.html")]
struct CheckoutPage<'a> {
    tr: Texts,
    title: String,
    style: &'a str,
    merchant: &'a str,
    initial: String,
    shop_url: Option<String>,
    amount: String,
    description: Option<&'a str>,
    reference: &'a str,
    lines: Vec<Line>,
    subtotal: Option<String>,
    state: PageState,
    headline: String,
    detail: String,
    paid_summary: Option<String>,
    ended_on: Option<String>,
    recovery_url: Option<String>,
    time_left: String,
    seconds_left: i64,
    countdown_format: String,
    script: &'static str,
    error: Option<String>,
    number_error: Option<String>,
    expiry_error: Option<String>,
    cvc_error: Option<String>,
    declined: bool,
    notice: Option<String>,
    attempts_left: u32,
    session_id: &'a str,
    token: &'a str,
    version: u32,
    card: bool,
    crypto: bool,
    quotes: Vec<Quote>,
    challenge_card: Option<String>,
    deposit: Option<Deposit>,
    continue_url: Option<String>,
    inputs: Vec<Input>,
    terms_url: Option<&'a str>,
    card_name: String,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    lang: &'static str,
    style: &'a str,
    title: &'a str,
    text: &'a str,
}

/// `#RRGGBB` of the merchant, or our default.
fn brand_color(color: Option<&str>) -> &str {
    color.filter(|c| is_brand_color(c)).unwrap_or("#3b4cca")
}

/// Black or white, whichever reads better on `color` (WCAG relative luminance).
fn text_on(color: &str) -> &'static str {
    let channel = |i: usize| {
        let v = f64::from(u8::from_str_radix(&color[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    if luminance > 0.179 {
        "#111111"
    } else {
        "#ffffff"
    }
}

fn time_left(tr: Texts, seconds: i64) -> String {
    let minutes = (seconds / 60).max(0);
    let (days, hours, minutes) = (minutes / 60 / 24, minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) if minutes == 0 => tr.t("time-under-minute"),
        (0, 0) => tr.with("time-minutes", &[("minutes", minutes.into())]),
        (0, hours) => tr.with(
            "time-hours",
            &[("hours", hours.into()), ("minutes", minutes.into())],
        ),
        (days, hours) => tr.with(
            "time-days",
            &[("days", days.into()), ("hours", hours.into())],
        ),
    }
}

fn html(
    status: StatusCode,
    body: String,
    style: &str,
    script: Option<&str>,
    form_targets: &[Origin],
) -> Response<Body> {
    let csp = content_security_policy(style, script, form_targets);
    let mut response = html_page(status, body, &csp);
    let headers = response.headers_mut();
    // The page's language follows the payer's Accept-Language when the session leaves it open.
    headers.insert("vary", HeaderValue::from_static("accept-language"));
    response
}

fn render<T: Template>(template: &T) -> String {
    template.render().unwrap_or_else(|_| {
        "<!doctype html><title>Error</title><p>Something went wrong.</p>".to_owned()
    })
}

fn deposit(tr: Texts, payment: Option<&PaymentDetails>) -> Option<Deposit> {
    let payment = payment?;
    Some(Deposit {
        asset_amount: format!(
            "{} {}",
            tr.number(&payment.asset_amount?.to_string()),
            payment.asset?.code()
        ),
        network: payment.network.clone()?,
        address: payment.deposit_address.clone()?,
        tx_hash: payment.tx_hash.clone()?,
        confirmations: tr.with(
            "confirmations-of",
            &[
                ("seen", payment.confirmations.unwrap_or(0).into()),
                ("required", payment.confirmations_required?.into()),
            ],
        ),
    })
}

/// What a paid session was paid with, in words.
fn paid_summary(
    tr: Texts,
    amount: &str,
    payment: &PaymentDetails,
    on: Timestamp,
) -> Option<String> {
    let date = tr.date(on);
    match (&payment.brand, &payment.last4, payment.asset) {
        (Some(brand), Some(last4), _) => Some(tr.with(
            "paid-with-card",
            &[
                ("amount", amount.to_owned().into()),
                ("brand", capitalized(brand).into()),
                ("last4", last4.clone().into()),
                ("date", date.into()),
            ],
        )),
        (_, _, Some(asset)) => Some(tr.with(
            "paid-with-crypto",
            &[
                ("amount", amount.to_owned().into()),
                ("asset", asset.code().into()),
                ("date", date.into()),
            ],
        )),
        _ => None,
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The language of `model`'s page for a payer whose browser sends `accept_language`: the
/// session's, else the account's, else the browser's.
pub fn language(model: &PageModel, accept_language: Option<&str>) -> Locale {
    model
        .session
        .locale
        .or(model.merchant.locale)
        .unwrap_or_default()
        .resolve(accept_language)
}

/// Where a checkout page is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// To the payer, on its own: never framed, its forms posting to us and the shop.
    Payer,
    /// Inside the dashboard's settings: framed by our pages only, its forms posting nowhere.
    Preview,
}

/// The checkout page of `model` in `locale`: the form while it can be paid (with the crypto
/// `quotes`), its state otherwise.
pub fn checkout(model: &PageModel, quotes: &[CryptoQuote], locale: Locale) -> Response<Body> {
    checkout_at(model, quotes, locale, Placement::Payer)
}

/// The checkout page of `model` (stored nowhere) as the dashboard previews it in `locale`.
pub fn preview(model: &PageModel, locale: Locale) -> Response<Body> {
    checkout_at(model, &[], locale, Placement::Preview)
}

fn checkout_at(
    model: &PageModel,
    quotes: &[CryptoQuote],
    locale: Locale,
    placement: Placement,
) -> Response<Body> {
    let tr = Texts::new(locale);
    let brand = brand_color(model.merchant.brand_color.as_deref());
    let style = render(&Style {
        brand,
        on_brand: text_on(brand),
    });
    let shown = Shown::of(model);
    let page = CheckoutPage::of(model, quotes, tr, shown, &style);
    let session = &model.session;
    let targets: Vec<Origin> = [session.success_url.origin(), session.cancel_url.origin()]
        .into_iter()
        .flatten()
        .collect();
    let script = (shown.state == PageState::Pay).then_some(PAGE_SCRIPT);
    let status = shown.status_of(model);
    match placement {
        Placement::Payer => html(status, render(&page), &style, script, &targets),
        Placement::Preview => {
            let csp = preview_security_policy(&style, script);
            let mut response = html_page(status, render(&page), &csp);
            let headers = response.headers_mut();
            headers.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
            headers.insert("vary", HeaderValue::from_static("accept-language"));
            response
        }
    }
}

impl<'a> CheckoutPage<'a> {
    /// The page of `model` in `tr`'s language as `shown`, with its stylesheet.
    fn of(
        model: &'a PageModel,
        quotes: &[CryptoQuote],
        tr: Texts,
        shown: Shown,
        style: &'a str,
    ) -> Self {
        let session = &model.session;
        let merchant = model.merchant.display_name.as_str();
        let amount = tr.money(session.amount, session.currency);
        let lines = summary_lines(model, tr);
        let seconds_left = session.expires_at.since(model.now).whole_seconds().max(0);
        let error = model.error.as_deref();
        let field_error = |name: &str| model.field_errors.get(name).map(|id| tr.t(id));
        let state = shown.state;
        Self {
            tr,
            title: tr.with(
                "page-title",
                &[
                    ("merchant", merchant.to_owned().into()),
                    ("amount", amount.clone().into()),
                ],
            ),
            style,
            merchant,
            initial: merchant.chars().take(1).collect(),
            shop_url: session
                .cancel_url
                .origin()
                .map(|o| format!("{}/", o.as_ref())),
            description: session.description.as_ref().map(AsRef::as_ref),
            reference: &session.reference,
            subtotal: (lines.len() > 1).then(|| amount.clone()),
            lines,
            state,
            headline: shown.headline.map(|id| tr.t(id)).unwrap_or_default(),
            detail: shown.detail.map(|id| tr.t(id)).unwrap_or_default(),
            paid_summary: paid_summary_of(model, tr, &amount).filter(|_| state == PageState::Done),
            ended_on: ended_on(model).map(|at| tr.date(at)),
            recovery_url: session.recovery_url(model.now, ""),
            time_left: time_left(tr, seconds_left),
            seconds_left,
            countdown_format: tr.t1("expires-in", "time", "{}"),
            script: PAGE_SCRIPT,
            number_error: field_error("cardNumber"),
            expiry_error: field_error("cardExpiry"),
            cvc_error: field_error("cardCvc"),
            declined: error.is_some_and(|id| id.starts_with("decline-")),
            error: error.map(|id| tr.t(id)),
            notice: model.notice.as_deref().map(|id| tr.t(id)),
            attempts_left: MAX_DECLINES.saturating_sub(session.decline_count),
            session_id: session.id.as_str(),
            token: &session.form_token,
            version: session.version,
            card: session.payment_methods.contains(&PaymentMethod::Card),
            crypto: session.payment_methods.contains(&PaymentMethod::Crypto),
            quotes: quotes.iter().map(|quote| Quote::of(quote, tr)).collect(),
            challenge_card: session
                .awaiting_authentication
                .as_ref()
                .and_then(|card| card.last4.clone()),
            deposit: deposit(tr, session.payment.as_ref())
                .filter(|_| state == PageState::Processing),
            continue_url: (state == PageState::Processing).then(|| {
                redirect_url(&session.success_url, &session.id, SessionStatus::Processing)
            }),
            inputs: inputs(model, tr),
            terms_url: model.merchant.terms_url.as_ref().map(AsRef::as_ref),
            card_name: http::first_value(&model.kept, "cardName").to_owned(),
            amount,
        }
    }
}

impl Quote {
    fn of(quote: &CryptoQuote, tr: Texts) -> Self {
        Self {
            code: quote.asset.code(),
            amount: tr.number(&quote.asset_amount.to_string()),
            network: quote.network,
        }
    }
}

/// The order summary's rows, in the payer's formats.
fn summary_lines(model: &PageModel, tr: Texts) -> Vec<Line> {
    let session = &model.session;
    session
        .line_items
        .iter()
        .map(|item| Line {
            name: item.name.as_ref().to_owned(),
            description: item.description.as_ref().map(|d| d.as_ref().to_owned()),
            quantity: tr.number(&item.quantity.to_string()),
            unit: tr.money(item.unit_amount, session.currency),
            total: item
                .total()
                .map(|t| tr.money(t, session.currency))
                .unwrap_or_default(),
        })
        .collect()
}

/// How a paid session was paid, in words, when it was.
fn paid_summary_of(model: &PageModel, tr: Texts, amount: &str) -> Option<String> {
    let session = &model.session;
    let payment = session.payment.as_ref()?;
    let on = session.completed_at.or(session.processing_at)?;
    paid_summary(tr, amount, payment, on)
}

/// When a session that ended (or was refunded) did so.
fn ended_on(model: &PageModel) -> Option<Timestamp> {
    let session = &model.session;
    match model.status {
        SessionStatus::Cancelled => session.cancelled_at,
        SessionStatus::Failed => session.failed_at,
        SessionStatus::Expired => session.expired_at.or(Some(session.expires_at)),
        SessionStatus::Refunded => session.refunded_at,
        _ => None,
    }
}

/// A short page with a title and a sentence, both message ids of `locale` (`merchant` fills a
/// `{ $merchant }` in the sentence).
pub fn message(
    status: StatusCode,
    locale: Locale,
    title: &str,
    text: &str,
    merchant: &str,
) -> Response<Body> {
    let tr = Texts::new(locale);
    let style = render(&Style {
        brand: brand_color(None),
        on_brand: "#ffffff",
    });
    let title = tr.t(title);
    let text = tr.t1(text, "merchant", merchant);
    html(
        status,
        render(&MessagePage {
            lang: tr.lang(),
            style: &style,
            title: &title,
            text: &text,
        }),
        &style,
        None,
        &[],
    )
}

/// `303 See Other` to `location`.
pub fn redirect(location: &str) -> Response<Body> {
    let mut response = html(StatusCode::SEE_OTHER, String::new(), "", None, &[]);
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_text_contrasts_with_the_brand_colour() {
        assert_eq!(text_on("#ffd700"), "#111111");
        assert_eq!(text_on("#3b4cca"), "#ffffff");
        assert_eq!(brand_color(Some("red")), "#3b4cca");
    }
}
