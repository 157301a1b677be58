//! The cookies our pages set, one way: each `HttpOnly; Secure`, scoped to its path, with the
//! `SameSite` its use needs. Browsers keep `Secure` cookies of `http://127.0.0.1` and
//! `http://localhost` too, so the local stack needs no exception.

use http::HeaderValue;
use http::header::SET_COOKIE;
use lambda_http::{Body, Request, Response};

/// Whether a cookie goes with requests that another site started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Only with requests from our own pages.
    Strict,
    /// Also with top-level navigations from elsewhere (the payer's return from a redirect).
    Lax,
}

/// One of our cookies: its name, the path it is sent for and its `SameSite`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cookie {
    name: &'static str,
    path: &'static str,
    same_site: SameSite,
}

impl Cookie {
    /// The cookie `name`, sent for `path` and below.
    pub const fn new(name: &'static str, path: &'static str, same_site: SameSite) -> Self {
        Self {
            name,
            path,
            same_site,
        }
    }

    /// Its value as the browser sent it in `request`, if not empty.
    pub fn read<'a>(&self, request: &'a Request) -> Option<&'a str> {
        crate::http::cookie(request, self.name)
    }

    /// Sets it to `value` on `response` for `max_age` seconds (0 tells the browser to drop it).
    pub fn set(&self, response: &mut Response<Body>, value: &str, max_age: i64) {
        let same_site = match self.same_site {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
        };
        let header = format!(
            "{}={value}; Path={}; Max-Age={max_age}; HttpOnly; Secure; SameSite={same_site}",
            self.name, self.path
        );
        if let Ok(header) = HeaderValue::from_str(&header) {
            response.headers_mut().append(SET_COOKIE, header);
        }
    }

    /// Tells the browser to drop it.
    pub fn clear(&self, response: &mut Response<Body>) {
        self.set(response, "", 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cookie_is_http_only_secure_and_scoped() {
        const FLASH: Cookie = Cookie::new("flash", "/", SameSite::Lax);
        let mut response = Response::new(Body::Empty);
        FLASH.set(&mut response, "abc", 600);
        FLASH.clear(&mut response);
        let set: Vec<&str> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert_eq!(
            set,
            [
                "flash=abc; Path=/; Max-Age=600; HttpOnly; Secure; SameSite=Lax",
                "flash=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax",
            ]
        );
    }
}
