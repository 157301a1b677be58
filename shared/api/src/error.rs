//! The one error type of the API. Every variant knows its HTTP status and problem `code`; the
//! mapping to RFC 9457 problem+json lives in [`ApiError::problem`] and nowhere else.

use http::StatusCode;
use serde::Serialize;

use checkout_domain::ids::SessionId;
use checkout_domain::session::SessionStatus;
use checkout_store::StoreError;

/// One violated rule of one request field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's path in the request, e.g. `lineItems[1].unitAmount` or `customer.email`.
    pub field: String,
    /// A stable machine-readable code, e.g. `too_many_decimals`.
    pub code: &'static str,
    /// A sentence for the developer reading the response.
    pub message: String,
}

/// Why a request could not be authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No `Authorization: Bearer …` header, or a malformed one.
    MissingApiKey,
    /// The key is not one we issued.
    InvalidApiKey,
    /// The key was revoked.
    RevokedApiKey,
    /// The key's merchant is deactivated.
    MerchantInactive,
    /// An access token that is expired or badly signed.
    ExpiredToken,
    /// The key was rolled and its overlap has ended.
    ExpiredApiKey,
    /// A test key on a live deployment, or a live key on a test one.
    OtherStageKey,
}

impl AuthFailure {
    fn code(self) -> &'static str {
        match self {
            Self::MissingApiKey => "missing_api_key",
            Self::InvalidApiKey => "invalid_api_key",
            Self::RevokedApiKey => "revoked_api_key",
            Self::MerchantInactive => "merchant_inactive",
            Self::ExpiredToken => "expired_token",
            Self::ExpiredApiKey => "expired_api_key",
            Self::OtherStageKey => "api_key_of_other_stage",
        }
    }

    fn detail(self) -> &'static str {
        match self {
            Self::MissingApiKey => "Send your secret key as `Authorization: Bearer sk_test_…`.",
            Self::InvalidApiKey => "The API key is not valid.",
            Self::RevokedApiKey => "The API key has been revoked; create a new one.",
            Self::MerchantInactive => "The merchant account of this API key is inactive.",
            Self::ExpiredToken => "The access token is expired or not validly signed.",
            Self::ExpiredApiKey => "The API key was rolled and has expired; use its successor.",
            Self::OtherStageKey => {
                "This key belongs to the other stage: test keys (sk_test_) work on the test deployment only, live keys (sk_live_) on the live one."
            }
        }
    }
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// One or more fields broke their rules; all of them are listed.
    #[error("{} invalid field(s)", .0.len())]
    Validation(Vec<FieldError>),
    /// The body is not JSON, or not a JSON object.
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// The body is over the size limit.
    #[error("request body over {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not declared as JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The caller is not authenticated.
    #[error("unauthenticated: {0:?}")]
    Unauthenticated(AuthFailure),
    /// A platform's key named no merchant to act for.
    #[error("merchant required")]
    MerchantRequired,
    /// The key may only read (`read_only`), and this request writes.
    #[error("insufficient scope")]
    InsufficientScope,
    /// No such resource for this merchant.
    #[error("not found")]
    NotFound,
    /// The key is the merchant's last standing full key, which it cannot revoke.
    #[error("last full key")]
    LastFullKey,
    /// The merchant holds as many of these as it may.
    #[error("at most {limit} {what}")]
    LimitReached {
        /// What is limited, e.g. `API keys`.
        what: &'static str,
        /// How many are allowed.
        limit: usize,
    },
    /// A live deployment has no live payment processor to take a session's payment with.
    #[error("live payments are not available")]
    LivePaymentsUnavailable,
    /// Another live session of this merchant holds the order id.
    #[error("order id in use by {session_id}")]
    OrderIdInUse {
        /// The session holding the order id.
        session_id: SessionId,
    },
    /// The session's status does not allow the action.
    #[error("cannot {action} the session: it is {status}")]
    InvalidStatus {
        /// The session's current status.
        status: SessionStatus,
        /// What was asked, e.g. `cancel`.
        action: &'static str,
    },
    /// The idempotency key was used before with a different request.
    #[error("idempotency key reused with a different request")]
    IdempotencyKeyReused,
    /// The merchant sent more requests this second than its limit.
    #[error("rate limited at {limit} requests per second")]
    RateLimited {
        /// Requests allowed per second.
        limit: u32,
    },
    /// Too many concurrent writers on the same items; safe to retry.
    #[error("contention on the same items")]
    Contention,
    /// DynamoDB could not be reached or throttled us.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected dependency answer; details are logged, never returned.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(cause) => Self::Unavailable(cause),
            StoreError::Contention => Self::Contention,
            StoreError::Internal(cause) => Self::Internal(cause),
        }
    }
}

/// A problem+json document (RFC 9457) and the headers that go with it.
#[derive(Debug, Serialize)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: &'static str,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence.
    pub detail: String,
    /// A stable machine-readable code.
    pub code: &'static str,
    /// Field-by-field violations (empty unless validation failed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The session holding a contested order id.
    #[serde(rename = "sessionId", skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    /// The session's status when the action was refused for it (`invalid_status`).
    #[serde(rename = "currentStatus", skip_serializing_if = "Option::is_none")]
    pub current_status: Option<SessionStatus>,
    /// The request's id, to quote to support.
    #[serde(rename = "requestId")]
    pub request_id: String,
    /// Seconds after which a retry may succeed.
    #[serde(skip)]
    pub retry_after: Option<u32>,
    /// The per-second limit that was exceeded (for the `RateLimit-*` headers).
    #[serde(skip)]
    pub rate_limit: Option<u32>,
}

impl ApiError {
    /// A validation error for a single field.
    pub fn field(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.into(),
            code,
            message: message.into(),
        }])
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::MalformedJson(_) | Self::MerchantRequired => {
                StatusCode::BAD_REQUEST
            }
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::LastFullKey | Self::LimitReached { .. } => StatusCode::CONFLICT,
            Self::OrderIdInUse { .. } | Self::InvalidStatus { .. } | Self::Contention => {
                StatusCode::CONFLICT
            }
            Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::LivePaymentsUnavailable => StatusCode::NOT_IMPLEMENTED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document for this error, as answered to `request_id`.
    pub fn problem(&self, request_id: &str) -> Problem {
        let (code, title) = self.code_and_title();
        Problem {
            kind: format!("https://docs.checkout-sessions.dev/problems/{code}"),
            title,
            status: self.status().as_u16(),
            detail: self.detail(),
            code,
            errors: match self {
                Self::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
            session_id: match self {
                Self::OrderIdInUse { session_id } => Some(session_id.clone()),
                _ => None,
            },
            current_status: match self {
                Self::InvalidStatus { status, .. } => Some(*status),
                _ => None,
            },
            request_id: request_id.to_owned(),
            retry_after: match self {
                Self::Unavailable(_) | Self::Contention | Self::RateLimited { .. } => Some(1),
                _ => None,
            },
            rate_limit: match self {
                Self::RateLimited { limit } => Some(*limit),
                _ => None,
            },
        }
    }

    /// The problem's `code` and `title`.
    fn code_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::Validation(_) => ("validation_failed", "Invalid request"),
            Self::MalformedJson(_) => ("malformed_json", "Malformed JSON"),
            Self::PayloadTooLarge { .. } => ("payload_too_large", "Payload too large"),
            Self::UnsupportedMediaType => ("unsupported_media_type", "Unsupported media type"),
            Self::Unauthenticated(failure) => (failure.code(), "Unauthenticated"),
            Self::MerchantRequired => ("merchant_required", "Merchant required"),
            Self::InsufficientScope => ("insufficient_scope", "Insufficient scope"),
            Self::NotFound => ("resource_not_found", "Not found"),
            Self::LimitReached { .. } => ("limit_reached", "Limit reached"),
            Self::LastFullKey => ("last_full_key", "Last full key"),
            Self::OrderIdInUse { .. } => ("order_id_in_use", "Order id in use"),
            Self::InvalidStatus { .. } => ("invalid_status", "Invalid status"),
            Self::IdempotencyKeyReused => ("idempotency_key_reused", "Idempotency key reused"),
            Self::LivePaymentsUnavailable => {
                ("live_payments_unavailable", "Live payments unavailable")
            }
            Self::RateLimited { .. } => ("rate_limited", "Too many requests"),
            Self::Contention => ("concurrent_update", "Concurrent update"),
            Self::Unavailable(_) => ("service_unavailable", "Service unavailable"),
            Self::Internal(_) => ("internal_error", "Internal error"),
        }
    }

    /// The problem's `detail`: what went wrong and what to do about it.
    fn detail(&self) -> String {
        match self {
            Self::Validation(errors) => format!(
                "{} field(s) are invalid: {}.",
                errors.len(),
                errors
                    .iter()
                    .map(|e| e.field.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::MalformedJson(why) => format!("The body is not a valid JSON object: {why}."),
            Self::PayloadTooLarge { limit } => format!("Request bodies are limited to {limit} bytes."),
            Self::UnsupportedMediaType => "Send the body as `Content-Type: application/json`.".to_owned(),
            Self::Unauthenticated(failure) => failure.detail().to_owned(),
            Self::MerchantRequired => "A platform's key acts for one of its merchants: name it in the Merchant-Id header or as merchantId in the body."
                .to_owned(),
            Self::InsufficientScope => "This API key is read-only: it may only send GET requests.".to_owned(),
            Self::NotFound => "No such resource for this account.".to_owned(),
            Self::LimitReached { what, limit } => format!("An account may hold at most {limit} {what}; remove one first."),
            Self::LastFullKey => "This is the account's last full API key that does not expire; create or roll another first."
                .to_owned(),
            Self::OrderIdInUse { session_id } => format!(
                "Checkout session {session_id} already holds this orderId; expire or cancel it first."
            ),
            Self::InvalidStatus { status, action } => format!("Cannot {action} a session whose status is {status}."),
            Self::IdempotencyKeyReused => "This idempotency key was already used with a different request.".to_owned(),
            Self::LivePaymentsUnavailable => "This deployment is live and has no live payment processor yet, so it takes no checkout session; use the test deployment and its sk_test_ keys.".to_owned(),
            Self::RateLimited { limit } => format!(
                "This account may send {limit} requests per second; retry after the Retry-After delay."
            ),
            Self::Contention => "Another request is changing the same session; retry.".to_owned(),
            Self::Unavailable(_) => "The service is temporarily unavailable; retry later.".to_owned(),
            Self::Internal(_) => "Something went wrong on our side; quote the requestId to support.".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_leak_their_cause() {
        let problem = ApiError::Internal("table arn:aws:dynamodb:secret".into()).problem("req-1");
        let body = serde_json::to_string(&problem).expect("serializable");
        assert!(!body.contains("arn:aws"));
        assert_eq!(problem.status, 500);
    }

    #[test]
    fn unavailable_asks_the_client_to_retry() {
        let problem = ApiError::Unavailable("dispatch failure".into()).problem("req-1");
        assert_eq!(problem.status, 503);
        assert_eq!(problem.retry_after, Some(1));
    }

    #[test]
    fn order_conflicts_name_the_holding_session() {
        let problem = ApiError::OrderIdInUse {
            session_id: SessionId::from_stored("cs_holder"),
        }
        .problem("req-1");
        let body = serde_json::to_value(&problem).expect("serializable");
        assert_eq!(body["sessionId"], "cs_holder");
        assert_eq!(body["code"], "order_id_in_use");
        assert_eq!(body["status"], 409);
    }
}
