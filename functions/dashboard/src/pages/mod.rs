//! Each dashboard page and form: it reads and acts through the API's services, then fills its
//! view. A form that changes something answers 303 back to its page with what it did; one the
//! service refuses shows its page again with the service's reasons.

mod answers;
mod keys;
mod overview;
mod session;
mod sessions;
mod settings;
mod webhooks;

pub use keys::{create_key, key_action, keys};
pub use overview::overview;
pub use session::{cancel, refund, session};
pub use sessions::sessions;
pub use settings::{preview_typed, save_settings, settings};
pub use webhooks::{add_endpoint, edit_endpoint, endpoint_action, redeliver, webhooks};
