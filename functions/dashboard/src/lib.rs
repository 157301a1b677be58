//! The merchant dashboard (SPEC §19), under `/dashboard/`: sign-in with an API key or a one-time
//! link, then the overview, sessions, a session's timeline with refund and cancel, webhook
//! endpoints, API keys and settings. Server-rendered HTML from auto-escaping templates, usable
//! without JavaScript. Every read and change goes through the services the API calls.

mod charts;
mod cookies;
mod pages;
mod views;
mod visit;

use checkout_api::service::dashboard;
use checkout_api::{ApiError, App, http};
use checkout_domain::ids::{ApiKeyId, EventId, SessionId, WebhookEndpointId};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

use crate::visit::{Form, Visit};

/// Handles one dashboard request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    let exchange = http::Exchange::new(&request);
    // On the heap: the pages' futures together are large, and a caller's stack (a test's
    // thread, a runtime worker) is not.
    let answered = Box::pin(route(app, &request)).await;
    exchange.finish_page(answered, views::failure)
}

/// The path below `/dashboard`, split at its slashes.
fn segments(request: &Request) -> Vec<&str> {
    request
        .uri()
        .path()
        .strip_prefix("/dashboard")
        .unwrap_or_default()
        .split('/')
        .filter(|part| !part.is_empty())
        .collect()
}

async fn route(app: &App, request: &Request) -> Result<Response<Body>, ApiError> {
    let path = segments(request);
    let method = request.method();
    let session_cookie = cookies::SESSION.read(request);
    let signed_in = match session_cookie {
        Some(value) => match dashboard::signed_in(app, value).await {
            Ok(signed_in) => Some(signed_in),
            Err(ApiError::Unauthenticated(_)) => None,
            Err(other) => return Err(other),
        },
        None => None,
    };
    let Some(signed_in) = signed_in else {
        return signed_out(app, request, method, &path, session_cookie.is_some()).await;
    };
    let visit = Visit {
        app,
        request,
        csrf: signed_in.csrf_token(),
        signed_in,
    };
    match *method {
        Method::GET => get(&visit, &path).await,
        Method::POST => post(&visit, &path).await,
        _ => Ok(views::not_found(&visit.chrome("Not found", ""))),
    }
}

/// A page.
async fn get(visit: &Visit<'_>, path: &[&str]) -> Result<Response<Body>, ApiError> {
    match path {
        [] => pages::overview(visit).await,
        ["sessions"] => pages::sessions(visit).await,
        ["sessions", id] => match SessionId::parse(id) {
            Ok(id) => pages::session(visit, &id, None).await,
            Err(_) => Ok(views::not_found(&visit.chrome("Not found", "sessions"))),
        },
        ["webhooks"] => pages::webhooks(visit, None).await,
        ["keys"] => pages::keys(visit, None).await,
        ["settings"] => pages::settings(visit, None).await,
        ["link" | "login"] => Ok(views::redirect("/dashboard/")),
        _ => Ok(views::not_found(&visit.chrome("Not found", ""))),
    }
}

/// A form: checked to come from the visitor's own pages, then done if the key may write.
async fn post(visit: &Visit<'_>, path: &[&str]) -> Result<Response<Body>, ApiError> {
    let app = visit.app;
    let form = Form(http::form_fields(visit.request)?);
    if !visit.signed_in.csrf_matches(form.get("csrfToken")) {
        return Ok(views::forbidden(
            &visit.chrome("Form expired", ""),
            "This form was not sent from a page of this dashboard, or the page is too old. Nothing was changed: open the page again and retry.",
        ));
    }
    if path == ["logout"] {
        dashboard::sign_out(app, &visit.signed_in).await?;
        let mut response = views::redirect("/dashboard/");
        cookies::SESSION.clear(&mut response);
        return Ok(response);
    }
    if path == ["settings"] && form.get("intent") == "preview" {
        return pages::preview_typed(visit, &form).await;
    }
    if !visit.signed_in.may_write() {
        return Ok(views::forbidden(
            &visit.chrome("Read-only", ""),
            "You signed in with a read-only key: this dashboard can show everything but change nothing. Sign in with a full key to act.",
        ));
    }
    // Ids are parsed here, once: a page gets the id's type or the visitor a 404.
    let not_found = || Ok(views::not_found(&visit.chrome("Not found", "")));
    match path {
        ["sessions", id, action @ ("refunds" | "cancel")] => match SessionId::parse(id) {
            Ok(id) if *action == "refunds" => pages::refund(visit, &id, &form).await,
            Ok(id) => pages::cancel(visit, &id).await,
            Err(_) => not_found(),
        },
        ["events", id, "redeliver"] => match EventId::parse(id) {
            Ok(id) => pages::redeliver(visit, &id, &form).await,
            Err(_) => not_found(),
        },
        ["webhooks"] => pages::add_endpoint(visit, &form).await,
        ["webhooks", id, rest @ ..] => match (WebhookEndpointId::parse(id), rest) {
            (Ok(id), []) => pages::edit_endpoint(visit, &id, &form).await,
            (Ok(id), [action]) => pages::endpoint_action(visit, &id, action).await,
            _ => not_found(),
        },
        ["keys"] => pages::create_key(visit, &form).await,
        ["keys", id, action] => match ApiKeyId::parse(id) {
            Ok(id) => pages::key_action(visit, &id, action, &form).await,
            Err(_) => not_found(),
        },
        ["settings"] => pages::save_settings(visit, &form).await,
        _ => not_found(),
    }
}

/// What a visitor without a working session gets: the sign-in forms, or a way back to them.
async fn signed_out(
    app: &App,
    request: &Request,
    method: &Method,
    path: &[&str],
    had_cookie: bool,
) -> Result<Response<Body>, ApiError> {
    let key = dashboard::signing_key(app).await?;
    let nonce = cookies::SIGN_IN.read(request).map(str::to_owned);
    let mut response = match (method, path) {
        (&Method::GET, []) => views::sign_in(&key, None, None, nonce.as_deref()),
        (&Method::GET, ["link"]) => {
            let params = http::query_params(request);
            let token = http::first_value(&params, "token");
            views::sign_in(&key, Some(token), None, nonce.as_deref())
        }
        (&Method::POST, ["login" | "link"]) => {
            let form = Form(http::form_fields(request)?);
            let nonce = nonce.unwrap_or_default();
            let given = form.get("csrfToken");
            if !key.accepted().any(|secret| {
                checkout_domain::dashboard::sign_in_token_matches(secret, &nonce, given)
            }) {
                return Ok(views::sign_in_refused(
                    &key,
                    StatusCode::FORBIDDEN,
                    "This sign-in form has expired. Nothing was done: try again.",
                    None,
                ));
            }
            let opened = if path == ["login"] {
                dashboard::sign_in_with_key(app, form.get("apiKey")).await
            } else {
                dashboard::sign_in_with_link(app, form.get("token")).await
            };
            match opened {
                Ok(cookie) => {
                    let mut response = views::redirect("/dashboard/");
                    cookies::set_session(&mut response, &cookie.encode(key.signing()));
                    cookies::SIGN_IN.clear(&mut response);
                    return Ok(response);
                }
                Err(ApiError::Unauthenticated(_) | ApiError::MerchantRequired) => {
                    let why = if path == ["login"] {
                        "That key does not open a dashboard: it is unknown, revoked or expired, or it is a platform's key. Paste a merchant's secret key (sk_test_…)."
                    } else {
                        "This sign-in link was used before, has expired, or was never made. Ask for a new one."
                    };
                    return Ok(views::sign_in_refused(
                        &key,
                        StatusCode::UNAUTHORIZED,
                        why,
                        Some(&nonce),
                    ));
                }
                Err(other) => return Err(other),
            }
        }
        (&Method::GET, _) => views::redirect("/dashboard/"),
        _ => views::unauthenticated(),
    };
    if had_cookie {
        cookies::SESSION.clear(&mut response);
    }
    Ok(response)
}
