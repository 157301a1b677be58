//! The checkout-session domain, its validation rules, its DynamoDB store and the HTTP glue that the
//! Lambda functions share. Function crates stay thin: they parse a request, call into this crate and
//! render what it returns.

pub mod access_token;
pub mod app;
pub mod auth;
pub mod auth_cache;
pub mod config;
pub mod cursor;
pub mod error;
pub mod http;
pub mod json_fields;
pub mod page_policy;
pub mod payments;
pub mod service;
pub mod telemetry;
pub mod webhook;

// The domain layer, under the paths the functions and tools have always used.
pub use checkout_domain::values as domain;
pub use checkout_domain::{clock, event, hashing, ids, merchant, money, session, timestamp};
// The store layer, likewise.
pub use checkout_store as store;

pub use app::App;
pub use error::{ApiError, FieldError};
