//! The operations of the API, between the HTTP edge and the store.

pub mod account;
pub mod api_keys;
pub mod create_request;
mod create_session;
pub mod dashboard;
pub mod dispatch;
mod due_pass;
pub mod endpoint_request;
pub mod events;
pub mod hosted_checkout;
mod idempotent;
mod list;
mod list_events;
mod list_sessions;
mod query_params;
mod refunds;
mod session_lifecycle;
pub mod settlement;
pub mod sweeper;
pub mod transition;
mod update_request;
mod update_session;
pub mod webhook_endpoints;

pub use create_session::{CREATE_SESSION_ENDPOINT, create_session, unsaved_session};
pub use idempotent::Created;
pub use list::List;
pub use list_events::{DeliveryResource, EventResource, event_list, list_events};
pub use list_sessions::{list_sessions, session_list};
pub use refunds::{
    CREATE_REFUND_ENDPOINT, REFUND_SESSION_ENDPOINT, RefundRequest, create_refund, list_refunds,
    refund_list, refund_session,
};
pub use session_lifecycle::{Ending, end_session, get_session};
pub use update_request::SessionPatch;
pub use update_session::update_session;
