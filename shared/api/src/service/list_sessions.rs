//! `GET /v1/checkout/sessions`: query parameters, cursor and the list object.

use crate::App;
use crate::cursor;
use crate::error::ApiError;
use crate::json_fields::Violations;
use crate::service::query_params;
use checkout_domain::merchant::Merchant;
use checkout_domain::money::Invalid;
use checkout_domain::session::{SessionResource, SessionStatus};
use checkout_domain::timestamp::Timestamp;
use checkout_domain::values::OrderId;
use checkout_store::{ListQuery, Page};

use super::List;

/// `page` as the API lists it, seen now, with the cursor of its next page.
pub fn session_list<'a>(
    app: &App,
    page: &'a Page,
    next_cursor: Option<String>,
    base_url: &str,
) -> List<Vec<SessionResource<'a>>> {
    let data = page
        .sessions
        .iter()
        .map(|s| app.resource(s, base_url))
        .collect();
    List::page(data, next_cursor)
}

/// One page of `merchant`'s sessions for the query parameters `params`, and its next cursor.
pub async fn list_sessions(
    app: &App,
    merchant: &Merchant,
    params: &[(String, String)],
) -> Result<(Page, Option<String>), ApiError> {
    let mut v = Violations::default();
    let mut query = ListQuery::all(
        merchant.id.clone(),
        merchant.key_shards,
        query_params::DEFAULT_LIMIT,
        app.now(),
    );
    let mut cursor_text = None;
    for (name, value) in query_params::distinct(params, &mut v) {
        match name {
            "limit" => query.limit = query_params::limit(value, &mut v).unwrap_or(query.limit),
            "status" => match SessionStatus::parse(value) {
                Some(status) => query.status = Some(status),
                None => v.push(
                    "status",
                    Invalid::new(
                        "invalid_status",
                        "must be pending, completed, failed, expired, cancelled or refunded",
                    ),
                ),
            },
            "orderId" => match OrderId::parse(value) {
                Ok(order_id) => query.order_id = Some(order_id.as_ref().to_owned()),
                Err(e) => v.push("orderId", e),
            },
            "createdFrom" => query.created_from = instant(value, "createdFrom", &mut v),
            "createdTo" => query.created_to = instant(value, "createdTo", &mut v),
            "cursor" => cursor_text = Some(value.to_owned()),
            other => query_params::unknown(other, &mut v),
        }
    }
    if let (Some(from), Some(to)) = (query.created_from, query.created_to)
        && from > to
    {
        v.push(
            "createdTo",
            Invalid::new("invalid_range", "createdTo must not be before createdFrom"),
        );
    }
    let query_id = query_identity(&query);
    let cursor_key = app.config.secrets.cursors().await?;
    query.after = cursor::position(cursor_text.as_deref(), &query_id, cursor_key, &mut v);
    v.into_result(())?;
    let page = app.store.list_sessions(&query).await?;
    let next_cursor = cursor::after(page.next.as_ref(), &query_id, cursor_key);
    Ok((page, next_cursor))
}

fn instant(value: &str, field: &str, v: &mut Violations) -> Option<Timestamp> {
    let parsed = Timestamp::parse_rfc3339(value);
    if parsed.is_none() {
        v.push(
            field,
            Invalid::new(
                "invalid_timestamp",
                "must be an RFC 3339 instant such as 2026-11-22T00:00:00Z",
            ),
        );
    }
    parsed
}

/// What a cursor is bound to: the merchant and the filters (not the page size).
fn query_identity(query: &ListQuery) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        query.merchant_id,
        query.order_id.as_deref().unwrap_or_default(),
        query.status.map(SessionStatus::as_str).unwrap_or_default(),
        query
            .created_from
            .map(|t| t.to_string())
            .unwrap_or_default(),
        query.created_to.map(|t| t.to_string()).unwrap_or_default(),
    )
}
