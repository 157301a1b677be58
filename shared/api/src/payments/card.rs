use time::{Date, Month};

use checkout_domain::session::PaymentDetails;

/// Card data as typed on the page, checked; it lives for one request and is never stored or
/// logged (its `Debug` shows the last four digits only).
#[derive(Clone)]
pub struct CardDetails {
    number: String,
    exp_month: u8,
    exp_year: u16,
    cvc: String,
}

impl std::fmt::Debug for CardDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CardDetails(**** {})", self.last4())
    }
}

/// Why the typed card cannot be charged at all (shown on the page; not a decline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardProblem {
    /// Not 12–19 digits, or fails the Luhn check.
    InvalidNumber,
    /// Not `MM/YY`, or in the past.
    InvalidExpiry,
    /// Not 3 or 4 digits.
    InvalidCvc,
}

impl CardProblem {
    /// The page input at fault.
    pub fn field(self) -> &'static str {
        match self {
            Self::InvalidNumber => "cardNumber",
            Self::InvalidExpiry => "cardExpiry",
            Self::InvalidCvc => "cardCvc",
        }
    }

    /// The id of what the payer is told, in the page's catalogs.
    pub fn message_id(self) -> &'static str {
        match self {
            Self::InvalidNumber => "card-invalid-number",
            Self::InvalidExpiry => "card-invalid-expiry",
            Self::InvalidCvc => "card-invalid-cvc",
        }
    }
}

/// The card number's digits, if 12 to 19 of them pass the Luhn check.
fn valid_number(number: &str) -> Option<String> {
    let number: String = number
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let digits: Vec<u8> = number.bytes().map(|b| b.wrapping_sub(b'0')).collect();
    ((12..=19).contains(&digits.len()) && digits.iter().all(|d| *d <= 9) && luhn_valid(&digits))
        .then_some(number)
}

/// Month and four-digit year of an `MM/YY` (or `MM/YYYY`) expiry not before `today`'s month.
fn valid_expiry(expiry: &str, today: Date) -> Option<(u8, u16)> {
    let (month, year) = expiry.trim().split_once('/')?;
    let exp_month: u8 = month.trim().parse().ok()?;
    let year: u16 = year.trim().parse().ok()?;
    let exp_year = if year < 100 { 2000 + year } else { year };
    let month = Month::try_from(exp_month).ok()?;
    let current = (today.year(), u8::from(today.month()));
    ((i32::from(exp_year), u8::from(month)) >= current).then_some((exp_month, exp_year))
}

/// A security code of 3 or 4 digits.
fn valid_cvc(cvc: &str) -> Option<String> {
    let cvc = cvc.trim();
    ((3..=4).contains(&cvc.len()) && cvc.bytes().all(|b| b.is_ascii_digit()))
        .then(|| cvc.to_owned())
}

fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl CardDetails {
    /// Checks number (spaces allowed, Luhn), expiry (`MM/YY`, not before `today`'s month) and CVC;
    /// every problem at once, so the payer fixes them in one go.
    pub fn parse(
        number: &str,
        expiry: &str,
        cvc: &str,
        today: Date,
    ) -> Result<Self, Vec<CardProblem>> {
        match (
            valid_number(number),
            valid_expiry(expiry, today),
            valid_cvc(cvc),
        ) {
            (Some(number), Some((exp_month, exp_year)), Some(cvc)) => Ok(Self {
                number,
                exp_month,
                exp_year,
                cvc,
            }),
            (number, expiry, cvc) => Err([
                (number.is_none(), CardProblem::InvalidNumber),
                (expiry.is_none(), CardProblem::InvalidExpiry),
                (cvc.is_none(), CardProblem::InvalidCvc),
            ]
            .into_iter()
            .filter_map(|(bad, problem)| bad.then_some(problem))
            .collect()),
        }
    }

    /// The full number, for the processor only.
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The security code, for the processor only.
    pub fn cvc(&self) -> &str {
        &self.cvc
    }

    /// Expiry as (month, four-digit year).
    pub fn expiry(&self) -> (u8, u16) {
        (self.exp_month, self.exp_year)
    }

    /// The last four digits, the only part ever kept.
    pub fn last4(&self) -> &str {
        &self.number[self.number.len().saturating_sub(4)..]
    }

    /// The card network, from the number's prefix.
    pub fn brand(&self) -> &'static str {
        let prefix = |n: usize| {
            self.number
                .get(..n)
                .and_then(|p| p.parse::<u32>().ok())
                .unwrap_or(0)
        };
        match (prefix(1), prefix(2), prefix(4)) {
            (4, _, _) => "visa",
            (_, 51..=55, _) | (_, _, 2221..=2720) => "mastercard",
            (_, 34 | 37, _) => "amex",
            (_, 65, _) | (_, _, 6011) => "discover",
            _ => "unknown",
        }
    }

    /// What the session records about this card.
    pub fn details(&self) -> PaymentDetails {
        PaymentDetails::card(self.brand(), self.last4())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    const TODAY: Date = date!(2026 - 11 - 22);

    #[test]
    fn test_cards_pass_and_keep_only_brand_and_last4() {
        let card = CardDetails::parse("4242 4242 4242 4242", "12/34", "123", TODAY).expect("valid");
        assert_eq!((card.brand(), card.last4()), ("visa", "4242"));
        assert_eq!(format!("{card:?}"), "CardDetails(**** 4242)");
        assert_eq!(
            CardDetails::parse("5555555555554444", "11/26", "1234", TODAY).map(|c| c.brand()),
            Ok("mastercard")
        );
    }

    #[test]
    fn luhn_failures_past_expiry_and_bad_cvc_are_refused_before_any_charge() {
        let problems = |number, expiry, cvc| CardDetails::parse(number, expiry, cvc, TODAY).err();
        use CardProblem::{InvalidCvc, InvalidExpiry, InvalidNumber};
        assert_eq!(
            problems("4242424242424241", "12/34", "123"),
            Some(vec![InvalidNumber])
        );
        assert_eq!(problems("4242", "12/34", "123"), Some(vec![InvalidNumber]));
        assert_eq!(
            problems("4242424242424242", "10/26", "123"),
            Some(vec![InvalidExpiry])
        );
        assert_eq!(
            problems("4242424242424242", "13/30", "123"),
            Some(vec![InvalidExpiry])
        );
        assert_eq!(
            problems("4242424242424242", "12/34", "12"),
            Some(vec![InvalidCvc])
        );
        assert_eq!(
            problems("4242424242424241", "01/20", "x"),
            Some(vec![InvalidNumber, InvalidExpiry, InvalidCvc]),
            "every problem at once"
        );
    }
}
