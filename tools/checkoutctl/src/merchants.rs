//! Creating merchants and their keys.

use checkout_domain::dashboard::SignInLink;
use std::str::FromStr;

use checkout_domain::api_key::{NewApiKey, hash_api_key};
use checkout_domain::ids::{EventId, MerchantId, PlatformId};
use checkout_domain::merchant::{
    DEFAULT_RATE_LIMIT, MAX_KEY_SHARDS, Merchant, Platform, is_brand_color, key_shards_for,
    new_webhook_secret,
};
use checkout_domain::money::{Amount, Currency, FeeSchedule};
use checkout_domain::stage::Stage;
use checkout_domain::timestamp::Timestamp;
use checkout_domain::values::HttpUrl;
use checkout_store::Store;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::AdminError;

/// What `merchant create` is told (its command-line flags, too).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MerchantOptions {
    /// Account name.
    #[arg(long)]
    pub name: String,
    /// Name shown on the checkout page (default: `name`).
    #[arg(long)]
    pub display_name: Option<String>,
    /// Checkout page colour, `#RRGGBB`.
    #[arg(long)]
    pub brand_color: Option<String>,
    /// Default success URL.
    #[arg(long)]
    pub success_url: Option<String>,
    /// Default cancel URL.
    #[arg(long)]
    pub cancel_url: Option<String>,
    /// Default webhook URL.
    #[arg(long)]
    pub webhook_url: Option<String>,
    /// Largest session amount, in major units (e.g. 500.00).
    #[arg(long)]
    pub max_amount: Option<String>,
    /// Fee percentage (default 2.9).
    #[arg(long)]
    pub fee_percent: Option<String>,
    /// Fixed fee in minor units of the session currency (default 30).
    #[arg(long)]
    pub fee_fixed: Option<i64>,
    /// Requests per second the merchant may send (default 25).
    #[arg(long)]
    pub rate_limit: Option<u32>,
    /// Shards of the keys that gather the merchant's items (default: one per 100 requests/s of
    /// its rate limit, at most 64; docs/scale.md).
    #[arg(long)]
    pub key_shards: Option<u32>,
    /// The platform (`plt_…`) whose keys may act for the merchant.
    #[arg(long)]
    pub platform: Option<String>,
    /// The deployment's stage, whose keys the merchant gets (the CLI's `--stage`).
    #[arg(skip)]
    pub stage: Stage,
}

/// What `platform create` prints: the only time its key is shown.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedPlatform {
    /// `plt_…`.
    pub platform_id: PlatformId,
    /// `sk_test_…`: acts for any merchant under the platform named per request.
    pub api_key: String,
}

/// Creates a platform with one API key.
pub async fn create_platform(
    store: &Store,
    name: &str,
    stage: Stage,
) -> Result<CreatedPlatform, AdminError> {
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AdminError::InvalidArgument(
            "--name: 1 to 200 characters".into(),
        ));
    }
    let now = Timestamp::now();
    let platform = Platform {
        id: PlatformId::generate(),
        name,
        created_at: now,
    };
    store.put_platform(&platform).await?;
    let key = NewApiKey::for_platform(stage, &platform.id, now);
    store.put_api_key(&key.record).await?;
    Ok(CreatedPlatform {
        platform_id: platform.id,
        api_key: key.plaintext,
    })
}

/// What `merchant create` prints: the only time the key is shown.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedMerchant {
    /// `mer_…`.
    pub merchant_id: MerchantId,
    /// `sk_test_…`.
    pub api_key: String,
    /// `whsec_…`.
    pub webhook_secret: String,
}

fn url(value: Option<String>, flag: &str) -> Result<Option<HttpUrl>, AdminError> {
    value
        .map(|text| {
            HttpUrl::parse(&text)
                .map_err(|e| AdminError::InvalidArgument(format!("{flag}: {}", e.message)))
        })
        .transpose()
}

/// Creates a merchant with one API key.
pub async fn create_merchant(
    store: &Store,
    options: MerchantOptions,
) -> Result<CreatedMerchant, AdminError> {
    let name = options.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AdminError::InvalidArgument(
            "--name: 1 to 200 characters".into(),
        ));
    }
    if options
        .brand_color
        .as_deref()
        .is_some_and(|color| !is_brand_color(color))
    {
        return Err(AdminError::InvalidArgument("--brand-color: #RRGGBB".into()));
    }
    let max_amount = options
        .max_amount
        .map(|text| {
            Amount::parse(&text, Currency::Usd)
                .map_err(|e| AdminError::InvalidArgument(format!("--max-amount: {}", e.message)))
        })
        .transpose()?;
    let fees = fee_schedule(options.fee_percent.as_deref(), options.fee_fixed)?;
    if options.rate_limit == Some(0) {
        return Err(AdminError::InvalidArgument(
            "--rate-limit: at least 1".into(),
        ));
    }
    let key_shards = options
        .key_shards
        .unwrap_or_else(|| key_shards_for(options.rate_limit.unwrap_or(DEFAULT_RATE_LIMIT)));
    if !(1..=MAX_KEY_SHARDS).contains(&key_shards) {
        return Err(AdminError::InvalidArgument(format!(
            "--key-shards: 1 to {MAX_KEY_SHARDS}"
        )));
    }
    let platform_id = match options.platform.as_deref() {
        Some(text) => Some(platform_of(store, text).await?),
        None => None,
    };
    let now = Timestamp::now();
    let merchant = Merchant {
        id: MerchantId::generate(),
        display_name: options.display_name.unwrap_or_else(|| name.clone()),
        name,
        brand_color: options.brand_color,
        active: true,
        success_url: url(options.success_url, "--success-url")?,
        cancel_url: url(options.cancel_url, "--cancel-url")?,
        webhook_url: url(options.webhook_url, "--webhook-url")?,
        locale: None,
        terms_url: None,
        webhook_secret: new_webhook_secret(),
        retiring_webhook_secrets: Vec::new(),
        max_amount,
        fees,
        rate_limit: options.rate_limit,
        key_shards,
        platform_id,
        created_at: now,
        dashboard_epoch: 0,
        key_revocations: 0,
    };
    store.put_merchant(&merchant).await?;
    let key = NewApiKey::generate(options.stage, &merchant.id, now);
    store.put_api_key(&key.record).await?;
    Ok(CreatedMerchant {
        merchant_id: merchant.id,
        api_key: key.plaintext,
        webhook_secret: merchant.webhook_secret,
    })
}

/// The fee schedule of `--fee-percent` and `--fee-fixed`, each defaulting to none.
fn fee_schedule(percent: Option<&str>, fixed: Option<i64>) -> Result<FeeSchedule, AdminError> {
    let mut fees = FeeSchedule::default();
    if let Some(percent) = percent {
        fees.percent = Decimal::from_str(percent)
            .ok()
            .filter(|p| (Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(p))
            .ok_or_else(|| AdminError::InvalidArgument("--fee-percent: 0 to 100".into()))?;
    }
    if let Some(fixed) = fixed {
        if fixed < 0 {
            return Err(AdminError::InvalidArgument(
                "--fee-fixed: minor units, at least 0".into(),
            ));
        }
        fees.fixed_minor = fixed;
    }
    Ok(fees)
}

/// The platform `--platform` names, which must exist.
async fn platform_of(store: &Store, text: &str) -> Result<PlatformId, AdminError> {
    let id = PlatformId::parse(text)
        .map_err(|e| AdminError::InvalidArgument(format!("--platform: {}", e.message)))?;
    if store.get_platform_eventually(&id).await?.is_none() {
        return Err(AdminError::NotFound(format!("platform {id}")));
    }
    Ok(id)
}

/// Issues another key for an existing merchant and returns its plaintext.
pub async fn create_key(
    store: &Store,
    merchant_id: &MerchantId,
    stage: Stage,
) -> Result<String, AdminError> {
    if store.get_merchant_eventually(merchant_id).await?.is_none() {
        return Err(AdminError::NotFound(format!("merchant {merchant_id}")));
    }
    let key = NewApiKey::generate(stage, merchant_id, Timestamp::now());
    store.put_api_key(&key.record).await?;
    Ok(key.plaintext)
}

/// Revokes a key given in plaintext.
pub async fn revoke_key(store: &Store, api_key: &str) -> Result<(), AdminError> {
    if store.revoke_api_key(&hash_api_key(api_key)).await? {
        Ok(())
    } else {
        Err(AdminError::NotFound("API key".into()))
    }
}

/// Activates or deactivates a merchant.
pub async fn set_active(
    store: &Store,
    merchant_id: &MerchantId,
    active: bool,
) -> Result<(), AdminError> {
    if store.set_merchant_active(merchant_id, active).await? {
        Ok(())
    } else {
        Err(AdminError::NotFound(format!("merchant {merchant_id}")))
    }
}

/// Ends every dashboard session of a merchant.
pub async fn end_dashboard_sessions(
    store: &Store,
    merchant_id: &MerchantId,
) -> Result<(), AdminError> {
    if store.end_dashboard_sessions(merchant_id).await? {
        Ok(())
    } else {
        Err(AdminError::NotFound(format!("merchant {merchant_id}")))
    }
}

/// Queues a fresh attempt of every delivery of an event, due now, with a fresh schedule.
pub async fn redeliver_event(store: &Store, event_id: &EventId) -> Result<(), AdminError> {
    match checkout_api::service::events::requeue(store, event_id, None, Timestamp::now()).await? {
        Some(_) => Ok(()),
        None => Err(AdminError::NotFound(format!("event {event_id}"))),
    }
}

/// Makes a one-time link that signs in to merchant `merchant_id`'s dashboard, made at `now`:
/// its address under `base_url`, opening a full session once within 15 minutes.
pub async fn dashboard_link(
    store: &Store,
    merchant_id: &MerchantId,
    base_url: &str,
    now: Timestamp,
) -> Result<String, AdminError> {
    if store.get_merchant_eventually(merchant_id).await?.is_none() {
        return Err(AdminError::NotFound(format!("merchant {merchant_id}")));
    }
    let (link, token) = SignInLink::generate(merchant_id.clone(), now);
    store.put_sign_in_link(&link).await?;
    Ok(format!(
        "{}/dashboard/link?token={token}",
        base_url.trim_end_matches('/')
    ))
}
