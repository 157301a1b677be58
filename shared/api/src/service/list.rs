//! The API's `list` object, one shape for every list it answers.

use serde::Serialize;

/// One page of `data`, whether more follow, and the cursor to the next page.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct List<T> {
    object: &'static str,
    data: T,
    has_more: bool,
    next_cursor: Option<String>,
}

impl<T> List<T> {
    /// A page of `data`: more follow exactly when there is a cursor to them.
    pub fn page(data: T, next_cursor: Option<String>) -> Self {
        Self {
            object: "list",
            data,
            has_more: next_cursor.is_some(),
            next_cursor,
        }
    }

    /// All of `data` at once (a list that is never long enough to page).
    pub fn whole(data: T) -> Self {
        Self::page(data, None)
    }
}
