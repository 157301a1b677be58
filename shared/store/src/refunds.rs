//! Refunds of a session (SPEC §15), kept in a partition of their own beside it, oldest first.

use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};

use super::attributes::{built, n, s};
use super::errors::StoreError;
use super::idempotency::IdempotencyClaim;
use super::listing::PageKey;
use super::sessions::ChangeOutcome;
use super::transact::{Role, Transaction};
use super::{Store, keys, storage_error};
use crate::errors::item_error;
use checkout_domain::event::WebhookEvent;
use checkout_domain::ids::SessionId;
use checkout_domain::refund::Refund;
use checkout_domain::session::{CheckoutSession, SessionStatus};
use checkout_domain::timestamp::Timestamp;

/// A refund with its key, as stored.
#[derive(Debug, Serialize, Deserialize)]
struct RefundItem {
    pk: String,
    sk: String,
    ttl: i64,
    #[serde(flatten)]
    refund: Refund,
}

/// One page of a session's refunds.
#[derive(Debug)]
pub struct RefundPage {
    /// At most the page size, oldest first.
    pub refunds: Vec<Refund>,
    /// Set when more follow.
    pub next: Option<PageKey>,
}

impl Store {
    /// Records `refund` of `session` (as it was read) with the session as the refund leaves it
    /// (`after`: its refunded sum, and `refunded` once that reaches the amount), its `events` and
    /// the request's idempotency record, in ONE transaction. The session's condition is that it
    /// is still completed and its refunded sum still the one read: however many refunds race,
    /// their sum never exceeds the amount, and one that lost the race is refused with the
    /// session as it now is, to be judged again on it.
    pub async fn create_refund(
        &self,
        session: &CheckoutSession,
        after: &CheckoutSession,
        refund: &Refund,
        events: &[WebhookEvent],
        claim: Option<IdempotencyClaim<'_>>,
        now: Timestamp,
    ) -> Result<ChangeOutcome, StoreError> {
        let sum = after
            .amount_refunded
            .ok_or_else(|| StoreError::Internal("a refund without a refunded sum".into()))?;
        let mut set = vec![
            "amountRefunded = :sum",
            "version = :version",
            "updatedAt = :now",
        ];
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::session(&session.id))))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sum", s(sum.to_string()))
            .expression_attribute_values(":version", n(after.version))
            .expression_attribute_values(":now", s(now.to_string()))
            .expression_attribute_values(":completed", s(SessionStatus::Completed.as_str()));
        if after.status == SessionStatus::Refunded {
            set.extend(["#status = :refunded", "refundedAt = :now"]);
            update = update
                .expression_attribute_values(":refunded", s(SessionStatus::Refunded.as_str()));
        }
        let condition = match session.amount_refunded {
            None => "#status = :completed AND attribute_not_exists(amountRefunded)",
            Some(before) => {
                update = update.expression_attribute_values(":before", s(before.to_string()));
                "#status = :completed AND amountRefunded = :before"
            }
        };
        let update = built(
            update
                .update_expression(format!("SET {}", set.join(", ")))
                .condition_expression(condition)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build(),
        )?;
        let (pk, sk) = keys::session_refund(
            &refund.session_id,
            &refund.created_at.to_string(),
            refund.id.as_str(),
        );
        let item = RefundItem {
            pk,
            sk,
            ttl: now.plus(self.retention).unix_seconds(),
            refund: refund.clone(),
        };
        let put = self.new_item_write(item)?;
        let mut transaction = Transaction::default()
            .with(
                Role::Session,
                TransactWriteItem::builder().update(update).build(),
            )
            .with(Role::Refund, put);
        for event in events {
            transaction = transaction.with(Role::Event, self.event_write(event)?);
        }
        let idempotency_write = claim
            .as_ref()
            .map(|claim| self.idempotency_write(claim, now))
            .transpose()?;
        let transaction = transaction.with_some(Role::Idempotency, idempotency_write);
        let fingerprint = claim.as_ref().map(|c| c.fingerprint);
        self.change_outcome(self.transact(transaction).await, after, fingerprint, now)
    }

    /// Up to `limit` refunds of session `id`, oldest first, after `after`.
    pub async fn list_refunds(
        &self,
        id: &SessionId,
        limit: usize,
        after: Option<&PageKey>,
    ) -> Result<RefundPage, StoreError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .expression_attribute_values(":pk", s(keys::session_refunds(id)))
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX));
        query = match after {
            Some(after) => query
                .key_condition_expression("pk = :pk AND sk > :after")
                .expression_attribute_values(":after", AttributeValue::S(after.sort_key.clone())),
            None => query.key_condition_expression("pk = :pk"),
        };
        let output = query.send().await.map_err(storage_error)?;
        let mut refunds = Vec::new();
        for item in output.items.unwrap_or_default() {
            let item: RefundItem = serde_dynamo::from_item(item).map_err(item_error)?;
            refunds.push(item.refund);
        }
        let next = if refunds.len() > limit {
            refunds.truncate(limit);
            refunds.last().map(|refund| PageKey {
                sort_key: keys::created_sort_key(
                    &refund.created_at.to_string(),
                    refund.id.as_str(),
                ),
            })
        } else {
            None
        };
        Ok(RefundPage { refunds, next })
    }
}
