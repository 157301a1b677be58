//! Rendering: the checkout page and its small siblings, with the security headers of SPEC §9.

use askama::Template;
use checkout_api::page_policy::content_security_policy;
use checkout_api::payments::CryptoQuote;
use checkout_api::service::hosted_checkout::{MAX_DECLINES, PageModel, redirect_url};
use checkout_domain::merchant::is_brand_color;
use checkout_domain::money::{Amount, Currency};
use checkout_domain::session::PaymentDetails;
use checkout_domain::session::SessionStatus;
use checkout_domain::values::{FieldType, Origin, PaymentMethod, Requirement};
use lambda_http::http::StatusCode;
use lambda_http::http::header::{HeaderValue, LOCATION};
use lambda_http::{Body, Response};

/// The stylesheet, inlined so the page needs no second request; its hash goes in the CSP.
#[derive(Template)]
#[template(path = "checkout.css", escape = "none")]
struct Style<'a> {
    brand: &'a str,
    on_brand: &'a str,
}

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
    confirmations: u32,
    confirmations_required: u32,
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
    error: Option<&'static str>,
    autocomplete: &'static str,
}

/// The inputs `model`'s session collects, filled with what the payer typed and marked where
/// they were refused.
fn inputs(model: &PageModel) -> Vec<Input> {
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
    let input = |name: &str, label: &str, kind, required, autocomplete| Input {
        name: name.to_owned(),
        id: name.replace('.', "-"),
        label: label.to_owned(),
        kind,
        value: kept(name),
        options: Vec::new(),
        required,
        error: model.field_errors.get(name).copied(),
        autocomplete,
    };
    let mut inputs = Vec::new();
    if let Some(phone) = collect.phone {
        inputs.push(input(
            "phone",
            "Phone",
            "tel",
            phone == Requirement::Required,
            "tel",
        ));
    }
    if let Some(address) = collect.billing_address {
        let required = address == Requirement::Required;
        let line1 = if required {
            "Billing address"
        } else {
            "Billing address (optional)"
        };
        for (name, label, required, autocomplete) in [
            ("line1", line1, required, "billing address-line1"),
            (
                "line2",
                "Address line 2 (optional)",
                false,
                "billing address-line2",
            ),
            ("city", "City", required, "billing address-level2"),
            ("postalCode", "Postal code", required, "billing postal-code"),
            (
                "country",
                "Country code (e.g. DE)",
                required,
                "billing country",
            ),
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
            format!("{} (optional)", field.label)
        } else {
            field.label.clone()
        };
        let kind = match field.kind {
            FieldType::Text => "text",
            FieldType::Numeric => "numeric",
            FieldType::Dropdown => "select",
        };
        let mut custom = input(&name, &label, kind, !field.optional, "off");
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
            "I accept the terms of service",
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
    quantity: u32,
    total: String,
}

#[derive(Template)]
#[template(path = "checkout.html")]
struct CheckoutPage<'a> {
    style: &'a str,
    merchant: &'a str,
    initial: String,
    amount: String,
    description: Option<&'a str>,
    reference: &'a str,
    lines: Vec<Line>,
    state: &'static str,
    headline: &'static str,
    detail: String,
    recovery_url: Option<String>,
    time_left: String,
    error: Option<&'a str>,
    notice: Option<&'a str>,
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

/// `$1,234.50`, `¥1,000`, `€10.50`.
pub fn format_money(amount: Amount, currency: Currency) -> String {
    let symbol = match currency {
        Currency::Usd => "$",
        Currency::Eur => "€",
        Currency::Gbp => "£",
        Currency::Aud => "A$",
        Currency::Cad => "C$",
        Currency::Jpy => "¥",
    };
    let text = amount.to_string();
    let (integer, fraction) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, digit) in integer.chars().enumerate() {
        if i > 0 && (integer.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(fraction) => format!("{symbol}{grouped}.{fraction}"),
        None => format!("{symbol}{grouped}"),
    }
}

fn time_left(seconds: i64) -> String {
    let minutes = (seconds / 60).max(0);
    match (minutes / 60 / 24, minutes / 60 % 24, minutes % 60) {
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

fn html(status: StatusCode, body: String, style: &str, form_targets: &[Origin]) -> Response<Body> {
    let csp = content_security_policy(style, form_targets);
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert("content-security-policy", value);
    }
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    response
}

fn render<T: Template>(template: &T) -> String {
    template.render().unwrap_or_else(|_| {
        "<!doctype html><title>Error</title><p>Something went wrong.</p>".to_owned()
    })
}

fn deposit(payment: Option<&PaymentDetails>) -> Option<Deposit> {
    let payment = payment?;
    Some(Deposit {
        asset_amount: format!("{} {}", payment.asset_amount?, payment.asset?.code()),
        network: payment.network.clone()?,
        address: payment.deposit_address.clone()?,
        tx_hash: payment.tx_hash.clone()?,
        confirmations: payment.confirmations.unwrap_or(0),
        confirmations_required: payment.confirmations_required?,
    })
}

/// The checkout page of `model`: the form while it can be paid (with the crypto `quotes`), its
/// state otherwise.
pub fn checkout(model: &PageModel, quotes: &[CryptoQuote]) -> Response<Body> {
    let session = &model.session;
    let brand = brand_color(model.merchant.brand_color.as_deref());
    let style = render(&Style {
        brand,
        on_brand: text_on(brand),
    });
    let (state, headline, detail, status) = match model.status {
        SessionStatus::Pending if session.awaiting_authentication.is_some() => (
            "challenge",
            "Confirm this payment with your bank",
            "Test mode: this card asks for 3-D Secure. Approve to pay, or fail the check to see a decline."
                .to_owned(),
            StatusCode::OK,
        ),
        SessionStatus::Pending => ("pay", "", String::new(), StatusCode::OK),
        SessionStatus::Processing => (
            "processing",
            "Payment sent, waiting for confirmations",
            "The shop is told as soon as the network confirms it. You can close this page."
                .to_owned(),
            StatusCode::OK,
        ),
        SessionStatus::Completed => (
            "done",
            "Payment received",
            "Thank you. You can close this page.".to_owned(),
            StatusCode::OK,
        ),
        SessionStatus::Refunded => (
            "done",
            "Payment refunded",
            "This payment was refunded.".to_owned(),
            StatusCode::OK,
        ),
        SessionStatus::Expired => (
            "ended",
            "This payment link has expired",
            "Return to the shop to start again.".to_owned(),
            StatusCode::GONE,
        ),
        SessionStatus::Cancelled => (
            "ended",
            "Payment cancelled",
            "Nothing was charged.".to_owned(),
            StatusCode::OK,
        ),
        SessionStatus::Failed => (
            "ended",
            "Payment failed",
            "The payment could not be completed. Nothing was charged.".to_owned(),
            StatusCode::OK,
        ),
    };
    let recovery_url = session.recovery_url(model.now, "");
    let detail = if recovery_url.is_some() {
        "You can start it again for the same order.".to_owned()
    } else {
        detail
    };
    let page = CheckoutPage {
        style: &style,
        merchant: &model.merchant.display_name,
        initial: model.merchant.display_name.chars().take(1).collect(),
        amount: format_money(session.amount, session.currency),
        description: session.description.as_ref().map(AsRef::as_ref),
        reference: &session.reference,
        lines: session
            .line_items
            .iter()
            .map(|item| Line {
                name: item.name.as_ref().to_owned(),
                description: item.description.as_ref().map(|d| d.as_ref().to_owned()),
                quantity: item.quantity,
                total: item
                    .total()
                    .map(|t| format_money(t, session.currency))
                    .unwrap_or_default(),
            })
            .collect(),
        state,
        headline,
        detail,
        recovery_url,
        time_left: time_left(session.expires_at.since(model.now).whole_seconds()),
        error: model.error.as_deref(),
        notice: model.notice,
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
                amount: quote.asset_amount.to_string(),
                network: quote.network,
            })
            .collect(),
        challenge_card: session
            .awaiting_authentication
            .as_ref()
            .and_then(|card| card.last4.clone()),
        deposit: deposit(session.payment.as_ref()).filter(|_| state == "processing"),
        continue_url: (state == "processing")
            .then(|| redirect_url(&session.success_url, &session.id, SessionStatus::Processing)),
        inputs: inputs(model),
        terms_url: model.merchant.terms_url.as_ref().map(AsRef::as_ref),
        card_name: model
            .kept
            .iter()
            .find(|(name, _)| name == "cardName")
            .map(|(_, value)| value.clone())
            .unwrap_or_default(),
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
    html(status, render(&page), &style, &targets)
}

/// A short page with a title and a sentence.
pub fn message(status: StatusCode, title: &str, text: &str) -> Response<Body> {
    let style = render(&Style {
        brand: brand_color(None),
        on_brand: "#ffffff",
    });
    html(
        status,
        render(&MessagePage {
            style: &style,
            title,
            text,
        }),
        &style,
        &[],
    )
}

/// `303 See Other` to `location`.
pub fn redirect(location: &str) -> Response<Body> {
    let mut response = html(StatusCode::SEE_OTHER, String::new(), "", &[]);
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_formatted_for_its_currency() {
        let amount = |text, currency| Amount::parse(text, currency).expect("valid");
        assert_eq!(
            format_money(amount("1234.5", Currency::Usd), Currency::Usd),
            "$1,234.50"
        );
        assert_eq!(
            format_money(amount("1000", Currency::Jpy), Currency::Jpy),
            "¥1,000"
        );
        assert_eq!(
            format_money(amount("999999.99", Currency::Eur), Currency::Eur),
            "€999,999.99"
        );
        assert_eq!(
            format_money(amount("0.50", Currency::Gbp), Currency::Gbp),
            "£0.50"
        );
    }

    #[test]
    fn button_text_contrasts_with_the_brand_colour() {
        assert_eq!(text_on("#ffd700"), "#111111");
        assert_eq!(text_on("#3b4cca"), "#ffffff");
        assert_eq!(brand_color(Some("red")), "#3b4cca");
    }
}
