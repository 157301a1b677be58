//! `/dashboard/settings`: the account's settings, with a preview of the checkout page.

use checkout_api::ApiError;
use checkout_api::service::account;
use checkout_domain::values::Locale;
use lambda_http::{Body, Response};
use strum::VariantArray;

use crate::views::{self, *};
use crate::visit::{Form, Visit};

use super::answers::{chrome_with_error, done, refused, url_query};

/// `/dashboard/settings`: the branding form beside the checkout page it gives.
pub async fn settings(
    visit: &Visit<'_>,
    error: Option<ErrorBox>,
) -> Result<Response<Body>, ApiError> {
    settings_with(visit, error, None).await
}

/// `POST /dashboard/settings` with the Preview button (what a browser without JavaScript
/// sends): the page with the values typed, saved nowhere.
pub async fn preview_typed(visit: &Visit<'_>, form: &Form) -> Result<Response<Body>, ApiError> {
    let error = account::patch_from_form(&form.0).err();
    settings_with(visit, error.as_ref().map(ErrorBox::of), Some(&form.0)).await
}

async fn settings_with(
    visit: &Visit<'_>,
    error: Option<ErrorBox>,
    typed: Option<&[(String, String)]>,
) -> Result<Response<Body>, ApiError> {
    let merchant = account::current(visit.app, &visit.signed_in.merchant).await?;
    // What is typed shows when it passes; what does not shows as saved.
    let shown = match typed.map(account::patch_from_form) {
        Some(Ok(patch)) => patch.apply(&merchant),
        _ => merchant,
    };
    let (c, status) = chrome_with_error(visit, "Settings", "settings", error);
    let values = [
        ("displayName", shown.display_name.clone()),
        ("brandColor", shown.brand_color.clone().unwrap_or_default()),
        (
            "locale",
            shown
                .locale
                .map(|l| l.as_str().to_owned())
                .unwrap_or_default(),
        ),
    ];
    let mut preview_src = url_query(
        &values
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect::<Vec<_>>(),
    );
    preview_src.insert_str(0, "/dashboard/settings/preview?");
    let url = |url: &Option<checkout_domain::values::HttpUrl>| {
        url.as_ref()
            .map(|u| AsRef::<str>::as_ref(u).to_owned())
            .unwrap_or_default()
    };
    let page = SettingsPage {
        c,
        locales: Locale::VARIANTS
            .iter()
            .map(|l| (l.as_str(), shown.locale == Some(*l)))
            .collect(),
        display_name: shown.display_name.clone(),
        brand_color: shown.brand_color.clone().unwrap_or_default(),
        success_url: url(&shown.success_url),
        cancel_url: url(&shown.cancel_url),
        terms_url: url(&shown.terms_url),
        preview_src,
    };
    Ok(views::page(status, &page, Some(views::PREVIEW_SCRIPT)))
}

/// `POST /dashboard/settings`.
pub async fn save_settings(visit: &Visit<'_>, form: &Form) -> Result<Response<Body>, ApiError> {
    let saved = match account::patch_from_form(&form.0) {
        Ok(patch) => account::update_account(visit.app, &visit.signed_in.merchant, patch).await,
        Err(refused) => Err(refused),
    };
    match saved {
        Ok(_) => Ok(done("/dashboard/settings", "settings-saved")),
        Err(err) => {
            refused(visit, "settings", err, async |error| {
                settings(visit, error).await
            })
            .await
        }
    }
}
