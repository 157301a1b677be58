//! Every function's handler over real HTTP on 127.0.0.1, in this process: each request becomes
//! the request API Gateway would hand the function (method, headers and body as sent, path and
//! query parameters), and is routed as `template.yaml` and the `make dev` router route it. The
//! browser test and the contract fuzzing run (`scripts/fuzz.sh`) use it: unlike the emulator's
//! router it passes every byte through and never loses an answer, so neither has to forgive one.
//! `/landing/…` stands in for the merchant's own success and cancel pages.

use std::collections::HashMap;
use std::convert::Infallible;

use checkout_api::App;
use checkout_api::payments::TestModeProcessor;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use lambda_http::{Body, RequestExt};

/// The functions a request can reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    CreateSession,
    ListSessions,
    GetSession,
    ExpireSession,
    CancelSession,
    RefundSession,
    ListEvents,
    IssueToken,
    SettleSession,
    UpdateSession,
    Account,
    ApiKeys,
    WebhookEndpoints,
    EventDeliveries,
    CheckoutPage,
    Dashboard,
}

/// The function of `method` and `path`, and the `{id}` in the path if it has one.
fn route(method: &Method, path: &str) -> Option<(Function, Option<String>)> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let id = |s: &str| Some(decode(s));
    let (function, id) = match (method, segments.as_slice()) {
        (&Method::POST, ["v1", "checkout", "sessions"]) => (Function::CreateSession, None),
        (&Method::GET, ["v1", "checkout", "sessions"]) => (Function::ListSessions, None),
        (&Method::GET, ["v1", "checkout", "sessions", s]) => (Function::GetSession, id(s)),
        (&Method::PATCH, ["v1", "checkout", "sessions", s]) => (Function::UpdateSession, id(s)),
        (&Method::POST, ["v1", "checkout", "sessions", s, "expire"]) => {
            (Function::ExpireSession, id(s))
        }
        (&Method::POST, ["v1", "checkout", "sessions", s, "cancel"]) => {
            (Function::CancelSession, id(s))
        }
        (&Method::POST, ["v1", "checkout", "sessions", s, "refund"])
        | (&Method::GET | &Method::POST, ["v1", "checkout", "sessions", s, "refunds"]) => {
            (Function::RefundSession, id(s))
        }
        (&Method::POST, ["v1", "test_helpers", "checkout", "sessions", s, "settle"]) => {
            (Function::SettleSession, id(s))
        }
        (&Method::GET, ["v1", "events"]) => (Function::ListEvents, None),
        (&Method::GET, ["v1", "events", s]) | (&Method::POST, ["v1", "events", s, "redeliver"]) => {
            (Function::EventDeliveries, id(s))
        }
        (&Method::GET | &Method::POST, ["v1", "webhook_endpoints"]) => {
            (Function::WebhookEndpoints, None)
        }
        (&Method::GET | &Method::PATCH | &Method::DELETE, ["v1", "webhook_endpoints", s])
        | (&Method::POST, ["v1", "webhook_endpoints", s, "rotate_secret" | "test"]) => {
            (Function::WebhookEndpoints, id(s))
        }
        (&Method::GET | &Method::PATCH, ["v1", "account"])
        | (&Method::POST, ["v1", "account", "rotate_webhook_secret"]) => (Function::Account, None),
        (&Method::GET | &Method::POST, ["v1", "api_keys"]) => (Function::ApiKeys, None),
        (&Method::DELETE, ["v1", "api_keys", s])
        | (&Method::POST, ["v1", "api_keys", s, "roll"]) => (Function::ApiKeys, id(s)),
        (&Method::POST, ["v1", "auth", "token"]) => (Function::IssueToken, None),
        (&Method::GET | &Method::POST, ["pay", s])
        | (&Method::POST, ["pay", s, "cancel"])
        | (&Method::GET, ["pay", s, "recover"]) => (Function::CheckoutPage, id(s)),
        (&Method::GET, ["dashboard", "settings", "preview"]) => (Function::CheckoutPage, None),
        (&Method::GET | &Method::POST, ["dashboard", ..]) => (Function::Dashboard, None),
        _ => return None,
    };
    // API Gateway routes no empty path parameter.
    (id.as_deref() != Some("")).then_some((function, id))
}

fn decode(segment: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", segment.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// Binds a free port and serves on it until the runtime ends; returns the base URL.
pub async fn serve(app: App) -> String {
    let (listener, base) = listen().await;
    serve_on(listener, app);
    base
}

/// A free port on 127.0.0.1 and its base URL, to serve on once the app knows it.
pub async fn listen() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    (listener, base)
}

/// Serves `app` on `listener` until the runtime ends.
pub fn serve_on(listener: tokio::net::TcpListener, app: App) {
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let app = app.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let app = app.clone();
                    async move { Ok::<_, Infallible>(answer(&app, request).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

fn plain(status: StatusCode, body: &str, content_type: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert("content-type", value);
    }
    response
}

async fn answer(app: &App, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    if let Some(rest) = path.strip_prefix("/landing/") {
        let html = format!(
            "<!doctype html><title>Back at the shop</title><h1 id=\"landed\">{}</h1>",
            rest.replace(['<', '>', '&'], "")
        );
        return plain(StatusCode::OK, &html, "text/html; charset=utf-8");
    }
    let Some((function, id)) = route(&parts.method, &path) else {
        // What API Gateway answers for a route it does not have.
        return plain(
            StatusCode::NOT_FOUND,
            r#"{"message":"Not Found"}"#,
            "application/json",
        );
    };
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut builder = lambda_http::http::Request::builder()
        .method(parts.method.clone())
        .uri(parts.uri.clone());
    for (name, value) in &parts.headers {
        builder = builder.header(name, value);
    }
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        Body::Binary(bytes.to_vec())
    };
    let Ok(request) = builder.body(body) else {
        return plain(StatusCode::BAD_REQUEST, "", "text/plain");
    };
    let mut query: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
        query
            .entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    let mut request = request.with_query_string_parameters(query);
    if let Some(id) = id {
        request = request.with_path_parameters(HashMap::from([("id".to_owned(), id)]));
    }
    let response = match function {
        Function::CreateSession => create_session::handle(app, request).await,
        Function::ListSessions => list_sessions::handle(app, request).await,
        Function::GetSession => get_session::handle(app, request).await,
        Function::ExpireSession => expire_session::handle(app, request).await,
        Function::CancelSession => cancel_session::handle(app, request).await,
        Function::RefundSession => refund_session::handle(app, request).await,
        Function::ListEvents => list_events::handle(app, request).await,
        Function::IssueToken => issue_token::handle(app, request).await,
        Function::SettleSession => settle_session::handle(app, request).await,
        Function::UpdateSession => update_session::handle(app, request).await,
        Function::Account => account::handle(app, request).await,
        Function::ApiKeys => api_keys::handle(app, request).await,
        Function::WebhookEndpoints => webhook_endpoints::handle(app, request).await,
        Function::EventDeliveries => event_deliveries::handle(app, request).await,
        Function::Dashboard => dashboard::handle(app, request).await,
        Function::CheckoutPage => {
            checkout_page::handle(
                app,
                &TestModeProcessor::new(app.config.settlement_delay),
                request,
            )
            .await
        }
    };
    let (parts, body) = response.into_parts();
    let body: &[u8] = body.as_ref();
    Response::from_parts(parts, Full::new(Bytes::copy_from_slice(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_the_template() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(
            route(&post, "/v1/checkout/sessions/cs_1/refund"),
            Some((Function::RefundSession, Some("cs_1".to_owned())))
        );
        assert_eq!(
            route(&get, "/pay/a%20b"),
            Some((Function::CheckoutPage, Some("a b".to_owned())))
        );
        assert_eq!(route(&get, "/v1/checkout/sessions/"), None);
        assert_eq!(route(&Method::DELETE, "/v1/checkout/sessions"), None);
        assert_eq!(route(&get, "/pay/cs_1/cancel"), None);
    }
}
