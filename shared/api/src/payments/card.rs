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

/// The card number's digits, if 12 to 19 of them pass the Luhn check and start as a card
/// network's numbers do (`0000 0000 0000 0000` passes Luhn and is no card).
fn valid_number(number: &str) -> Option<String> {
    let number: String = number
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let digits: Vec<u8> = number.bytes().map(|b| b.wrapping_sub(b'0')).collect();
    ((12..=19).contains(&digits.len())
        && digits.iter().all(|d| *d <= 9)
        && luhn_valid(&digits)
        && brand_of(&number).is_some())
    .then_some(number)
}

/// The card network a number belongs to, from its prefix.
fn brand_of(number: &str) -> Option<&'static str> {
    let prefix = |n: usize| {
        number
            .get(..n)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    match (prefix(1), prefix(2), prefix(3), prefix(4)) {
        (4, ..) => Some("visa"),
        (_, 51..=55, ..) | (.., 2221..=2720) => Some("mastercard"),
        (_, 34 | 37, ..) => Some("amex"),
        (_, 65, ..) | (.., 6011) | (_, _, 644..=649, _) => Some("discover"),
        (.., 3528..=3589) => Some("jcb"),
        (_, 36 | 38 | 39, ..) | (_, _, 300..=305, _) => Some("diners"),
        (_, 62, ..) => Some("unionpay"),
        _ => None,
    }
}

/// Month and four-digit year of an expiry not before `today`'s month, typed as people type it:
/// `MM/YY`, `MM / YY`, `MM-YY`, `MM.YY`, `MMYY`, `M/YY`, or with a four-digit year.
fn valid_expiry(expiry: &str, today: Date) -> Option<(u8, u16)> {
    let compact: String = expiry.chars().filter(|c| !c.is_whitespace()).collect();
    let (month, year) = match compact.split_once(['/', '-', '.']) {
        Some(parts) => parts,
        None if compact.len() == 4 || compact.len() == 6 => compact.split_at(2),
        None => return None,
    };
    if !(month.len() <= 2 && matches!(year.len(), 2 | 4)) {
        return None;
    }
    let exp_month: u8 = month.parse().ok()?;
    let year: u16 = year.parse().ok()?;
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
        brand_of(&self.number).unwrap_or("unknown")
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
    fn expiries_are_read_as_people_type_them() {
        for typed in [
            "12/30", "1230", "12-30", "12.30", "12 / 30", " 12/30 ", "12/2030", "122030",
        ] {
            assert_eq!(valid_expiry(typed, TODAY), Some((12, 2030)), "{typed}");
        }
        assert_eq!(valid_expiry("1/30", TODAY), Some((1, 2030)));
        for refused in [
            "", "12", "123", "12/3", "12/303", "1/2/30", "13/30", "00/30", "ab/cd", "12/25",
        ] {
            assert_eq!(valid_expiry(refused, TODAY), None, "{refused}");
        }
    }

    #[test]
    fn networks_are_told_by_their_prefixes() {
        for (number, brand) in [
            ("4242424242424242", "visa"),
            ("2223003122003222", "mastercard"),
            ("378282246310005", "amex"),
            ("6011111111111117", "discover"),
            ("3566002020360505", "jcb"),
            ("3056930009020004", "diners"),
            ("6200000000000005", "unionpay"),
        ] {
            let card = CardDetails::parse(number, "12/34", "1234", TODAY).expect(number);
            assert_eq!(card.brand(), brand, "{number}");
        }
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
        for no_card in ["0000 0000 0000 0000", "0000000000000", "9999999999999995"] {
            assert_eq!(
                problems(no_card, "12/34", "123"),
                Some(vec![InvalidNumber]),
                "{no_card}"
            );
        }
        assert_eq!(
            problems("4242424242424241", "01/20", "x"),
            Some(vec![InvalidNumber, InvalidExpiry, InvalidCvc]),
            "every problem at once"
        );
    }
}
