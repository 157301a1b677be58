//! Attribute values and built requests, the same way in every module of the store.

use super::errors::StoreError;
use aws_sdk_dynamodb::types::AttributeValue;

/// A string attribute.
pub(super) fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

/// A number attribute.
pub(super) fn n(number: impl ToString) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

/// A request part from its builder; a builder refuses only what the code itself got wrong.
pub(super) fn built<T, E: std::fmt::Display>(result: Result<T, E>) -> Result<T, StoreError> {
    result.map_err(|e| StoreError::Internal(format!("request not built: {e}")))
}
