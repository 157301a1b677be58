use serde::{Deserialize, Serialize};

use super::BoundedText;
use crate::money::Amount;

/// One line of what the payer buys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    /// 1–200 characters.
    pub name: BoundedText,
    /// Up to 500 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<BoundedText>,
    /// The merchant's product id, up to 255 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<BoundedText>,
    /// Price of one unit, at the currency's scale.
    pub unit_amount: Amount,
    /// 1–10,000.
    pub quantity: u32,
}

impl LineItem {
    /// Largest quantity of one line.
    pub const MAX_QUANTITY: u32 = 10_000;
    /// Most lines per session.
    pub const MAX_ITEMS: usize = 100;

    /// `unitAmount × quantity`, or `None` on overflow.
    pub fn total(&self) -> Option<Amount> {
        self.unit_amount.times(self.quantity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    #[test]
    fn a_line_totals_its_unit_amount_times_its_quantity() {
        let line = LineItem {
            name: BoundedText::parse("Tea", 200).expect("valid"),
            description: None,
            product_id: None,
            unit_amount: Amount::parse("617.25", Currency::Usd).expect("valid"),
            quantity: 2,
        };
        assert_eq!(
            line.total().map(|t| t.to_string()),
            Some("1234.50".to_owned())
        );
    }
}
