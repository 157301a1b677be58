//! The dashboard's two cookies, both `HttpOnly; Secure; SameSite=Strict` and scoped to
//! `/dashboard` (`checkout_api::cookies`): the signed session (8 hours) and the sign-in form's
//! anti-forgery value.

use checkout_api::cookies::{Cookie, SameSite};
use checkout_domain::dashboard::{SESSION_LIFETIME, new_nonce};
use lambda_http::{Body, Response};

/// The signed session cookie.
pub const SESSION: Cookie = checkout_api::service::dashboard::SESSION_COOKIE;

/// The sign-in form's double-submit value.
pub const SIGN_IN: Cookie = Cookie::new("dashboard_sign_in", "/dashboard", SameSite::Strict);

/// How long a sign-in form stays usable.
const SIGN_IN_SECONDS: i64 = 3600;

/// Sets the session cookie to `value`.
pub fn set_session(response: &mut Response<Body>, value: &str) {
    SESSION.set(response, value, SESSION_LIFETIME.whole_seconds());
}

/// The sign-in form's value: the one the browser holds, or a new one set on `response`.
pub fn sign_in_nonce(response: &mut Response<Body>, held: Option<&str>) -> String {
    match held {
        Some(value) => value.to_owned(),
        None => {
            let nonce = new_nonce();
            SIGN_IN.set(response, &nonce, SIGN_IN_SECONDS);
            nonce
        }
    }
}
