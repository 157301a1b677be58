//! The idempotent-write flow every keyed write shares (create, refund, and the writes to come):
//! the claim written in the write's own transaction, the replay of an earlier answer, and the
//! look at the record again before any refusal.

use crate::App;
use crate::error::ApiError;
use checkout_domain::merchant::Merchant;
use checkout_domain::values::IdempotencyKey;
use checkout_store::{IdempotencyClaim, PriorUse, StoredResponse};

/// The answer to a keyed write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The response, as first sent.
    pub response: StoredResponse,
    /// Whether this is a replay of an earlier request with the same idempotency key.
    pub replayed: bool,
}

impl Created {
    /// A first answer.
    pub fn first(response: StoredResponse) -> Self {
        Self {
            response,
            replayed: false,
        }
    }

    /// Why a stored refusal refused: the `detail` of the problem it answered, if it is one.
    pub fn refusal_detail(&self) -> Option<String> {
        #[derive(serde::Deserialize)]
        struct Problem {
            detail: String,
        }
        if self.response.status < 400 {
            return None;
        }
        serde_json::from_str::<Problem>(&self.response.body)
            .ok()
            .map(|problem| problem.detail)
    }
}

/// One keyed request: its endpoint scope, its key if it has one, and what it stands for.
#[derive(Debug, Clone)]
pub struct Replay {
    endpoint: &'static str,
    key: Option<IdempotencyKey>,
    fingerprint: String,
}

impl Replay {
    /// A request to `endpoint` with `key` (if any) standing for the request `fingerprint`.
    pub fn new(endpoint: &'static str, key: Option<IdempotencyKey>, fingerprint: String) -> Self {
        Self {
            endpoint,
            key,
            fingerprint,
        }
    }

    /// The idempotency record to write with the change, answering `response` to retries.
    pub fn claim<'a>(
        &'a self,
        merchant: &'a Merchant,
        response: &StoredResponse,
    ) -> Option<IdempotencyClaim<'a>> {
        self.key.as_ref().map(|key| IdempotencyClaim {
            merchant_id: &merchant.id,
            endpoint: self.endpoint,
            key,
            fingerprint: &self.fingerprint,
            response: response.clone(),
        })
    }

    /// The earlier answer to this key, if there is one (a 422 when it was another request's).
    pub async fn earlier_answer(
        &self,
        app: &App,
        merchant: &Merchant,
    ) -> Result<Option<Created>, ApiError> {
        let Some(key) = &self.key else {
            return Ok(None);
        };
        let prior = app
            .store
            .prior_use(
                &merchant.id,
                self.endpoint,
                key,
                &self.fingerprint,
                app.now(),
            )
            .await?;
        prior.map(answer_prior_use).transpose()
    }

    /// `refusal`, unless an earlier request with this key was answered: then that answer again.
    /// Every refusal of a keyed request goes through here, so that a duplicate never sees an
    /// error its first try did not (a same-key request may have raced this one to the write).
    pub async fn unless_replayed(
        &self,
        app: &App,
        merchant: &Merchant,
        refusal: ApiError,
    ) -> Result<Created, ApiError> {
        match self.earlier_answer(app, merchant).await? {
            Some(answer) => Ok(answer),
            None => Err(refusal),
        }
    }
}

/// The answer to a keyed request whose key was used before: the first response again, or a 422
/// when the key was used for another request.
pub fn answer_prior_use(prior: PriorUse) -> Result<Created, ApiError> {
    match prior {
        PriorUse::Replay(response) => Ok(Created {
            response,
            replayed: true,
        }),
        PriorUse::Reused => Err(ApiError::IdempotencyKeyReused),
    }
}
