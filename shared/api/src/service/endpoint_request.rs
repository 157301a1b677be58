//! What the endpoint routes are asked (SPEC §18): the JSON bodies of `POST` and `PATCH
//! /v1/webhook_endpoints` and the dashboard's endpoint forms, read by the same rules into a
//! [`NewEndpoint`] or an [`EndpointPatch`]. Reading a URL asks the SSRF guard about its host, so
//! the readers are async; every violated field is still reported at once.

use crate::error::ApiError;
use crate::http::first_value;
use crate::json_fields::{JsonObject, Violations};
use crate::service::account::nullable;
use crate::webhook::TargetGuard;
use checkout_domain::money::Invalid;
use checkout_domain::values::{HttpUrl, is_single_line};
use checkout_domain::webhook_endpoint::{DESCRIPTION_MAX, EndpointStatus, EventFilter};

/// A new endpoint: where events go, which of them, and what the merchant calls it.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    /// Where deliveries are posted.
    pub url: HttpUrl,
    /// The event types delivered there.
    pub filter: EventFilter,
    /// The merchant's note.
    pub description: Option<String>,
}

/// A change to an endpoint: each field the request names.
#[derive(Debug, Clone, Default)]
pub struct EndpointPatch {
    /// A new URL.
    pub url: Option<HttpUrl>,
    /// A new choice of event types.
    pub filter: Option<EventFilter>,
    /// A new description; `Some(None)` clears it.
    pub description: Option<Option<String>>,
    /// Enabled or disabled by the merchant.
    pub status: Option<EndpointStatus>,
}

impl NewEndpoint {
    /// The JSON body `{ url, enabledEvents, description? }`.
    pub async fn from_json(body: &[u8], guard: TargetGuard) -> Result<Self, ApiError> {
        let mut object = JsonObject::parse_body(body)?;
        let mut v = Violations::default();
        required(&mut object, &["url", "enabledEvents"], &mut v);
        let url = match object.string("url", &mut v) {
            Some(text) => checked_url(guard, &text, &mut v).await,
            None => None,
        };
        let filter = enabled_events(&mut object, &mut v).flatten();
        let description = description(&mut object, &mut v).flatten();
        object.finish(&mut v);
        Self::checked(url, filter, description, v)
    }

    /// The dashboard's form: `url`, the ticked `events` (every type when `all` is ticked or none
    /// is) and `description` (empty for none).
    pub async fn from_form(
        fields: &[(String, String)],
        guard: TargetGuard,
    ) -> Result<Self, ApiError> {
        let mut v = Violations::default();
        let (url, filter) = form_target(fields, guard, &mut v).await;
        let description = checked_description(first_value(fields, "description"), &mut v);
        Self::checked(url, filter, description, v)
    }

    fn checked(
        url: Option<HttpUrl>,
        filter: Option<EventFilter>,
        description: Option<String>,
        v: Violations,
    ) -> Result<Self, ApiError> {
        match v.into_result((url, filter))? {
            (Some(url), Some(filter)) => Ok(Self {
                url,
                filter,
                description,
            }),
            _ => Err(ApiError::Internal("a checked field went missing".into())),
        }
    }
}

impl EndpointPatch {
    /// The JSON body of `PATCH /v1/webhook_endpoints/{id}`: `url`, `enabledEvents`,
    /// `description` (`null` clears it) and `status`, each optional.
    pub async fn from_json(body: &[u8], guard: TargetGuard) -> Result<Self, ApiError> {
        let mut object = JsonObject::parse_body(body)?;
        let mut v = Violations::default();
        for name in ["url", "enabledEvents", "status"] {
            if object
                .fields()
                .any(|(field, raw)| field == name && raw.get() == "null")
            {
                object.take(name);
                v.push(name, Invalid::new("invalid_type", "cannot be null"));
            }
        }
        let url = match object.string("url", &mut v) {
            Some(text) => checked_url(guard, &text, &mut v).await,
            None => None,
        };
        let filter = enabled_events(&mut object, &mut v).flatten();
        let description = description(&mut object, &mut v);
        let status = object.string("status", &mut v).and_then(|text| {
            EndpointStatus::parse(&text)
                .map_err(|e| v.push("status", e))
                .ok()
        });
        object.finish(&mut v);
        v.into_result(Self {
            url,
            filter,
            description,
            status,
        })
    }

    /// The dashboard's edit form: a new `url` and choice of `events`, as [`NewEndpoint::from_form`]
    /// reads them.
    pub async fn from_form(
        fields: &[(String, String)],
        guard: TargetGuard,
    ) -> Result<Self, ApiError> {
        let mut v = Violations::default();
        let (url, filter) = form_target(fields, guard, &mut v).await;
        v.into_result(Self {
            url,
            filter,
            ..Self::default()
        })
    }

    /// The merchant enabling or disabling the endpoint.
    pub fn status(status: EndpointStatus) -> Self {
        Self {
            status: Some(status),
            ..Self::default()
        }
    }
}

/// Reports each of `names` that is absent or `null` as required, once: a `null` one is taken
/// off the object, so that it is not reported again as unknown or of the wrong type.
fn required(object: &mut JsonObject, names: &[&str], v: &mut Violations) {
    for name in names {
        if !object.has(name) {
            object.take(name);
            v.push(
                *name,
                Invalid::new("required", format!("{name} is required")),
            );
        }
    }
}

/// A URL the deployment may call: http(s), and not an internal address unless the deployment
/// allows them (checked again on every call, since DNS can change in between; a name that does
/// not resolve yet is taken, see [`TargetGuard::check_on_save`]).
async fn checked_url(guard: TargetGuard, text: &str, v: &mut Violations) -> Option<HttpUrl> {
    let url = HttpUrl::parse(text).map_err(|e| v.push("url", e)).ok()?;
    match guard.check_on_save(url.as_ref()).await {
        Ok(()) => Some(url),
        Err(why) => {
            v.push("url", Invalid::new("forbidden_target", why));
            None
        }
    }
}

/// `enabledEvents` when present: `Some(None)` when present but invalid.
fn enabled_events(object: &mut JsonObject, v: &mut Violations) -> Option<Option<EventFilter>> {
    if !object.has("enabledEvents") {
        return None;
    }
    let names: Vec<String> = match object.typed("enabledEvents", "an array of event types", v) {
        Some(names) => names,
        None => return Some(None),
    };
    Some(
        EventFilter::parse(&names)
            .map_err(|e| v.push("enabledEvents", e))
            .ok(),
    )
}

/// Where a form sends events and which: its `url` and its ticked `events`.
async fn form_target(
    fields: &[(String, String)],
    guard: TargetGuard,
    v: &mut Violations,
) -> (Option<HttpUrl>, Option<EventFilter>) {
    let url = checked_url(guard, first_value(fields, "url").trim(), v).await;
    (url, chosen_events(fields, v))
}

/// The event types a form's `events` checkboxes choose: every type when `all` is ticked or
/// none is.
fn chosen_events(fields: &[(String, String)], v: &mut Violations) -> Option<EventFilter> {
    let chosen: Vec<String> = fields
        .iter()
        .filter(|(name, _)| name == "events")
        .map(|(_, value)| value.clone())
        .collect();
    let names = if first_value(fields, "all") == "on" || chosen.is_empty() {
        vec!["*".to_owned()]
    } else {
        chosen
    };
    EventFilter::parse(&names)
        .map_err(|e| v.push("enabledEvents", e))
        .ok()
}

/// `description` when present: `Some(None)` for `null`.
fn description(object: &mut JsonObject, v: &mut Violations) -> Option<Option<String>> {
    match nullable(object, "description", v)? {
        Some(text) => checked_description(&text, v).map(Some).or(Some(None)),
        None => Some(None),
    }
}

/// A description's text, trimmed; none when blank or when it breaks the rule (pushed to `v`).
fn checked_description(text: &str, v: &mut Violations) -> Option<String> {
    if text.chars().count() > DESCRIPTION_MAX || !is_single_line(text) {
        v.push(
            "description",
            Invalid::new(
                "invalid_description",
                format!(
                    "must be at most {DESCRIPTION_MAX} characters, with no control or invisible character"
                ),
            ),
        );
        return None;
    }
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}
