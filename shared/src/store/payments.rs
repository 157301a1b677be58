//! Payment, decline and refund writes: each one conditional transaction with its event.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Put, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};

use super::errors::condition_held;
use super::idempotency::{IdempotencyClaim, IdempotencyRecord, PriorUse};
use super::sessions::SessionItem;
use super::transact::TransactFailure;
use super::{Store, keys};
use crate::error::ApiError;
use crate::event::WebhookEvent;
use crate::session::{CheckoutSession, SessionStatus};
use crate::store::errors::item_error;
use crate::timestamp::Timestamp;

/// The result of a payment or refund write.
#[derive(Debug)]
pub enum ChangeOutcome {
    /// Written; the session as it now is.
    Changed(Box<CheckoutSession>),
    /// Its status did not allow the change: the session as it is.
    Refused(Box<CheckoutSession>),
    /// The idempotency key was used before (refunds).
    PriorUse(PriorUse),
    /// The session's merchant was deactivated (payments).
    MerchantInactive,
    /// No such session.
    Gone,
}

fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn n(number: i64) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

fn built<T, E: std::fmt::Display>(result: Result<T, E>) -> Result<T, ApiError> {
    result.map_err(|e| ApiError::Internal(e.to_string()))
}

impl Store {
    /// Records the payment of a pending, unexpired session as `paid` (status completed, payment
    /// details, completedAt) with its `event`, and keeps its order id reserved as long as it; only
    /// while its merchant is active, checked in the same transaction.
    pub async fn complete_session(
        &self,
        session: &CheckoutSession,
        paid: &CheckoutSession,
        event: &WebhookEvent,
        now: Timestamp,
    ) -> Result<ChangeOutcome, ApiError> {
        let payment = serde_dynamo::to_attribute_value(&paid.payment).map_err(item_error)?;
        let ttl = n(now.plus(self.retention).unix_seconds());
        let update = built(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(keys::key_map(keys::session(&session.id))))
                .update_expression(
                    "SET #status = :completed, completedAt = :now, payment = :payment, #ttl = :ttl \
                     REMOVE gsi3pk, gsi3sk",
                )
                .condition_expression("#status = :pending AND expiresAt > :now")
                .expression_attribute_names("#status", "status")
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":completed", s(SessionStatus::Completed.as_str()))
                .expression_attribute_values(":pending", s(SessionStatus::Pending.as_str()))
                .expression_attribute_values(":now", s(now.to_string()))
                .expression_attribute_values(":payment", payment)
                .expression_attribute_values(":ttl", ttl.clone())
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build(),
        )?;
        let merchant_active = built(
            ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(keys::key_map(keys::merchant(&session.merchant_id))))
                .condition_expression("active = :yes")
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .build(),
        )?;
        let mut items = vec![
            TransactWriteItem::builder().update(update).build(),
            self.event_write(event)?,
            TransactWriteItem::builder()
                .condition_check(merchant_active)
                .build(),
        ];
        const MERCHANT_CHECK: usize = 2;
        if let Some(order_id) = &session.order_id {
            let keep = built(
                Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(keys::key_map(keys::order_reservation(
                        &session.merchant_id,
                        order_id.as_ref(),
                    ))))
                    .update_expression("SET #ttl = :ttl")
                    .condition_expression("sessionId = :session")
                    .expression_attribute_names("#ttl", "ttl")
                    .expression_attribute_values(":ttl", ttl)
                    .expression_attribute_values(":session", s(session.id.clone()))
                    .build(),
            )?;
            items.push(TransactWriteItem::builder().update(keep).build());
        }
        let result = self.transact(items).await;
        if let Err(TransactFailure::ConditionFailed(reasons)) = &result
            && reasons
                .get(MERCHANT_CHECK)
                .is_some_and(|r| r.condition_failed())
        {
            return Ok(ChangeOutcome::MerchantInactive);
        }
        self.change_outcome(result, paid, None, now)
    }

    /// Counts a declined attempt on a pending, unexpired session; returns the new count, or `None`
    /// when the session can no longer be paid.
    pub async fn record_decline(
        &self,
        session: &CheckoutSession,
        now: Timestamp,
    ) -> Result<Option<u32>, ApiError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::session(&session.id))))
            .update_expression("ADD declineCount :one")
            .condition_expression("#status = :pending AND expiresAt > :now")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":pending", s(SessionStatus::Pending.as_str()))
            .expression_attribute_values(":now", s(now.to_string()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match condition_held(result)? {
            Some(output) => Ok(output
                .attributes
                .and_then(|a| a.get("declineCount")?.as_n().ok()?.parse().ok())),
            None => Ok(None),
        }
    }

    /// Refunds a completed session in full as `refunded`, with its `event` and, for a keyed
    /// request, its idempotency record, in one transaction.
    pub async fn refund_session(
        &self,
        session: &CheckoutSession,
        refunded: &CheckoutSession,
        event: &WebhookEvent,
        claim: Option<IdempotencyClaim<'_>>,
        now: Timestamp,
    ) -> Result<ChangeOutcome, ApiError> {
        let update = built(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(keys::key_map(keys::session(&session.id))))
                .update_expression("SET #status = :refunded, refundedAt = :now")
                .condition_expression("#status = :completed")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":refunded", s(SessionStatus::Refunded.as_str()))
                .expression_attribute_values(":completed", s(SessionStatus::Completed.as_str()))
                .expression_attribute_values(":now", s(now.to_string()))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build(),
        )?;
        let mut items = vec![
            TransactWriteItem::builder().update(update).build(),
            self.event_write(event)?,
        ];
        if let Some(claim) = &claim {
            let record = IdempotencyRecord::new(claim, now);
            let put = built(
                Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(serde_dynamo::to_item(record).map_err(item_error)?))
                    .condition_expression("attribute_not_exists(pk) OR #ttl <= :now")
                    .expression_attribute_names("#ttl", "ttl")
                    .expression_attribute_values(":now", n(now.unix_seconds()))
                    .return_values_on_condition_check_failure(
                        ReturnValuesOnConditionCheckFailure::AllOld,
                    )
                    .build(),
            )?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        let fingerprint = claim.as_ref().map(|c| c.fingerprint);
        self.change_outcome(self.transact(items).await, refunded, fingerprint, now)
    }

    /// Reads the cancellation of a [session update, event, (idempotency record)] transaction.
    fn change_outcome(
        &self,
        result: Result<(), TransactFailure>,
        changed: &CheckoutSession,
        fingerprint: Option<&str>,
        now: Timestamp,
    ) -> Result<ChangeOutcome, ApiError> {
        let reasons = match result {
            Ok(()) => return Ok(ChangeOutcome::Changed(Box::new(changed.clone()))),
            Err(TransactFailure::Error(err)) => return Err(err),
            Err(TransactFailure::ConditionFailed(reasons)) => reasons,
        };
        if let (Some(fingerprint), Some(reason)) = (fingerprint, reasons.get(2))
            && reason.condition_failed()
        {
            let item: HashMap<String, AttributeValue> = reason.item.clone().unwrap_or_default();
            let record: IdempotencyRecord = serde_dynamo::from_item(item).map_err(item_error)?;
            if let Some(prior) = record.judge(fingerprint, now) {
                return Ok(ChangeOutcome::PriorUse(prior));
            }
        }
        match reasons
            .first()
            .filter(|r| r.condition_failed())
            .and_then(|r| r.item.clone())
        {
            Some(item) if !item.is_empty() => {
                let current: SessionItem = serde_dynamo::from_item(item).map_err(item_error)?;
                Ok(ChangeOutcome::Refused(Box::new(current.session)))
            }
            Some(_) => Ok(ChangeOutcome::Gone),
            None => Err(ApiError::Internal(format!(
                "unexpected cancellation: {reasons:?}"
            ))),
        }
    }
}
