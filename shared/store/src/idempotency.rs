//! Idempotency records: the first response to a keyed request, replayed for 24 hours.

use super::errors::StoreError;
use crate::reads::Freshness;
use serde::{Deserialize, Serialize};

use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};

use super::attributes::{built, n};
use super::deflate::{deflate, inflate};
use super::transact::{Refusal, Role};
use super::{Store, keys};
use crate::errors::item_error;
use checkout_domain::ids::MerchantId;
use checkout_domain::timestamp::Timestamp;
use checkout_domain::values::IdempotencyKey;

/// How long a key is remembered.
pub const IDEMPOTENCY_TTL: time::Duration = time::Duration::hours(24);

/// The first response to a keyed request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// Body, exactly as first sent.
    pub body: String,
}

/// What is stored under an idempotency key (whose merchant and endpoint are in its `pk`): the
/// request's fingerprint and its first answer, the body deflated. A create's answer is the whole
/// session; stored as text it alone took a second write unit, counted twice in the transaction.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct IdempotencyRecord {
    pub pk: String,
    pub sk: String,
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, with = "serde_bytes", skip_serializing_if = "Option::is_none")]
    pub answer: Option<Vec<u8>>,
    /// How records written before answers were deflated hold theirs: read for the 24 hours
    /// such a record lives after the upgrade, never written.
    #[serde(default, skip_serializing)]
    pub response: Option<StoredResponse>,
    pub ttl: i64,
}

/// An idempotency record to write along with the change it guards.
#[derive(Debug, Clone)]
pub struct IdempotencyClaim<'a> {
    /// Owner of the key.
    pub merchant_id: &'a MerchantId,
    /// Which endpoint the key is scoped to, e.g. `create_session`.
    pub endpoint: &'static str,
    /// The key.
    pub key: &'a IdempotencyKey,
    /// Fingerprint of the request.
    pub fingerprint: &'a str,
    /// The response to replay.
    pub response: StoredResponse,
}

/// What a keyed request finds when its key was used before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriorUse {
    /// Same request: answer with this again.
    Replay(StoredResponse),
    /// Another request used the key.
    Reused,
}

impl IdempotencyRecord {
    pub fn new(claim: &IdempotencyClaim<'_>, now: Timestamp) -> Self {
        let (pk, sk) = keys::idempotency(claim.merchant_id, claim.endpoint, claim.key.as_ref());
        Self {
            pk,
            sk: sk.to_owned(),
            fingerprint: claim.fingerprint.to_owned(),
            status: Some(claim.response.status),
            answer: Some(deflate(&claim.response.body)),
            response: None,
            ttl: now.plus(IDEMPOTENCY_TTL).unix_seconds(),
        }
    }

    /// The earlier use a refused transaction met: the record its idempotency condition failed
    /// on, judged for a request with `fingerprint`.
    pub fn met_in(
        refusal: &Refusal,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<Option<PriorUse>, StoreError> {
        let Some(item) = refusal.failed(Role::Idempotency) else {
            return Ok(None);
        };
        let record: Self = serde_dynamo::from_item(item.clone()).map_err(item_error)?;
        record.judge(fingerprint, now)
    }

    /// The first answer, inflated.
    fn first_answer(self) -> Result<StoredResponse, StoreError> {
        if let Some(response) = self.response {
            return Ok(response);
        }
        let (Some(status), Some(answer)) = (self.status, self.answer) else {
            return Err(StoreError::Internal(
                "idempotency record without an answer".into(),
            ));
        };
        Ok(StoredResponse {
            status,
            body: inflate(&answer, "idempotent answer")?,
        })
    }

    /// Judges a request with `fingerprint` against this record, as seen at `now` (a record past
    /// its TTL that DynamoDB has not deleted yet counts as gone).
    pub fn judge(self, fingerprint: &str, now: Timestamp) -> Result<Option<PriorUse>, StoreError> {
        if self.ttl <= now.unix_seconds() {
            return Ok(None);
        }
        Ok(Some(if self.fingerprint == fingerprint {
            PriorUse::Replay(self.first_answer()?)
        } else {
            PriorUse::Reused
        }))
    }
}

impl Store {
    /// The write of a keyed request's record, to join the transaction of the change it guards:
    /// its condition holds when the key has no record, or only one past its TTL that DynamoDB has
    /// not deleted yet.
    pub(super) fn idempotency_write(
        &self,
        claim: &IdempotencyClaim<'_>,
        now: Timestamp,
    ) -> Result<TransactWriteItem, StoreError> {
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
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The earlier use of `key` at `endpoint`, read strongly consistent.
    pub async fn prior_use(
        &self,
        merchant_id: &MerchantId,
        endpoint: &'static str,
        key: &IdempotencyKey,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<Option<PriorUse>, StoreError> {
        let key = keys::key_map(keys::idempotency(merchant_id, endpoint, key.as_ref()));
        let record: Option<IdempotencyRecord> = self.read(key, Freshness::Strong).await?;
        match record {
            Some(record) => record.judge(fingerprint, now),
            None => Ok(None),
        }
    }
}
