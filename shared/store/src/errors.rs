//! What can go wrong in the store, and how SDK failures become it: unreachable or throttled
//! DynamoDB is `Unavailable` (the API answers 503, the client may retry); anything else is
//! `Internal`, its cause logged (a 500 that never shows it).

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Why a store operation failed. Conditions that were false are not errors: each operation
/// answers them in its own outcome type.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB could not be reached, timed out or throttled; a retry may succeed.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Transactions on the same items kept colliding; a retry may succeed.
    #[error("contention on the same items")]
    Contention,
    /// An item the code cannot read, a request it could not build, or an answer it did not
    /// expect.
    #[error("storage failure: {0}")]
    Internal(String),
}

const RETRYABLE_CODES: [&str; 6] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
];

/// Maps an SDK error of any operation.
pub fn storage_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let unavailable = match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => service
            .err()
            .code()
            .is_some_and(|code| RETRYABLE_CODES.contains(&code)),
        _ => false,
    };
    let context = DisplayErrorContext(&err).to_string();
    if unavailable {
        tracing::warn!(error = %context, "DynamoDB unavailable");
        StoreError::Unavailable(context)
    } else {
        tracing::error!(error = %context, "DynamoDB request failed");
        StoreError::Internal(context)
    }
}

/// The output of a conditional write, or `None` when its condition was false; any other failure
/// is mapped as [`storage_error`] maps it.
pub(super) fn condition_held<T, E, R>(
    result: Result<T, SdkError<E, R>>,
) -> Result<Option<T>, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(err)
            if err.as_service_error().and_then(ProvideErrorMetadata::code)
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(None)
        }
        Err(err) => Err(storage_error(err)),
    }
}

/// Maps a (de)serialization failure of an item: the table holds something the code cannot read.
pub fn item_error(err: serde_dynamo::Error) -> StoreError {
    tracing::error!(error = %err, "unreadable item");
    StoreError::Internal(format!("item mapping: {err}"))
}
