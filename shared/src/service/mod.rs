//! The operations of the API, between the HTTP edge and the store.

pub mod create_request;
mod create_session;
pub mod dispatch;
mod list_events;
mod list_sessions;
mod session_lifecycle;
pub mod sweeper;
pub mod transition;

pub use create_session::{CREATE_SESSION_ENDPOINT, Created, create_session};
pub use list_events::{EventList, EventResource, list_events};
pub use list_sessions::{SessionList, list_sessions};
pub use session_lifecycle::{Ending, end_session, get_session};
