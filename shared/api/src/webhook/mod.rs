//! Delivering webhook events: Standard Webhooks signatures, the guard against requests to
//! internal addresses, and the HTTP sender.

mod sender;
mod signing;
mod target_guard;

pub use sender::WebhookSender;
pub use signing::{SignatureError, sign, verify};
pub use target_guard::{TargetGuard, is_public};
