//! One signed-in request, as every page sees it, and the form it posted.

use checkout_api::App;
use checkout_api::http;
use checkout_api::service::dashboard::SignedIn;
use lambda_http::Request;

use crate::views::Chrome;

/// One signed-in request.
pub(crate) struct Visit<'a> {
    pub(crate) app: &'a App,
    pub(crate) request: &'a Request,
    pub(crate) signed_in: SignedIn,
    pub(crate) csrf: String,
}

impl Visit<'_> {
    /// The frame every page of this visit is drawn in.
    pub(crate) fn chrome(&self, title: &str, nav: &'static str) -> Chrome {
        Chrome {
            title: title.to_owned(),
            nav,
            merchant: self.signed_in.merchant.display_name.clone(),
            merchant_id: self.signed_in.merchant.id.as_str().to_owned(),
            csrf: self.csrf.clone(),
            read_only: !self.signed_in.may_write(),
            notice: None,
            error: None,
            secret: None,
        }
    }

    /// The query parameters of the request.
    pub(crate) fn params(&self) -> Vec<(String, String)> {
        http::query_params(self.request)
    }
}

/// A posted form's fields.
pub(crate) struct Form(pub(crate) Vec<(String, String)>);

impl Form {
    /// The first value of `name`, or `""`.
    pub(crate) fn get(&self, name: &str) -> &str {
        http::first_value(&self.0, name)
    }
}
