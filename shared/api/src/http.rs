//! The HTTP edge shared by every API function: reading bodies, path and query parameters, and
//! rendering JSON and problem+json responses.

use http::header::{CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use mime::Mime;
use serde::Serialize;
use std::sync::OnceLock;

use crate::App;
use crate::error::ApiError;
use checkout_domain::clock::deadline_from_epoch_ms;
use checkout_domain::ids::SessionId;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The id that ties a response to its logs: API Gateway's, else a fresh one.
pub fn request_id(request: &Request) -> String {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    }
    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// The JSON body of `request`: refused with 413 when over [`MAX_BODY_BYTES`] (before any parsing)
/// and with 415 unless declared as JSON.
pub fn json_body(request: &Request) -> Result<&[u8], ApiError> {
    let body: &[u8] = request.body().as_ref();
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    if !is_json(request.headers(), request.method() == http::Method::PATCH) {
        return Err(ApiError::UnsupportedMediaType);
    }
    Ok(body)
}

/// The JSON body of a request whose fields are all optional: `{}` when it has none, else as
/// [`json_body`] takes it.
pub fn optional_json_body(request: &Request) -> Result<&[u8], ApiError> {
    let raw: &[u8] = request.body().as_ref();
    if raw.is_empty() {
        Ok(b"{}")
    } else {
        json_body(request)
    }
}

/// The declared media type of a request, if it has one readable `Content-Type` (two are
/// ambiguous, and none is read).
fn media_type(headers: &HeaderMap) -> Option<Mime> {
    let mut values = headers.get_all(CONTENT_TYPE).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => value.to_str().ok()?.parse().ok(),
        _ => None,
    }
}

/// `application/json`, or `application/merge-patch+json` for a `merge_patch` (a PATCH), in
/// UTF-8 (the only charset JSON has; naming another is refused rather than misread). Other
/// `+json` types (`json-patch+json`…) mean something else and are refused too.
fn is_json(headers: &HeaderMap, merge_patch: bool) -> bool {
    media_type(headers).is_some_and(|m| {
        let json = m.type_() == mime::APPLICATION
            && (m.subtype() == mime::JSON
                || (merge_patch && m.subtype() == "merge-patch" && m.suffix() == Some(mime::JSON)));
        let utf8 = m
            .get_param(mime::CHARSET)
            .is_none_or(|charset| charset.as_str().eq_ignore_ascii_case("utf-8"));
        json && utf8
    })
}

/// The one value of header `name`, if sent: a header sent twice is a 400 naming `field`, since
/// which of them counts would depend on who reads it (API Gateway joins them with a comma).
pub fn single_header<'a>(
    headers: &'a HeaderMap,
    name: &str,
    field: &str,
) -> Result<Option<&'a http::HeaderValue>, ApiError> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (first, None) => Ok(first),
        _ => Err(ApiError::field(
            field,
            "repeated_header",
            "must be sent once",
        )),
    }
}

/// Where the hosted pages live: `PUBLIC_BASE_URL`, or else the host this request was sent to
/// (API Gateway's own domain when no custom domain is configured).
pub fn public_base_url(app: &App, request: &Request) -> String {
    if !app.config.public_base_url.is_empty() {
        return app.config.public_base_url.clone();
    }
    match header(request, "host") {
        Some(host) => format!("https://{host}"),
        None => crate::config::DEFAULT_PUBLIC_BASE_URL.to_owned(),
    }
}

/// The fields of an HTML form post (`application/x-www-form-urlencoded`), at most
/// [`MAX_BODY_BYTES`].
pub fn form_fields(request: &Request) -> Result<Vec<(String, String)>, ApiError> {
    let body: &[u8] = request.body().as_ref();
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    if !media_type(request.headers())
        .is_some_and(|m| m.type_() == mime::APPLICATION && m.subtype() == mime::WWW_FORM_URLENCODED)
    {
        return Err(ApiError::UnsupportedMediaType);
    }
    Ok(url::form_urlencoded::parse(body).into_owned().collect())
}

/// The `Idempotency-Key` header: absent, or printable ASCII (anything else is a 400, never
/// silently ignored).
pub fn idempotency_key_header(request: &Request) -> Result<Option<&str>, ApiError> {
    match single_header(request.headers(), "idempotency-key", "Idempotency-Key")? {
        None => Ok(None),
        Some(value) => value.to_str().map(Some).map_err(|_| {
            ApiError::field(
                "Idempotency-Key",
                "invalid_characters",
                "must contain printable ASCII characters only",
            )
        }),
    }
}

/// The first value named `name` among `pairs` (a form's fields, a query's parameters), or `""`.
pub fn first_value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.as_str())
        .unwrap_or_default()
}

/// A header's value, if present and visible ASCII.
pub fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The value of cookie `name` the browser sent, if not empty.
pub fn cookie<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers()
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// Path parameter `name`; its absence means the route did not match, so 404.
fn path_param(request: &Request, name: &str) -> Result<String, ApiError> {
    request
        .path_parameters_ref()
        .and_then(|params| params.first(name))
        .map(str::to_owned)
        .ok_or(ApiError::NotFound)
}

/// Whether the route has an `{id}` in its path.
pub fn has_path_id(request: &Request) -> bool {
    path_param(request, "id").is_ok()
}

/// The `{id}` of a session route; an id this API could not have issued names no session, so 404.
pub fn session_id(request: &Request) -> Result<SessionId, ApiError> {
    SessionId::parse(&path_param(request, "id")?).map_err(|_| ApiError::NotFound)
}

/// The `{id}` of a route as the type `parse` makes (`WebhookEndpointId::parse`…), parsed once
/// here at the edge: an id this API could not have issued names nothing, so 404.
pub fn path_id<T, E>(
    request: &Request,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, ApiError> {
    parse(&path_param(request, "id")?).map_err(|_| ApiError::NotFound)
}

/// Every query parameter as `(name, value)`, repeated names included.
pub fn query_params(request: &Request) -> Vec<(String, String)> {
    request
        .query_string_parameters_ref()
        .map(|params| {
            params
                .iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Response<Body>, ApiError> {
    let body = serde_json::to_string(value)
        .map_err(|e| ApiError::Internal(format!("response serialization: {e}")))?;
    Ok(raw_json(status, body))
}

/// A response whose JSON body is already rendered.
pub fn raw_json(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    response
}

/// Where a merchant stands against its per-second limit once its request is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed per second.
    pub limit: u32,
    /// Requests left in the current second.
    pub remaining: u32,
}

/// One API request as its operation sees it: the deployment, the request and its exchange.
pub struct Call<'a> {
    /// The deployment's clients and settings.
    pub app: &'a App,
    /// The request.
    pub request: &'a Request,
    /// Its exchange, where authentication records the caller's standing.
    pub exchange: Exchange,
}

/// What an operation answers: its response, or the error [`Exchange::finish`] renders.
pub type Answer = Result<Response<Body>, ApiError>;

/// Answers `request` with what `operation` makes of it: the one prologue of every API function,
/// so each answer carries its `Request-Id` and `RateLimit-*` headers and each error is
/// problem+json.
pub async fn answer(
    app: &App,
    request: &Request,
    operation: impl AsyncFnOnce(&Call<'_>) -> Answer,
) -> Response<Body> {
    let call = Call {
        app,
        request,
        exchange: Exchange::new(request),
    };
    let result = match time_left(request) {
        // A 503 the client can retry beats Lambda's timeout, which the client sees as a 500
        // (API Gateway's) with no request id; the SDK's retries end with the future.
        Some(left) => tokio::time::timeout(left, operation(&call))
            .await
            .unwrap_or_else(|_| {
                Err(ApiError::Unavailable(
                    "the request's deadline came before the operation ended".into(),
                ))
            }),
        None => operation(&call).await,
    };
    call.exchange.finish(result)
}

/// What an answer keeps back from the invocation's deadline: enough to render and send a 503.
pub const DEADLINE_MARGIN: std::time::Duration = std::time::Duration::from_millis(750);

/// How long `request`'s operation may run: until [`DEADLINE_MARGIN`] before its invocation's
/// deadline; none when it carries none, or one already past when it starts (a request built in a
/// test; `cargo lambda watch`, whose deadlines can be stale).
fn time_left(request: &Request) -> Option<std::time::Duration> {
    let deadline = deadline_from_epoch_ms(request.lambda_context_ref()?.deadline)?;
    let left = deadline.saturating_duration_since(std::time::Instant::now());
    Some(left.saturating_sub(DEADLINE_MARGIN))
}

/// One API request on its way to an answer: the id that ties it to its logs, and the rate-limit
/// standing its authentication found, both stamped on the answer whatever it turns out to be.
#[derive(Debug)]
pub struct Exchange {
    request_id: String,
    quota: OnceLock<Quota>,
}

impl Exchange {
    /// Starts the exchange of `request`.
    pub fn new(request: &Request) -> Self {
        Self {
            request_id: request_id(request),
            quota: OnceLock::new(),
        }
    }

    /// Records the caller's standing (once: the first count of a request is the one it got).
    pub fn record_quota(&self, quota: Quota) {
        let _ = self.quota.set(quota);
    }

    /// `response` with this exchange's `Request-Id`: every answer says which request it answers,
    /// for support and logs.
    pub fn stamp(&self, mut response: Response<Body>) -> Response<Body> {
        if let Ok(value) = HeaderValue::from_str(&self.request_id) {
            response.headers_mut().insert("request-id", value);
        }
        response
    }

    /// The page for `result`: itself, or the page `failure` renders for its error (logged with
    /// its cause as [`Exchange::finish`] logs it), with `Request-Id`.
    pub fn finish_page(
        &self,
        result: Result<Response<Body>, ApiError>,
        failure: impl FnOnce(&ApiError) -> Response<Body>,
    ) -> Response<Body> {
        let response = result.unwrap_or_else(|err| {
            log_failure(&self.request_id, &err);
            failure(&err)
        });
        self.stamp(response)
    }

    /// The response for `result`: itself, or the problem+json of its error, with `Request-Id`
    /// and, once the caller was counted against its limit, the `RateLimit-*` headers. Server-side
    /// failures are logged with their cause; clients only see the request id.
    pub fn finish(&self, result: Result<Response<Body>, ApiError>) -> Response<Body> {
        let response = match result {
            Ok(response) => response,
            Err(err) => {
                log_failure(&self.request_id, &err);
                problem(&err, &self.request_id)
            }
        };
        let mut response = self.stamp(response);
        let headers = response.headers_mut();
        if let Some(quota) = self.quota.get() {
            headers.insert("ratelimit-limit", HeaderValue::from(quota.limit));
            headers.insert("ratelimit-remaining", HeaderValue::from(quota.remaining));
            // Windows are whole seconds, so the current one resets within a second.
            headers.insert("ratelimit-reset", HeaderValue::from(1));
        }
        response
    }
}

/// Logs a refused or failed request: server-side failures with their cause as errors.
pub fn log_failure(request_id: &str, err: &ApiError) {
    if err.status().is_server_error() {
        tracing::error!(request_id, error = %err, "request failed");
    } else {
        tracing::info!(request_id, status = err.status().as_u16(), error = %err, "request refused");
    }
}

fn problem(err: &ApiError, request_id: &str) -> Response<Body> {
    let problem = err.problem(request_id);
    let body = serde_json::to_string(&problem).unwrap_or_else(|_| {
        r#"{"type":"about:blank","title":"Internal error","status":500}"#.to_owned()
    });
    let mut response = raw_json(err.status(), body);
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if let Some(seconds) = problem.retry_after {
        headers.insert("retry-after", HeaderValue::from(seconds));
    }
    if let Some(limit) = problem.rate_limit {
        // Windows are whole seconds, so the current one resets within a second.
        headers.insert("ratelimit-limit", HeaderValue::from(limit));
        headers.insert("ratelimit-remaining", HeaderValue::from(0));
        headers.insert("ratelimit-reset", HeaderValue::from(1));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_type(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(value).expect("valid"));
        headers
    }

    #[test]
    fn json_media_types_are_recognised_with_parameters_and_any_case() {
        for merge_patch in [false, true] {
            assert!(is_json(&with_type("application/json"), merge_patch));
            assert!(is_json(
                &with_type("Application/JSON; charset=UTF-8"),
                merge_patch
            ));
        }
        assert!(is_json(&with_type("application/merge-patch+json"), true));
    }

    #[test]
    fn other_or_missing_media_types_are_not_json() {
        for merge_patch in [false, true] {
            for other in [
                "text/plain",
                "application/x-www-form-urlencoded",
                "application/jsonx",
                "text/json+xml",
                "not a media type",
                "application/json-patch+json",
                "application/problem+json",
                "application/json; charset=utf-16",
                "application/json; charset=latin1",
            ] {
                assert!(!is_json(&with_type(other), merge_patch), "{other}");
            }
            assert!(!is_json(&HeaderMap::new(), merge_patch));
            let mut twice = with_type("application/json");
            twice.append(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            assert!(!is_json(&twice, merge_patch), "two Content-Types");
        }
        assert!(
            !is_json(&with_type("application/merge-patch+json"), false),
            "not a PATCH"
        );
    }

    #[test]
    fn a_header_sent_twice_is_refused_naming_it() {
        let mut headers = HeaderMap::new();
        assert!(matches!(
            single_header(&headers, "merchant-id", "Merchant-Id"),
            Ok(None)
        ));
        headers.append("merchant-id", HeaderValue::from_static("mer_a"));
        assert!(matches!(
            single_header(&headers, "merchant-id", "Merchant-Id"),
            Ok(Some(_))
        ));
        headers.append("merchant-id", HeaderValue::from_static("mer_b"));
        let Err(ApiError::Validation(errors)) =
            single_header(&headers, "merchant-id", "Merchant-Id")
        else {
            panic!("refused");
        };
        assert_eq!(errors[0].field, "Merchant-Id");
    }
}
