use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::{Amount, Currency};

/// What we charge a merchant per session: a percentage plus a fixed number of minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeSchedule {
    /// Percentage of the amount, e.g. `2.9`.
    pub percent: Decimal,
    /// Fixed part in minor units of the session's currency (30 = 0.30 USD, or ¥30).
    pub fixed_minor: i64,
}

impl Default for FeeSchedule {
    fn default() -> Self {
        Self {
            percent: Decimal::new(29, 1),
            fixed_minor: 30,
        }
    }
}

impl FeeSchedule {
    /// `(fee, net)` for `amount`: the percentage rounded half-to-even at the currency's scale, plus
    /// the fixed part, capped at the amount so the net is never negative.
    pub fn apply(&self, amount: Amount, currency: Currency) -> (Amount, Amount) {
        let scale = currency.minor_digits();
        let variable = (amount.value() * self.percent / Decimal::ONE_HUNDRED)
            .round_dp_with_strategy(scale, RoundingStrategy::MidpointNearestEven);
        let fixed = Decimal::new(self.fixed_minor, scale);
        let mut fee = (variable + fixed).min(amount.value());
        fee.rescale(scale);
        let mut net = amount.value() - fee;
        net.rescale(scale);
        (Amount::from_scaled(fee), Amount::from_scaled(net))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fee_of(text: &str, currency: Currency) -> (String, String) {
        let amount = Amount::parse(text, currency).expect("valid");
        let (fee, net) = FeeSchedule::default().apply(amount, currency);
        (fee.to_string(), net.to_string())
    }

    #[test]
    fn default_fee_is_2_9_percent_plus_30_minor_units() {
        assert_eq!(
            fee_of("10.50", Currency::Usd),
            ("0.60".into(), "9.90".into())
        );
        assert_eq!(fee_of("1000", Currency::Jpy), ("59".into(), "941".into()));
    }

    #[test]
    fn the_percentage_rounds_half_to_even() {
        // 2.9 % of 35.00 = 1.015 → 1.02 (half-even rounds to the even digit), + 0.30.
        assert_eq!(
            fee_of("35.00", Currency::Usd),
            ("1.32".into(), "33.68".into())
        );
        // 2.9 % of 0.50 = 0.0145 → 0.01, + 0.30.
        assert_eq!(
            fee_of("0.50", Currency::Usd),
            ("0.31".into(), "0.19".into())
        );
        // 2.9 % of 25.00 = 0.725 → 0.72 (half-even), + 0.30.
        assert_eq!(
            fee_of("25.00", Currency::Usd),
            ("1.02".into(), "23.98".into())
        );
    }

    #[test]
    fn the_fee_never_exceeds_the_amount() {
        let schedule = FeeSchedule {
            percent: Decimal::new(50, 0),
            fixed_minor: 100,
        };
        let amount = Amount::parse("0.50", Currency::Usd).expect("valid");
        let (fee, net) = schedule.apply(amount, Currency::Usd);
        assert_eq!(
            (fee.to_string(), net.to_string()),
            ("0.50".into(), "0.00".into())
        );
    }
}
