//! A pass-through proxy in front of DynamoDB Local that counts the calls a function makes and
//! asks DynamoDB for the capacity each consumed, by table and index (`ReturnConsumedCapacity:
//! INDEXES`, added to the request when the function did not ask). DynamoDB Local does not check request signatures, so
//! the rewritten body is accepted as sent. Around each write it also reads every item the write
//! touches, before and after, for the units DynamoDB would bill (`billing`). Used only for the
//! round-trip table, never for timings.

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
use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::BenchResult;
use crate::billing::{self, Shape, Touched};

/// One DynamoDB call seen through the proxy.
#[derive(Debug, Clone)]
pub struct Call {
    /// The operation, e.g. `TransactWriteItems`.
    pub operation: String,
    /// Read capacity units consumed.
    pub read_units: f64,
    /// Write capacity units consumed.
    pub write_units: f64,
    /// Write units as DynamoDB bills them, by target (`billing`).
    pub billed: Vec<(String, f64)>,
}

impl Call {
    /// Write units as DynamoDB bills them.
    pub fn billed_units(&self) -> f64 {
        self.billed
            .iter()
            .map(|(_, units)| units)
            .fold(0.0, |a, b| a + b)
    }
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
    /// Proxies a free loopback port to `upstream` (`http://host:port`), in front of a table of
    /// `shape`.
    pub async fn start(upstream: &str, shape: Arc<Shape>) -> BenchResult<Self> {
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
                let shape = shape.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let upstream = Upstream {
                            client: client.clone(),
                            base: upstream.clone(),
                        };
                        forward(upstream, shape.clone(), seen.clone(), request)
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

/// DynamoDB Local, reached with the headers of the request being proxied.
#[derive(Clone)]
struct Upstream {
    client: Client<HttpConnector, Full<Bytes>>,
    base: Arc<str>,
}

impl Upstream {
    /// Sends `body` as `headers` say, to `path`; the answer's status and body.
    async fn send(
        &self,
        method: &hyper::Method,
        path: &str,
        headers: &hyper::HeaderMap,
        body: Bytes,
    ) -> Option<(hyper::http::response::Parts, Bytes)> {
        let mut outgoing = Request::builder()
            .method(method.clone())
            .uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            if name != "content-length" && name != "host" {
                outgoing = outgoing.header(name, value);
            }
        }
        let response = self
            .client
            .request(outgoing.body(Full::new(body)).ok()?)
            .await
            .ok()?;
        let (parts, body) = response.into_parts();
        Some((parts, body.collect().await.ok()?.to_bytes()))
    }

    /// Item `key` of `table` as it is now, read strongly consistent.
    async fn item(
        &self,
        headers: &hyper::HeaderMap,
        table: &str,
        key: &Map<String, Value>,
    ) -> Option<Map<String, Value>> {
        let mut headers = headers.clone();
        headers.insert(
            "x-amz-target",
            hyper::header::HeaderValue::from_static("DynamoDB_20120810.GetItem"),
        );
        let body = serde_json::to_vec(
            &serde_json::json!({"TableName": table, "Key": key, "ConsistentRead": true}),
        )
        .ok()?;
        let (_, answer) = self
            .send(&hyper::Method::POST, "/", &headers, Bytes::from(body))
            .await?;
        let answer: Value = serde_json::from_slice(&answer).ok()?;
        answer.get("Item")?.as_object().cloned()
    }
}

/// The items a write request touches: table, key, and whether it only checks a condition.
fn written(
    operation: &str,
    request: &Value,
    keys: &[String],
) -> Vec<(String, Map<String, Value>, bool)> {
    let key_of = |item: &Value| -> Map<String, Value> {
        keys.iter()
            .filter_map(|key| Some((key.clone(), item.get(key)?.clone())))
            .collect()
    };
    let table = |action: &Value| action["TableName"].as_str().unwrap_or_default().to_owned();
    match operation {
        "PutItem" => vec![(table(request), key_of(&request["Item"]), false)],
        "UpdateItem" | "DeleteItem" => vec![(table(request), key_of(&request["Key"]), false)],
        "TransactWriteItems" => request["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|action| {
                let (kind, body) = action.as_object()?.iter().next()?;
                let key = if kind == "Put" {
                    &body["Item"]
                } else {
                    &body["Key"]
                };
                Some((table(body), key_of(key), kind == "ConditionCheck"))
            })
            .collect(),
        "BatchWriteItem" => request["RequestItems"]
            .as_object()
            .into_iter()
            .flatten()
            .flat_map(|(name, writes)| {
                writes
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(move |write| {
                        let key =
                            match (&write["PutRequest"]["Item"], &write["DeleteRequest"]["Key"]) {
                                (Value::Object(_), _) => &write["PutRequest"]["Item"],
                                (_, Value::Object(_)) => &write["DeleteRequest"]["Key"],
                                _ => return None,
                            };
                        Some((name.clone(), key_of(key), false))
                    })
            })
            .collect(),
        _ => Vec::new(),
    }
}

async fn forward(
    upstream: Upstream,
    shape: Arc<Shape>,
    seen: Arc<Mutex<Vec<Call>>>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let failed = || {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::BAD_GATEWAY;
        response
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return Ok(failed());
    };
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit('.').next())
        .unwrap_or("")
        .to_owned();
    let writes = serde_json::from_slice::<Value>(&body)
        .map(|request| written(&operation, &request, &shape.keys))
        .unwrap_or_default();
    let mut before = Vec::new();
    for (table, key, _) in &writes {
        before.push(upstream.item(&parts.headers, table, key).await);
    }
    let body = if MEASURABLE.contains(&operation.as_str()) {
        ask_for_capacity(&body).unwrap_or(body)
    } else {
        body
    };
    let Some((answer_parts, answer)) = upstream
        .send(&parts.method, parts.uri.path(), &parts.headers, body)
        .await
    else {
        return Ok(failed());
    };
    let mut touched = Vec::new();
    if answer_parts.status.is_success() {
        for ((table, key, check_only), before) in writes.iter().zip(before) {
            let after = if *check_only {
                None
            } else {
                upstream.item(&parts.headers, table, key).await
            };
            touched.push(Touched {
                before,
                after,
                transactional: operation == "TransactWriteItems",
                check_only: *check_only,
            });
        }
    }
    let (read_units, write_units) = consumed(&operation, &answer);
    if let Ok(mut calls) = seen.lock() {
        calls.push(Call {
            operation,
            read_units,
            write_units,
            billed: billing::billed(&shape, &touched),
        });
    }
    let mut response = Response::from_parts(answer_parts, Full::new(answer));
    response.headers_mut().remove("content-length");
    Ok(response)
}

fn ask_for_capacity(body: &[u8]) -> Option<Bytes> {
    let mut request: Value = serde_json::from_slice(body).ok()?;
    let fields = request.as_object_mut()?;
    fields
        .entry("ReturnConsumedCapacity")
        .or_insert_with(|| Value::from("INDEXES"));
    serde_json::to_vec(&request).ok().map(Bytes::from)
}

/// Read and write units in a response's `ConsumedCapacity` (one object, or one per table).
fn consumed(operation: &str, body: &[u8]) -> (f64, f64) {
    let Ok(response) = serde_json::from_slice::<Value>(body) else {
        return (0.0, 0.0);
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
    let reads = [
        "GetItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "TransactGetItems",
    ];
    if reads.contains(&operation) {
        (total, 0.0)
    } else {
        (0.0, total)
    }
}
