use rust_decimal::{Decimal, RoundingStrategy};

use super::{
    ChargeOutcome, ChargeRequest, CryptoQuote, DeclineReason, PaymentInstrument, PaymentProcessor,
    Settlement, SettlementRequest,
};
use checkout_domain::hashing::sha256_hex;
use checkout_domain::ids::SessionId;
use checkout_domain::money::{Amount, Currency};
use checkout_domain::session::PaymentDetails;
use checkout_domain::values::{CryptoAsset, PaymentMethod};

/// A session whose amount ends in these digits (10.13 USD, 1,013 JPY) is underpaid by its
/// test-mode payer: its crypto payment settles as `failed` with `failureCode` `underpaid`.
pub const UNDERPAID_SUFFIX: &str = "13";

/// The card that asks for 3-D Secure authentication (SPEC §16).
const THREE_D_SECURE_CARD: &str = "4000002760003184";

/// The bundled test-mode processor (SPEC §9, §16): card outcomes chosen by card number, any
/// other valid card succeeds; crypto is accepted at once and settles `settlement_delay` later,
/// at fixed test rates (docs/payments.md).
#[derive(Debug, Clone, Copy)]
pub struct TestModeProcessor {
    settlement_delay: time::Duration,
}

impl TestModeProcessor {
    /// A processor whose crypto payments settle `settlement_delay` after they are made.
    pub fn new(settlement_delay: time::Duration) -> Self {
        Self { settlement_delay }
    }

    /// A settlement now, whatever the delay, as the settle test helper asks for it.
    pub fn settle_now(payment: &PaymentDetails, underpaid: bool) -> Settlement {
        let confirmed = PaymentDetails {
            confirmations: payment.confirmations_required,
            ..payment.clone()
        };
        if underpaid {
            Settlement::Underpaid(confirmed)
        } else {
            Settlement::Confirmed(confirmed)
        }
    }
}

/// US dollars one unit of `asset` is worth in test mode.
fn usd_per_asset(asset: CryptoAsset) -> Decimal {
    match asset {
        CryptoAsset::Usdc | CryptoAsset::Usdt => Decimal::ONE,
        CryptoAsset::Eth => Decimal::from(3_000),
        CryptoAsset::Btc => Decimal::from(60_000),
    }
}

/// US dollars one unit of `currency` is worth in test mode.
fn usd_per_unit(currency: Currency) -> Decimal {
    match currency {
        Currency::Usd => Decimal::ONE,
        Currency::Eur => Decimal::new(110, 2),
        Currency::Gbp => Decimal::new(125, 2),
        Currency::Aud => Decimal::new(65, 2),
        Currency::Cad => Decimal::new(75, 2),
        Currency::Jpy => Decimal::new(65, 4),
    }
}

fn confirmations_required(asset: CryptoAsset) -> u32 {
    match asset {
        CryptoAsset::Btc => 2,
        CryptoAsset::Eth | CryptoAsset::Usdc | CryptoAsset::Usdt => 12,
    }
}

/// A test deposit address of the session, in the shape of its network's addresses.
fn deposit_address(session_id: &SessionId, asset: CryptoAsset) -> String {
    let digest = sha256_hex(format!("deposit:{session_id}").as_bytes());
    match asset {
        CryptoAsset::Btc => {
            const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
            let body: String = digest
                .bytes()
                .take(38)
                .map(|b| char::from(BECH32[usize::from(b) % BECH32.len()]))
                .collect();
            format!("tb1q{body}")
        }
        _ => format!("0x{}", &digest[..40]),
    }
}

fn tx_hash(session_id: &SessionId, asset: CryptoAsset) -> String {
    let digest = sha256_hex(format!("tx:{session_id}").as_bytes());
    match asset {
        CryptoAsset::Btc => digest,
        _ => format!("0x{digest}"),
    }
}

impl PaymentProcessor for TestModeProcessor {
    async fn charge(&self, request: &ChargeRequest<'_>) -> ChargeOutcome {
        match request.instrument {
            PaymentInstrument::Card(card) => match card.number() {
                "4000000000000002" => ChargeOutcome::Declined(DeclineReason::CardDeclined),
                "4000000000009995" => ChargeOutcome::Declined(DeclineReason::InsufficientFunds),
                "4000000000000069" => ChargeOutcome::Declined(DeclineReason::ExpiredCard),
                "4000000000000127" => ChargeOutcome::Declined(DeclineReason::IncorrectCvc),
                THREE_D_SECURE_CARD => ChargeOutcome::RequiresAuthentication(card.details()),
                _ => ChargeOutcome::Approved(card.details()),
            },
            PaymentInstrument::Crypto(asset) => {
                let quote = self.quote(request.amount, request.currency, *asset);
                ChargeOutcome::Processing(PaymentDetails {
                    asset: Some(*asset),
                    asset_amount: Some(quote.asset_amount),
                    network: Some(quote.network.to_owned()),
                    deposit_address: Some(deposit_address(request.session_id, *asset)),
                    tx_hash: Some(tx_hash(request.session_id, *asset)),
                    confirmations: Some(0),
                    confirmations_required: Some(quote.confirmations_required),
                    ..PaymentDetails::new(PaymentMethod::Crypto)
                })
            }
        }
    }

    async fn authenticated(&self, awaiting: &PaymentDetails, passed: bool) -> ChargeOutcome {
        if passed {
            ChargeOutcome::Approved(PaymentDetails {
                three_d_secure: Some(true),
                ..awaiting.clone()
            })
        } else {
            ChargeOutcome::Declined(DeclineReason::AuthenticationFailed)
        }
    }

    fn quote(&self, amount: Amount, currency: Currency, asset: CryptoAsset) -> CryptoQuote {
        let usd = amount.value() * usd_per_unit(currency);
        let mut asset_amount = (usd / usd_per_asset(asset))
            .round_dp_with_strategy(asset.scale(), RoundingStrategy::AwayFromZero);
        // Written with every decimal of the asset's scale, as wallets show it.
        asset_amount.rescale(asset.scale());
        CryptoQuote {
            asset,
            asset_amount,
            network: asset.network(),
            confirmations_required: confirmations_required(asset),
        }
    }

    async fn settlement(&self, request: &SettlementRequest<'_>) -> Option<Settlement> {
        if request.now < request.processing_since.plus(self.settlement_delay) {
            return None;
        }
        let underpaid = request.amount.to_string().ends_with(UNDERPAID_SUFFIX);
        Some(Self::settle_now(request.payment, underpaid))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::payments::CardDetails;
    use checkout_domain::timestamp::Timestamp;

    const PROCESSOR: TestModeProcessor = TestModeProcessor {
        settlement_delay: time::Duration::seconds(30),
    };

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
        PROCESSOR.charge(&request).await
    }

    #[tokio::test]
    async fn each_test_card_gives_its_documented_outcome() {
        assert!(matches!(
            charge("4242424242424242").await,
            ChargeOutcome::Approved(_)
        ));
        assert!(matches!(
            charge("4000002760003184").await,
            ChargeOutcome::RequiresAuthentication(_)
        ));
        for (number, reason) in [
            ("4000000000000002", DeclineReason::CardDeclined),
            ("4000000000009995", DeclineReason::InsufficientFunds),
            ("4000000000000069", DeclineReason::ExpiredCard),
            ("4000000000000127", DeclineReason::IncorrectCvc),
        ] {
            assert_eq!(charge(number).await, ChargeOutcome::Declined(reason));
        }
    }

    #[test]
    fn quotes_use_the_fixed_test_rates_rounded_up_at_the_asset_scale() {
        let quote = |text: &str, currency, asset| {
            let amount = Amount::parse(text, currency).expect("valid");
            PROCESSOR
                .quote(amount, currency, asset)
                .asset_amount
                .to_string()
        };
        assert_eq!(
            quote("10.50", Currency::Usd, CryptoAsset::Usdc),
            "10.500000"
        );
        assert_eq!(
            quote("10.50", Currency::Usd, CryptoAsset::Eth),
            "0.00350000"
        );
        // 100 / 60,000 = 0.001666…: the payer is asked for the next satoshi up, never less.
        assert_eq!(quote("100", Currency::Usd, CryptoAsset::Btc), "0.00166667");
        assert_eq!(
            quote("10.00", Currency::Eur, CryptoAsset::Usdt),
            "11.000000"
        );
        assert_eq!(quote("1000", Currency::Jpy, CryptoAsset::Usdc), "6.500000");
    }

    #[tokio::test]
    async fn crypto_settles_after_the_delay_and_the_underpaid_amount_fails() {
        let paid_at = Timestamp::parse_rfc3339("2026-12-01T10:00:00Z").expect("valid");
        let settle = |text: &str, after: i64| {
            let instrument = PaymentInstrument::Crypto(CryptoAsset::Eth);
            let amount = Amount::parse(text, Currency::Usd).expect("valid");
            async move {
                let id = SessionId::from_stored("cs_1");
                let charged = PROCESSOR
                    .charge(&ChargeRequest {
                        session_id: &id,
                        amount,
                        currency: Currency::Usd,
                        instrument: &instrument,
                    })
                    .await;
                let ChargeOutcome::Processing(payment) = charged else {
                    panic!("crypto is asynchronous in test mode, got {charged:?}");
                };
                assert_eq!(payment.confirmations, Some(0));
                PROCESSOR
                    .settlement(&SettlementRequest {
                        session_id: &id,
                        amount,
                        payment: &payment,
                        processing_since: paid_at,
                        now: paid_at.plus(time::Duration::seconds(after)),
                    })
                    .await
            }
        };
        assert_eq!(settle("10.50", 29).await, None);
        let Some(Settlement::Confirmed(settled)) = settle("10.50", 30).await else {
            panic!("a normal amount settles in full");
        };
        assert_eq!(settled.confirmations, Some(12));
        assert!(matches!(
            settle("10.13", 30).await,
            Some(Settlement::Underpaid(_))
        ));
    }
}
