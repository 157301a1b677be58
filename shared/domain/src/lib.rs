//! The checkout-session domain: exact money, the values a request may carry, sessions, their
//! events, merchants and keys, and the rules on them. It knows nothing of DynamoDB, HTTP or
//! async runtimes (the compiler keeps it so: none is a dependency); the store and the API
//! build on it.

pub mod api_key;
pub mod clock;
pub mod dashboard;
pub mod delivery;
pub mod event;
pub mod hashing;
pub mod ids;
pub mod merchant;
pub mod money;
pub mod refund;
pub mod session;
pub mod signing_secret;
pub mod stage;
pub mod timestamp;
pub mod values;
pub mod webhook_endpoint;
