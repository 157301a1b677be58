//! Per-merchant request counters in fixed one-second windows: conditional atomic increments on
//! items that TTL removes a minute later. A merchant allowed more than a window item should take
//! has its count spread over several (`rate_window_shards`), so no item is written by every
//! request of a busy merchant.

use super::errors::StoreError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::errors::condition_held;
use super::{Store, keys};
use checkout_domain::ids::MerchantId;
use checkout_domain::merchant::rate_window_shards;
use checkout_domain::timestamp::Timestamp;

/// How a request (or a batch of slots) fared against its merchant's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    /// Admitted; about this many more fit in the current window (exact with one window item,
    /// extrapolated from the item counted in with several).
    Allowed {
        /// Requests left in this second.
        remaining: u32,
    },
    /// Over the limit for this second.
    Limited,
}

impl Store {
    /// Counts `slots` requests of `merchant_id` in the one-second window of `now`, unless they
    /// would take the window past `limit`. With several window items, one is chosen at random;
    /// when it is full, one other is tried before the request is refused.
    pub async fn take_request_slots(
        &self,
        merchant_id: &MerchantId,
        limit: u32,
        slots: u32,
        now: Timestamp,
    ) -> Result<RateDecision, StoreError> {
        let (shards, cap) = rate_window_shards(limit);
        let first = rand::random_range(0..shards);
        let decision = self
            .take_from_window(merchant_id, now, first, cap, slots)
            .await?;
        if decision != RateDecision::Limited || shards == 1 {
            return Ok(scaled(decision, shards, limit));
        }
        let second = (first + rand::random_range(1..shards)) % shards;
        let decision = self
            .take_from_window(merchant_id, now, second, cap, slots)
            .await?;
        Ok(scaled(decision, shards, limit))
    }

    async fn take_from_window(
        &self,
        merchant_id: &MerchantId,
        now: Timestamp,
        shard: u32,
        cap: u32,
        slots: u32,
    ) -> Result<RateDecision, StoreError> {
        let second = now.unix_seconds();
        let Some(most_before) = cap.checked_sub(slots) else {
            return Ok(RateDecision::Limited);
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::rate_window(
                merchant_id,
                second,
                shard,
            ))))
            .update_expression("SET #ttl = :ttl ADD requests :slots")
            .condition_expression("attribute_not_exists(requests) OR requests <= :most")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":ttl", AttributeValue::N((second + 60).to_string()))
            .expression_attribute_values(":slots", AttributeValue::N(slots.to_string()))
            .expression_attribute_values(":most", AttributeValue::N(most_before.to_string()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match condition_held(result)? {
            Some(output) => {
                let used: u32 = output
                    .attributes
                    .and_then(|a| a.get("requests")?.as_n().ok()?.parse().ok())
                    .unwrap_or(cap);
                Ok(RateDecision::Allowed {
                    remaining: cap.saturating_sub(used),
                })
            }
            None => Ok(RateDecision::Limited),
        }
    }
}

/// A window item's remaining slots as the merchant's: times the number of items, at most the
/// limit less the request just counted.
fn scaled(decision: RateDecision, shards: u32, limit: u32) -> RateDecision {
    match decision {
        RateDecision::Allowed { remaining } => RateDecision::Allowed {
            remaining: remaining
                .saturating_mul(shards)
                .min(limit.saturating_sub(1)),
        },
        RateDecision::Limited => RateDecision::Limited,
    }
}
