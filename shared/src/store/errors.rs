//! How SDK failures become API errors: unreachable or throttled DynamoDB is a 503 the client may
//! retry; anything else is a 500 whose cause is logged, never returned.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::error::ApiError;

const RETRYABLE_CODES: [&str; 6] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
];

/// Maps an SDK error of any operation.
pub fn storage_error<E, R>(err: SdkError<E, R>) -> ApiError
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
        ApiError::Unavailable(context)
    } else {
        tracing::error!(error = %context, "DynamoDB request failed");
        ApiError::Internal(context)
    }
}

/// The output of a conditional write, or `None` when its condition was false; any other failure
/// is mapped as [`storage_error`] maps it.
pub(super) fn condition_held<T, E, R>(
    result: Result<T, SdkError<E, R>>,
) -> Result<Option<T>, ApiError>
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
pub fn item_error(err: serde_dynamo::Error) -> ApiError {
    tracing::error!(error = %err, "unreadable item");
    ApiError::Internal(format!("item mapping: {err}"))
}
