//! Payment, decline and refund writes: each one conditional transaction with its event.

use super::errors::StoreError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};

use super::attributes::{built, n, s};
use super::conditions;
use super::errors::condition_held;
use super::sessions::ChangeOutcome;
use super::transact::{Role, TransactFailure, Transaction};
use super::{Store, keys};
use crate::errors::item_error;
use checkout_domain::event::WebhookEvent;
use checkout_domain::ids::MerchantId;
use checkout_domain::session::{CheckoutSession, PaymentDetails, SessionStatus};
use checkout_domain::timestamp::Timestamp;
use checkout_domain::values::Collected;

impl Store {
    /// Records a payment of a pending, unexpired session still at the version its payer saw, with
    /// its `event`, only while its merchant is active, checked in the same transaction. `taken` is
    /// the session as paid: `completed`, or `processing` when the payment settles later (it
    /// leaves the expiry index for the settlement index, so time never expires it, and its TTL
    /// and its order id's are lifted until it settles). A completed session's order-id
    /// reservation needs no change: written to live until the session's expiry plus the
    /// retention, it outlives a session paid before that expiry.
    pub async fn take_payment(
        &self,
        session: &CheckoutSession,
        taken: &CheckoutSession,
        event: &WebhookEvent,
        now: Timestamp,
    ) -> Result<ChangeOutcome, StoreError> {
        let processing = taken.status == SessionStatus::Processing;
        let update = self.payment_update(session, taken, now)?;
        let merchant_active = self.merchant_is_active(&session.merchant_id)?;
        let hold_order_id = if processing {
            self.reservation_ttl_write(session, None)?
        } else {
            None
        };
        let transaction = Transaction::default()
            .with(
                Role::Session,
                TransactWriteItem::builder().update(update).build(),
            )
            .with(Role::Event, self.event_write(event)?)
            .with(Role::Merchant, merchant_active)
            .with_some(Role::Reservation, hold_order_id);
        let result = self.transact(transaction).await;
        if let Err(TransactFailure::ConditionFailed(refusal)) = &result
            && refusal.failed(Role::Merchant).is_some()
        {
            return Ok(ChangeOutcome::MerchantInactive);
        }
        self.change_outcome(result, taken, None, now)
    }

    /// The write that takes a payment: `session` as `taken` (processing, or completed at once),
    /// conditioned on it being open at the version the payer saw.
    fn payment_update(
        &self,
        session: &CheckoutSession,
        taken: &CheckoutSession,
        now: Timestamp,
    ) -> Result<Update, StoreError> {
        let payment = serde_dynamo::to_attribute_value(&taken.payment).map_err(item_error)?;
        let processing = taken.status == SessionStatus::Processing;
        let builder = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::session(&session.id))))
            .condition_expression(conditions::open_at_version(session.version))
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":to", s(taken.status.as_str()))
            .expression_attribute_values(":pending", s(SessionStatus::Pending.as_str()))
            .expression_attribute_values(":now", s(now.to_string()))
            .expression_attribute_values(":seen", n(session.version))
            .expression_attribute_values(":payment", payment)
            .expression_attribute_values(":version", n(taken.version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        // What the page collected is written with the payment it came with.
        let (collected, builder) = match &taken.collected {
            Some(collected) => (
                "collected = :collected, ",
                builder.expression_attribute_values(
                    ":collected",
                    serde_dynamo::to_attribute_value(collected).map_err(item_error)?,
                ),
            ),
            None => ("", builder),
        };
        let builder = if processing {
            builder
                .update_expression(format!(
                    "SET {collected}#status = :to, processingAt = :now, payment = :payment, \
                     version = :version, updatedAt = :now, gsi3pk = :settling, gsi3sk = :now \
                     REMOVE #ttl, awaitingAuthentication"
                ))
                .expression_attribute_values(":settling", s(keys::settling_shard(&session.id)))
        } else {
            builder
                .update_expression(format!(
                    "SET {collected}#status = :to, completedAt = :now, payment = :payment, \
                     #ttl = :ttl, version = :version, updatedAt = :now \
                     REMOVE gsi3pk, gsi3sk, awaitingAuthentication"
                ))
                .expression_attribute_values(":ttl", n(now.plus(self.retention).unix_seconds()))
        };
        built(builder.build())
    }

    /// The check, in a transaction, that the merchant of a write is active.
    fn merchant_is_active(
        &self,
        merchant_id: &MerchantId,
    ) -> Result<TransactWriteItem, StoreError> {
        let check = built(
            ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(keys::key_map(keys::merchant(merchant_id))))
                .condition_expression("active = :yes")
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .build(),
        )?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// Settles a processing session as `settled` (`completed`, or `failed` with its failure
    /// code) with its `event`, in one transaction conditioned on it still processing: of racing
    /// settlements exactly one is written. A completed session's order id is kept for the
    /// retention from now; a failed one's is released.
    pub async fn settle_session(
        &self,
        session: &CheckoutSession,
        settled: &CheckoutSession,
        event: &WebhookEvent,
        now: Timestamp,
    ) -> Result<ChangeOutcome, StoreError> {
        let payment = serde_dynamo::to_attribute_value(&settled.payment).map_err(item_error)?;
        let ttl = now.plus(self.retention).unix_seconds();
        let (stamp, order_id) = match settled.status {
            SessionStatus::Completed => (
                "completedAt",
                self.reservation_ttl_write(session, Some(ttl))?,
            ),
            SessionStatus::Failed => ("failedAt", self.reservation_release(session)?),
            other => {
                return Err(StoreError::Internal(format!(
                    "{other} does not settle a payment"
                )));
            }
        };
        let failure_code = settled.failure_code.clone().unwrap_or_default();
        let update = built(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(keys::key_map(keys::session(&session.id))))
                .update_expression(
                    "SET #status = :to, #at = :now, payment = :payment, #ttl = :ttl, \
                     version = :version, updatedAt = :now, failureCode = :failure \
                     REMOVE gsi3pk, gsi3sk",
                )
                .condition_expression("#status = :processing")
                .expression_attribute_names("#status", "status")
                .expression_attribute_names("#at", stamp)
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":to", s(settled.status.as_str()))
                .expression_attribute_values(":processing", s(SessionStatus::Processing.as_str()))
                .expression_attribute_values(":now", s(now.to_string()))
                .expression_attribute_values(":payment", payment)
                .expression_attribute_values(":ttl", n(ttl))
                .expression_attribute_values(":version", n(settled.version))
                .expression_attribute_values(
                    ":failure",
                    if failure_code.is_empty() {
                        AttributeValue::Null(true)
                    } else {
                        s(failure_code)
                    },
                )
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build(),
        )?;
        let transaction = Transaction::default()
            .with(
                Role::Session,
                TransactWriteItem::builder().update(update).build(),
            )
            .with(Role::Event, self.event_write(event)?)
            .with_some(Role::Reservation, order_id);
        let result = self.transact(transaction).await;
        self.change_outcome(result, settled, None, now)
    }

    /// Keeps what may be kept of a card whose issuer asked for 3-D Secure on a pending,
    /// unexpired session at the version the payer saw, until the payer passes or fails the
    /// challenge; whether it was written.
    pub async fn await_authentication(
        &self,
        session: &CheckoutSession,
        card: &PaymentDetails,
        collected: Option<&Collected>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let card = serde_dynamo::to_attribute_value(card).map_err(item_error)?;
        // What the page collected waits with the card for the payer's answer to the challenge.
        let (expression, collected) = match collected {
            Some(collected) => (
                "SET awaitingAuthentication = :card, collected = :collected",
                Some(serde_dynamo::to_attribute_value(collected).map_err(item_error)?),
            ),
            None => ("SET awaitingAuthentication = :card REMOVE collected", None),
        };
        let mut builder = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::session(&session.id))));
        if let Some(collected) = collected {
            builder = builder.expression_attribute_values(":collected", collected);
        }
        let result = builder
            .update_expression(expression)
            .condition_expression(conditions::open_at_version(session.version))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":card", card)
            .expression_attribute_values(":pending", s(SessionStatus::Pending.as_str()))
            .expression_attribute_values(":now", s(now.to_string()))
            .expression_attribute_values(":seen", n(session.version))
            .send()
            .await;
        Ok(condition_held(result)?.is_some())
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
            .update_expression("ADD declineCount :one REMOVE awaitingAuthentication")
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
}
