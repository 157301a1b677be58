//! Payment, decline and refund writes: each one conditional transaction with its event.

use super::errors::StoreError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};

use super::attributes::{built, n, s};
use super::conditions;
use super::errors::condition_held;
use super::idempotency::{IdempotencyRecord, PriorUse};
use super::sessions::SessionItem;
use super::transact::{Role, TransactFailure, Transaction};
use super::{Store, keys};
use crate::errors::item_error;
use checkout_domain::event::WebhookEvent;
use checkout_domain::session::{CheckoutSession, SessionStatus};
use checkout_domain::timestamp::Timestamp;

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

impl Store {
    /// Records the payment of a pending, unexpired session as `paid` (status completed, payment
    /// details, completedAt) with its `event`, only while its merchant is active, checked in the
    /// same transaction. Its order-id reservation needs no change: written to live until the
    /// session's expiry plus the retention, it outlives a session paid before that expiry.
    pub async fn complete_session(
        &self,
        session: &CheckoutSession,
        paid: &CheckoutSession,
        event: &WebhookEvent,
        now: Timestamp,
    ) -> Result<ChangeOutcome, StoreError> {
        let payment = serde_dynamo::to_attribute_value(&paid.payment).map_err(item_error)?;
        let ttl = n(now.plus(self.retention).unix_seconds());
        let update = built(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(keys::key_map(keys::session(&session.id))))
                .update_expression(
                    "SET #status = :completed, completedAt = :now, payment = :payment, #ttl = :ttl, \
                     version = :version, updatedAt = :now REMOVE gsi3pk, gsi3sk",
                )
                .condition_expression(conditions::OPEN)
                .expression_attribute_names("#status", "status")
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":completed", s(SessionStatus::Completed.as_str()))
                .expression_attribute_values(":pending", s(SessionStatus::Pending.as_str()))
                .expression_attribute_values(":now", s(now.to_string()))
                .expression_attribute_values(":payment", payment)
                .expression_attribute_values(":version", n(paid.version))
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
        let transaction = Transaction::default()
            .with(
                Role::Session,
                TransactWriteItem::builder().update(update).build(),
            )
            .with(Role::Event, self.event_write(event)?)
            .with(
                Role::Merchant,
                TransactWriteItem::builder()
                    .condition_check(merchant_active)
                    .build(),
            );
        let result = self.transact(transaction).await;
        if let Err(TransactFailure::ConditionFailed(refusal)) = &result
            && refusal.failed(Role::Merchant).is_some()
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
    ) -> Result<Option<u32>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::session(&session.id))))
            .update_expression("ADD declineCount :one")
            .condition_expression(conditions::OPEN)
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

    /// Reads the cancellation of a [session update, event, (idempotency record)] transaction.
    pub(super) fn change_outcome(
        &self,
        result: Result<(), TransactFailure>,
        changed: &CheckoutSession,
        fingerprint: Option<&str>,
        now: Timestamp,
    ) -> Result<ChangeOutcome, StoreError> {
        let refusal = match result {
            Ok(()) => return Ok(ChangeOutcome::Changed(Box::new(changed.clone()))),
            Err(TransactFailure::Error(err)) => return Err(err),
            Err(TransactFailure::ConditionFailed(refusal)) => refusal,
        };
        if let Some(fingerprint) = fingerprint
            && let Some(prior) = IdempotencyRecord::met_in(&refusal, fingerprint, now)?
        {
            return Ok(ChangeOutcome::PriorUse(prior));
        }
        match refusal.failed(Role::Session) {
            Some(item) if !item.is_empty() => {
                let current: SessionItem =
                    serde_dynamo::from_item(item.clone()).map_err(item_error)?;
                Ok(ChangeOutcome::Refused(Box::new(current.session)))
            }
            Some(_) => Ok(ChangeOutcome::Gone),
            None => Err(StoreError::Internal(format!(
                "unexpected cancellation: {refusal:?}"
            ))),
        }
    }
}
