//! The checkout-session API, through its real handlers, against DynamoDB Local.

mod account;
mod auth;
mod checkout;
mod collect;
mod concurrency;
mod create;
mod dashboard;
mod defects;
mod endpoints;
mod lifecycle;
mod listing;
mod locales;
mod openapi;
mod outage;
mod partial_refunds;
mod platforms;
mod processing;
mod recovery;
mod refunds;
mod sample_events;
mod storage;
mod sweeper;
mod tokens;
mod updates;
mod validation;
mod webhooks;
