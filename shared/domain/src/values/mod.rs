//! Request-level domain types that can only hold valid values. Each `parse` checks one rule set;
//! the caller attaches the field path to any [`Invalid`] it returns.

mod collect;
mod country;
mod customer;
mod expiry;
mod idempotency_key;
mod line_item;
mod locale;
mod metadata;
mod order_id;
mod payment_methods;
mod text;
mod urls;

pub use collect::{
    Address, Collect, Collected, Consent, CustomField, CustomerDetails, DropdownOption, FieldType,
    FieldValue, Requirement, TermsRequirement,
};
pub use customer::Customer;
pub use expiry::{Expiry, ExpiryWindow};
pub use idempotency_key::IdempotencyKey;
pub use line_item::LineItem;
pub use locale::Locale;
pub use metadata::Metadata;
pub use order_id::OrderId;
pub use payment_methods::{CryptoAsset, PaymentMethod};
pub use text::{BoundedText, is_printable, is_single_line};
pub use urls::{HttpUrl, Origin};

pub use crate::money::Invalid;
