//! Who is calling: a merchant API key (`Authorization: Bearer sk_test_…`), looked up by its
//! SHA-256 hash and compared in constant time, or an access token issued for such a key. Every
//! authenticated request then takes a slot of its merchant's per-second limit. Only successful
//! checks are remembered (see `auth_cache`): a refused key is read again on every attempt.

use http::HeaderMap;
use http::header::AUTHORIZATION;
use lambda_http::Request;

use crate::App;
use crate::access_token;
use crate::error::{ApiError, AuthFailure};
use crate::http::{Exchange, Quota};
use checkout_domain::api_key::{ApiKeyRecord, KeyScope, LAST_USED_RESOLUTION, hash_api_key};
use checkout_domain::hashing::constant_time_eq;
use checkout_domain::ids::MerchantId;
use checkout_domain::merchant::{DEFAULT_RATE_LIMIT, Merchant};
use checkout_domain::stage::Stage;
use checkout_store::RateDecision;

/// The active merchant the request acts for — the one whose valid, unrevoked key (or a token
/// issued for it) is in its headers, or the one a platform's key names — within its rate limit
/// (its standing recorded on `exchange`). For writes: the request is admitted before it changes
/// anything, and a read-only key goes no further.
pub async fn authenticate(
    app: &App,
    exchange: &Exchange,
    request: &Request,
) -> Result<Merchant, ApiError> {
    let named = named_merchant(request.headers(), Some(request.body().as_ref()))?;
    let (merchant, key) = identify(app, request.headers(), named.as_deref()).await?;
    if key.scope == KeyScope::ReadOnly {
        return Err(ApiError::InsufficientScope);
    }
    let (admitted, ()) = tokio::join!(admit(app, exchange, &merchant), note_use(app, &key));
    admitted?;
    Ok(merchant)
}

/// Authenticates a read and makes it: the merchant's admission runs beside `read`, not before
/// it, so the rate limit adds no round trip. A refused request's read is made but not answered.
pub async fn authenticated_read<T>(
    app: &App,
    exchange: &Exchange,
    headers: &HeaderMap,
    read: impl AsyncFnOnce(Merchant) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let named = named_merchant(headers, None)?;
    let (merchant, key) = identify(app, headers, named.as_deref()).await?;
    let admission = admit(app, exchange, &merchant);
    let (admitted, (), answer) =
        tokio::join!(admission, note_use(app, &key), read(merchant.clone()));
    admitted?;
    answer
}

/// Records that `key` was used now, at most once a minute per key (the store's condition) and
/// per container (the cached record): beside the request's own work, never failing it.
async fn note_use(app: &App, key: &ApiKeyRecord) {
    let now = app.now();
    if !key.last_use_is_stale_at(now) {
        return;
    }
    match app
        .store
        .touch_api_key(key, now, LAST_USED_RESOLUTION)
        .await
    {
        Ok(_) => app.auth_cache.mark_used(&key.key_hash, now),
        Err(err) => tracing::warn!(error = %err, "lastUsedAt not recorded"),
    }
}

/// The merchant a request names: its `Merchant-Id` header, or a top-level `merchantId` in its
/// JSON `body`; both given and different is a 400.
fn named_merchant(headers: &HeaderMap, body: Option<&[u8]>) -> Result<Option<String>, ApiError> {
    #[derive(serde::Deserialize)]
    struct Named {
        #[serde(rename = "merchantId")]
        merchant_id: Option<String>,
    }
    let header = crate::http::single_header(headers, MERCHANT_ID_HEADER, "Merchant-Id")?
        .map(|value| value.to_str().unwrap_or_default().to_owned());
    // Only a JSON object within the size limit is looked into; anything else is the service's
    // to refuse, with the error that names what is wrong with it.
    let in_body = body
        .filter(|body| body.len() <= crate::http::MAX_BODY_BYTES)
        .filter(|body| body.trim_ascii_start().first() == Some(&b'{'))
        .and_then(|body| serde_json::from_slice::<Named>(body).ok())
        .and_then(|named| named.merchant_id);
    match (header, in_body) {
        (Some(header), Some(in_body)) if header != in_body => Err(ApiError::field(
            "merchantId",
            "merchant_mismatch",
            "the Merchant-Id header and merchantId differ",
        )),
        (header, in_body) => Ok(header.or(in_body)),
    }
}

/// The header a platform's key names the merchant it acts for with.
pub const MERCHANT_ID_HEADER: &str = "merchant-id";

/// The active merchant whose valid, unrevoked key (or a token issued for it) is in `headers`,
/// or that a platform's key acts for (`named`), with that key, not yet counted against its
/// limit.
async fn identify(
    app: &App,
    headers: &HeaderMap,
    named: Option<&str>,
) -> Result<(Merchant, ApiKeyRecord), ApiError> {
    crate::http::single_header(headers, AUTHORIZATION.as_str(), "Authorization")?;
    let Some(token) = bearer_token(headers) else {
        return Err(ApiError::Unauthenticated(AuthFailure::MissingApiKey));
    };
    if let Some(stage) = Stage::of_key(token) {
        deployment_stage(app, stage)?;
        key_holder(app, &hash_api_key(token), named).await
    } else if token.split('.').count() == 3 {
        let claims = access_token::verify(app.config.secrets.tokens().await?, token, app.now())?;
        // A token names its merchant; a request may name it too, but no other.
        if named.is_some_and(|named| named != claims.sub.as_str()) {
            return Err(ApiError::NotFound);
        }
        let found = key_holder(app, &claims.key, Some(claims.sub.as_str())).await?;
        if !constant_time_eq(
            found.0.id.as_str().as_bytes(),
            claims.sub.as_str().as_bytes(),
        ) {
            return Err(ApiError::Unauthenticated(AuthFailure::ExpiredToken));
        }
        Ok(found)
    } else {
        Err(ApiError::Unauthenticated(AuthFailure::InvalidApiKey))
    }
}

/// Refuses a key of `stage` unless the deployment is of that stage: a test key never touches
/// live money, and a live key is never spent on a test deployment.
fn deployment_stage(app: &App, stage: Stage) -> Result<(), ApiError> {
    if stage == app.config.stage {
        Ok(())
    } else {
        Err(ApiError::Unauthenticated(AuthFailure::OtherStageKey))
    }
}

/// The merchant and key record of an API key given in full; tokens are not accepted here, so a
/// token cannot mint its own successors.
pub async fn authenticate_key(
    app: &App,
    exchange: &Exchange,
    request: &Request,
) -> Result<(Merchant, ApiKeyRecord), ApiError> {
    let headers = request.headers();
    let named = named_merchant(headers, Some(request.body().as_ref()))?;
    crate::http::single_header(headers, AUTHORIZATION.as_str(), "Authorization")?;
    let Some(token) = bearer_token(headers) else {
        return Err(ApiError::Unauthenticated(AuthFailure::MissingApiKey));
    };
    let Some(stage) = Stage::of_key(token) else {
        return Err(ApiError::Unauthenticated(AuthFailure::InvalidApiKey));
    };
    deployment_stage(app, stage)?;
    let found = key_holder(app, &hash_api_key(token), named.as_deref()).await?;
    if found.1.scope == KeyScope::ReadOnly {
        return Err(ApiError::InsufficientScope);
    }
    let (admitted, ()) = tokio::join!(admit(app, exchange, &found.0), note_use(app, &found.1));
    admitted?;
    Ok(found)
}

/// The active merchant of the usable merchant key `plaintext`, read from the table (never from
/// this container's memory: signing in to the dashboard must see a revocation at once). A
/// platform's key or an access token names no one merchant and is refused.
pub async fn key_owner(app: &App, plaintext: &str) -> Result<(Merchant, ApiKeyRecord), ApiError> {
    let Some(stage) = Stage::of_key(plaintext) else {
        return Err(ApiError::Unauthenticated(AuthFailure::InvalidApiKey));
    };
    deployment_stage(app, stage)?;
    let (merchant, key) = read_key_holder(app, &hash_api_key(plaintext), None).await?;
    if !key.is_usable_at(app.now()) {
        return Err(ApiError::Unauthenticated(AuthFailure::ExpiredApiKey));
    }
    Ok((merchant, key))
}

/// The active merchant of the unrevoked key whose hash is `hash` (or the one `named` that a
/// platform's key acts for), as this container last saw them if that was within
/// `AUTH_CACHE_SECONDS`.
async fn key_holder(
    app: &App,
    hash: &str,
    named: Option<&str>,
) -> Result<(Merchant, ApiKeyRecord), ApiError> {
    let now = app.now();
    let remembered_as = format!("{hash}#{}", named.unwrap_or_default());
    let found = match app
        .auth_cache
        .get(&remembered_as, now, app.config.auth_cache)
    {
        Some(found) => found,
        None => {
            let found = read_key_holder(app, hash, named).await?;
            if app.config.auth_cache > time::Duration::ZERO {
                app.auth_cache.put(&remembered_as, &found.0, &found.1, now);
            }
            found
        }
    };
    // A rolled key's overlap ends on time, whatever was remembered of it.
    if !found.1.is_usable_at(now) {
        return Err(ApiError::Unauthenticated(AuthFailure::ExpiredApiKey));
    }
    Ok(found)
}

/// The active merchant of the unrevoked key whose hash is `hash`, read from the table: its own
/// merchant (a request naming another is a 404), or for a platform's key the merchant `named`,
/// which must be under that platform (any other is a 404, as an unknown one; none is a 400).
async fn read_key_holder(
    app: &App,
    hash: &str,
    named: Option<&str>,
) -> Result<(Merchant, ApiKeyRecord), ApiError> {
    let fail = |failure| Err(ApiError::Unauthenticated(failure));
    let Some(record) = app.store.get_api_key_eventually(hash).await? else {
        return fail(AuthFailure::InvalidApiKey);
    };
    if !constant_time_eq(record.key_hash.as_bytes(), hash.as_bytes()) {
        return fail(AuthFailure::InvalidApiKey);
    }
    if record.revoked {
        return fail(AuthFailure::RevokedApiKey);
    }
    let merchant_id = match (&record.merchant_id, &record.platform_id) {
        (Some(own), _) => {
            if named.is_some_and(|named| named != own.as_str()) {
                return Err(ApiError::NotFound);
            }
            own.clone()
        }
        (None, Some(_)) => {
            let named = named.ok_or(ApiError::MerchantRequired)?;
            MerchantId::parse(named).map_err(|_| ApiError::NotFound)?
        }
        (None, None) => return fail(AuthFailure::InvalidApiKey),
    };
    let merchant = match app.store.get_merchant_eventually(&merchant_id).await? {
        Some(merchant) if record.platform_id.is_none() => merchant,
        Some(merchant) if merchant.platform_id == record.platform_id => merchant,
        _ if record.platform_id.is_some() => return Err(ApiError::NotFound),
        _ => return fail(AuthFailure::InvalidApiKey),
    };
    if !merchant.active {
        return fail(AuthFailure::MerchantInactive);
    }
    Ok((merchant, record))
}

/// Takes one slot of the merchant's per-second limit, unless the deployment turned limits off:
/// from this container's lease if it holds one, else from the window (several slots at once
/// for a container that was busy with this merchant in the previous second; see `admission`).
async fn admit(app: &App, exchange: &Exchange, merchant: &Merchant) -> Result<(), ApiError> {
    if !app.config.rate_limits {
        return Ok(());
    }
    let limit = merchant.rate_limit.unwrap_or(DEFAULT_RATE_LIMIT);
    let now = app.now();
    let second = now.unix_seconds();
    if let Some(remaining) = app.admissions.take_leased(&merchant.id, second) {
        exchange.record_quota(Quota { limit, remaining });
        return Ok(());
    }
    let mut slots = app.admissions.slots_to_take(&merchant.id, limit, second);
    let taken = app
        .store
        .take_request_slots(&merchant.id, limit, slots, now)
        .await;
    let mut decision = match taken {
        Ok(decision) => decision,
        Err(err) => {
            if slots > 1 {
                app.admissions.lease_refused(&merchant.id, second);
            }
            return Err(err.into());
        }
    };
    if decision == RateDecision::Limited && slots > 1 {
        // Fewer slots than a lease are still left: this request may have one of them.
        app.admissions.lease_refused(&merchant.id, second);
        slots = 1;
        decision = app
            .store
            .take_request_slots(&merchant.id, limit, slots, now)
            .await?;
    }
    match decision {
        RateDecision::Allowed { remaining } => {
            app.admissions.took(&merchant.id, second, slots, remaining);
            exchange.record_quota(Quota {
                limit,
                remaining: remaining + slots - 1,
            });
            Ok(())
        }
        RateDecision::Limited => {
            // A lease another request of this container takes meanwhile may have a slot spare.
            if let Some(remaining) = app.admissions.await_lease(&merchant.id, second).await {
                exchange.record_quota(Quota { limit, remaining });
                return Ok(());
            }
            exchange.record_quota(Quota {
                limit,
                remaining: 0,
            });
            Err(ApiError::RateLimited { limit })
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(value).expect("valid header"),
        );
        headers
    }

    #[test]
    fn bearer_tokens_are_found_whatever_the_scheme_case() {
        assert_eq!(
            bearer_token(&headers("Bearer sk_test_x")),
            Some("sk_test_x")
        );
        assert_eq!(
            bearer_token(&headers("bearer  sk_test_x ")),
            Some("sk_test_x")
        );
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_missing_keys() {
        assert_eq!(bearer_token(&headers("Basic abc")), None);
        assert_eq!(bearer_token(&headers("Bearer ")), None);
        assert_eq!(bearer_token(&headers("sk_test_x")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
