//! `/dashboard/keys`: the API keys, and the forms that create, roll and revoke them.

use checkout_api::ApiError;
use checkout_api::service::api_keys;
use checkout_api::service::dashboard;
use checkout_domain::ids::ApiKeyId;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};

use crate::views::{self, *};
use crate::visit::{Form, Visit};

use super::answers::{chrome_with_error, done, refused};

/// `/dashboard/keys`.
pub async fn keys(visit: &Visit<'_>, error: Option<ErrorBox>) -> Result<Response<Body>, ApiError> {
    let (c, status) = chrome_with_error(visit, "API keys", "keys", error);
    keys_page(visit, c, status).await
}

async fn keys_page(
    visit: &Visit<'_>,
    c: Chrome,
    status: StatusCode,
) -> Result<Response<Body>, ApiError> {
    let now = visit.app.now();
    let listed = api_keys::list_keys(visit.app, &visit.signed_in.merchant).await?;
    let current = visit.signed_in.session.key_hash.as_deref();
    let keys = listed
        .iter()
        .map(|key| {
            let status = key.status_at(now).as_str();
            KeyView {
                id: key.id().to_string(),
                name: key.name.clone().unwrap_or_default(),
                scope: match key.scope {
                    checkout_domain::api_key::KeyScope::Full => "full",
                    checkout_domain::api_key::KeyScope::ReadOnly => "read only",
                },
                hint: format!("{}…{}", key.key_prefix, key.last4.as_deref().unwrap_or("")),
                status: match key.expires_at {
                    Some(at) => format!("{status} until {}", views::when(at)),
                    None => status.to_owned(),
                },
                created: views::when(key.created_at),
                last_used: key
                    .last_used_at
                    .map(views::when)
                    .unwrap_or_else(|| "never".into()),
                current: current == Some(key.key_hash.as_str()),
            }
        })
        .collect();
    Ok(views::page(status, &KeysPage { c, keys }, None))
}

/// `POST /dashboard/keys`: a new key, its secret shown this once.
pub async fn create_key(visit: &Visit<'_>, form: &Form) -> Result<Response<Body>, ApiError> {
    if let Err(refused) = confirmed(visit, form).await {
        return new_key_answer(visit, Err(refused), "").await;
    }
    let created = match api_keys::NewKeyRequest::from_form(&form.0) {
        Ok(asked) => api_keys::create_key(visit.app, &visit.signed_in.merchant, asked).await,
        Err(refused) => Err(refused),
    };
    new_key_answer(visit, created, "Key created.").await
}

/// `POST /dashboard/keys/{id}/{roll|revoke}`.
pub async fn key_action(
    visit: &Visit<'_>,
    id: &ApiKeyId,
    action: &str,
    form: &Form,
) -> Result<Response<Body>, ApiError> {
    let (app, merchant) = (visit.app, &visit.signed_in.merchant);
    match action {
        "roll" => {
            if let Err(refused) = confirmed(visit, form).await {
                return new_key_answer(visit, Err(refused), "").await;
            }
            let chosen = Some(form.get("expiresIn")).filter(|text| !text.is_empty());
            let rolled = match api_keys::overlap(chosen, time::Duration::ZERO) {
                Ok(overlap) => api_keys::roll_key(app, merchant, id, overlap).await,
                Err(refused) => Err(refused),
            };
            let notice = if chosen.is_none() {
                "Key rolled: the old key stopped working."
            } else {
                "Key rolled: the old key works until the time shown beside it."
            };
            new_key_answer(visit, rolled, notice).await
        }
        "revoke" => match api_keys::revoke_key(app, merchant, id).await {
            Ok(_) => Ok(done("/dashboard/keys", "key-revoked")),
            Err(err) => refused(visit, "keys", err, async |error| keys(visit, error).await).await,
        },
        _ => Ok(views::not_found(&visit.chrome("Not found", "keys"))),
    }
}

/// Whether the form carries a current full key of the merchant (`currentKey`).
async fn confirmed(visit: &Visit<'_>, form: &Form) -> Result<(), ApiError> {
    dashboard::confirm_full_key(visit.app, &visit.signed_in, form.get("currentKey")).await
}

async fn new_key_answer(
    visit: &Visit<'_>,
    outcome: Result<checkout_domain::api_key::NewApiKey, ApiError>,
    notice: &str,
) -> Result<Response<Body>, ApiError> {
    match outcome {
        Ok(key) => {
            let mut c = visit.chrome("API keys", "keys");
            c.notice = Some(notice.to_owned());
            c.secret = Some(SecretBox {
                label: format!(
                    "Secret key {}",
                    key.record.name.as_deref().unwrap_or(&key.record.key_prefix)
                ),
                value: key.plaintext.clone(),
            });
            keys_page(visit, c, StatusCode::OK).await
        }
        Err(err) => refused(visit, "keys", err, async |error| keys(visit, error).await).await,
    }
}
