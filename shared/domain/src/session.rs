//! The checkout session: what is stored, and the resource the API renders from it.

use serde::{Deserialize, Serialize};

use crate::ids::{MerchantId, SessionId};
use crate::money::{Amount, Currency};
use crate::timestamp::Timestamp;
use crate::values::{
    BoundedText, Collect, Collected, Consent, CryptoAsset, Customer, CustomerDetails, FieldValue,
    HttpUrl, LineItem, Locale, Metadata, OrderId, PaymentMethod,
};

/// The fields a merchant's update may change (SPEC §17), named as the API and the table name
/// them; the API's `expiresIn` is another way to give `expiresAt`.
pub const UPDATABLE_FIELDS: [&str; 10] = [
    "amount",
    "locale",
    "lineItems",
    "description",
    "customer",
    "metadata",
    "successUrl",
    "cancelUrl",
    "webhookUrl",
    "expiresAt",
];

/// Where a session is in its life. `pending` and `processing` are the non-terminal statuses
/// (refund aside): `pending → processing → completed | failed` (SPEC §16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::Display, strum::VariantArray)]
#[strum(serialize_all = "lowercase")]
pub enum SessionStatus {
    /// Waiting for the payer.
    Pending,
    /// Paid by the payer, not yet settled by the processor: never expired by time.
    Processing,
    /// Paid.
    Completed,
    /// Payment failed for good.
    Failed,
    /// Expired unpaid.
    Expired,
    /// Cancelled by the payer or the merchant.
    Cancelled,
    /// Paid, then fully refunded.
    Refunded,
}

impl SessionStatus {
    /// The lower-case name used in the API and in the table.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses a lower-case status name.
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }

    /// Whether a session in this status keeps its order id reserved.
    pub fn holds_order_id(self) -> bool {
        matches!(
            self,
            Self::Pending | Self::Processing | Self::Completed | Self::Refunded
        )
    }
}

/// How a session was paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentDetails {
    /// `card` or `crypto`.
    pub method: PaymentMethod,
    /// Card brand, e.g. `visa`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Last four card digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last4: Option<String>,
    /// The crypto asset paid with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<CryptoAsset>,
    /// How much of the asset was asked for, at the rate locked for the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_amount: Option<rust_decimal::Decimal>,
    /// The chain the asset is sent on, e.g. `ethereum`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Where the payer sends the asset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit_address: Option<String>,
    /// The payer's transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
    /// Confirmations seen so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmations: Option<u32>,
    /// Confirmations awaited before the payment settles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmations_required: Option<u32>,
    /// Whether the card holder passed 3-D Secure authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub three_d_secure: Option<bool>,
}

impl PaymentDetails {
    /// A card payment: brand and last four digits.
    pub fn card(brand: &str, last4: &str) -> Self {
        Self {
            brand: Some(brand.to_owned()),
            last4: Some(last4.to_owned()),
            ..Self::new(PaymentMethod::Card)
        }
    }

    /// A payment by `method` with no details yet.
    pub fn new(method: PaymentMethod) -> Self {
        Self {
            method,
            brand: None,
            last4: None,
            asset: None,
            asset_amount: None,
            network: None,
            deposit_address: None,
            tx_hash: None,
            confirmations: None,
            confirmations_required: None,
            three_d_secure: None,
        }
    }
}

/// A checkout session as stored. Its status is the stored one; use [`CheckoutSession::status_at`]
/// for what a reader sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutSession {
    /// `cs_…`.
    pub id: SessionId,
    /// The owning merchant.
    pub merchant_id: MerchantId,
    /// Which of its merchant's key shards holds this session's list entry and its events: kept
    /// on the session so that every writer knows it without reading the merchant.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub key_shard: u32,
    /// Stored status.
    pub status: SessionStatus,
    /// Total to pay.
    pub amount: Amount,
    /// Currency of every amount of the session.
    pub currency: Currency,
    /// Our fee.
    pub fee: Amount,
    /// The merchant's order reference, unique while the session is live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// Short code shown to the payer.
    pub reference: String,
    /// Shown on the checkout page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<BoundedText>,
    /// The payer, as far as the merchant knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// What is bought.
    pub line_items: Vec<LineItem>,
    /// Merchant data.
    pub metadata: Metadata,
    /// Allowed methods.
    pub payment_methods: Vec<PaymentMethod>,
    /// Crypto assets offered; empty means all (and is not stored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_assets: Vec<CryptoAsset>,
    /// Where the payer goes after paying.
    pub success_url: HttpUrl,
    /// Where the payer goes after cancelling.
    pub cancel_url: HttpUrl,
    /// Overrides the merchant's webhook URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<HttpUrl>,
    /// Creation instant.
    pub created_at: Timestamp,
    /// 1 at creation, one more with each change written to it (SPEC §17), so that a webhook
    /// receiver can drop an event older than one it has seen (events are not ordered).
    #[serde(default = "first_version")]
    pub version: u32,
    /// When it last changed; its creation until it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    /// Expiry instant.
    pub expires_at: Timestamp,
    /// When the payer paid a payment that settles later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_at: Option<Timestamp>,
    /// When it was paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    /// When it was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<Timestamp>,
    /// When it was written as expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_at: Option<Timestamp>,
    /// When it was refunded in full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<Timestamp>,
    /// The page's language (SPEC §20); none: the account's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Locale>,
    /// What the hosted page asks the payer for besides payment (SPEC §20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collect: Option<Collect>,
    /// What the payer gave the page, kept when the session is paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected: Option<Collected>,
    /// Whether an expired session offers a recovery URL (`afterExpiration.recovery.enabled`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovery: bool,
    /// The expired session this one recovers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovered_from: Option<SessionId>,
    /// The session its recovery URL created, once it was opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovered_by: Option<SessionId>,
    /// The sum of its refunds so far (none: nothing refunded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_refunded: Option<Amount>,
    /// Payment details once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentDetails>,
    /// When payment failed for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<Timestamp>,
    /// Why payment failed for good, e.g. `underpaid` or the last decline's code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_code: Option<String>,
    /// A card awaiting the payer's 3-D Secure step: what is kept of it until the payer passes
    /// or fails the challenge; never in the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awaiting_authentication: Option<PaymentDetails>,
    /// Declined payment attempts so far; the third fails the session.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub decline_count: u32,
    /// The anti-forgery token every form of the hosted page must post back; never in the API.
    #[serde(default)]
    pub form_token: String,
}

/// Absent values are not stored: an item's size is what a write costs (docs/scale.md).
pub(crate) fn is_zero(value: &u32) -> bool {
    *value == 0
}

fn first_version() -> u32 {
    1
}

impl CheckoutSession {
    /// The status a reader sees at `now`: a pending session past its expiry reads as expired even
    /// before the sweeper writes it.
    pub fn status_at(&self, now: Timestamp) -> SessionStatus {
        if self.has_lapsed_at(now) {
            SessionStatus::Expired
        } else {
            self.status
        }
    }

    /// `amount − fee`, at the currency's scale: worked out, not stored (sessions stored before
    /// hold it too, and the same value).
    pub fn net_amount(&self) -> Amount {
        let mut net = self.amount.value() - self.fee.value();
        net.rescale(self.currency.minor_digits());
        Amount::from_scaled(net)
    }

    /// Whether the session is open at `now`: pending and before its expiry, so that it can be
    /// paid, declined, cancelled or failed. (The store's `OPEN` condition is this rule.)
    pub fn is_open_at(&self, now: Timestamp) -> bool {
        self.status == SessionStatus::Pending && self.expires_at > now
    }

    /// Whether a form posted for `seen` (the version its page showed; `None` from a form that
    /// names none) may pay this session: a payer pays only the amount they saw.
    pub fn is_version(&self, seen: Option<u32>) -> bool {
        seen == Some(self.version)
    }

    /// Whether the session is stored as pending but its expiry has passed: every reader sees it
    /// expired, and the sweeper (or a contested order id) writes it so.
    pub fn has_lapsed_at(&self, now: Timestamp) -> bool {
        self.status == SessionStatus::Pending && self.expires_at <= now
    }

    /// The sum of its refunds so far, at the currency's scale.
    pub fn refunded_so_far(&self) -> Amount {
        self.amount_refunded
            .unwrap_or_else(|| Amount::zero(self.currency))
    }

    /// What may still be refunded: nothing unless paid, else the amount less what was refunded.
    pub fn refundable(&self) -> Amount {
        let paid = matches!(self.status, SessionStatus::Completed);
        match (paid, self.amount.minus(self.refunded_so_far())) {
            (true, Some(left)) => left,
            _ => Amount::zero(self.currency),
        }
    }

    /// This session after a refund of `amount` at `now`: the sum refunded grows, and the session
    /// is `refunded` once it reaches the amount. `None` when more than is refundable.
    pub fn refunded_by(&self, amount: Amount, now: Timestamp) -> Option<Self> {
        let left = self.refundable().minus(amount)?;
        let mut refunded = if left == Amount::zero(self.currency) {
            self.ended(SessionStatus::Refunded, now)
        } else {
            self.changed(now)
        };
        refunded.amount_refunded = self.refunded_so_far().plus(amount);
        Some(refunded)
    }

    /// This session as a change at `now` leaves it before the change itself: one version on.
    pub fn changed(&self, now: Timestamp) -> Self {
        let mut changed = self.clone();
        changed.version = self.version.saturating_add(1);
        changed.updated_at = Some(now);
        changed
    }

    /// This session moved to `to` at `now`, with the matching timestamp set.
    pub fn ended(&self, to: SessionStatus, now: Timestamp) -> Self {
        let mut ended = self.changed(now);
        ended.status = to;
        ended.awaiting_authentication = None;
        match to {
            SessionStatus::Processing => ended.processing_at = Some(now),
            SessionStatus::Completed => ended.completed_at = Some(now),
            SessionStatus::Expired => ended.expired_at = Some(now),
            SessionStatus::Cancelled => ended.cancelled_at = Some(now),
            SessionStatus::Refunded => ended.refunded_at = Some(now),
            SessionStatus::Failed => ended.failed_at = Some(now),
            SessionStatus::Pending => {}
        }
        ended
    }

    /// How long a recovery URL stays good after its session expired.
    pub const RECOVERY_WINDOW: time::Duration = time::Duration::days(30);

    /// Where the payer recovers this session, under `public_base_url`, when it offers recovery
    /// and reads as expired at `now`.
    pub fn recovery_url(&self, now: Timestamp, public_base_url: &str) -> Option<String> {
        (self.recovery && self.status_at(now) == SessionStatus::Expired).then(|| {
            format!(
                "{}/pay/{}/recover",
                public_base_url.trim_end_matches('/'),
                self.id
            )
        })
    }

    /// A new pending session recovering this expired one at `now` (SPEC §17): its items,
    /// amounts, customer, metadata and URLs, a fresh expiry as long as its own was, and a pointer
    /// back; in one of its merchant's `key_shards`.
    pub fn recovery_of(&self, key_shards: u32, now: Timestamp) -> Self {
        let id = SessionId::generate();
        let lifetime = self.expires_at.since(self.created_at);
        Self {
            key_shard: crate::merchant::shard_of(id.as_str(), key_shards),
            id,
            status: SessionStatus::Pending,
            reference: crate::ids::new_reference(),
            created_at: now,
            version: 1,
            updated_at: None,
            expires_at: now.plus(lifetime),
            completed_at: None,
            cancelled_at: None,
            expired_at: None,
            refunded_at: None,
            payment: None,
            processing_at: None,
            failed_at: None,
            failure_code: None,
            awaiting_authentication: None,
            decline_count: 0,
            form_token: crate::ids::random_alphanumeric(32),
            amount_refunded: None,
            recovered_from: Some(self.id.clone()),
            recovered_by: None,
            collected: None,
            ..self.clone()
        }
    }

    /// The API resource as seen at `now`, with its checkout URL under `public_base_url`.
    pub fn resource(&self, now: Timestamp, public_base_url: &str) -> SessionResource<'_> {
        let status = self.status_at(now);
        let expired_at = match (self.expired_at, status) {
            (Some(at), _) => Some(at),
            (None, SessionStatus::Expired) => Some(self.expires_at),
            (None, _) => None,
        };
        SessionResource {
            id: &self.id,
            object: "checkout.session",
            status,
            amount: self.amount,
            currency: self.currency,
            fee: self.fee,
            net_amount: self.net_amount(),
            order_id: self.order_id.as_ref(),
            reference: &self.reference,
            description: self.description.as_ref(),
            customer: self.customer.as_ref(),
            line_items: &self.line_items,
            metadata: &self.metadata,
            payment_methods: &self.payment_methods,
            allowed_assets: &self.allowed_assets,
            success_url: &self.success_url,
            cancel_url: &self.cancel_url,
            webhook_url: self.webhook_url.as_ref(),
            checkout_url: format!("{}/pay/{}", public_base_url.trim_end_matches('/'), self.id),
            recovery_url: self.recovery_url(now, public_base_url),
            recovered_from: self.recovered_from.as_ref(),
            created_at: self.created_at,
            version: self.version,
            updated_at: self.updated_at.unwrap_or(self.created_at),
            expires_at: self.expires_at,
            processing_at: self.processing_at,
            completed_at: self.completed_at,
            cancelled_at: self.cancelled_at,
            expired_at,
            refunded_at: self.refunded_at,
            amount_refunded: self.refunded_so_far(),
            payment: self.payment.as_ref(),
            failed_at: self.failed_at,
            failure_code: self.failure_code.as_deref(),
            locale: self.locale,
            collect: self.collect.as_ref(),
            customer_details: self
                .collected
                .as_ref()
                .and_then(|c| c.customer_details.as_ref()),
            custom_fields: self
                .collected
                .as_ref()
                .map_or(&[], |c| c.custom_fields.as_slice()),
            consent: self.collected.as_ref().and_then(|c| c.consent.as_ref()),
        }
    }
}

/// The `checkout.session` object of the API (SPEC §4).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionResource<'a> {
    id: &'a SessionId,
    object: &'static str,
    status: SessionStatus,
    amount: Amount,
    currency: Currency,
    fee: Amount,
    net_amount: Amount,
    order_id: Option<&'a OrderId>,
    reference: &'a str,
    description: Option<&'a BoundedText>,
    customer: Option<&'a Customer>,
    line_items: &'a [LineItem],
    metadata: &'a Metadata,
    payment_methods: &'a [PaymentMethod],
    allowed_assets: &'a [CryptoAsset],
    success_url: &'a HttpUrl,
    cancel_url: &'a HttpUrl,
    webhook_url: Option<&'a HttpUrl>,
    checkout_url: String,
    recovery_url: Option<String>,
    recovered_from: Option<&'a SessionId>,
    created_at: Timestamp,
    version: u32,
    updated_at: Timestamp,
    expires_at: Timestamp,
    processing_at: Option<Timestamp>,
    completed_at: Option<Timestamp>,
    cancelled_at: Option<Timestamp>,
    expired_at: Option<Timestamp>,
    refunded_at: Option<Timestamp>,
    amount_refunded: Amount,
    payment: Option<&'a PaymentDetails>,
    failed_at: Option<Timestamp>,
    failure_code: Option<&'a str>,
    locale: Option<Locale>,
    collect: Option<&'a Collect>,
    customer_details: Option<&'a CustomerDetails>,
    custom_fields: &'a [FieldValue],
    consent: Option<&'a Consent>,
}
