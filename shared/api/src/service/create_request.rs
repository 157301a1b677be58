//! The body of `POST /v1/checkout/sessions`, checked against every rule of SPEC §5 at once.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::ApiError;
use crate::json_fields::{JsonObject, Violations, decimal_text};
use checkout_domain::hashing::sha256_hex;
use checkout_domain::merchant::Merchant;
use checkout_domain::money::{Amount, Currency, Invalid};
use checkout_domain::timestamp::Timestamp;
use checkout_domain::values::{
    BoundedText, Collect, CryptoAsset, Customer, Expiry, HttpUrl, IdempotencyKey, LineItem, Locale,
    Metadata, OrderId, PaymentMethod,
};

/// A keyed request's JSON body read once (a create's, a refund's): its fields, and what an earlier
/// use of its idempotency key is looked up by. Both the request's rules and the replay of a
/// refused retry read from it, so the body is parsed once whichever way the request goes.
#[derive(Debug)]
pub struct KeyedBody {
    fields: JsonObject,
    /// The key from the header, else from the body, if it is a well-formed key.
    pub idempotency_key: Option<IdempotencyKey>,
    /// SHA-256 of the body with sorted keys and without `idempotencyKey`, so that key order,
    /// whitespace and where the key was sent do not make two equal requests differ.
    pub fingerprint: String,
}

impl KeyedBody {
    /// The fields, for the request's own rules.
    pub fn into_fields(self) -> JsonObject {
        self.fields
    }

    /// Reads `body`, which must be a JSON object, with the `Idempotency-Key` header if sent.
    pub fn read(body: &[u8], header_key: Option<&str>) -> Result<Self, ApiError> {
        let fields = JsonObject::parse_body(body)?;
        let mut canonical = serde_json::Map::new();
        let mut body_key = None;
        for (name, raw) in fields.fields() {
            let value: Value = serde_json::from_str(raw.get())
                .map_err(|e| ApiError::MalformedJson(e.to_string()))?;
            if name == "idempotencyKey" {
                body_key = value.as_str().map(str::to_owned);
            } else {
                canonical.insert(name.to_owned(), sorted(value));
            }
        }
        let canonical = serde_json::to_vec(&canonical)
            .map_err(|e| ApiError::Internal(format!("canonical JSON: {e}")))?;
        let idempotency_key = header_key
            .map(str::to_owned)
            .or(body_key)
            .and_then(|key| IdempotencyKey::parse(&key).ok());
        Ok(Self {
            fields,
            idempotency_key,
            fingerprint: sha256_hex(&canonical),
        })
    }
}

/// A create request that passed every rule, with the merchant's defaults applied.
#[derive(Debug, Clone)]
pub struct CreateSessionRequest {
    /// Total to pay (given, or the sum of the line items).
    pub amount: Amount,
    /// Currency of every amount.
    pub currency: Currency,
    /// What is bought.
    pub line_items: Vec<LineItem>,
    /// The merchant's order reference.
    pub order_id: Option<OrderId>,
    /// Shown to the payer.
    pub description: Option<BoundedText>,
    /// The payer.
    pub customer: Option<Customer>,
    /// Redirect after payment.
    pub success_url: HttpUrl,
    /// Redirect after cancelling.
    pub cancel_url: HttpUrl,
    /// Webhook override.
    pub webhook_url: Option<HttpUrl>,
    /// Merchant data.
    pub metadata: Metadata,
    /// Expiry instant.
    pub expires_at: Timestamp,
    /// Allowed methods, without duplicates.
    pub payment_methods: Vec<PaymentMethod>,
    /// Allowed crypto assets, without duplicates.
    pub allowed_assets: Vec<CryptoAsset>,
    /// `afterExpiration.recovery.enabled`.
    pub recovery: bool,
    /// What the page collects besides payment.
    pub collect: Option<Collect>,
    /// The page's language; none: the account's default.
    pub locale: Option<Locale>,
}

const DESCRIPTION_MAX: usize = 500;
const NAME_MAX: usize = 200;
const ID_MAX: usize = 255;

impl CreateSessionRequest {
    /// Checks `body` (and the `Idempotency-Key` header) for `merchant` at `now`.
    pub fn parse(
        body: KeyedBody,
        header_key: Option<&str>,
        merchant: &Merchant,
        now: Timestamp,
    ) -> Result<Self, ApiError> {
        let mut object = body.fields;
        let mut v = Violations::default();

        let (currency, line_items, total) = parse_money(&mut object, merchant, &mut v);
        let order_id = object
            .string("orderId", &mut v)
            .and_then(|text| OrderId::parse(&text).map_err(|e| v.push("orderId", e)).ok());
        let description = bounded(&mut object, "description", DESCRIPTION_MAX, &mut v);
        let customer = parse_customer(&mut object, &mut v);
        let success_url = url_or_default(
            &mut object,
            "successUrl",
            merchant.success_url.as_ref(),
            &mut v,
        );
        let cancel_url = url_or_default(
            &mut object,
            "cancelUrl",
            merchant.cancel_url.as_ref(),
            &mut v,
        );
        let webhook_url = url(&mut object, "webhookUrl", &mut v);
        let metadata = parse_metadata(&mut object, &mut v);
        let expires_at = parse_expiry(&mut object, now, &mut v);
        let payment_methods = parse_payment_methods(&mut object, &mut v);
        let allowed_assets = parse_assets(&mut object, &payment_methods, &mut v);
        let recovery = parse_after_expiration(&mut object, &mut v);
        let collect = parse_collect(&mut object, merchant, &mut v);
        let locale = object
            .string("locale", &mut v)
            .and_then(|text| Locale::parse(&text).map_err(|e| v.push("locale", e)).ok());
        check_idempotency_key(&mut object, header_key, &mut v);
        object.finish(&mut v);
        v.into_result(())?;

        let (Some(amount), Some(currency), Some(success_url), Some(cancel_url), Some(expires_at)) =
            (total, currency, success_url, cancel_url, expires_at)
        else {
            return Err(ApiError::Internal(
                "a create request without violations lacks a required value".into(),
            ));
        };
        Ok(Self {
            amount,
            currency,
            line_items: line_items.unwrap_or_default(),
            order_id,
            description,
            customer,
            success_url,
            cancel_url,
            webhook_url,
            metadata,
            expires_at,
            payment_methods,
            allowed_assets,
            recovery,
            collect,
            locale,
        })
    }
}

/// `currency`, `lineItems` and the total they and `amount` make.
fn parse_money(
    object: &mut JsonObject,
    merchant: &Merchant,
    v: &mut Violations,
) -> (Option<Currency>, Option<Vec<LineItem>>, Option<Amount>) {
    let currency = match object.string("currency", v) {
        None => Some(Currency::Usd),
        Some(code) => Currency::parse(&code)
            .map_err(|e| v.push("currency", e))
            .ok(),
    };
    let amount_given = object.has("amount");
    let amount = object
        .decimal_text("amount", v)
        .and_then(|text| amount_in(&text, currency, "amount", v));
    let line_items_given = object.has("lineItems");
    let line_items = parse_line_items(object, currency, v);
    let total = resolve_total(
        (amount, amount_given),
        (line_items.as_deref(), line_items_given),
        currency,
        merchant,
        v,
    );
    (currency, line_items, total)
}

/// `collect` (SPEC §20); terms of service only for a merchant with a `termsUrl` to link.
fn parse_collect(
    object: &mut JsonObject,
    merchant: &Merchant,
    v: &mut Violations,
) -> Option<Collect> {
    let value: Value = object.typed("collect", "an object", v)?;
    match Collect::parse(&value) {
        Ok(collect) if collect.terms_of_service.is_some() && merchant.terms_url.is_none() => {
            v.push(
                "collect.termsOfService",
                Invalid::new(
                    "terms_url_missing",
                    "set the account's termsUrl (PATCH /v1/account) before asking for consent",
                ),
            );
            None
        }
        Ok(collect) => (!collect.is_empty()).then_some(collect),
        Err(errors) => {
            for (path, rule) in errors {
                let at = if path.is_empty() {
                    "collect".to_owned()
                } else {
                    format!("collect.{path}")
                };
                v.push(at, rule);
            }
            None
        }
    }
}

/// `afterExpiration: { recovery: { enabled } }`: whether the expired session offers a recovery URL.
fn parse_after_expiration(object: &mut JsonObject, v: &mut Violations) -> bool {
    let Some(mut after) = object.object("afterExpiration", v) else {
        return false;
    };
    let enabled = after.object("recovery", v).and_then(|mut recovery| {
        let enabled = recovery.typed::<bool>("enabled", "true or false", v);
        recovery.finish(v);
        enabled
    });
    after.finish(v);
    enabled.unwrap_or(false)
}

fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The amount `text` in `currency`; without a valid currency, only the rules every currency
/// shares are checked, so that an amount that is no number is still reported.
fn amount_in(
    text: &str,
    currency: Option<Currency>,
    path: impl Into<String>,
    v: &mut Violations,
) -> Option<Amount> {
    let checked = match currency {
        Some(currency) => Amount::parse(text, currency).map(Some),
        None => Amount::check_syntax(text).map(|_| None),
    };
    checked.map_err(|e| v.push(path, e)).ok().flatten()
}

fn bounded(
    object: &mut JsonObject,
    name: &str,
    max: usize,
    v: &mut Violations,
) -> Option<BoundedText> {
    let path = object.path_of(name);
    object.string(name, v).and_then(|text| {
        BoundedText::parse(&text, max)
            .map_err(|e| v.push(path, e))
            .ok()
    })
}

fn url(object: &mut JsonObject, name: &str, v: &mut Violations) -> Option<HttpUrl> {
    object
        .string(name, v)
        .and_then(|text| HttpUrl::parse(&text).map_err(|e| v.push(name, e)).ok())
}

fn url_or_default(
    object: &mut JsonObject,
    name: &str,
    default: Option<&HttpUrl>,
    v: &mut Violations,
) -> Option<HttpUrl> {
    let given = object.has(name);
    let parsed = url(object, name, v);
    if parsed.is_some() || given {
        return parsed;
    }
    if default.is_none() {
        v.push(
            name,
            Invalid::new(
                "required",
                format!("{name} is required because the merchant has no default"),
            ),
        );
    }
    default.cloned()
}

fn parse_line_items(
    object: &mut JsonObject,
    currency: Option<Currency>,
    v: &mut Violations,
) -> Option<Vec<LineItem>> {
    let raw_items = object.array("lineItems", v)?;
    if raw_items.is_empty() || raw_items.len() > LineItem::MAX_ITEMS {
        v.push(
            "lineItems",
            Invalid::new(
                "invalid_length",
                format!(
                    "must hold 1 to {} items, got {}",
                    LineItem::MAX_ITEMS,
                    raw_items.len()
                ),
            ),
        );
        return None;
    }
    let before = v.len();
    let items: Vec<LineItem> = raw_items
        .iter()
        .enumerate()
        .filter_map(|(index, raw)| {
            let item = object.element_object("lineItems", index, raw, v)?;
            line_item(item, currency, v)
        })
        .collect();
    (v.len() == before).then_some(items)
}

/// One element of `lineItems`, every broken rule pushed to `v` with its path.
fn line_item(
    mut item: JsonObject,
    currency: Option<Currency>,
    v: &mut Violations,
) -> Option<LineItem> {
    let name = match item.string("name", v) {
        Some(text) => BoundedText::parse(&text, NAME_MAX)
            .map_err(|e| v.push(item.path_of("name"), e))
            .ok(),
        None => {
            v.push(
                item.path_of("name"),
                Invalid::new("required", "name is required"),
            );
            None
        }
    };
    let description = bounded(&mut item, "description", DESCRIPTION_MAX, v);
    let product_id = bounded(&mut item, "productId", ID_MAX, v);
    let unit_amount = match item.take("unitAmount") {
        Some(raw) => {
            let path = item.path_of("unitAmount");
            decimal_text(&raw, &path, v).and_then(|text| amount_in(&text, currency, path, v))
        }
        None => {
            v.push(
                item.path_of("unitAmount"),
                Invalid::new("required", "unitAmount is required"),
            );
            None
        }
    };
    let quantity_path = item.path_of("quantity");
    let quantity = match item.take("quantity") {
        Some(raw) => match serde_json::from_str::<u32>(raw.get()) {
            Ok(q) if (1..=LineItem::MAX_QUANTITY).contains(&q) => Some(q),
            _ => {
                v.push(
                    quantity_path,
                    Invalid::new(
                        "invalid_quantity",
                        format!("must be an integer from 1 to {}", LineItem::MAX_QUANTITY),
                    ),
                );
                None
            }
        },
        None => {
            v.push(
                quantity_path,
                Invalid::new("required", "quantity is required"),
            );
            None
        }
    };
    item.finish(v);
    Some(LineItem {
        name: name?,
        description,
        product_id,
        unit_amount: unit_amount?,
        quantity: quantity?,
    })
}

/// The session total from `amount` and the line items, each with whether it was given at all.
fn resolve_total(
    (amount, amount_given): (Option<Amount>, bool),
    (line_items, line_items_given): (Option<&[LineItem]>, bool),
    currency: Option<Currency>,
    merchant: &Merchant,
    v: &mut Violations,
) -> Option<Amount> {
    let currency = currency?;
    let sum = match line_items {
        Some(items) => {
            let sum = items
                .iter()
                .try_fold(Amount::zero(currency), |sum, item| item.total()?.plus(sum));
            if sum.is_none() {
                v.push(
                    "lineItems",
                    Invalid::new("amount_too_large", "the line items overflow"),
                );
            }
            sum
        }
        None => None,
    };
    let (field, total) = match (amount, sum) {
        (Some(amount), Some(sum)) if amount != sum => {
            v.push(
                "amount",
                Invalid::new(
                    "amount_mismatch",
                    format!("amount {amount} does not equal the line items' total {sum}"),
                ),
            );
            return None;
        }
        (Some(amount), _) => ("amount", amount),
        (None, Some(sum)) => ("lineItems", sum),
        (None, None) => {
            if !amount_given && !line_items_given {
                v.push(
                    "amount",
                    Invalid::new("required", "amount is required unless lineItems are given"),
                );
            }
            return None;
        }
    };
    total
        .check_range(currency, merchant.max_amount)
        .map_err(|e| v.push(field, e))
        .ok()
}

fn parse_customer(object: &mut JsonObject, v: &mut Violations) -> Option<Customer> {
    let mut customer_object = object.object("customer", v)?;
    let email_path = customer_object.path_of("email");
    let email = customer_object.string("email", v).and_then(|text| {
        Customer::parse_email(&text)
            .map_err(|e| v.push(email_path, e))
            .ok()
    });
    let name = bounded(&mut customer_object, "name", NAME_MAX, v);
    let id = bounded(&mut customer_object, "id", ID_MAX, v);
    customer_object.finish(v);
    Some(Customer { email, name, id })
}

pub(crate) fn parse_metadata(object: &mut JsonObject, v: &mut Violations) -> Metadata {
    let Some(entries) = object.typed::<BTreeMap<String, Value>>("metadata", "an object", v) else {
        return Metadata::default();
    };
    Metadata::parse(entries).unwrap_or_else(|problems| {
        for (key, problem) in problems {
            let field = key.map_or_else(|| "metadata".to_owned(), |k| format!("metadata.{k}"));
            v.push(field, problem);
        }
        Metadata::default()
    })
}

fn parse_expiry(object: &mut JsonObject, now: Timestamp, v: &mut Violations) -> Option<Timestamp> {
    let expires_in = object.string("expiresIn", v);
    let expires_at = object.string("expiresAt", v);
    let (field, expiry) = match (expires_in, expires_at) {
        (Some(_), Some(_)) => {
            v.push(
                "expiresAt",
                Invalid::new(
                    "conflicting_fields",
                    "give expiresIn or expiresAt, not both",
                ),
            );
            return None;
        }
        (Some(text), None) => ("expiresIn", Expiry::parse_duration(&text)),
        (None, Some(text)) => ("expiresAt", Expiry::parse_instant(&text)),
        (None, None) => {
            return Some(now.plus(checkout_domain::values::ExpiryWindow::DEFAULT));
        }
    };
    expiry
        .and_then(|expiry| expiry.resolve(now))
        .map_err(|e| v.push(field, e))
        .ok()
}

fn parse_payment_methods(object: &mut JsonObject, v: &mut Violations) -> Vec<PaymentMethod> {
    let Some(names) = object.typed::<Vec<String>>("paymentMethods", "an array of strings", v)
    else {
        return vec![PaymentMethod::Card];
    };
    if names.is_empty() {
        v.push(
            "paymentMethods",
            Invalid::new("invalid_length", "must name at least one method"),
        );
    }
    let mut methods = Vec::new();
    for (index, name) in names.iter().enumerate() {
        match PaymentMethod::parse(name) {
            Ok(method) if !methods.contains(&method) => methods.push(method),
            Ok(_) => {}
            Err(e) => v.push(format!("paymentMethods[{index}]"), e),
        }
    }
    methods
}

fn parse_assets(
    object: &mut JsonObject,
    methods: &[PaymentMethod],
    v: &mut Violations,
) -> Vec<CryptoAsset> {
    let Some(names) = object.typed::<Vec<String>>("allowedAssets", "an array of strings", v) else {
        return Vec::new();
    };
    let mut assets = Vec::new();
    for (index, name) in names.iter().enumerate() {
        match CryptoAsset::parse(name) {
            Ok(asset) if !assets.contains(&asset) => assets.push(asset),
            Ok(_) => {}
            Err(e) => v.push(format!("allowedAssets[{index}]"), e),
        }
    }
    if !assets.is_empty() && !methods.contains(&PaymentMethod::Crypto) {
        v.push(
            "allowedAssets",
            Invalid::new(
                "crypto_not_allowed",
                "allowedAssets needs \"crypto\" in paymentMethods",
            ),
        );
    }
    assets
}

/// Reports a malformed key, or a header and a body key that differ; the key that is used is
/// [`KeyedBody::idempotency_key`].
pub(crate) fn check_idempotency_key(
    object: &mut JsonObject,
    header_key: Option<&str>,
    v: &mut Violations,
) {
    let from_body = object.string("idempotencyKey", v).and_then(|text| {
        IdempotencyKey::parse(&text)
            .map_err(|e| v.push("idempotencyKey", e))
            .ok()
    });
    let from_header = header_key.and_then(|text| {
        IdempotencyKey::parse(text)
            .map_err(|e| v.push("Idempotency-Key", e))
            .ok()
    });
    if let (Some(body), Some(header)) = (from_body, from_header)
        && body != header
    {
        v.push(
            "idempotencyKey",
            Invalid::new(
                "idempotency_key_mismatch",
                "the Idempotency-Key header and idempotencyKey differ",
            ),
        );
    }
}
