//! The dashboard's two cookies, both `HttpOnly; Secure; SameSite=Strict` and scoped to
//! `/dashboard`: the signed session (8 hours) and the sign-in form's anti-forgery value.

use checkout_domain::dashboard::{SESSION_LIFETIME, new_nonce};
use lambda_http::http::HeaderValue;
use lambda_http::http::header::SET_COOKIE;
use lambda_http::{Body, Response};

/// The signed session cookie.
pub const SESSION: &str = checkout_api::service::dashboard::SESSION_COOKIE;

/// The sign-in form's double-submit value.
pub const SIGN_IN: &str = "dashboard_sign_in";

/// How long a sign-in form stays usable.
const SIGN_IN_SECONDS: i64 = 3600;

fn set(response: &mut Response<Body>, name: &str, value: &str, max_age: i64) {
    let cookie = format!(
        "{name}={value}; Path=/dashboard; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict"
    );
    if let Ok(header) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, header);
    }
}

/// Sets the session cookie to `value`.
pub fn set_session(response: &mut Response<Body>, value: &str) {
    set(response, SESSION, value, SESSION_LIFETIME.whole_seconds());
}

/// The sign-in form's value: the one the browser holds, or a new one set on `response`.
pub fn sign_in_nonce(response: &mut Response<Body>, held: Option<&str>) -> String {
    match held {
        Some(value) => value.to_owned(),
        None => {
            let nonce = new_nonce();
            set(response, SIGN_IN, &nonce, SIGN_IN_SECONDS);
            nonce
        }
    }
}

/// Tells the browser to drop cookie `name`.
pub fn clear(response: &mut Response<Body>, name: &str) {
    set(response, name, "", 0);
}
