//! A per-container memory of recently checked API keys, so that a warm container answers a burst
//! of requests with the operation's own DynamoDB call alone. A revoked key or a deactivated
//! merchant is refused at the latest `AUTH_CACHE_SECONDS` after the change (documented in
//! docs/decisions.md); `0` turns the cache off.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use checkout_domain::api_key::ApiKeyRecord;
use checkout_domain::ids::MerchantId;
use checkout_domain::merchant::Merchant;
use checkout_domain::timestamp::Timestamp;

/// When this many keys are remembered the cache starts over: its memory stays bounded whatever
/// the traffic, and a container rarely sees more than a few merchants.
const MAX_ENTRIES: usize = 1_000;

/// Key holders by key hash, each with the instant it was read from the table.
#[derive(Clone, Default)]
pub struct AuthCache {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

#[derive(Clone)]
struct Entry {
    merchant: Merchant,
    record: ApiKeyRecord,
    read_at: Timestamp,
}

impl AuthCache {
    /// The holder of `hash` read less than `ttl` before `now`, if remembered.
    pub fn get(
        &self,
        hash: &str,
        now: Timestamp,
        ttl: time::Duration,
    ) -> Option<(Merchant, ApiKeyRecord)> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(hash)?;
        let age = now.since(entry.read_at);
        (age >= time::Duration::ZERO && age < ttl)
            .then(|| (entry.merchant.clone(), entry.record.clone()))
    }

    /// Notes that the key with `hash` was recorded as used at `now`, so that this container does
    /// not write it again within the minute.
    pub fn mark_used(&self, hash: &str, now: Timestamp) {
        if let Ok(mut entries) = self.entries.lock() {
            for entry in entries.values_mut() {
                if entry.record.key_hash == hash {
                    entry.record.last_used_at = Some(now);
                }
            }
        }
    }

    /// Forgets every key of merchant `id`, so that this container reads the merchant (and its
    /// keys) again after changing them itself; other containers see the change within the TTL.
    pub fn forget_merchant(&self, id: &MerchantId) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, entry| entry.merchant.id != *id);
        }
    }

    /// Remembers the holder of `hash` as read at `now`.
    pub fn put(&self, hash: &str, merchant: &Merchant, record: &ApiKeyRecord, now: Timestamp) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            hash.to_owned(),
            Entry {
                merchant: merchant.clone(),
                record: record.clone(),
                read_at: now,
            },
        );
    }
}
