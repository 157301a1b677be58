//! Money: currencies, exact decimal amounts at each currency's scale, and fees.

mod amount;
mod currency;
mod fee;

pub use amount::Amount;
pub use currency::Currency;
pub use fee::FeeSchedule;

/// A rule a value broke: a stable code and a sentence; the caller knows which field it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

impl Invalid {
    /// A broken rule.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}
