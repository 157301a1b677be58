//! The checkout-session domain, its validation rules, its DynamoDB store and the HTTP glue that the
//! Lambda functions share. Function crates stay thin: they parse a request, call into this crate and
//! render what it returns.

pub mod access_token;
pub mod app;
pub mod auth;
pub mod auth_cache;
pub mod clock;
pub mod config;
pub mod cursor;
pub mod domain;
pub mod error;
pub mod event;
pub mod hashing;
pub mod http;
pub mod ids;
pub mod json_fields;
pub mod merchant;
pub mod money;
pub mod page_policy;
pub mod payments;
pub mod service;
pub mod session;
pub mod store;
pub mod telemetry;
pub mod timestamp;
pub mod webhook;

pub use app::App;
pub use error::{ApiError, FieldError};
