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
use checkout_domain::values::{FieldType, Locale, Origin, PaymentMethod, Requirement};
use lambda_http::http::StatusCode;
use lambda_http::http::header::{HeaderValue, LOCATION};
use lambda_http::{Body, Response};

use crate::i18n::Texts;

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

/// One input the page collects besides payment (SPEC §20), as the template shows it.
struct Input {
    /// The form name, e.g. `billingAddress.line1`.
    name: String,
    /// The id part after the form's prefix.
    id: String,
    label: String,
    /// `text`, `tel`, `numeric`, `select` or `checkbox`.
    kind: &'static str,
    value: String,
    /// A dropdown's `(value, label, selected)`.
    options: Vec<(String, String, bool)>,
    required: bool,
    error: Option<String>,
    autocomplete: &'static str,
}

/// The inputs `model`'s session collects, labelled in `tr`'s language, filled with what the payer
/// typed and marked where they were refused.
fn inputs(model: &PageModel, tr: Texts) -> Vec<Input> {
    let Some(collect) = &model.session.collect else {
        return Vec::new();
    };
    let kept = |name: &str| {
        model
            .kept
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let input = |name: &str, label: String, kind, required, autocomplete| Input {
        name: name.to_owned(),
        id: name.replace('.', "-"),
        label,
        kind,
        value: kept(name),
        options: Vec::new(),
        required,
        error: model.field_errors.get(name).map(|id| tr.t(id)),
        autocomplete,
    };
    let mut inputs = Vec::new();
    if let Some(phone) = collect.phone {
        let required = phone == Requirement::Required;
        let label = if required {
            tr.t("phone")
        } else {
            tr.t1("optional-field", "label", &tr.t("phone"))
        };
        inputs.push(input("phone", label, "tel", required, "tel"));
    }
    if let Some(address) = collect.billing_address {
        let required = address == Requirement::Required;
        let line1 = tr.t(if required {
            "billing-address"
        } else {
            "billing-address-optional"
        });
        for (name, label, required, autocomplete) in [
            ("line1", line1, required, "billing address-line1"),
            (
                "line2",
                tr.t("address-line2"),
                false,
                "billing address-line2",
            ),
            ("city", tr.t("city"), required, "billing address-level2"),
            (
                "postalCode",
                tr.t("postal-code"),
                required,
                "billing postal-code",
            ),
            ("country", tr.t("country"), required, "billing country"),
        ] {
            inputs.push(input(
                &format!("billingAddress.{name}"),
                label,
                "text",
                required,
                autocomplete,
            ));
        }
    }
    for field in &collect.custom_fields {
        let name = format!("customFields.{}", field.key);
        let label = if field.optional {
            tr.t1("optional-field", "label", &field.label)
        } else {
            field.label.clone()
        };
        let kind = match field.kind {
            FieldType::Text => "text",
            FieldType::Numeric => "numeric",
            FieldType::Dropdown => "select",
        };
        let mut custom = input(&name, label, kind, !field.optional, "off");
        custom.options = field
            .options
            .iter()
            .map(|o| (o.value.clone(), o.label.clone(), o.value == custom.value))
            .collect();
        inputs.push(custom);
    }
    if collect.terms_of_service.is_some() {
        inputs.push(input(
            "termsOfService",
            String::new(),
            "checkbox",
            true,
            "off",
        ));
    }
    inputs
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
    state: &'static str,
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
    let session = &model.session;
    let brand = brand_color(model.merchant.brand_color.as_deref());
    let style = render(&Style {
        brand,
        on_brand: text_on(brand),
    });
    let (state, headline, detail, status) = match model.status {
        SessionStatus::Pending if session.awaiting_authentication.is_some() => (
            "challenge",
            "challenge-headline",
            "challenge-detail",
            StatusCode::OK,
        ),
        SessionStatus::Pending => ("pay", "", "", StatusCode::OK),
        SessionStatus::Processing => (
            "processing",
            "processing-headline",
            "processing-detail",
            StatusCode::OK,
        ),
        SessionStatus::Completed => ("done", "paid-headline", "paid-detail", StatusCode::OK),
        SessionStatus::Refunded => (
            "done",
            "refunded-headline",
            "refunded-detail",
            StatusCode::OK,
        ),
        SessionStatus::Expired => (
            "ended",
            "expired-headline",
            "expired-detail",
            StatusCode::GONE,
        ),
        SessionStatus::Cancelled => (
            "ended",
            "cancelled-headline",
            "cancelled-detail",
            StatusCode::OK,
        ),
        SessionStatus::Failed => ("ended", "failed-headline", "failed-detail", StatusCode::OK),
    };
    let recovery_url = session.recovery_url(model.now, "");
    let detail = if recovery_url.is_some() {
        "recoverable-detail"
    } else {
        detail
    };
    let merchant = model.merchant.display_name.as_str();
    let amount = tr.money(session.amount, session.currency);
    let lines: Vec<Line> = session
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
        .collect();
    let subtotal = (lines.len() > 1).then(|| amount.clone());
    let seconds_left = session.expires_at.since(model.now).whole_seconds().max(0);
    let error = model.error.as_deref();
    let page = CheckoutPage {
        tr,
        title: tr.with(
            "page-title",
            &[
                ("merchant", merchant.to_owned().into()),
                ("amount", amount.clone().into()),
            ],
        ),
        style: &style,
        merchant,
        initial: merchant.chars().take(1).collect(),
        shop_url: session
            .cancel_url
            .origin()
            .map(|o| format!("{}/", o.as_ref())),
        description: session.description.as_ref().map(AsRef::as_ref),
        reference: &session.reference,
        lines,
        subtotal,
        state,
        headline: if headline.is_empty() {
            String::new()
        } else {
            tr.t(headline)
        },
        detail: if detail.is_empty() {
            String::new()
        } else {
            tr.t(detail)
        },
        paid_summary: session
            .payment
            .as_ref()
            .filter(|_| state == "done")
            .and_then(|payment| {
                let on = session.completed_at.or(session.processing_at)?;
                paid_summary(tr, &amount, payment, on)
            }),
        ended_on: match model.status {
            SessionStatus::Cancelled => session.cancelled_at,
            SessionStatus::Failed => session.failed_at,
            SessionStatus::Expired => session.expired_at.or(Some(session.expires_at)),
            SessionStatus::Refunded => session.refunded_at,
            _ => None,
        }
        .map(|at| tr.date(at)),
        recovery_url,
        time_left: time_left(tr, seconds_left),
        seconds_left,
        countdown_format: tr.t1("expires-in", "time", "{}"),
        script: PAGE_SCRIPT,
        number_error: model.field_errors.get("cardNumber").map(|id| tr.t(id)),
        expiry_error: model.field_errors.get("cardExpiry").map(|id| tr.t(id)),
        cvc_error: model.field_errors.get("cardCvc").map(|id| tr.t(id)),
        declined: error.is_some_and(|id| id.starts_with("decline-")),
        error: error.map(|id| tr.t(id)),
        notice: model.notice.as_deref().map(|id| tr.t(id)),
        attempts_left: MAX_DECLINES.saturating_sub(session.decline_count),
        session_id: session.id.as_str(),
        token: &session.form_token,
        version: session.version,
        card: session.payment_methods.contains(&PaymentMethod::Card),
        crypto: session.payment_methods.contains(&PaymentMethod::Crypto),
        quotes: quotes
            .iter()
            .map(|quote| Quote {
                code: quote.asset.code(),
                amount: tr.number(&quote.asset_amount.to_string()),
                network: quote.network,
            })
            .collect(),
        challenge_card: session
            .awaiting_authentication
            .as_ref()
            .and_then(|card| card.last4.clone()),
        deposit: deposit(tr, session.payment.as_ref()).filter(|_| state == "processing"),
        continue_url: (state == "processing")
            .then(|| redirect_url(&session.success_url, &session.id, SessionStatus::Processing)),
        inputs: inputs(model, tr),
        terms_url: model.merchant.terms_url.as_ref().map(AsRef::as_ref),
        card_name: http::first_value(&model.kept, "cardName").to_owned(),
        amount,
    };
    let status = if model.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if model.notice.is_some() {
        StatusCode::CONFLICT
    } else {
        status
    };
    let targets: Vec<Origin> = [session.success_url.origin(), session.cancel_url.origin()]
        .into_iter()
        .flatten()
        .collect();
    let script = (state == "pay").then_some(PAGE_SCRIPT);
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
