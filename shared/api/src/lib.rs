//! The HTTP edge of the checkout-session API: authentication, the services each route calls,
//! webhooks, payments, configuration and `ApiError` → problem+json. It builds on
//! `checkout-domain` and `checkout-store` and re-exports neither: a function crate names the layers
//! it uses. Function crates stay thin: they parse a request, call into this crate and render what
//! it returns.

pub mod access_token;
pub mod admission;
pub mod app;
pub mod auth;
pub mod auth_cache;
pub mod aws_clients;
pub mod config;
pub mod cookies;
pub mod cursor;
pub mod error;
pub mod http;
pub mod json_fields;
pub mod metrics;
pub mod page_policy;
pub mod payments;
pub mod secrets;
pub mod service;
pub mod telemetry;
pub mod webhook;

pub use app::App;
pub use error::{ApiError, FieldError};
