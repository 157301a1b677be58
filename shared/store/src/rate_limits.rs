//! Per-merchant request counters in fixed one-second windows: one conditional atomic increment per
//! request, on an item that TTL removes a minute later.

use super::errors::StoreError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::errors::condition_held;
use super::{Store, keys};
use checkout_domain::ids::MerchantId;
use checkout_domain::timestamp::Timestamp;

/// How a request fared against its merchant's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    /// Admitted; this many more fit in the current window.
    Allowed {
        /// Requests left in this second.
        remaining: u32,
    },
    /// Over the limit for this second.
    Limited,
}

impl Store {
    /// Counts one request of `merchant_id` in the one-second window of `now`, unless `limit` are
    /// already counted there.
    pub async fn take_request_slot(
        &self,
        merchant_id: &MerchantId,
        limit: u32,
        now: Timestamp,
    ) -> Result<RateDecision, StoreError> {
        let second = now.unix_seconds();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::rate_window(merchant_id, second))))
            .update_expression("SET #ttl = :ttl ADD requests :one")
            .condition_expression("attribute_not_exists(requests) OR requests < :limit")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":ttl", AttributeValue::N((second + 60).to_string()))
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .expression_attribute_values(":limit", AttributeValue::N(limit.to_string()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match condition_held(result)? {
            Some(output) => {
                let used: u32 = output
                    .attributes
                    .and_then(|a| a.get("requests")?.as_n().ok()?.parse().ok())
                    .unwrap_or(limit);
                Ok(RateDecision::Allowed {
                    remaining: limit.saturating_sub(used),
                })
            }
            None => Ok(RateDecision::Limited),
        }
    }
}
