//! Taking the payment: the processor interface, card checks, and the bundled test-mode simulator.
//! A real processor (a card acquirer, a crypto gateway) plugs in behind [`PaymentProcessor`].

mod card;
mod test_mode;

pub use card::{CardDetails, CardProblem};
pub use test_mode::{TestModeProcessor, UNDERPAID_SUFFIX};

use std::future::Future;

use checkout_domain::ids::SessionId;
use checkout_domain::money::{Amount, Currency};
use checkout_domain::session::PaymentDetails;
use checkout_domain::timestamp::Timestamp;
use checkout_domain::values::CryptoAsset;
use rust_decimal::Decimal;

/// What the payer chose on the page.
#[derive(Debug, Clone)]
pub enum PaymentInstrument {
    /// A card that passed [`CardDetails::parse`].
    Card(CardDetails),
    /// A crypto asset the session allows.
    Crypto(CryptoAsset),
}

/// One charge.
#[derive(Debug, Clone)]
pub struct ChargeRequest<'a> {
    /// The session being paid.
    pub session_id: &'a SessionId,
    /// How much.
    pub amount: Amount,
    /// In what.
    pub currency: Currency,
    /// With what.
    pub instrument: &'a PaymentInstrument,
}

/// How a charge ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    /// Paid; only what may be kept about the instrument.
    Approved(PaymentDetails),
    /// Accepted, settles later (SPEC §16): the session waits in `processing` for
    /// [`PaymentProcessor::settlement`].
    Processing(PaymentDetails),
    /// The issuer asks the payer to authenticate (3-D Secure) before it decides.
    RequiresAuthentication(PaymentDetails),
    /// Refused by the issuer, with a stable reason code.
    Declined(DeclineReason),
}

/// The price of a session in one crypto asset, at the rate locked for the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoQuote {
    /// The asset.
    pub asset: CryptoAsset,
    /// How much of it, rounded up at the asset's scale.
    pub asset_amount: Decimal,
    /// The chain it is sent on.
    pub network: &'static str,
    /// Confirmations awaited before it settles.
    pub confirmations_required: u32,
}

/// A processing payment whose settlement is asked about.
#[derive(Debug, Clone)]
pub struct SettlementRequest<'a> {
    /// The session paid.
    pub session_id: &'a SessionId,
    /// Its amount.
    pub amount: Amount,
    /// The payment as accepted.
    pub payment: &'a PaymentDetails,
    /// When it was accepted.
    pub processing_since: Timestamp,
    /// Now.
    pub now: Timestamp,
}

/// How a processing payment settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// Received in full: the session completes.
    Confirmed(PaymentDetails),
    /// Less than asked arrived: the session fails with `failureCode` `underpaid`.
    Underpaid(PaymentDetails),
}

/// Why an issuer refused a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclineReason {
    /// Generic decline.
    CardDeclined,
    /// Not enough money.
    InsufficientFunds,
    /// The card has expired.
    ExpiredCard,
    /// The security code is wrong.
    IncorrectCvc,
    /// The card holder failed 3-D Secure authentication.
    AuthenticationFailed,
}

impl DeclineReason {
    /// The stable code, e.g. `card_declined`.
    pub fn code(self) -> &'static str {
        match self {
            Self::CardDeclined => "card_declined",
            Self::InsufficientFunds => "insufficient_funds",
            Self::ExpiredCard => "expired_card",
            Self::IncorrectCvc => "incorrect_cvc",
            Self::AuthenticationFailed => "authentication_failed",
        }
    }

    /// The id of what the payer is told, in the page's catalogs.
    pub fn message_id(self) -> &'static str {
        match self {
            Self::CardDeclined => "decline-card_declined",
            Self::InsufficientFunds => "decline-insufficient_funds",
            Self::ExpiredCard => "decline-expired_card",
            Self::IncorrectCvc => "decline-incorrect_cvc",
            Self::AuthenticationFailed => "decline-authentication_failed",
        }
    }
}

/// Something that can charge a payment instrument.
pub trait PaymentProcessor: Send + Sync {
    /// Charges `request`; never sees the session store.
    fn charge(&self, request: &ChargeRequest<'_>) -> impl Future<Output = ChargeOutcome> + Send;

    /// The outcome of a charge that asked for authentication, once the payer `passed` the
    /// challenge or not: approved, or declined.
    fn authenticated(
        &self,
        awaiting: &PaymentDetails,
        passed: bool,
    ) -> impl Future<Output = ChargeOutcome> + Send;

    /// What `amount` in `currency` costs in `asset`, at the rate the processor locks for the
    /// session.
    fn quote(&self, amount: Amount, currency: Currency, asset: CryptoAsset) -> CryptoQuote;

    /// Whether a processing payment has settled, and how; `None` while it has not.
    fn settlement(
        &self,
        request: &SettlementRequest<'_>,
    ) -> impl Future<Output = Option<Settlement>> + Send;
}
