//! `POST /v1/checkout/sessions/{id}/cancel`: pending → cancelled in one conditional write.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::service::Ending;
use shared::{App, auth, http, service};

/// Handles one cancel request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    let request_id = http::request_id(&request);
    http::finish(&request_id, cancel(app, &request).await)
}

async fn cancel(app: &App, request: &Request) -> Result<Response<Body>, shared::ApiError> {
    let merchant = auth::authenticate(app, request.headers()).await?;
    let id = http::session_id(request)?;
    let session = service::end_session(app, &merchant, id.as_ref(), Ending::Cancel).await?;
    http::json(
        StatusCode::OK,
        &app.resource(&session, &http::public_base_url(app, request)),
    )
}
