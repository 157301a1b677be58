//! Admission against a merchant's per-second limit, with per-container leases: a container that
//! served a merchant often in the previous second takes several slots of the window in one
//! conditional write and admits from them locally, so a busy merchant's requests mostly skip the
//! window round trip, and its window items take a fraction of its requests as writes.
//!
//! The limit stays exact from above: a slot is counted in the window before it is used, so no
//! window admits more than its cap. The price is below it: slots a container leased and did not
//! use before the second ended are lost, and with them at most a quarter of what that container
//! served in the previous second (docs/scale.md). A container that was quiet in the previous
//! second takes one slot per request, exactly as without leases.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use checkout_domain::ids::MerchantId;
use checkout_domain::merchant::rate_window_shards;

/// When this many merchants are remembered the table starts over, so its memory stays bounded.
const MAX_MERCHANTS: usize = 1_000;

/// The longest a refused request waits for a lease in flight to land.
const LEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// What this container knows of a merchant's window.
#[derive(Debug, Clone, Copy, Default)]
struct Lease {
    /// The second (Unix time) the counts below are about.
    second: i64,
    /// Slots counted in the window and not used yet.
    left: u32,
    /// The window's remaining slots when the last lease was taken, beyond `left`.
    remaining: u32,
    /// Requests this container admitted for the merchant in `second`.
    admitted: u32,
    /// Requests it admitted in the second before.
    previous: u32,
    /// A request of this container is taking several slots now: the others take one each, so
    /// that no more than one lease's worth can be left unused.
    leasing: bool,
}

impl Lease {
    /// The lease as of `second`: the counts of an older second move along or lapse.
    fn at(self, second: i64) -> Self {
        match second - self.second {
            0 => self,
            1 => Self {
                second,
                previous: self.admitted,
                ..Self::default()
            },
            _ => Self {
                second,
                ..Self::default()
            },
        }
    }
}

/// The leases of this container, by merchant.
#[derive(Clone, Default)]
pub struct Admissions {
    leases: Arc<Mutex<HashMap<MerchantId, Lease>>>,
    /// Told when a lease lands or is refused, so that requests the window refused meanwhile can
    /// have its spare slots instead of a 429.
    landed: Arc<tokio::sync::Notify>,
}

impl Admissions {
    /// Uses a leased slot of `merchant`'s window of `second`, if one is left; the window's
    /// remaining slots as this container last learnt them.
    pub fn take_leased(&self, merchant: &MerchantId, second: i64) -> Option<u32> {
        let mut leases = self.leases.lock().ok()?;
        let lease = leases.get_mut(merchant)?;
        *lease = lease.at(second);
        if lease.left == 0 {
            return None;
        }
        lease.left -= 1;
        lease.admitted += 1;
        Some(lease.remaining + lease.left)
    }

    /// How many slots to ask the window of `second` for: a quarter of what this container
    /// admitted for the merchant in the second before, one at the least, and at most a quarter
    /// of one window item's cap; one while another request of this container is leasing.
    pub fn slots_to_take(&self, merchant: &MerchantId, limit: u32, second: i64) -> u32 {
        let Ok(mut leases) = self.leases.lock() else {
            return 1;
        };
        let Some(lease) = leases.get_mut(merchant) else {
            return 1;
        };
        *lease = lease.at(second);
        if lease.leasing {
            return 1;
        }
        let (_, cap) = rate_window_shards(limit);
        let slots = (lease.previous / 4).clamp(1, (cap / 4).max(1));
        lease.leasing = slots > 1;
        slots
    }

    /// Whether a request of this container is leasing slots of `merchant`'s window of `second`.
    fn leasing(&self, merchant: &MerchantId, second: i64) -> bool {
        self.leases.lock().ok().is_some_and(|leases| {
            leases
                .get(merchant)
                .is_some_and(|lease| lease.second == second && lease.leasing)
        })
    }

    /// A slot of a lease another request of this container is taking from the window of
    /// `second`, once it lands; `None` when there is none or it brought no spare slot.
    pub async fn await_lease(&self, merchant: &MerchantId, second: i64) -> Option<u32> {
        let landed = self.landed.notified();
        tokio::pin!(landed);
        landed.as_mut().enable();
        // The lease's own store call is bounded by the client's timeouts; this bound is only
        // for a lease whose request went away without a word.
        if self.leasing(merchant, second) {
            let _ = tokio::time::timeout(LEASE_WAIT, landed).await;
        }
        self.take_leased(merchant, second)
    }

    /// Records that `slots` were taken from the window of `second`, one of them for the request
    /// at hand, with `remaining` left in the window after them.
    pub fn took(&self, merchant: &MerchantId, second: i64, slots: u32, remaining: u32) {
        self.record_took(merchant, second, slots, remaining);
        if slots > 1 {
            self.landed.notify_waiters();
        }
    }

    fn record_took(&self, merchant: &MerchantId, second: i64, slots: u32, remaining: u32) {
        let Ok(mut leases) = self.leases.lock() else {
            return;
        };
        if leases.len() >= MAX_MERCHANTS && !leases.contains_key(merchant) {
            leases.clear();
        }
        let lease = leases.entry(merchant.clone()).or_default();
        *lease = lease.at(second);
        if slots > 1 {
            lease.leasing = false;
        }
        lease.left += slots.saturating_sub(1);
        lease.remaining = remaining;
        lease.admitted += 1;
    }

    /// Records that the window of `second` refused a lease of several slots: the next request
    /// may try again.
    pub fn lease_refused(&self, merchant: &MerchantId, second: i64) {
        if let Ok(mut leases) = self.leases.lock()
            && let Some(lease) = leases.get_mut(merchant)
        {
            *lease = lease.at(second);
            lease.leasing = false;
        }
        self.landed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_container_takes_one_slot_per_request() {
        let admissions = Admissions::default();
        let merchant = MerchantId::from_stored("mer_1");
        assert_eq!(admissions.slots_to_take(&merchant, 25, 100), 1);
        admissions.took(&merchant, 100, 1, 24);
        assert_eq!(admissions.take_leased(&merchant, 100), None);
        assert_eq!(admissions.slots_to_take(&merchant, 25, 100), 1);
    }

    #[test]
    fn a_busy_container_leases_a_quarter_of_its_last_second_and_uses_them_locally() {
        let admissions = Admissions::default();
        let merchant = MerchantId::from_stored("mer_1");
        for _ in 0..40 {
            admissions.took(&merchant, 100, 1, 0);
        }
        assert_eq!(admissions.slots_to_take(&merchant, 1_000, 101), 10);
        assert_eq!(
            admissions.slots_to_take(&merchant, 1_000, 101),
            1,
            "one lease at a time"
        );
        admissions.took(&merchant, 101, 10, 500);
        let local: Vec<_> = (0..10)
            .map(|_| admissions.take_leased(&merchant, 101))
            .collect();
        assert_eq!(local[0], Some(508));
        assert_eq!(local[8], Some(500));
        assert_eq!(
            local[9], None,
            "nine slots were left after the first request"
        );
        assert_eq!(
            admissions.take_leased(&merchant, 102),
            None,
            "slots lapse with their second"
        );
    }

    #[test]
    fn leases_stay_within_a_quarter_of_a_window_item() {
        let admissions = Admissions::default();
        let merchant = MerchantId::from_stored("mer_1");
        for _ in 0..400 {
            admissions.took(&merchant, 7, 1, 0);
        }
        assert_eq!(admissions.slots_to_take(&merchant, 25, 8), 6);
        admissions.lease_refused(&merchant, 8);
        assert_eq!(admissions.slots_to_take(&merchant, 5_000, 8), 50);
        admissions.lease_refused(&merchant, 8);
        assert_eq!(
            admissions.slots_to_take(&merchant, 5_000, 9),
            1,
            "two seconds later"
        );
    }
}
