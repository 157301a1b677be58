use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Amount, Invalid};

/// A currency we take payments in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    /// US dollar.
    Usd,
    /// Euro.
    Eur,
    /// Pound sterling.
    Gbp,
    /// Australian dollar.
    Aud,
    /// Canadian dollar.
    Cad,
    /// Japanese yen (no minor unit).
    Jpy,
}

impl Currency {
    /// Every supported currency.
    pub const ALL: [Currency; 6] = [
        Self::Usd,
        Self::Eur,
        Self::Gbp,
        Self::Aud,
        Self::Cad,
        Self::Jpy,
    ];

    /// Parses an ISO 4217 code, case-insensitively.
    pub fn parse(code: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|c| c.code().eq_ignore_ascii_case(code))
            .ok_or_else(|| {
                Invalid::new(
                    "unsupported_currency",
                    format!("currency must be one of USD, EUR, GBP, AUD, CAD, JPY; got {code:?}"),
                )
            })
    }

    /// The upper-case ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Usd => "USD",
            Self::Eur => "EUR",
            Self::Gbp => "GBP",
            Self::Aud => "AUD",
            Self::Cad => "CAD",
            Self::Jpy => "JPY",
        }
    }

    /// Digits after the decimal point (the minor-unit exponent).
    pub fn minor_digits(self) -> u32 {
        match self {
            Self::Jpy => 0,
            _ => 2,
        }
    }

    /// The smallest amount a card network lets us charge.
    pub fn minimum(self) -> Amount {
        let minor = match self {
            Self::Usd | Self::Eur | Self::Aud | Self::Cad => 50,
            Self::Gbp => 30,
            Self::Jpy => 50,
        };
        Amount::from_minor(minor, self)
    }

    /// The largest amount of one session.
    pub fn maximum(self) -> Amount {
        Amount::from_minor(99_999_999, self)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_case_insensitive_in_and_upper_case_out() {
        assert_eq!(Currency::parse("usd"), Ok(Currency::Usd));
        assert_eq!(Currency::parse("jPy").map(Currency::code), Ok("JPY"));
    }

    #[test]
    fn unknown_currencies_are_rejected() {
        let err = Currency::parse("BTC").expect_err("not a fiat currency we support");
        assert_eq!(err.code, "unsupported_currency");
        assert!(Currency::parse("").is_err());
    }

    #[test]
    fn currencies_print_as_their_code() {
        assert_eq!(format!("{} {}", Currency::Eur, Currency::Jpy), "EUR JPY");
    }

    #[test]
    fn limits_match_the_contract() {
        assert_eq!(Currency::Usd.minimum().to_string(), "0.50");
        assert_eq!(Currency::Gbp.minimum().to_string(), "0.30");
        assert_eq!(Currency::Jpy.minimum().to_string(), "50");
        assert_eq!(Currency::Eur.maximum().to_string(), "999999.99");
        assert_eq!(Currency::Jpy.maximum().to_string(), "99999999");
    }
}
