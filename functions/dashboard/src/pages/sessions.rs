//! `/dashboard/sessions`: the list with the filters of SPEC §8, or a search.

use checkout_api::ApiError;
use checkout_api::service::dashboard::{self, SearchTerm};
use checkout_api::service::list_sessions;
use checkout_domain::session::CheckoutSession;
use checkout_domain::timestamp::Timestamp;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};

use crate::views::{self, *};
use crate::visit::Visit;

use super::answers::{chrome_with_notice, param, url_query};

/// Session statuses the filter offers.
const STATUSES: [&str; 7] = [
    "pending",
    "processing",
    "completed",
    "failed",
    "expired",
    "cancelled",
    "refunded",
];

/// How many sessions a page of the list holds.
const PAGE_SIZE: &str = "100";

/// The list's filters, as the visitor's query gives them.
struct Filters<'a> {
    q: String,
    status: &'a str,
    from: &'a str,
    to: &'a str,
    cursor: &'a str,
}

impl<'a> Filters<'a> {
    fn of(params: &'a [(String, String)]) -> Self {
        Self {
            q: param(params, "q").trim().to_owned(),
            status: param(params, "status"),
            from: param(params, "from"),
            to: param(params, "to"),
            cursor: param(params, "cursor"),
        }
    }

    /// The list query these filters ask for, of the order `order_id` if the search names one.
    fn query(&self, order_id: Option<String>) -> Vec<(String, String)> {
        let from = (!self.from.is_empty()).then(|| format!("{}T00:00:00Z", self.from));
        let to = (!self.to.is_empty()).then(|| format!("{}T23:59:59.999Z", self.to));
        [
            ("limit", Some(PAGE_SIZE.to_owned())),
            ("orderId", order_id),
            ("status", Some(self.status.to_owned())),
            ("createdFrom", from),
            ("createdTo", to),
            ("cursor", Some(self.cursor.to_owned())),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_owned(), value.filter(|v| !v.is_empty())?)))
        .collect()
    }

    /// The link to the page that starts at `cursor`, with these filters.
    fn next_link(&self, cursor: &str) -> String {
        let query = url_query(&[
            ("q", self.q.as_str()),
            ("status", self.status),
            ("from", self.from),
            ("to", self.to),
            ("cursor", cursor),
        ]);
        format!("/dashboard/sessions?{query}")
    }
}

/// `/dashboard/sessions`: the list with the filters of §8, or a search.
pub async fn sessions(visit: &Visit<'_>) -> Result<Response<Body>, ApiError> {
    let params = visit.params();
    let filters = Filters::of(&params);
    let q = &filters.q;
    let mut c = chrome_with_notice(visit, "Sessions", "sessions");
    let merchant = &visit.signed_in.merchant;
    let (found, summary, next) = match SearchTerm::read(q) {
        Some(SearchTerm::Index(search)) => {
            let (found, more) = dashboard::search_sessions(visit.app, merchant, &search).await?;
            let shown = if more { ", 100 shown" } else { "" };
            let summary = format!("{} session(s) matching “{q}”{shown}", found.len());
            (found, summary, None)
        }
        term => {
            let order_id = match term {
                Some(SearchTerm::OrderId(order_id)) => Some(order_id),
                _ => None,
            };
            match list_sessions(visit.app, merchant, &filters.query(order_id)).await {
                Ok((page, cursor)) => {
                    let summary = if q.is_empty() {
                        format!("{} session(s), newest first", page.sessions.len())
                    } else {
                        format!("{} session(s) of order “{q}”", page.sessions.len())
                    };
                    let next = cursor.map(|cursor| filters.next_link(&cursor));
                    (page.sessions, summary, next)
                }
                Err(err @ ApiError::Validation(_)) => {
                    c.error = Some(ErrorBox::of(&err));
                    let summary = "No sessions: fix the filters.".to_owned();
                    (Vec::new(), summary, None)
                }
                Err(other) => return Err(other),
            }
        }
    };
    let now = visit.app.now();
    let status_code = if c.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = SessionsPage {
        c,
        statuses: STATUSES
            .iter()
            .map(|s| (*s, *s == filters.status))
            .collect(),
        q: filters.q.clone(),
        from: filters.from.to_owned(),
        to: filters.to.to_owned(),
        rows: found
            .iter()
            .map(|session| session_row(session, now))
            .collect(),
        next,
        summary,
    };
    Ok(views::page(status_code, &page, None))
}

/// One row of the list.
fn session_row(session: &CheckoutSession, now: Timestamp) -> SessionRow {
    SessionRow {
        id: session.id.as_str().to_owned(),
        created: views::when(session.created_at),
        reference: session.reference.clone(),
        order_id: session
            .order_id
            .as_ref()
            .map(|o| o.as_ref().to_owned())
            .unwrap_or_default(),
        email: session
            .customer
            .as_ref()
            .and_then(|c| c.email.clone())
            .unwrap_or_default(),
        amount: format!("{} {}", session.amount, session.currency.code()),
        status: session.status_at(now).as_str(),
    }
}
