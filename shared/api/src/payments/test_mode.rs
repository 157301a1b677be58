use super::{ChargeOutcome, ChargeRequest, DeclineReason, PaymentInstrument, PaymentProcessor};
use checkout_domain::session::PaymentDetails;
use checkout_domain::values::PaymentMethod;

/// The bundled test-mode processor: outcomes chosen by card number (SPEC §9); any other valid
/// card succeeds, and so does any allowed crypto asset.
#[derive(Debug, Default, Clone, Copy)]
pub struct TestModeProcessor;

impl PaymentProcessor for TestModeProcessor {
    async fn charge(&self, request: &ChargeRequest<'_>) -> ChargeOutcome {
        match request.instrument {
            PaymentInstrument::Card(card) => match card.number() {
                "4000000000000002" => ChargeOutcome::Declined(DeclineReason::CardDeclined),
                "4000000000009995" => ChargeOutcome::Declined(DeclineReason::InsufficientFunds),
                "4000000000000069" => ChargeOutcome::Declined(DeclineReason::ExpiredCard),
                "4000000000000127" => ChargeOutcome::Declined(DeclineReason::IncorrectCvc),
                _ => ChargeOutcome::Approved(card.details()),
            },
            PaymentInstrument::Crypto(asset) => ChargeOutcome::Approved(PaymentDetails {
                method: PaymentMethod::Crypto,
                brand: None,
                last4: None,
                asset: Some(*asset),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::payments::CardDetails;
    use checkout_domain::ids::SessionId;
    use checkout_domain::money::{Amount, Currency};

    async fn charge(number: &str) -> ChargeOutcome {
        let card =
            CardDetails::parse(number, "12/34", "123", date!(2026 - 11 - 22)).expect("valid");
        let instrument = PaymentInstrument::Card(card);
        let request = ChargeRequest {
            session_id: &SessionId::from_stored("cs_1"),
            amount: Amount::from_minor(1050, Currency::Usd),
            currency: Currency::Usd,
            instrument: &instrument,
        };
        TestModeProcessor.charge(&request).await
    }

    #[tokio::test]
    async fn each_test_card_gives_its_documented_outcome() {
        assert!(matches!(
            charge("4242424242424242").await,
            ChargeOutcome::Approved(_)
        ));
        for (number, reason) in [
            ("4000000000000002", "card_declined"),
            ("4000000000009995", "insufficient_funds"),
            ("4000000000000069", "expired_card"),
            ("4000000000000127", "incorrect_cvc"),
        ] {
            assert_eq!(
                charge(number).await,
                ChargeOutcome::Declined(match reason {
                    "card_declined" => DeclineReason::CardDeclined,
                    "insufficient_funds" => DeclineReason::InsufficientFunds,
                    "expired_card" => DeclineReason::ExpiredCard,
                    _ => DeclineReason::IncorrectCvc,
                })
            );
        }
    }
}
