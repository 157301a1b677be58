//! A pass-through proxy in front of DynamoDB Local that counts the calls a function makes and
//! asks DynamoDB for the capacity each consumed, by table and index (`ReturnConsumedCapacity:
//! INDEXES`, added to the request when the function did not ask). DynamoDB Local does not check request signatures, so
//! the rewritten body is accepted as sent. Used only for the round-trip table, never for timings.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::BenchResult;

/// One DynamoDB call seen through the proxy.
#[derive(Debug, Clone)]
pub struct Call {
    /// The operation, e.g. `TransactWriteItems`.
    pub operation: String,
    /// Read capacity units consumed.
    pub read_units: f64,
    /// Write capacity units consumed.
    pub write_units: f64,
    /// Capacity units by where they were consumed: `table`, or an index's name.
    pub by_target: Vec<(String, f64)>,
}

/// Operations that accept `ReturnConsumedCapacity`.
const MEASURABLE: [&str; 10] = [
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
];

/// The running proxy and the calls it has seen since the last `take`.
pub struct DynamoProxy {
    port: u16,
    calls: Arc<Mutex<Vec<Call>>>,
    server: JoinHandle<()>,
}

impl DynamoProxy {
    /// Proxies a free loopback port to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> BenchResult<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let calls = Arc::new(Mutex::new(Vec::new()));
        let client: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let upstream: Arc<str> = Arc::from(upstream.trim_end_matches('/'));
        let seen = calls.clone();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (client, upstream, seen) = (client.clone(), upstream.clone(), seen.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        forward(client.clone(), upstream.clone(), seen.clone(), request)
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            port,
            calls,
            server,
        })
    }

    /// The endpoint to give a function instead of DynamoDB Local's.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The calls seen since the last time, in order.
    pub fn take(&self) -> Vec<Call> {
        self.calls
            .lock()
            .map(|mut calls| std::mem::take(&mut *calls))
            .unwrap_or_default()
    }
}

impl Drop for DynamoProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn forward(
    client: Client<HttpConnector, Full<Bytes>>,
    upstream: Arc<str>,
    seen: Arc<Mutex<Vec<Call>>>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let failed = |_| {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::BAD_GATEWAY;
        response
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return Ok(failed(()));
    };
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit('.').next())
        .unwrap_or("")
        .to_owned();
    let body = if MEASURABLE.contains(&operation.as_str()) {
        ask_for_capacity(&body).unwrap_or(body)
    } else {
        body
    };
    let mut outgoing = Request::builder()
        .method(parts.method)
        .uri(format!("{upstream}{}", parts.uri.path()));
    for (name, value) in &parts.headers {
        if name != "content-length" && name != "host" {
            outgoing = outgoing.header(name, value);
        }
    }
    let Ok(outgoing) = outgoing.body(Full::new(body)) else {
        return Ok(failed(()));
    };
    let Ok(response) = client.request(outgoing).await else {
        return Ok(failed(()));
    };
    let (parts, body) = response.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return Ok(failed(()));
    };
    let (read_units, write_units, by_target) = consumed(&operation, &body);
    if let Ok(mut calls) = seen.lock() {
        calls.push(Call {
            operation,
            read_units,
            write_units,
            by_target,
        });
    }
    let mut answer = Response::from_parts(parts, Full::new(body));
    answer.headers_mut().remove("content-length");
    Ok(answer)
}

fn ask_for_capacity(body: &[u8]) -> Option<Bytes> {
    let mut request: Value = serde_json::from_slice(body).ok()?;
    let fields = request.as_object_mut()?;
    fields
        .entry("ReturnConsumedCapacity")
        .or_insert_with(|| Value::from("INDEXES"));
    serde_json::to_vec(&request).ok().map(Bytes::from)
}

/// Read and write units in a response's `ConsumedCapacity` (one object, or one per table), and
/// the units by table and index.
fn consumed(operation: &str, body: &[u8]) -> (f64, f64, Vec<(String, f64)>) {
    let Ok(response) = serde_json::from_slice::<Value>(body) else {
        return (0.0, 0.0, Vec::new());
    };
    let entries = match response.get("ConsumedCapacity") {
        Some(Value::Array(entries)) => entries.clone(),
        Some(entry) => vec![entry.clone()],
        None => Vec::new(),
    };
    let total: f64 = entries
        .iter()
        .filter_map(|entry| entry.get("CapacityUnits").and_then(Value::as_f64))
        .sum();
    let mut by_target = Vec::new();
    for entry in &entries {
        if let Some(units) = entry["Table"]["CapacityUnits"].as_f64() {
            by_target.push(("table".to_owned(), units));
        }
        if let Some(indexes) = entry["GlobalSecondaryIndexes"].as_object() {
            for (name, used) in indexes {
                by_target.push((name.clone(), used["CapacityUnits"].as_f64().unwrap_or(0.0)));
            }
        }
    }
    let reads = [
        "GetItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "TransactGetItems",
    ];
    if reads.contains(&operation) {
        (total, 0.0, by_target)
    } else {
        (0.0, total, by_target)
    }
}
