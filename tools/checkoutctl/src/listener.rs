//! A minimal HTTP endpoint that receives webhooks: `checkoutctl webhook listen` prints them, and
//! the tests use it as the merchant's server.

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Vec<u8>,
}

/// Serves `listener` until the task is dropped, answering each request with the status `respond`
/// returns for it.
pub async fn serve<F>(listener: TcpListener, respond: F)
where
    F: Fn(Delivery) -> u16 + Send + Sync + 'static,
{
    let respond = Arc::new(respond);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let respond = Arc::clone(&respond);
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let respond = Arc::clone(&respond);
                async move {
                    let (parts, body) = request.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map(|collected| collected.to_bytes().to_vec())
                        .unwrap_or_default();
                    let status = respond(Delivery {
                        headers: parts.headers,
                        body,
                    });
                    let mut response = Response::new(Full::new(Bytes::new()));
                    *response.status_mut() =
                        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    Ok::<_, Infallible>(response)
                }
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "webhook listener connection ended");
            }
        });
    }
}
