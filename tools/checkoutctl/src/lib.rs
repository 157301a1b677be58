//! The admin side of the checkout API: the table built from `template.yaml`, merchants and keys.
//! The `checkoutctl` binary is a thin command line over this library; the tests use it directly.

pub mod listener;
pub mod merchants;
pub mod table;

/// Anything an admin command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The template has no usable table definition.
    #[error("template.yaml: {0}")]
    Template(String),
    /// A value given on the command line is invalid.
    #[error("{0}")]
    InvalidArgument(String),
    /// The named merchant or key does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// DynamoDB refused or could not be reached.
    #[error("DynamoDB: {0}")]
    Storage(String),
}

impl From<checkout_store::StoreError> for AdminError {
    fn from(err: checkout_store::StoreError) -> Self {
        Self::Storage(err.to_string())
    }
}
