//! The hosted checkout page's logic: showing a session to its payer, paying it, cancelling it.
//! Rendering is the checkout-page function's; nothing here logs or keeps card data.

use std::collections::BTreeMap;

use crate::App;
use crate::error::ApiError;
use crate::http::first_value;
use crate::metrics::{self, Metric};
use crate::payments::{
    CardDetails, ChargeOutcome, ChargeRequest, CryptoQuote, PaymentInstrument, PaymentProcessor,
};
use crate::service::transition::{announce, end_with_event, fail_with_event};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use checkout_domain::hashing::{constant_time_eq, hmac_sha256};
use checkout_domain::ids::SessionId;
use checkout_domain::merchant::Merchant;
use checkout_domain::session::{CheckoutSession, PaymentDetails, SessionStatus};
use checkout_domain::timestamp::Timestamp;
use checkout_domain::values::{Collected, CryptoAsset, HttpUrl, PaymentMethod};
use checkout_store::{ChangeOutcome, EndOutcome, RecoverOutcome};

/// Declines after which a session fails.
pub const MAX_DECLINES: u32 = 3;

/// What the page shows.
#[derive(Debug, Clone)]
pub struct PageModel {
    /// The session as it is.
    pub session: CheckoutSession,
    /// Its merchant (display name, brand colour).
    pub merchant: Merchant,
    /// The status the payer sees now.
    pub status: SessionStatus,
    /// When the page was rendered.
    pub now: Timestamp,
    /// Why the last attempt did not go through: the id of the payer's message in the page's
    /// catalogs.
    pub error: Option<String>,
    /// What the payer should know before trying again (the session changed): a message id.
    pub notice: Option<String>,
    /// The inputs the page collects that were refused, each with the id of why.
    pub field_errors: BTreeMap<String, String>,
    /// What the payer had typed into the inputs the page collects, to show again.
    pub kept: Vec<(String, String)>,
}

/// What the page answers.
#[derive(Debug)]
pub enum PageOutcome {
    /// Render the page.
    Show(Box<PageModel>),
    /// Send the payer on (303).
    Redirect(String),
    /// No such session.
    NotFound,
    /// A recovery URL opened more than 30 days after its session expired.
    RecoveryLapsed,
    /// The form's anti-forgery token is missing or wrong; nothing was written.
    Forbidden,
    /// The session is open but its merchant has been deactivated: no form, nothing written.
    MerchantInactive {
        /// The name the payer knows the merchant by.
        display_name: String,
    },
}

async fn load(app: &App, id: &SessionId) -> Result<Option<(CheckoutSession, Merchant)>, ApiError> {
    let Some(session) = app.store.get_session(id).await? else {
        return Ok(None);
    };
    let Some(merchant) = app
        .store
        .get_merchant_eventually(&session.merchant_id)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some((session, merchant)))
}

fn show(
    session: CheckoutSession,
    merchant: Merchant,
    now: Timestamp,
    error: Option<String>,
) -> PageOutcome {
    // A deactivated merchant takes no payments: its open sessions show no form (and refuse
    // posts) until it is reactivated or they expire; ended ones still show how they ended.
    if !merchant.active && session.is_open_at(now) {
        return inactive(merchant);
    }
    PageOutcome::Show(Box::new(PageModel {
        status: session.status_at(now),
        session,
        merchant,
        now,
        error,
        notice: None,
        field_errors: BTreeMap::new(),
        kept: Vec::new(),
    }))
}

/// The page again with the inputs at fault marked and what the payer typed kept (never card
/// data): nothing was charged or written.
fn show_refused(
    session: CheckoutSession,
    merchant: Merchant,
    now: Timestamp,
    form: &[(String, String)],
    card_problem: Option<&str>,
    field_errors: BTreeMap<String, &'static str>,
) -> PageOutcome {
    let kept = kept_inputs(form);
    match show(session, merchant, now, card_problem.map(str::to_owned)) {
        PageOutcome::Show(mut model) => {
            if model.error.is_none() && !field_errors.is_empty() {
                model.error = Some("error-check-fields".to_owned());
            }
            model.field_errors = field_errors
                .into_iter()
                .map(|(name, id)| (name, id.to_owned()))
                .collect();
            model.kept = kept;
            PageOutcome::Show(model)
        }
        other => other,
    }
}

/// What a form's answer leaves for the page it redirects to (redirect after every POST, so that
/// Back and reload never send a form again): the message ids and what the payer typed, never
/// card data. It travels in a short-lived `HttpOnly` cookie, signed so that only a page this
/// deployment answered can leave one, and is shown once, for the session and version it was made
/// for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flash {
    session_id: String,
    version: u32,
    error: Option<String>,
    notice: Option<String>,
    field_errors: BTreeMap<String, String>,
    kept: Vec<(String, String)>,
}

/// Longest kept value: a cookie holds about 4 KB.
const FLASH_VALUE_MAX: usize = 255;

impl Flash {
    /// What `model`'s page would have said, if it says anything.
    pub fn of(model: &PageModel) -> Option<Self> {
        let says =
            model.error.is_some() || model.notice.is_some() || !model.field_errors.is_empty();
        says.then(|| Self {
            session_id: model.session.id.as_str().to_owned(),
            version: model.session.version,
            error: model.error.clone(),
            notice: model.notice.clone(),
            field_errors: model.field_errors.clone(),
            kept: model
                .kept
                .iter()
                .map(|(name, value)| (name.clone(), value.chars().take(FLASH_VALUE_MAX).collect()))
                .collect(),
        })
    }

    /// The cookie value: the flash and its HMAC under `secret`, both base64url.
    pub fn encode(&self, secret: &[u8]) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        let tag = hmac_sha256(secret, &json);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(json),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The flash a cookie value holds, if this deployment signed it.
    pub fn decode(value: &str, secret: &[u8]) -> Option<Self> {
        let (json, tag) = value.split_once('.')?;
        let json = URL_SAFE_NO_PAD.decode(json).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        constant_time_eq(&tag, &hmac_sha256(secret, &json))
            .then(|| serde_json::from_slice(&json).ok())
            .flatten()
    }

    /// Shows the flash on `model`'s page when it was made for that session as it still is, and
    /// it can still be paid.
    pub fn apply_to(self, model: &mut PageModel) {
        let current = model.session.id.as_str() == self.session_id
            && model.session.version == self.version
            && model.status == SessionStatus::Pending;
        if current {
            model.error = self.error;
            model.notice = self.notice;
            model.field_errors = self.field_errors;
            model.kept = self.kept;
        }
    }
}

/// Whether a page input is one `collect` asks for (SPEC §20 names them).
fn is_collected_input(name: &str) -> bool {
    name == "phone"
        || name == "termsOfService"
        || name.starts_with("billingAddress.")
        || name.starts_with("customFields.")
}

fn inactive(merchant: Merchant) -> PageOutcome {
    PageOutcome::MerchantInactive {
        display_name: merchant.display_name,
    }
}

fn token_ok(session: &CheckoutSession, form: &[(String, String)]) -> bool {
    !session.form_token.is_empty()
        && constant_time_eq(
            first_value(form, "token").as_bytes(),
            session.form_token.as_bytes(),
        )
}

/// Where to send the payer: `url` with `{CHECKOUT_SESSION_ID}` replaced and `sessionId` and
/// `status` set in its query. Parameters of those names the merchant's URL already has are
/// dropped, not kept beside ours: a framework that reads the first value would otherwise see the
/// merchant's `status=completed` on a cancelled payment.
pub fn redirect_url(url: &HttpUrl, session_id: &SessionId, status: SessionStatus) -> String {
    const OURS: [&str; 2] = ["sessionId", "status"];
    let text = url
        .as_ref()
        .replace(HttpUrl::SESSION_ID_PLACEHOLDER, session_id.as_str());
    match url::Url::parse(&text) {
        Ok(mut parsed) => {
            let kept: Vec<(String, String)> = parsed
                .query_pairs()
                .filter(|(name, _)| !OURS.contains(&name.as_ref()))
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect();
            parsed
                .query_pairs_mut()
                .clear()
                .extend_pairs(kept)
                .append_pair("sessionId", session_id.as_str())
                .append_pair("status", status.as_str());
            parsed.into()
        }
        Err(_) => text,
    }
}

/// `GET /pay/{id}`.
pub async fn view(app: &App, id: &SessionId) -> Result<PageOutcome, ApiError> {
    Ok(match load(app, id).await? {
        Some((session, merchant)) => show(session, merchant, app.now(), None),
        None => PageOutcome::NotFound,
    })
}

/// The session a form was posted to with its merchant and the time, if the form may act on it
/// now; otherwise the page to answer (unknown, forged, or no longer open).
async fn acting_on(
    app: &App,
    id: &SessionId,
    form: &[(String, String)],
) -> Result<Result<(CheckoutSession, Merchant, Timestamp), PageOutcome>, ApiError> {
    let Some((session, merchant)) = load(app, id).await? else {
        return Ok(Err(PageOutcome::NotFound));
    };
    if !token_ok(&session, form) {
        return Ok(Err(PageOutcome::Forbidden));
    }
    let now = app.now();
    if !session.is_open_at(now) || !merchant.active {
        return Ok(Err(show(session, merchant, now, None)));
    }
    Ok(Ok((session, merchant, now)))
}

/// The message (id) for a payer whose form was for an older version of the session.
pub const CHANGED_NOTICE: &str = "notice-changed";

/// The version of the session the posted form was rendered for; `None` when the form does not
/// say or says something that is no version: such a form has seen no amount, and pays nothing.
fn seen_version(form: &[(String, String)]) -> Option<u32> {
    first_value(form, "version").parse().ok()
}

/// `POST /pay/{id}`: one payment attempt from the form, or the answer to a 3-D Secure challenge
/// (`challenge` = `approve` or `fail`).
pub async fn pay<P: PaymentProcessor>(
    app: &App,
    processor: &P,
    id: &SessionId,
    form: &[(String, String)],
) -> Result<PageOutcome, ApiError> {
    let (session, merchant, now) = match acting_on(app, id, form).await? {
        Ok(open) => open,
        Err(answer) => return Ok(answer),
    };
    if !session.is_version(seen_version(form)) {
        return Ok(show_changed(session, merchant, now));
    }
    let (outcome, collected) = match first_value(form, "challenge") {
        "" => {
            let collected = session
                .collect
                .as_ref()
                .map(|collect| collect.read(|name| first_value(form, name)))
                .transpose();
            let (instrument, collected) = match (instrument(&session, form, now), collected) {
                (Ok(instrument), Ok(collected)) => (instrument, collected),
                (instrument, collected) => {
                    let mut errors = collected.err().unwrap_or_default();
                    let problem = instrument.err().map(|refused| {
                        errors.extend(refused.fields);
                        refused.message
                    });
                    return Ok(show_refused(session, merchant, now, form, problem, errors));
                }
            };
            let request = ChargeRequest {
                session_id: &session.id,
                amount: session.amount,
                currency: session.currency,
                instrument: &instrument,
            };
            (processor.charge(&request).await, collected)
        }
        answer => {
            let passed = match answer {
                "approve" => true,
                "fail" => false,
                _ => {
                    let problem = "error-challenge-answer";
                    return Ok(show(session, merchant, now, Some(problem.to_owned())));
                }
            };
            match &session.awaiting_authentication {
                Some(card) => (
                    processor.authenticated(card, passed).await,
                    session.collected.clone(),
                ),
                None => {
                    let problem = "error-challenge-ended";
                    return Ok(show(session, merchant, now, Some(problem.to_owned())));
                }
            }
        }
    };
    let answer = charged(app, session, merchant, now, outcome, collected).await?;
    Ok(keeping_inputs(answer, form))
}

/// The page `answer` with what the payer typed into the form kept, when it shows the form again
/// (after a decline).
fn keeping_inputs(answer: PageOutcome, form: &[(String, String)]) -> PageOutcome {
    match answer {
        PageOutcome::Show(mut model) if model.kept.is_empty() => {
            model.kept = kept_inputs(form);
            PageOutcome::Show(model)
        }
        other => other,
    }
}

/// The inputs of `form` the page shows again: what `collect` asks for and the name on the card,
/// never the card's number, expiry or code.
fn kept_inputs(form: &[(String, String)]) -> Vec<(String, String)> {
    form.iter()
        .filter(|(name, _)| name == "cardName" || is_collected_input(name))
        .cloned()
        .collect()
}

/// The page after the processor's answer to a payment of `session`.
async fn charged(
    app: &App,
    session: CheckoutSession,
    merchant: Merchant,
    now: Timestamp,
    outcome: ChargeOutcome,
    collected: Option<Collected>,
) -> Result<PageOutcome, ApiError> {
    match outcome {
        ChargeOutcome::Approved(details) => {
            take(
                app,
                session,
                merchant,
                now,
                SessionStatus::Completed,
                details,
                collected,
            )
            .await
        }
        ChargeOutcome::Processing(details) => {
            take(
                app,
                session,
                merchant,
                now,
                SessionStatus::Processing,
                details,
                collected,
            )
            .await
        }
        ChargeOutcome::RequiresAuthentication(card) => {
            if app
                .store
                .await_authentication(&session, &card, collected.as_ref(), now)
                .await?
            {
                tracing::info!(session_id = %session.id, "payment awaits 3-D Secure");
                Ok(page_again(&session.id))
            } else {
                reshow_after_refusal(app, &session, merchant, now).await
            }
        }
        ChargeOutcome::Declined(reason) => {
            tracing::info!(session_id = %session.id, reason = reason.code(), "payment declined");
            put_payment(app, metrics::PAYMENTS_DECLINED, PaymentMethod::Card);
            match app.store.record_decline(&session, now).await? {
                Some(count) if count >= MAX_DECLINES => {
                    match fail_with_event(app, &session, reason.code(), now).await? {
                        EndOutcome::Ended(failed) => {
                            put_payment(app, metrics::PAYMENTS_FAILED, PaymentMethod::Card);
                            Ok(PageOutcome::Redirect(redirect_url(
                                &failed.cancel_url,
                                &failed.id,
                                SessionStatus::Failed,
                            )))
                        }
                        EndOutcome::NotPending(current) => Ok(show(*current, merchant, now, None)),
                        EndOutcome::Gone => Ok(PageOutcome::NotFound),
                    }
                }
                Some(count) => {
                    let mut declined = session;
                    declined.decline_count = count;
                    declined.awaiting_authentication = None;
                    Ok(show(
                        declined,
                        merchant,
                        now,
                        Some(reason.message_id().to_owned()),
                    ))
                }
                None => reshow_after_refusal(app, &session, merchant, now).await,
            }
        }
    }
}

/// Counts one payment of `method` under `name`.
pub(crate) fn put_payment(app: &App, name: &'static str, method: PaymentMethod) {
    app.metrics
        .put(Metric::count(name, 1).by("Method", method.as_str()));
}

/// The page itself again (303 to `GET /pay/{id}`, relative to the form's `/pay/{id}`).
fn page_again(id: &SessionId) -> PageOutcome {
    PageOutcome::Redirect(id.as_str().to_owned())
}

/// Writes `session` as paid by `details`: `completed`, or `processing` when it settles later.
async fn take(
    app: &App,
    session: CheckoutSession,
    merchant: Merchant,
    now: Timestamp,
    to: SessionStatus,
    details: PaymentDetails,
    collected: Option<Collected>,
) -> Result<PageOutcome, ApiError> {
    let mut paid = session.ended(to, now);
    paid.payment = Some(details);
    paid.collected = collected;
    let event = announce(app, &paid, now)?;
    match app.store.take_payment(&session, &paid, &event, now).await? {
        ChangeOutcome::Changed(paid) => {
            tracing::info!(session_id = %paid.id, event_id = %event.id, status = %to, "session paid");
            if to == SessionStatus::Completed
                && let Some(payment) = &paid.payment
            {
                put_payment(app, metrics::PAYMENTS_COMPLETED, payment.method);
            }
            Ok(match to {
                SessionStatus::Processing => page_again(&paid.id),
                _ => PageOutcome::Redirect(redirect_url(&paid.success_url, &paid.id, to)),
            })
        }
        ChangeOutcome::Refused(current) => Ok(reshow(*current, &session, merchant, now)),
        ChangeOutcome::MerchantInactive => Ok(inactive(merchant)),
        ChangeOutcome::PriorUse(_) | ChangeOutcome::Gone => Ok(PageOutcome::NotFound),
    }
}

/// The page after a write for `attempted` was refused: with the notice of a change when the
/// session was changed in between and can still be paid.
fn reshow(
    current: CheckoutSession,
    attempted: &CheckoutSession,
    merchant: Merchant,
    now: Timestamp,
) -> PageOutcome {
    if current.is_open_at(now) && current.version != attempted.version {
        show_changed(current, merchant, now)
    } else {
        show(current, merchant, now, None)
    }
}

async fn reshow_after_refusal(
    app: &App,
    attempted: &CheckoutSession,
    merchant: Merchant,
    now: Timestamp,
) -> Result<PageOutcome, ApiError> {
    Ok(match app.store.get_session(&attempted.id).await? {
        Some(current) => reshow(current, attempted, merchant, now),
        None => PageOutcome::NotFound,
    })
}

fn show_changed(session: CheckoutSession, merchant: Merchant, now: Timestamp) -> PageOutcome {
    let mut page = show(session, merchant, now, None);
    if let PageOutcome::Show(model) = &mut page {
        model.notice = Some(CHANGED_NOTICE.to_owned());
    }
    page
}

/// The price of `session` in each crypto asset it accepts, for its page.
pub fn quotes<P: PaymentProcessor>(processor: &P, session: &CheckoutSession) -> Vec<CryptoQuote> {
    if !session.payment_methods.contains(&PaymentMethod::Crypto) {
        return Vec::new();
    }
    let assets: &[CryptoAsset] = if session.allowed_assets.is_empty() {
        &CryptoAsset::ALL
    } else {
        &session.allowed_assets
    };
    assets
        .iter()
        .map(|asset| processor.quote(session.amount, session.currency, *asset))
        .collect()
}

fn instrument(
    session: &CheckoutSession,
    form: &[(String, String)],
    now: Timestamp,
) -> Result<PaymentInstrument, Refused> {
    let method = PaymentMethod::parse(first_value(form, "method"))
        .map_err(|_| Refused::of("error-choose-method"))?;
    if !session.payment_methods.contains(&method) {
        return Err(Refused::of("error-method-not-offered"));
    }
    match method {
        PaymentMethod::Card => CardDetails::parse(
            first_value(form, "cardNumber"),
            first_value(form, "cardExpiry"),
            first_value(form, "cardCvc"),
            now.date(),
        )
        .map(PaymentInstrument::Card)
        .map_err(|problems| Refused {
            // One problem is named in the message too; several point to the marked fields.
            message: match problems.as_slice() {
                [one] => one.message_id(),
                _ => "error-check-fields",
            },
            fields: problems
                .iter()
                .map(|problem| (problem.field().to_owned(), problem.message_id()))
                .collect(),
        }),
        PaymentMethod::Crypto => {
            let asset = CryptoAsset::parse(first_value(form, "asset"))
                .map_err(|_| Refused::of("error-choose-asset"))?;
            if session.allowed_assets.is_empty() || session.allowed_assets.contains(&asset) {
                Ok(PaymentInstrument::Crypto(asset))
            } else {
                Err(Refused::of("error-asset-not-accepted"))
            }
        }
    }
}

/// Why a form cannot be charged: the message above its button (an id in the page's catalogs)
/// and the inputs at fault, each with the id of why.
struct Refused {
    message: &'static str,
    fields: BTreeMap<String, &'static str>,
}

impl Refused {
    fn of(message: &'static str) -> Self {
        Self {
            message,
            fields: BTreeMap::new(),
        }
    }
}

/// `GET /pay/{id}/recover`: an expired session's recovery URL (SPEC §17). The first opening
/// creates a new pending session from it (with its order id if that is free); every later or
/// concurrent one goes to that same session.
pub async fn recover(app: &App, id: &SessionId) -> Result<PageOutcome, ApiError> {
    // Relative to the recovery URL itself (`…/pay/<id>/recover` → `…/pay/<new>`), so the payer
    // stays on the host and path prefix the link was opened under.
    let page_of = |id: &SessionId| PageOutcome::Redirect(format!("../{id}"));
    let Some((mut expired, merchant)) = load(app, id).await? else {
        return Ok(PageOutcome::NotFound);
    };
    let now = app.now();
    if !expired.recovery {
        return Ok(PageOutcome::NotFound);
    }
    if expired.status_at(now) != SessionStatus::Expired {
        // Not expired (yet, or it ended otherwise): its own page, as its checkout URL shows it.
        return Ok(show(expired, merchant, now, None));
    }
    let expired_at = expired.expired_at.unwrap_or(expired.expires_at);
    if now.since(expired_at) > CheckoutSession::RECOVERY_WINDOW {
        return Ok(PageOutcome::RecoveryLapsed);
    }
    if expired.has_lapsed_at(now) {
        // Written as expired first, so that its order id is free to move and its event is sent.
        if let EndOutcome::Ended(ended) | EndOutcome::NotPending(ended) =
            end_with_event(app, &expired, SessionStatus::Expired, now).await?
        {
            expired = *ended;
        }
    }
    if let Some(by) = &expired.recovered_by {
        return Ok(page_of(by));
    }
    let mut recovery = expired.recovery_of(merchant.key_shards, now);
    for _ in 0..2 {
        match app.store.recover_session(&expired, &recovery).await {
            Ok(RecoverOutcome::Created) => {
                tracing::info!(session_id = %recovery.id, recovered_from = %expired.id, "session recovered");
                return Ok(page_of(&recovery.id));
            }
            Ok(RecoverOutcome::AlreadyRecovered(by)) => return Ok(page_of(&by)),
            Ok(RecoverOutcome::OrderIdHeld) => recovery.order_id = None,
            Err(err) => {
                // Racing openings collide on the expired session: the winner's is the answer.
                let recovered_by = app
                    .store
                    .get_session(id)
                    .await?
                    .and_then(|current| current.recovered_by);
                return match recovered_by {
                    Some(by) => Ok(page_of(&by)),
                    None => Err(err.into()),
                };
            }
        }
    }
    Err(ApiError::Contention)
}

/// `POST /pay/{id}/cancel`: the payer gives up.
pub async fn cancel(
    app: &App,
    id: &SessionId,
    form: &[(String, String)],
) -> Result<PageOutcome, ApiError> {
    let (session, merchant, now) = match acting_on(app, id, form).await? {
        Ok(open) => open,
        Err(answer) => return Ok(answer),
    };
    Ok(
        match end_with_event(app, &session, SessionStatus::Cancelled, now).await? {
            EndOutcome::Ended(cancelled) => PageOutcome::Redirect(redirect_url(
                &cancelled.cancel_url,
                &cancelled.id,
                SessionStatus::Cancelled,
            )),
            EndOutcome::NotPending(current) => show(*current, merchant, now, None),
            EndOutcome::Gone => PageOutcome::NotFound,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_substitute_the_id_and_keep_the_existing_query() {
        let url =
            HttpUrl::parse("https://shop.example/thanks?session={CHECKOUT_SESSION_ID}&lang=en")
                .expect("valid");
        assert_eq!(
            redirect_url(
                &url,
                &SessionId::from_stored("cs_1"),
                SessionStatus::Completed
            ),
            "https://shop.example/thanks?session=cs_1&lang=en&sessionId=cs_1&status=completed"
        );
        let bare = HttpUrl::parse("https://shop.example/cart").expect("valid");
        assert_eq!(
            redirect_url(
                &bare,
                &SessionId::from_stored("cs_1"),
                SessionStatus::Cancelled
            ),
            "https://shop.example/cart?sessionId=cs_1&status=cancelled"
        );
        let claiming = HttpUrl::parse(
            "https://shop.example/cart?status=completed&x=1&sessionId=cs_forged&status=paid",
        )
        .expect("valid");
        assert_eq!(
            redirect_url(
                &claiming,
                &SessionId::from_stored("cs_1"),
                SessionStatus::Cancelled
            ),
            "https://shop.example/cart?x=1&sessionId=cs_1&status=cancelled",
            "the merchant's own status and sessionId are replaced, not kept first"
        );
    }
}

#[cfg(test)]
mod flash_tests {
    use super::*;

    #[test]
    fn a_flash_reads_back_only_under_its_key_and_untouched() {
        let flash = Flash {
            session_id: "cs_abc".into(),
            version: 3,
            error: Some("decline-card_declined".into()),
            notice: None,
            field_errors: BTreeMap::from([("phone".into(), "collect-phone-invalid".into())]),
            kept: vec![("cardName".into(), "Zoë Müller".into())],
        };
        let value = flash.encode(b"key");
        assert!(
            value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "a cookie-safe value: {value}"
        );
        assert_eq!(Flash::decode(&value, b"key"), Some(flash));
        assert_eq!(Flash::decode(&value, b"another key"), None);
        let (json, tag) = value.split_once('.').expect("two parts");
        let forged = format!("{}A.{tag}", &json[..json.len() - 1]);
        assert_eq!(Flash::decode(&forged, b"key"), None);
        assert_eq!(Flash::decode("not a flash", b"key"), None);
    }
}
