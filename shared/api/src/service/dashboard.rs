//! The merchant dashboard's own operations (SPEC §19): signing in with a key or a one-time link,
//! knowing who is signed in from the cookie, signing out, finding sessions, and the overview's
//! figures. Everything else the dashboard does calls the services the API calls.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::json;

use crate::App;
use crate::auth;
use crate::cookies::{Cookie, SameSite};
use crate::error::{ApiError, AuthFailure};
use crate::json_fields::Violations;
use crate::secrets::UseKey;
use crate::service::{account, unsaved_session};
use checkout_domain::api_key::KeyScope;
use checkout_domain::dashboard::{DashboardSession, SessionCookie, SignInLink};
use checkout_domain::merchant::Merchant;
use checkout_domain::money::{Currency, Invalid};
use checkout_domain::session::{CheckoutSession, SessionStatus};
use checkout_domain::timestamp::Timestamp;
use checkout_store::{ListQuery, SessionSearch};

/// How many days the overview covers, today included.
pub const OVERVIEW_DAYS: u32 = 30;

/// Most sessions the overview reads; a merchant with more in 30 days sees the newest this many
/// (docs/decisions.md, "The merchant dashboard").
pub const OVERVIEW_MAX_SESSIONS: usize = 10_000;

/// The key the dashboard's cookies and anti-forgery tokens are signed with: derived from the
/// deployment's cookie key, for this use alone.
pub async fn signing_key(app: &App) -> Result<UseKey, ApiError> {
    Ok(app
        .config
        .secrets
        .cookies()
        .await?
        .for_use(b"dashboard session"))
}

/// The cookie that holds a dashboard session.
pub const SESSION_COOKIE: Cookie = Cookie::new("dashboard_session", "/dashboard", SameSite::Strict);

/// The checkout page's preview for the signed-in merchant: its account with the branding
/// `typed` (checked as a save is; what does not pass shows as saved), and a sample order of it
/// stored nowhere.
pub fn preview(
    app: &App,
    signed_in: &SignedIn,
    typed: &[(String, String)],
) -> Result<(Merchant, CheckoutSession), ApiError> {
    let saved = &signed_in.merchant;
    let merchant =
        account::patch_from_form(typed).map_or_else(|_| saved.clone(), |patch| patch.apply(saved));
    let sample = json!({
        "amount": "49.00",
        "currency": "EUR",
        "lineItems": [
            { "name": "Sample item", "quantity": 2, "unitAmount": "19.50" },
            { "name": "Delivery", "quantity": 1, "unitAmount": "10.00" }
        ],
        "successUrl": "https://example.com/thanks",
        "cancelUrl": "https://example.com/cart"
    });
    let body = serde_json::to_vec(&sample).unwrap_or_default();
    let session = unsaved_session(&merchant, &body, app.now())?;
    Ok((merchant, session))
}

/// Who a dashboard request is from.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The merchant, as the table holds it now.
    pub merchant: Merchant,
    /// Its session.
    pub session: DashboardSession,
    /// The cookie that named it.
    pub cookie: SessionCookie,
    /// The key its cookie and forms are signed with.
    key: UseKey,
}

impl SignedIn {
    /// Whether this session may change things.
    pub fn may_write(&self) -> bool {
        self.session.scope == KeyScope::Full
    }

    /// The anti-forgery token its forms carry.
    pub fn csrf_token(&self) -> String {
        self.cookie.csrf_token(self.key.signing())
    }

    /// Whether `given` is an anti-forgery token of this session (one signed before the cookie
    /// key's rotation too).
    pub fn csrf_matches(&self, given: &str) -> bool {
        self.key
            .accepted()
            .any(|key| self.cookie.csrf_matches(key, given))
    }
}

/// Opens a dashboard session for the merchant whose API key is `plaintext`, with that key's
/// scope: the cookie to set.
pub async fn sign_in_with_key(app: &App, plaintext: &str) -> Result<SessionCookie, ApiError> {
    let (merchant, key) = auth::key_owner(app, plaintext.trim()).await?;
    let cookie = SessionCookie::generate(merchant.id.clone(), Some(key.key_hash));
    let session = DashboardSession::open(&cookie, &merchant, key.scope, app.now());
    app.store.put_dashboard_session(&session).await?;
    Ok(cookie)
}

/// Opens a full dashboard session with the one-time link `token`, which it uses up; a link used
/// before, expired or made up is refused alike.
pub async fn sign_in_with_link(app: &App, token: &str) -> Result<SessionCookie, ApiError> {
    let refused = ApiError::Unauthenticated(AuthFailure::InvalidApiKey);
    let Some(link) = app
        .store
        .take_sign_in_link(&SignInLink::hash_of(token))
        .await?
    else {
        return Err(refused);
    };
    let now = app.now();
    if !link.is_open_at(now) {
        return Err(refused);
    }
    // Strongly read: the epoch and revocations the session starts from must be the latest.
    let merchant = match app.store.get_merchant(&link.merchant_id).await? {
        Some(merchant) if merchant.active => merchant,
        Some(_) => return Err(ApiError::Unauthenticated(AuthFailure::MerchantInactive)),
        None => return Err(refused),
    };
    let cookie = SessionCookie::generate(link.merchant_id, None);
    app.store
        .put_dashboard_session(&DashboardSession::open(
            &cookie,
            &merchant,
            KeyScope::Full,
            now,
        ))
        .await?;
    Ok(cookie)
}

/// Who the cookie `value` signs in, read in one round trip: refused when the cookie was not
/// signed here, its session ended (signed out, 8 hours passed), its key stopped working or its
/// merchant was deactivated.
pub async fn signed_in(app: &App, value: &str) -> Result<SignedIn, ApiError> {
    let refused = ApiError::Unauthenticated(AuthFailure::MissingApiKey);
    let key = signing_key(app).await?;
    let cookie = key
        .accepted()
        .find_map(|secret| SessionCookie::decode(value, secret))
        .ok_or(refused)?;
    let access = app
        .store
        .dashboard_access(
            &cookie.merchant_id,
            &cookie.token_hash(),
            cookie.key_hash.as_deref(),
        )
        .await?;
    let now = app.now();
    let (Some(merchant), Some(session)) = (access.merchant, access.session) else {
        return Err(ApiError::Unauthenticated(AuthFailure::MissingApiKey));
    };
    if !session.admits(&cookie, now) {
        return Err(ApiError::Unauthenticated(AuthFailure::ExpiredToken));
    }
    if !merchant.active {
        return Err(ApiError::Unauthenticated(AuthFailure::MerchantInactive));
    }
    if !session.stands_for(&merchant) {
        return Err(ApiError::Unauthenticated(AuthFailure::ExpiredToken));
    }
    if cookie.key_hash.is_some()
        && !access
            .key
            .is_some_and(|key| !key.revoked && key.is_usable_at(now))
    {
        return Err(ApiError::Unauthenticated(AuthFailure::RevokedApiKey));
    }
    Ok(SignedIn {
        merchant,
        session,
        cookie,
        key,
    })
}

/// Checks that `current_key`, typed again into a form that makes or rolls a key, is a working
/// full key of the signed-in merchant: a session cookie alone, stolen or left open, cannot mint
/// keys. A 400 on `currentKey` otherwise, and nothing is written.
pub async fn confirm_full_key(
    app: &App,
    signed_in: &SignedIn,
    current_key: &str,
) -> Result<(), ApiError> {
    let confirmed = match auth::key_owner(app, current_key.trim()).await {
        Ok((merchant, key)) => merchant.id == signed_in.merchant.id && key.scope == KeyScope::Full,
        Err(ApiError::Unauthenticated(_)) => false,
        Err(other) => return Err(other),
    };
    let mut v = Violations::default();
    if !confirmed {
        v.push(
            "currentKey",
            Invalid::new(
                "key_confirmation_required",
                "must be a working full secret key of this account",
            ),
        );
    }
    v.into_result(())
}

/// Ends the session `signed_in` holds: its cookie opens nothing after this, wherever it is.
pub async fn sign_out(app: &App, signed_in: &SignedIn) -> Result<(), ApiError> {
    app.store
        .end_dashboard_session(&signed_in.merchant.id, &signed_in.session.token_hash)
        .await?;
    Ok(())
}

/// What the dashboard's search box was given: a reference (`K7QM-2XWD`, any case), an e-mail
/// (it has an `@`) or else an order id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchTerm {
    /// Look up by reference or e-mail.
    Index(SessionSearch),
    /// Look up by order id (the session list's `orderId` filter).
    OrderId(String),
}

impl SearchTerm {
    /// Reads what was typed.
    pub fn read(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let is_reference = text.len() == 9
            && text.char_indices().all(|(at, c)| {
                if at == 4 {
                    c == '-'
                } else {
                    c.is_ascii_alphanumeric()
                }
            });
        Some(if text.contains('@') {
            Self::Index(SessionSearch::Email(text.to_owned()))
        } else if is_reference {
            Self::Index(SessionSearch::Reference(text.to_owned()))
        } else {
            Self::OrderId(text.to_owned())
        })
    }
}

/// The newest sessions of `merchant` that `search` finds (at most 100), and whether there are
/// more.
pub async fn search_sessions(
    app: &App,
    merchant: &Merchant,
    search: &SessionSearch,
) -> Result<(Vec<CheckoutSession>, bool), ApiError> {
    Ok(app.store.search_sessions(&merchant.id, search).await?)
}

/// One day's figures in one currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayFigures {
    /// Sessions created that day.
    pub created: u32,
    /// Of those, the ones that were paid (completed, or refunded after).
    pub paid: u32,
    /// What those paid sessions were for, before refunds.
    pub volume: Decimal,
}

impl DayFigures {
    /// Paid per created, in percent; none on a day without sessions.
    pub fn conversion(&self) -> Option<Decimal> {
        (self.created > 0)
            .then(|| Decimal::from(self.paid) * Decimal::from(100) / Decimal::from(self.created))
    }
}

/// The overview's figures: per currency, per UTC day of creation, over the last 30 days.
#[derive(Debug, Clone)]
pub struct Overview {
    /// The days, oldest first (today last).
    pub days: Vec<time::Date>,
    /// Per currency, one entry per day.
    pub series: BTreeMap<Currency, Vec<DayFigures>>,
    /// Whether more sessions were created than the overview reads.
    pub truncated: bool,
}

/// The overview of `merchant`'s sessions created from the start of the day 29 days ago (UTC)
/// until now, read through the same session listing the API pages through.
pub async fn overview(app: &App, merchant: &Merchant) -> Result<Overview, ApiError> {
    let now = app.now();
    let today = now.date();
    let first = today - time::Duration::days(i64::from(OVERVIEW_DAYS) - 1);
    let days: Vec<time::Date> = (0..OVERVIEW_DAYS)
        .map(|n| first + time::Duration::days(i64::from(n)))
        .collect();
    let mut query = ListQuery::all(merchant.id.clone(), merchant.key_shards, 1_000, now);
    query.created_from = Some(Timestamp::from_datetime(first.midnight().assume_utc()));
    let mut series: BTreeMap<Currency, Vec<DayFigures>> = BTreeMap::new();
    let mut read = 0;
    let truncated = loop {
        let page = app.store.list_sessions(&query).await?;
        for session in &page.sessions {
            let Some(day) = days.iter().position(|d| *d == session.created_at.date()) else {
                continue;
            };
            let figures = &mut series
                .entry(session.currency)
                .or_insert_with(|| vec![DayFigures::default(); days.len()])[day];
            figures.created += 1;
            if matches!(
                session.status_at(now),
                SessionStatus::Completed | SessionStatus::Refunded
            ) {
                figures.paid += 1;
                figures.volume += session.amount.value();
            }
        }
        read += page.sessions.len();
        match page.next {
            Some(next) if read < OVERVIEW_MAX_SESSIONS => query.after = Some(next),
            Some(_) => break true,
            None => break false,
        }
    };
    Ok(Overview {
        days,
        series,
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_box_tells_references_emails_and_order_ids_apart() {
        assert_eq!(
            SearchTerm::read(" k7qm-2xwd "),
            Some(SearchTerm::Index(SessionSearch::Reference(
                "k7qm-2xwd".into()
            )))
        );
        assert_eq!(
            SearchTerm::read("Ada@Example.com"),
            Some(SearchTerm::Index(SessionSearch::Email(
                "Ada@Example.com".into()
            )))
        );
        assert_eq!(
            SearchTerm::read("order-1042"),
            Some(SearchTerm::OrderId("order-1042".into()))
        );
        assert_eq!(SearchTerm::read("   "), None);
    }

    #[test]
    fn conversion_is_paid_per_created_and_absent_without_sessions() {
        let day = DayFigures {
            created: 4,
            paid: 1,
            volume: Decimal::from(10),
        };
        assert_eq!(day.conversion(), Some(Decimal::from(25)));
        assert_eq!(DayFigures::default().conversion(), None);
    }
}
