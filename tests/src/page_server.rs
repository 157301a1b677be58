//! Serves the checkout-page function over real HTTP on 127.0.0.1, converting each request as API
//! Gateway would, plus the merchant's success and cancel pages, for the browser test.

use std::collections::HashMap;
use std::convert::Infallible;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use lambda_http::{Body, RequestExt};
use shared::App;
use shared::payments::TestModeProcessor;

/// Binds a free port and serves on it until the test's runtime ends; returns the base URL.
pub async fn serve(app: App) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let app = app.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let app = app.clone();
                    async move { Ok::<_, Infallible>(answer(&app, request).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    base
}

async fn answer(app: &App, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    if let Some(rest) = path.strip_prefix("/landing/") {
        let html = format!(
            "<!doctype html><title>Back at the shop</title><h1 id=\"landed\">{}</h1>",
            rest.replace(['<', '>', '&'], "")
        );
        return Response::new(Full::new(Bytes::from(html)));
    }
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut builder = lambda_http::http::Request::builder()
        .method(parts.method.clone())
        .uri(parts.uri.clone());
    for (name, value) in &parts.headers {
        builder = builder.header(name, value);
    }
    let Ok(request) = builder.body(Body::Binary(bytes.to_vec())) else {
        return Response::new(Full::new(Bytes::new()));
    };
    let id = path
        .trim_start_matches("/pay/")
        .trim_end_matches("/cancel")
        .to_owned();
    let request = request.with_path_parameters(HashMap::from([("id".to_owned(), id)]));
    let response = checkout_page::handle(app, &TestModeProcessor, request).await;
    let (parts, body) = response.into_parts();
    let body: &[u8] = body.as_ref();
    Response::from_parts(parts, Full::new(Bytes::copy_from_slice(body)))
}
