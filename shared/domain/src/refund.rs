//! Refunds (SPEC §15): money given back to the payer, in one part or several, never more in all
//! than was paid.

use serde::{Deserialize, Serialize};

use crate::ids::{RefundId, SessionId};
use crate::money::{Amount, Currency};
use crate::timestamp::Timestamp;
use crate::values::Metadata;

/// Why a refund was made, as the merchant says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum RefundReason {
    /// The payer asked.
    RequestedByCustomer,
    /// The payment was made twice.
    Duplicate,
    /// The payment was not the cardholder's.
    Fraudulent,
}

/// A refund as stored and as the API shows it (`object: "refund"`; refunds here succeed at once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    /// `re_…`.
    pub id: RefundId,
    /// Always `refund`.
    #[serde(default = "refund_object")]
    pub object: String,
    /// The session refunded.
    pub session_id: SessionId,
    /// How much, in the session's currency.
    pub amount: Amount,
    /// The session's currency.
    pub currency: Currency,
    /// Why, if the merchant said.
    pub reason: Option<RefundReason>,
    /// Always `succeeded`.
    #[serde(default = "succeeded")]
    pub status: String,
    /// Merchant data.
    pub metadata: Metadata,
    /// When it was made.
    pub created_at: Timestamp,
}

fn refund_object() -> String {
    "refund".to_owned()
}

fn succeeded() -> String {
    "succeeded".to_owned()
}

impl Refund {
    /// A new refund of `amount` of session `session_id` at `now`.
    pub fn new(
        session_id: &SessionId,
        amount: Amount,
        currency: Currency,
        reason: Option<RefundReason>,
        metadata: Metadata,
        now: Timestamp,
    ) -> Self {
        Self {
            id: RefundId::generate(),
            object: refund_object(),
            session_id: session_id.clone(),
            amount,
            currency,
            reason,
            status: succeeded(),
            metadata,
            created_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use strum::VariantArray;

    use super::*;

    #[test]
    fn reasons_have_their_contract_names() {
        let names: Vec<&str> = RefundReason::VARIANTS.iter().map(|r| r.into()).collect();
        assert_eq!(names, ["requested_by_customer", "duplicate", "fraudulent"]);
        for reason in RefundReason::VARIANTS {
            let json = serde_json::to_string(reason).ok();
            let name: &str = reason.into();
            assert_eq!(json, Some(format!("\"{name}\"")));
        }
    }

    #[test]
    fn a_refund_renders_as_the_contract_shows_it() {
        let refund = Refund::new(
            &SessionId::from_stored("cs_1"),
            Amount::from_minor(250, Currency::Usd),
            Currency::Usd,
            Some(RefundReason::Duplicate),
            Metadata::default(),
            Timestamp::parse_rfc3339("2026-12-01T10:00:00Z").expect("valid"),
        );
        let json = serde_json::to_value(&refund).expect("serializable");
        assert_eq!(json["object"], "refund");
        assert_eq!(json["amount"], "2.50");
        assert_eq!(json["status"], "succeeded");
        assert_eq!(json["reason"], "duplicate");
        assert_eq!(json["sessionId"], "cs_1");
    }
}
