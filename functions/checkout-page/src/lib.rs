//! The hosted checkout page: `GET /pay/{id}`, `POST /pay/{id}` (pay), `POST /pay/{id}/cancel`,
//! and `GET /pay/{id}/recover` (an expired session's recovery URL).
//! Server-rendered HTML from auto-escaping templates, in the payer's language; works without
//! JavaScript.

mod i18n;
mod inputs;
mod page;
mod state;

use checkout_api::cookies::{Cookie, SameSite};
use checkout_api::payments::PaymentProcessor;
use checkout_api::secrets::UseKey;
use checkout_api::service::dashboard;
use checkout_api::service::hosted_checkout::{self, Flash, PageModel, PageOutcome};
use checkout_api::{ApiError, App, http};
use checkout_domain::merchant::Merchant;
use checkout_domain::session::CheckoutSession;
use checkout_domain::values::Locale;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

/// Handles one page request.
pub async fn handle<P: PaymentProcessor>(
    app: &App,
    processor: &P,
    request: Request,
) -> Response<Body> {
    let exchange = http::Exchange::new(&request);
    if request.uri().path() == PREVIEW_PATH && request.method() == Method::GET {
        return exchange.finish_page(preview(app, &request).await, |err| {
            page::message(
                err.status(),
                Locale::En,
                "failure-title",
                "failure-text",
                "",
            )
        });
    }
    let accept_language = http::header(&request, "accept-language");
    // Pages with no session to take a language from speak the browser's.
    let browser = Locale::Auto.resolve(accept_language);
    let rendered = match route(app, processor, &request).await {
        Ok(outcome) => respond(app, processor, &request, outcome, browser).await,
        Err(err) => Err(err),
    };
    exchange.finish_page(rendered, |err| {
        page::message(err.status(), browser, "failure-title", "failure-text", "")
    })
}

/// The response that shows `outcome` to the payer, in `browser`'s language when it has no
/// session to take one from.
async fn respond<P: PaymentProcessor>(
    app: &App,
    processor: &P,
    request: &Request,
    outcome: PageOutcome,
    browser: Locale,
) -> Result<Response<Body>, ApiError> {
    let message = |status, title, text| page::message(status, browser, title, text, "");
    Ok(match outcome {
        // Redirect after every POST: the page a form leads back to is shown by a GET, so Back
        // and reload never send the form again; what it has to say travels in a cookie.
        PageOutcome::Show(model) if request.method() == Method::POST => {
            after_post(app, request, &model).await?
        }
        PageOutcome::Show(model) => shown(app, processor, request, model).await?,
        PageOutcome::Redirect(location) => page::redirect(&location),
        PageOutcome::NotFound => message(StatusCode::NOT_FOUND, "notfound-title", "notfound-text"),
        PageOutcome::RecoveryLapsed => message(StatusCode::GONE, "lapsed-title", "lapsed-text"),
        PageOutcome::Forbidden => {
            message(StatusCode::FORBIDDEN, "forbidden-title", "forbidden-text")
        }
        PageOutcome::MerchantInactive { display_name } => page::message(
            StatusCode::SERVICE_UNAVAILABLE,
            browser,
            "inactive-title",
            "inactive-text",
            &display_name,
        ),
    })
}

/// The redirect that answers a form, to the session's page, with what the form has to say in
/// the flash cookie.
async fn after_post(
    app: &App,
    request: &Request,
    model: &PageModel,
) -> Result<Response<Body>, ApiError> {
    let path = request.uri().path().trim_end_matches('/');
    let location = if path.ends_with("/cancel") {
        format!("../{}", model.session.id)
    } else {
        model.session.id.to_string()
    };
    let mut response = page::redirect(&location);
    if let Some(flash) = Flash::of(model) {
        let key = flash_key(app).await?;
        FLASH_COOKIE.set(&mut response, &flash.encode(key.signing()), FLASH_SECONDS);
    }
    Ok(response)
}

/// The session's page, with what the form before it had to say.
async fn shown<P: PaymentProcessor>(
    app: &App,
    processor: &P,
    request: &Request,
    mut model: Box<PageModel>,
) -> Result<Response<Body>, ApiError> {
    let flash = FLASH_COOKIE.read(request);
    if let Some(value) = flash {
        let key = flash_key(app).await?;
        if let Some(flash) = key
            .accepted()
            .find_map(|secret| Flash::decode(value, secret))
        {
            flash.apply_to(&mut model);
        }
    }
    let accept_language = http::header(request, "accept-language");
    let mut response = page::checkout(
        &model,
        &hosted_checkout::quotes(processor, &model.session),
        page::language(&model, accept_language),
    );
    if flash.is_some() {
        // Shown once: a reload shows the page as it is.
        FLASH_COOKIE.clear(&mut response);
    }
    Ok(response)
}

/// The cookie that carries a form's answer to the page it redirects to.
const FLASH_COOKIE: Cookie = Cookie::new("checkout_flash", "/", SameSite::Lax);

/// How long a refused form's messages wait for the page to show them.
const FLASH_SECONDS: i64 = 600;

/// The key flashes are signed with: derived from the deployment's cookie key, for this use
/// alone.
async fn flash_key(app: &App) -> Result<UseKey, ApiError> {
    Ok(app
        .config
        .secrets
        .cookies()
        .await?
        .for_use(b"checkout-page flash"))
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

/// The path of the dashboard's preview of this page (SPEC §19 settings), served here so that
/// the dashboard function does not carry the page's catalogs and CLDR data.
pub const PREVIEW_PATH: &str = "/dashboard/settings/preview";

/// `GET /dashboard/settings/preview?displayName=…&brandColor=…&locale=…`: for a signed-in
/// dashboard session (its cookie), this page for a sample order with the branding given; 404
/// to anyone else.
async fn preview(app: &App, request: &Request) -> Result<Response<Body>, ApiError> {
    let signed_in = match dashboard::SESSION_COOKIE.read(request) {
        Some(cookie) => dashboard::signed_in(app, cookie).await,
        None => Err(ApiError::NotFound),
    };
    let params = http::query_params(request);
    let shown = signed_in.and_then(|signed_in| dashboard::preview(app, &signed_in, &params));
    match shown {
        Ok((merchant, session)) => {
            let locale = merchant.locale.unwrap_or_default().resolve(None);
            Ok(preview_page(merchant, session, locale))
        }
        Err(err @ (ApiError::Unavailable(_) | ApiError::Internal(_) | ApiError::Contention)) => {
            Err(err)
        }
        // Whoever is not signed in, or sent what no preview shows, sees no page at all.
        Err(_) => Ok(page::message(
            StatusCode::NOT_FOUND,
            Locale::En,
            "notfound-title",
            "notfound-text",
            "",
        )),
    }
}

/// The checkout page of `session` (stored nowhere) for `merchant` in `locale`, as a payer would
/// see it: it may be framed by the dashboard and its forms post nowhere.
fn preview_page(merchant: Merchant, session: CheckoutSession, locale: Locale) -> Response<Body> {
    let model = PageModel {
        status: session.status,
        now: session.created_at,
        session,
        merchant,
        error: None,
        notice: None,
        field_errors: Default::default(),
        kept: Vec::new(),
    };
    page::preview(&model, locale)
}
