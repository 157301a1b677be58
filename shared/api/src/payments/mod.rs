//! Taking the payment: the processor interface, card checks, and the bundled test-mode simulator.
//! A real processor (a card acquirer, a crypto gateway) plugs in behind [`PaymentProcessor`].

mod card;
mod test_mode;

pub use card::{CardDetails, CardProblem};
pub use test_mode::TestModeProcessor;

use std::future::Future;

use checkout_domain::ids::SessionId;
use checkout_domain::money::{Amount, Currency};
use checkout_domain::session::PaymentDetails;
use checkout_domain::values::CryptoAsset;

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
    /// Refused by the issuer, with a stable reason code.
    Declined(DeclineReason),
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
}

impl DeclineReason {
    /// The stable code, e.g. `card_declined`.
    pub fn code(self) -> &'static str {
        match self {
            Self::CardDeclined => "card_declined",
            Self::InsufficientFunds => "insufficient_funds",
            Self::ExpiredCard => "expired_card",
            Self::IncorrectCvc => "incorrect_cvc",
        }
    }

    /// What the payer is told.
    pub fn message(self) -> &'static str {
        match self {
            Self::CardDeclined => "Your card was declined.",
            Self::InsufficientFunds => "Your card has insufficient funds.",
            Self::ExpiredCard => "Your card has expired.",
            Self::IncorrectCvc => "Your card's security code is incorrect.",
        }
    }
}

/// Something that can charge a payment instrument.
pub trait PaymentProcessor: Send + Sync {
    /// Charges `request`; never sees the session store.
    fn charge(&self, request: &ChargeRequest<'_>) -> impl Future<Output = ChargeOutcome> + Send;
}
