//! The merchant dashboard's items: signed-in sessions (under their merchant, by the token's
//! hash), one-time sign-in links, and finding a merchant's sessions by reference or customer
//! e-mail through the keys-only `by-reference` and `by-email` indexes.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use serde::{Deserialize, Serialize};

use super::api_keys::ApiKeyItem;
use super::attributes::s;
use super::errors::{StoreError, condition_held};
use super::merchants::MerchantItem;
use super::sessions::SessionItem;
use super::{Store, index, keys, storage_error};
use crate::errors::item_error;
use checkout_domain::api_key::ApiKeyRecord;
use checkout_domain::dashboard::{DashboardSession, SignInLink};
use checkout_domain::ids::MerchantId;
use checkout_domain::merchant::Merchant;
use checkout_domain::session::CheckoutSession;

#[derive(Debug, Serialize, Deserialize)]
struct DashboardSessionItem {
    pk: String,
    sk: String,
    /// Clean-up only: `expiresAt` is what ends a session.
    ttl: i64,
    #[serde(flatten)]
    session: DashboardSession,
}

#[derive(Debug, Serialize, Deserialize)]
struct SignInLinkItem {
    pk: String,
    sk: String,
    ttl: i64,
    #[serde(flatten)]
    link: SignInLink,
}

/// A dashboard session's key: under its merchant, by its token's hash.
fn session_keys(merchant_id: &MerchantId, token_hash: &str) -> (String, String) {
    (
        keys::merchant(merchant_id).0,
        format!("DASHBOARD#{token_hash}"),
    )
}

fn link_keys(token_hash: &str) -> (String, String) {
    (format!("DASHLINK#{token_hash}"), "DASHLINK".to_owned())
}

fn key_of((pk, sk): (String, String)) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

/// What one dashboard request reads before anything else, in one round trip.
#[derive(Debug, Default)]
pub struct DashboardAccess {
    /// The merchant the cookie names.
    pub merchant: Option<Merchant>,
    /// Its dashboard session of the cookie's token.
    pub session: Option<DashboardSession>,
    /// The key the session was opened with.
    pub key: Option<ApiKeyRecord>,
}

/// How the dashboard looks a session up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionSearch {
    /// By the short code the payer was shown.
    Reference(String),
    /// By the customer's e-mail.
    Email(String),
}

/// Most sessions one search answers with (newest first).
pub const SEARCH_LIMIT: i32 = 100;

impl Store {
    /// Writes a new dashboard session.
    pub async fn put_dashboard_session(
        &self,
        session: &DashboardSession,
    ) -> Result<(), StoreError> {
        let (pk, sk) = session_keys(&session.merchant_id, &session.token_hash);
        self.put_new(DashboardSessionItem {
            pk,
            sk,
            ttl: session.expires_at.unix_seconds(),
            session: session.clone(),
        })
        .await
    }

    /// Ends a dashboard session; `false` if there was none.
    pub async fn end_dashboard_session(
        &self,
        merchant_id: &MerchantId,
        token_hash: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_of(session_keys(merchant_id, token_hash))))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        Ok(condition_held(result)?.is_some())
    }

    /// The merchant, its dashboard session of `token_hash` and the key it was opened with, read
    /// strongly consistent in one round trip, so that a sign-out or a revocation is seen at once.
    pub async fn dashboard_access(
        &self,
        merchant_id: &MerchantId,
        token_hash: &str,
        key_hash: Option<&str>,
    ) -> Result<DashboardAccess, StoreError> {
        let mut wanted = vec![
            keys::key_map(keys::merchant(merchant_id)),
            key_of(session_keys(merchant_id, token_hash)),
        ];
        wanted.extend(key_hash.map(|hash| keys::key_map(keys::api_key(hash))));
        let mut access = DashboardAccess::default();
        for item in self.batch_read(wanted).await? {
            match item.get("pk").and_then(|pk| pk.as_s().ok()) {
                Some(pk) if pk.starts_with("APIKEY#") => {
                    let key: ApiKeyItem = serde_dynamo::from_item(item).map_err(item_error)?;
                    access.key = Some(key.record);
                }
                _ if item
                    .get("sk")
                    .and_then(|sk| sk.as_s().ok())
                    .map(String::as_str)
                    == Some("MERCHANT") =>
                {
                    let merchant: MerchantItem =
                        serde_dynamo::from_item(item).map_err(item_error)?;
                    access.merchant = Some(merchant.merchant);
                }
                _ => {
                    let session: DashboardSessionItem =
                        serde_dynamo::from_item(item).map_err(item_error)?;
                    access.session = Some(session.session);
                }
            }
        }
        Ok(access)
    }

    /// Writes a new one-time sign-in link.
    pub async fn put_sign_in_link(&self, link: &SignInLink) -> Result<(), StoreError> {
        let (pk, sk) = link_keys(&link.token_hash);
        self.put_new(SignInLinkItem {
            pk,
            sk,
            ttl: link.expires_at.unix_seconds(),
            link: link.clone(),
        })
        .await
    }

    /// Takes the sign-in link of `token_hash`: deleted as it is read, so that of any number of
    /// racing openings one gets it.
    pub async fn take_sign_in_link(
        &self,
        token_hash: &str,
    ) -> Result<Option<SignInLink>, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_of(link_keys(token_hash))))
            .condition_expression("attribute_exists(pk)")
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        let Some(output) = condition_held(result)? else {
            return Ok(None);
        };
        output
            .attributes
            .map(|item| serde_dynamo::from_item::<_, SignInLinkItem>(item).map(|i| i.link))
            .transpose()
            .map_err(item_error)
    }

    /// Up to [`SEARCH_LIMIT`] of `merchant_id`'s sessions that `search` finds, newest first,
    /// and whether there are more: one query of a keys-only index, then one batch read.
    pub async fn search_sessions(
        &self,
        merchant_id: &MerchantId,
        search: &SessionSearch,
    ) -> Result<(Vec<CheckoutSession>, bool), StoreError> {
        let (index_name, attribute, value) = match search {
            SessionSearch::Reference(reference) => {
                (index::BY_REFERENCE, "reference", reference.to_uppercase())
            }
            SessionSearch::Email(email) => (index::BY_EMAIL, "em", keys::email_key(email)),
        };
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index_name)
            .key_condition_expression("#term = :term AND merchantId = :merchant")
            .expression_attribute_names("#term", attribute)
            .expression_attribute_values(":term", s(value))
            .expression_attribute_values(":merchant", s(merchant_id.as_str()))
            .limit(SEARCH_LIMIT + 1)
            .send()
            .await
            .map_err(storage_error)?;
        let found = output.items.unwrap_or_default();
        let more = found.len() > SEARCH_LIMIT as usize;
        let wanted: Vec<_> = found
            .into_iter()
            .take(SEARCH_LIMIT as usize)
            .filter_map(|item| {
                Some(HashMap::from([
                    ("pk".to_owned(), item.get("pk")?.clone()),
                    ("sk".to_owned(), item.get("sk")?.clone()),
                ]))
            })
            .collect();
        let mut sessions = self
            .batch_read(wanted)
            .await?
            .into_iter()
            .map(|item| serde_dynamo::from_item::<_, SessionItem>(item).map(|i| i.session))
            .collect::<Result<Vec<_>, _>>()
            .map_err(item_error)?;
        sessions.retain(|session| &session.merchant_id == merchant_id);
        sessions.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        Ok((sessions, more))
    }

    /// Gives the sessions stored before the `by-email` index their key in it (`em`, the
    /// customer's e-mail in lower case), one conditional update each; the `by-reference` index
    /// needs none (its keys are the reference and merchant every session has). Sessions that
    /// have it, or have no e-mail, are left alone, so running it again writes nothing. The
    /// number of sessions written.
    pub async fn backfill_search_keys(&self) -> Result<u64, StoreError> {
        let mut written = 0;
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression(
                    "sk = :session AND attribute_exists(customer.email) AND attribute_not_exists(em)",
                )
                .expression_attribute_values(":session", s("SESSION"))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(storage_error)?;
            for item in page.items.unwrap_or_default() {
                let stored: SessionItem = serde_dynamo::from_item(item).map_err(item_error)?;
                let Some(email) = SessionItem::new(&stored.session, self.retention).em else {
                    continue;
                };
                let update = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .key("pk", s(stored.pk))
                    .key("sk", s(stored.sk))
                    .condition_expression("attribute_exists(pk) AND attribute_not_exists(em)")
                    .update_expression("SET em = :email")
                    .expression_attribute_values(":email", s(email))
                    .send()
                    .await;
                if condition_held(update)?.is_some() {
                    written += 1;
                }
            }
            match page.last_evaluated_key {
                Some(last) => start = Some(last),
                None => return Ok(written),
            }
        }
    }
}
