use serde::{Deserialize, Serialize};

use super::Invalid;

/// A way the payer may pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentMethod {
    /// Card payment.
    Card,
    /// Crypto-asset payment.
    Crypto,
}

impl PaymentMethod {
    /// `card` or `crypto`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::Crypto => "crypto",
        }
    }

    /// Parses `card` or `crypto`.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        match text {
            "card" => Ok(Self::Card),
            "crypto" => Ok(Self::Crypto),
            other => Err(Invalid::new(
                "invalid_payment_method",
                format!("must be card or crypto, got {other:?}"),
            )),
        }
    }
}

/// A crypto asset the payer may pay with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CryptoAsset {
    /// Ether.
    Eth,
    /// Tether.
    Usdt,
    /// USD Coin.
    Usdc,
    /// Bitcoin.
    Btc,
}

impl CryptoAsset {
    /// Every asset, in the order the page offers them.
    pub const ALL: [Self; 4] = [Self::Usdc, Self::Usdt, Self::Eth, Self::Btc];

    /// The asset's ticker, as the API writes it.
    pub fn code(self) -> &'static str {
        match self {
            Self::Eth => "ETH",
            Self::Usdt => "USDT",
            Self::Usdc => "USDC",
            Self::Btc => "BTC",
        }
    }

    /// The chain the asset is sent on (ERC-20 for the stablecoins).
    pub fn network(self) -> &'static str {
        match self {
            Self::Btc => "bitcoin",
            Self::Eth | Self::Usdt | Self::Usdc => "ethereum",
        }
    }

    /// Decimal places an amount of the asset is quoted in.
    pub fn scale(self) -> u32 {
        match self {
            Self::Usdt | Self::Usdc => 6,
            Self::Eth | Self::Btc => 8,
        }
    }

    /// Parses `ETH`, `USDT`, `USDC` or `BTC`.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|asset| asset.code() == text)
            .ok_or_else(|| {
                Invalid::new(
                    "invalid_asset",
                    format!("must be one of ETH, USDT, USDC, BTC, got {text:?}"),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_parses_from_its_code_and_nothing_else_does() {
        for asset in CryptoAsset::ALL {
            assert_eq!(CryptoAsset::parse(asset.code()), Ok(asset));
        }
        assert_eq!(
            CryptoAsset::ALL.map(CryptoAsset::code),
            ["USDC", "USDT", "ETH", "BTC"]
        );
        for bad in ["usdc", "DOGE", ""] {
            assert_eq!(
                CryptoAsset::parse(bad).map_err(|e| e.code),
                Err("invalid_asset")
            );
        }
        assert_eq!(PaymentMethod::parse("crypto"), Ok(PaymentMethod::Crypto));
        assert!(PaymentMethod::parse("Card").is_err());
    }
}
