//! A cookie-keeping client of the dashboard's handler, as a browser without JavaScript uses it:
//! it keeps what `Set-Cookie` gives, sends it back, and reads forms' anti-forgery tokens.

use std::collections::HashMap;

use lambda_http::{Body, Request, RequestExt};

use crate::TestEnv;

/// One dashboard answer.
#[derive(Debug, Clone)]
pub struct DashboardPage {
    /// HTTP status.
    pub status: u16,
    /// Where a 303 sends the browser.
    pub location: Option<String>,
    /// Every `Set-Cookie`, as sent.
    pub set_cookies: Vec<String>,
    /// Its `Content-Security-Policy`, if any.
    pub policy: Option<String>,
    /// The HTML.
    pub body: String,
}

impl DashboardPage {
    /// The first anti-forgery token on the page.
    pub fn csrf(&self) -> String {
        self.input_value("csrfToken")
    }

    /// The value of the first hidden input named `name`.
    pub fn input_value(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        self.body
            .split_once(&marker)
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(value, _)| value.to_owned())
            .unwrap_or_default()
    }
}

/// A browser's cookie jar over the dashboard handler of one test environment.
pub struct DashboardClient<'a> {
    env: &'a TestEnv,
    /// The cookies it holds, by name.
    pub cookies: HashMap<String, String>,
}

impl<'a> DashboardClient<'a> {
    /// A browser with no cookies.
    pub fn new(env: &'a TestEnv) -> Self {
        Self {
            env,
            cookies: HashMap::new(),
        }
    }

    /// A browser signed in with `api_key` through the sign-in form.
    pub async fn signed_in(env: &'a TestEnv, api_key: &str) -> Self {
        let mut client = Self::new(env);
        let form = client.get("/dashboard/").await;
        let answer = client
            .post(
                "/dashboard/login",
                &[("csrfToken", &form.csrf()), ("apiKey", api_key)],
            )
            .await;
        assert_eq!(answer.status, 303, "signed in: {}", answer.body);
        client
    }

    /// `GET path` (with its query).
    pub async fn get(&mut self, path: &str) -> DashboardPage {
        let request = self.request("GET", path, None);
        self.send(request).await
    }

    /// `POST path` with the form `fields`.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> DashboardPage {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = self.request("POST", path, Some(body));
        self.send(request).await
    }

    fn request(&self, method: &str, path: &str, body: Option<String>) -> Request {
        let query = path.split_once('?').map_or("", |(_, query)| query);
        let mut builder = lambda_http::http::Request::builder()
            .method(method)
            .uri(path);
        if !self.cookies.is_empty() {
            let header = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ");
            builder = builder.header("cookie", header);
        }
        let body = match body {
            Some(text) => {
                builder = builder.header("content-type", "application/x-www-form-urlencoded");
                Body::Text(text)
            }
            None => Body::Empty,
        };
        let mut params: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            params
                .entry(name.into_owned())
                .or_default()
                .push(value.into_owned());
        }
        builder
            .body(body)
            .expect("a valid request")
            .with_query_string_parameters(params)
    }

    async fn send(&mut self, request: Request) -> DashboardPage {
        // Routed as template.yaml routes it: the settings preview is the checkout page's.
        let response = if request.uri().path() == checkout_page::PREVIEW_PATH {
            checkout_page::handle(&self.env.app, &self.env.processor(), request).await
        } else {
            dashboard::handle(&self.env.app, request).await
        };
        let set_cookies: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        for cookie in &set_cookies {
            let Some((name, value)) = cookie.split(';').next().and_then(|p| p.split_once('='))
            else {
                continue;
            };
            if value.is_empty() || cookie.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        DashboardPage {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok().map(str::to_owned)),
            set_cookies,
            policy: response
                .headers()
                .get("content-security-policy")
                .and_then(|v| v.to_str().ok().map(str::to_owned)),
            body: String::from_utf8_lossy(response.body().as_ref()).into_owned(),
        }
    }
}
