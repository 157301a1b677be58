use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Currency, Invalid};

/// Integer digits beyond which no supported amount can go; checked before parsing so that huge
/// inputs fail as "too large" rather than as a parse overflow.
const MAX_INTEGER_DIGITS: usize = 12;

/// A non-negative amount of money at exactly its currency's minor-unit scale (`10.50`, `1000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(Decimal);

impl Amount {
    /// Parses the text of a decimal string or of a JSON number literal, exactly.
    ///
    /// Only plain decimals are accepted: no sign, no exponent (`1e3`), no leading or trailing dot,
    /// and no more fraction digits than the currency has.
    pub fn parse(text: &str, currency: Currency) -> Result<Self, Invalid> {
        let (integer, fraction) = Self::check_syntax(text)?;
        let digits = currency.minor_digits() as usize;
        if fraction.map_or(0, str::len) > digits {
            let message = if digits == 0 {
                format!("{currency} amounts have no decimal places")
            } else {
                format!("{currency} amounts have at most {digits} decimal places")
            };
            return Err(Invalid::new("too_many_decimals", message));
        }
        if integer.trim_start_matches('0').len() > MAX_INTEGER_DIGITS {
            return Err(Self::too_large(currency.maximum()));
        }
        let mut value = Decimal::from_str(text)
            .map_err(|e| Invalid::new("invalid_amount", format!("not a decimal: {e}")))?;
        value.rescale(digits as u32);
        // `-0` reads as plain zero, never as a negative zero shown back with its sign.
        value.set_sign_positive(true);
        Ok(Self(value))
    }

    /// The rules of an amount's text that hold in every currency (a plain, non-negative decimal),
    /// so that they are reported even when the currency is unknown. Returns the integer and
    /// fraction digits.
    pub fn check_syntax(text: &str) -> Result<(&str, Option<&str>), Invalid> {
        let (integer, fraction) = match text.split_once('.') {
            Some((integer, fraction)) => (integer, Some(fraction)),
            None => (text, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if let Some(unsigned) = text.strip_prefix('-') {
            // `-0` (or `-0.00`) is zero, not negative: it gets zero's answer wherever it is used.
            if unsigned.contains('0') && unsigned.bytes().all(|b| matches!(b, b'0' | b'.')) {
                return Self::check_syntax(unsigned);
            }
            return Err(Invalid::new(
                "amount_too_small",
                "amounts must not be negative",
            ));
        }
        if text.contains(['e', 'E']) {
            return Err(Invalid::new(
                "invalid_amount",
                format!(
                    "exponent notation is not accepted for money; write the plain decimal, e.g. \"1000.00\" (got {text:?})"
                ),
            ));
        }
        if !all_digits(integer) || fraction.is_some_and(|f| !all_digits(f)) {
            return Err(Invalid::new(
                "invalid_amount",
                format!("expected a decimal such as \"10.50\", got {text:?}"),
            ));
        }
        Ok((integer, fraction))
    }

    /// The amount of `minor` minor units of `currency` (cents, or yen).
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Self(Decimal::new(minor, currency.minor_digits()))
    }

    /// Zero at the currency's scale.
    pub fn zero(currency: Currency) -> Self {
        Self::from_minor(0, currency)
    }

    /// The exact decimal value.
    pub fn value(self) -> Decimal {
        self.0
    }

    /// Wraps a decimal already at the currency's scale; rounding is the caller's business.
    pub(crate) fn from_scaled(value: Decimal) -> Self {
        Self(value)
    }

    /// `self × quantity`, or `None` on overflow.
    pub fn times(self, quantity: u32) -> Option<Self> {
        self.0.checked_mul(Decimal::from(quantity)).map(Self)
    }

    /// `self + other`, or `None` on overflow.
    pub fn plus(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// `self − other`, or `None` when `other` is the larger.
    pub fn minus(self, other: Self) -> Option<Self> {
        self.0
            .checked_sub(other.0)
            .filter(|d| !d.is_sign_negative())
            .map(Self)
    }

    /// Checks the currency's minimum and maximum and a merchant's lower maximum.
    pub fn check_range(
        self,
        currency: Currency,
        merchant_max: Option<Amount>,
    ) -> Result<Self, Invalid> {
        let minimum = currency.minimum();
        if self < minimum {
            return Err(Invalid::new(
                "amount_too_small",
                format!("the minimum {currency} amount is {minimum}"),
            ));
        }
        let maximum = merchant_max.map_or(currency.maximum(), |m| m.min(currency.maximum()));
        if self > maximum {
            return Err(Self::too_large(maximum));
        }
        Ok(self)
    }

    fn too_large(maximum: Amount) -> Invalid {
        Invalid::new(
            "amount_too_large",
            format!("the maximum amount is {maximum}"),
        )
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Decimal::from_str(&text)
            .map(Self)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decimals_message_names_the_currency_s_places() {
        let message = |text, currency| Amount::parse(text, currency).map_err(|e| e.message);
        assert_eq!(
            message("1.5", Currency::Jpy),
            Err("JPY amounts have no decimal places".to_owned())
        );
        assert_eq!(
            message("1.555", Currency::Usd),
            Err("USD amounts have at most 2 decimal places".to_owned())
        );
    }

    #[test]
    fn twelve_integer_digits_parse_and_thirteen_are_too_large() {
        let twelve = Amount::parse("999999999999", Currency::Jpy).expect("parses");
        assert_eq!(twelve.to_string(), "999999999999");
        assert_eq!(
            Amount::parse("1000000000000", Currency::Jpy).map_err(|e| e.code),
            Err("amount_too_large")
        );
    }

    #[test]
    fn products_and_sums_are_exact_and_overflow_is_none() {
        let amount = |text| Amount::parse(text, Currency::Usd).expect("valid");
        assert_eq!(amount("2.50").times(3), Some(amount("7.50")));
        assert_eq!(amount("1.25").plus(amount("2.50")), Some(amount("3.75")));
        let huge = Amount::from_scaled(Decimal::MAX);
        assert_eq!(huge.times(2), None);
        assert_eq!(huge.plus(amount("1.00")), None);
    }

    fn usd(text: &str) -> Result<String, &'static str> {
        Amount::parse(text, Currency::Usd)
            .map(|a| a.to_string())
            .map_err(|e| e.code)
    }

    #[test]
    fn a_decimal_string_keeps_exactly_the_currency_scale() {
        assert_eq!(usd("10.5"), Ok("10.50".into()));
        assert_eq!(usd("10"), Ok("10.00".into()));
        assert_eq!(usd("0.1"), Ok("0.10".into()));
    }

    #[test]
    fn more_decimals_than_the_currency_has_are_rejected() {
        assert_eq!(usd("10.005"), Err("too_many_decimals"));
        assert_eq!(
            Amount::parse("0.1", Currency::Jpy).map_err(|e| e.code),
            Err("too_many_decimals")
        );
    }

    #[test]
    fn exponent_notation_is_rejected_with_a_hint() {
        let err = Amount::parse("1e3", Currency::Usd).expect_err("exponent");
        assert_eq!(err.code, "invalid_amount");
        assert!(err.message.contains("1000.00"));
    }

    #[test]
    fn signs_dots_and_words_are_rejected() {
        assert_eq!(usd("-1.00"), Err("amount_too_small"));
        for zero in ["-0", "-0.00", "-0.0"] {
            let parsed = Amount::parse(zero, Currency::Usd).expect("zero");
            assert_eq!(parsed, Amount::parse("0.00", Currency::Usd).expect("zero"));
            assert_eq!(parsed.to_string(), "0.00", "{zero}");
        }
        assert!(usd("-.0").is_err() && usd("-0.001").is_err());
        for bad in ["+1", ".5", "5.", "1,00", " 1", "ten", "", "1.2.3", "0x10"] {
            assert!(usd(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn huge_numbers_are_too_large_not_a_crash() {
        assert_eq!(usd(&"9".repeat(400)), Err("amount_too_large"));
    }

    #[test]
    fn range_follows_the_currency_and_the_merchant() {
        let amount = |t| Amount::parse(t, Currency::Usd).expect("valid");
        assert!(amount("0.49").check_range(Currency::Usd, None).is_err());
        assert!(amount("0.50").check_range(Currency::Usd, None).is_ok());
        assert!(amount("999999.99").check_range(Currency::Usd, None).is_ok());
        assert!(
            amount("1000000.00")
                .check_range(Currency::Usd, None)
                .is_err()
        );
        let cap = Some(amount("100.00"));
        assert_eq!(
            amount("100.01")
                .check_range(Currency::Usd, cap)
                .map_err(|e| e.code),
            Err("amount_too_large")
        );
    }
}
