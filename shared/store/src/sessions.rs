//! Checkout sessions, their order-id reservations, and the writes that move them between statuses.

use super::errors::StoreError;
use crate::reads::Freshness;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};

use super::attributes::{built, n, s};
use super::conditions;
use super::errors::condition_held;
use super::idempotency::{IdempotencyClaim, IdempotencyRecord, PriorUse};
use super::transact::{Role, TransactFailure, Transaction};
use super::{Store, keys};
use crate::errors::item_error;
use checkout_domain::event::WebhookEvent;
use checkout_domain::ids::{MerchantId, SessionId};
use checkout_domain::session::{CheckoutSession, SessionStatus, UPDATABLE_FIELDS};
use checkout_domain::timestamp::Timestamp;

/// A session with its key and index attributes, as stored.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct SessionItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    /// The `by-group-keys` partition of its order's sessions (its sort key is `gsi1sk`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi2pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi3pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi3sk: Option<String>,
    /// Its customer's e-mail in lower case: the `by-email` index's key (absent on sessions
    /// stored before it, until `backfill_search_keys`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub em: Option<String>,
    /// None while processing: a payment in flight is never deleted by time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    #[serde(flatten)]
    pub session: CheckoutSession,
}

impl SessionItem {
    pub(super) fn new(session: &CheckoutSession, retention: time::Duration) -> Self {
        let (pk, sk) = keys::session(&session.id);
        let created = keys::created_sort_key(&session.created_at.to_string(), session.id.as_str());
        let pending = (session.status == SessionStatus::Pending).then(|| {
            (
                keys::pending_shard(&session.id),
                session.expires_at.to_string(),
            )
        });
        Self {
            pk,
            sk: sk.to_owned(),
            gsi1pk: keys::merchant_sessions(&session.merchant_id, session.key_shard),
            gsi1sk: created,
            gsi2pk: session
                .order_id
                .as_ref()
                .map(|order_id| keys::order_sessions(&session.merchant_id, order_id.as_ref())),
            gsi3pk: pending.as_ref().map(|p| p.0.clone()),
            gsi3sk: pending.map(|p| p.1),
            em: session
                .customer
                .as_ref()
                .and_then(|c| c.email.as_deref())
                .map(keys::email_key),
            ttl: Some(session.expires_at.plus(retention).unix_seconds()),
            session: session.clone(),
        }
    }
}

/// Holds an order id for one live session of a merchant.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderReservation {
    pk: String,
    sk: String,
    merchant_id: MerchantId,
    order_id: String,
    session_id: SessionId,
    /// None while its session is processing: an order in flight is never freed by time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl: Option<i64>,
}

/// The result of [`Store::create_session`].
#[derive(Debug)]
pub enum CreateOutcome {
    /// Written: the session, its reservation and its idempotency record.
    Created,
    /// The idempotency key was used before.
    PriorUse(PriorUse),
    /// The order id is held by this session.
    OrderIdHeld {
        /// The holder.
        session_id: SessionId,
    },
}

/// The result of [`Store::recover_session`].
#[derive(Debug)]
pub enum RecoverOutcome {
    /// Written: the new session, its reservation, and the expired one pointing to it.
    Created,
    /// The recovery URL was opened before: this is the session it made.
    AlreadyRecovered(SessionId),
    /// The order id is held by another session; recover without it.
    OrderIdHeld,
}

/// The result of [`Store::end_session`].
#[derive(Debug)]
pub enum EndOutcome {
    /// The session as written.
    Ended(Box<CheckoutSession>),
    /// The session was no longer pending (or had expired): here it is as it is now.
    NotPending(Box<CheckoutSession>),
    /// The session no longer exists.
    Gone,
}

fn conditional_put(
    item: HashMap<String, AttributeValue>,
    table: &str,
    condition: &str,
) -> Result<TransactWriteItem, StoreError> {
    let put = built(
        Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression(condition)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build(),
    )?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// The result of a write that changes a session: a payment, a refund or an update.
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
    /// The release of `session`'s order id, if it has one: a delete conditioned on the
    /// reservation naming it (or being gone already).
    pub(super) fn reservation_release(
        &self,
        session: &CheckoutSession,
    ) -> Result<Option<TransactWriteItem>, StoreError> {
        let Some(order_id) = &session.order_id else {
            return Ok(None);
        };
        let delete = built(
            Delete::builder()
                .table_name(&self.table)
                .set_key(Some(keys::key_map(keys::order_reservation(
                    &session.merchant_id,
                    order_id.as_ref(),
                ))))
                .condition_expression("attribute_not_exists(pk) OR sessionId = :session")
                .expression_attribute_values(":session", s(session.id.clone()))
                .build(),
        )?;
        Ok(Some(TransactWriteItem::builder().delete(delete).build()))
    }

    /// A new TTL for `session`'s order-id reservation, if it has one: `ttl` (Unix seconds), or
    /// none at all while the session may outlive any expiry (processing), conditioned on the
    /// reservation naming it.
    pub(super) fn reservation_ttl_write(
        &self,
        session: &CheckoutSession,
        ttl: Option<i64>,
    ) -> Result<Option<TransactWriteItem>, StoreError> {
        let Some(order_id) = &session.order_id else {
            return Ok(None);
        };
        let builder = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::order_reservation(
                &session.merchant_id,
                order_id.as_ref(),
            ))))
            .condition_expression("sessionId = :session")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":session", s(session.id.clone()));
        let builder = match ttl {
            Some(ttl) => builder
                .update_expression("SET #ttl = :ttl")
                .expression_attribute_values(":ttl", n(ttl)),
            None => builder.update_expression("REMOVE #ttl"),
        };
        Ok(Some(
            TransactWriteItem::builder()
                .update(built(builder.build())?)
                .build(),
        ))
    }

    /// The order-id reservation a new session writes, if it has an order id.
    pub(super) fn reservation_item(
        &self,
        session: &CheckoutSession,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let Some(order_id) = &session.order_id else {
            return Ok(None);
        };
        let (pk, sk) = keys::order_reservation(&session.merchant_id, order_id.as_ref());
        let reservation = OrderReservation {
            pk,
            sk: sk.to_owned(),
            merchant_id: session.merchant_id.clone(),
            order_id: order_id.as_ref().to_owned(),
            session_id: session.id.clone(),
            ttl: Some(session.expires_at.plus(self.retention).unix_seconds()),
        };
        serde_dynamo::to_item(reservation)
            .map(Some)
            .map_err(item_error)
    }

    /// Writes a new pending session, its order-id reservation and its idempotency record in ONE
    /// transaction, each conditioned on not existing yet (an idempotency record past its TTL counts
    /// as absent), so that concurrent duplicates create exactly one session.
    pub async fn create_session(
        &self,
        session: &CheckoutSession,
        claim: Option<IdempotencyClaim<'_>>,
        now: Timestamp,
    ) -> Result<CreateOutcome, StoreError> {
        let item =
            serde_dynamo::to_item(SessionItem::new(session, self.retention)).map_err(item_error)?;
        let session_write = conditional_put(item, &self.table, "attribute_not_exists(pk)")?;
        let reservation_write = self
            .reservation_item(session)?
            .map(|item| conditional_put(item, &self.table, "attribute_not_exists(pk)"))
            .transpose()?;
        let idempotency_write = claim
            .as_ref()
            .map(|claim| self.idempotency_write(claim, now))
            .transpose()?;
        let transaction = Transaction::default()
            .with(Role::Session, session_write)
            .with_some(Role::Reservation, reservation_write)
            .with_some(Role::Idempotency, idempotency_write);
        let refusal = match self.transact(transaction).await {
            Ok(()) => return Ok(CreateOutcome::Created),
            Err(TransactFailure::Error(err)) => return Err(err),
            Err(TransactFailure::ConditionFailed(refusal)) => refusal,
        };
        if let Some(claim) = &claim
            && let Some(prior) = IdempotencyRecord::met_in(&refusal, claim.fingerprint, now)?
        {
            return Ok(CreateOutcome::PriorUse(prior));
        }
        if let Some(item) = refusal.failed(Role::Reservation) {
            let reservation: OrderReservation =
                serde_dynamo::from_item(item.clone()).map_err(item_error)?;
            return Ok(CreateOutcome::OrderIdHeld {
                session_id: reservation.session_id,
            });
        }
        Err(StoreError::Internal(format!(
            "session id collision or unexpected cancellation: {refusal:?}"
        )))
    }

    /// The session `id`, read strongly consistent; `None` if there is none.
    pub async fn get_session(&self, id: &SessionId) -> Result<Option<CheckoutSession>, StoreError> {
        let item: Option<SessionItem> = self
            .read(keys::key_map(keys::session(id)), Freshness::Strong)
            .await?;
        Ok(item.map(|i| i.session))
    }

    /// Moves a pending session to its `ended` form (`expired`, `cancelled` or `failed`) in one
    /// transaction: the conditional status change (`status = pending`, and `expiresAt > now`
    /// unless expiring), the release of its order id, and the `event` announcing it. Exactly one of
    /// any number of racing callers succeeds, and only it writes an event.
    pub async fn end_session(
        &self,
        session: &CheckoutSession,
        ended: &CheckoutSession,
        event: &WebhookEvent,
        now: Timestamp,
    ) -> Result<EndOutcome, StoreError> {
        let update = self.end_update(session, ended, now)?;
        let release = self.reservation_release(session)?;
        let transaction = Transaction::default()
            .with(
                Role::Session,
                TransactWriteItem::builder().update(update).build(),
            )
            .with(Role::Event, self.event_write(event)?)
            .with_some(Role::Reservation, release);
        match self.transact(transaction).await {
            Ok(()) => Ok(EndOutcome::Ended(Box::new(ended.clone()))),
            Err(TransactFailure::Error(err)) => Err(err),
            Err(TransactFailure::ConditionFailed(refusal)) => match refusal.failed(Role::Session) {
                Some(item) if !item.is_empty() => {
                    let current: SessionItem =
                        serde_dynamo::from_item(item.clone()).map_err(item_error)?;
                    Ok(EndOutcome::NotPending(Box::new(current.session)))
                }
                Some(_) => Ok(EndOutcome::Gone),
                None => Err(StoreError::Internal(format!(
                    "event id collision or order reservation held by another session: {refusal:?}"
                ))),
            },
        }
    }

    /// The write that ends `session` as `ended`, conditioned on it being open (pending, for an
    /// expiry): status, its time stamp, the retention TTL, off the settlement index.
    fn end_update(
        &self,
        session: &CheckoutSession,
        ended: &CheckoutSession,
        now: Timestamp,
    ) -> Result<Update, StoreError> {
        let to = ended.status;
        let stamp_attribute = match to {
            SessionStatus::Expired => "expiredAt",
            SessionStatus::Cancelled => "cancelledAt",
            SessionStatus::Failed => "failedAt",
            other => {
                return Err(StoreError::Internal(format!(
                    "{other} does not release a session"
                )));
            }
        };
        let condition = if to == SessionStatus::Expired {
            conditions::PENDING
        } else {
            conditions::OPEN
        };
        let failure = if ended.failure_code.is_some() {
            "failureCode = :failure, "
        } else {
            ""
        };
        let mut builder = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::session(&session.id))))
            .update_expression(format!(
                "SET {failure}#status = :to, #at = :now, #ttl = :ttl, version = :version, \
                 updatedAt = :now REMOVE gsi3pk, gsi3sk, awaitingAuthentication"
            ))
            .condition_expression(condition)
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#at", stamp_attribute)
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":version", n(ended.version))
            .expression_attribute_values(":pending", s(SessionStatus::Pending.as_str()))
            .expression_attribute_values(":now", s(now.to_string()))
            .expression_attribute_values(":ttl", n(now.plus(self.retention).unix_seconds()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(code) = &ended.failure_code {
            builder = builder.expression_attribute_values(":failure", s(code.clone()));
        }
        built(builder.build())
    }

    /// Creates `recovery` (with its order-id reservation) for the expired `expired`, and marks
    /// `expired` as recovered by it, in ONE transaction conditioned on `expired` not being
    /// recovered yet: however often or concurrently its URL is opened, one session is made.
    pub async fn recover_session(
        &self,
        expired: &CheckoutSession,
        recovery: &CheckoutSession,
    ) -> Result<RecoverOutcome, StoreError> {
        let mark = built(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(keys::key_map(keys::session(&expired.id))))
                .update_expression("SET recoveredBy = :by")
                .condition_expression("attribute_exists(pk) AND attribute_not_exists(recoveredBy)")
                .expression_attribute_values(":by", s(recovery.id.as_str()))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build(),
        )?;
        let item = serde_dynamo::to_item(SessionItem::new(recovery, self.retention))
            .map_err(item_error)?;
        let session_write = conditional_put(item, &self.table, "attribute_not_exists(pk)")?;
        let reservation_write = self
            .reservation_item(recovery)?
            .map(|item| conditional_put(item, &self.table, "attribute_not_exists(pk)"))
            .transpose()?;
        let transaction = Transaction::default()
            .with(
                Role::Session,
                TransactWriteItem::builder().update(mark).build(),
            )
            .with(Role::Recovery, session_write)
            .with_some(Role::Reservation, reservation_write);
        let refusal = match self.transact(transaction).await {
            Ok(()) => return Ok(RecoverOutcome::Created),
            Err(TransactFailure::Error(err)) => return Err(err),
            Err(TransactFailure::ConditionFailed(refusal)) => refusal,
        };
        if let Some(item) = refusal.failed(Role::Session) {
            let current: SessionItem = serde_dynamo::from_item(item.clone()).map_err(item_error)?;
            if let Some(by) = current.session.recovered_by {
                return Ok(RecoverOutcome::AlreadyRecovered(by));
            }
        }
        if refusal.failed(Role::Reservation).is_some() {
            return Ok(RecoverOutcome::OrderIdHeld);
        }
        Err(StoreError::Internal(format!(
            "unexpected cancellation of a recovery: {refusal:?}"
        )))
    }

    /// Deletes a reservation whose session no longer exists (it was removed by TTL retention),
    /// conditioned on it still naming that session.
    pub async fn release_orphan_reservation(
        &self,
        merchant_id: &MerchantId,
        order_id: &str,
        session_id: &SessionId,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::order_reservation(
                merchant_id,
                order_id,
            ))))
            .condition_expression("sessionId = :session")
            .expression_attribute_values(":session", s(session_id.as_str()))
            .send()
            .await;
        condition_held(result)?;
        Ok(())
    }
}

/// What changes with a merchant's update besides the fields it names: the fees, the version, the
/// expiry index, the search keys, and a 3-D Secure step begun for the old amount. Every other
/// attribute of the session is left as it is.
const UPDATED_WITH: [&str; 7] = [
    "fee",
    "netAmount",
    "version",
    "updatedAt",
    "gsi3sk",
    "em",
    "awaitingAuthentication",
];

impl Store {
    /// Writes the merchant's update of `session` as `updated`, conditioned on it being open and
    /// still at the version it was read at, so that no payment is taken for an amount other than
    /// the one on the page (payments are conditioned on the version too). The expiry index and
    /// the TTLs (the session's, its order id's) follow a new expiry in the same transaction.
    pub async fn update_session(
        &self,
        session: &CheckoutSession,
        updated: &CheckoutSession,
        now: Timestamp,
    ) -> Result<ChangeOutcome, StoreError> {
        let item =
            serde_dynamo::to_item(SessionItem::new(updated, self.retention)).map_err(item_error)?;
        let mut item: HashMap<String, AttributeValue> = item;
        let mut builder = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::key_map(keys::session(&session.id))))
            .condition_expression(conditions::open_at_version(session.version))
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":pending", s(SessionStatus::Pending.as_str()))
            .expression_attribute_values(":now", s(now.to_string()))
            .expression_attribute_values(":seen", n(session.version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let (mut set, mut remove) = (Vec::new(), Vec::new());
        let written = UPDATABLE_FIELDS
            .into_iter()
            .chain(UPDATED_WITH)
            .chain(["ttl"]);
        for (index, name) in written.enumerate() {
            let placeholder = if name == "ttl" {
                "#ttl".to_owned()
            } else {
                let placeholder = format!("#u{index}");
                builder = builder.expression_attribute_names(&placeholder, name);
                placeholder
            };
            match item.remove(name) {
                Some(value) => {
                    set.push(format!("{placeholder} = :u{index}"));
                    builder = builder.expression_attribute_values(format!(":u{index}"), value);
                }
                None => remove.push(placeholder),
            }
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let update = built(builder.update_expression(expression).build())?;
        let order_ttl = if updated.expires_at == session.expires_at {
            None
        } else {
            let ttl = updated.expires_at.plus(self.retention).unix_seconds();
            self.reservation_ttl_write(session, Some(ttl))?
        };
        let transaction = Transaction::default()
            .with(
                Role::Session,
                TransactWriteItem::builder().update(update).build(),
            )
            .with_some(Role::Reservation, order_ttl);
        let result = self.transact(transaction).await;
        self.change_outcome(result, updated, None, now)
    }
}

impl Store {
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
