//! A stand-in for the Lambda Runtime API (`/2018-06-01/runtime/...`), enough to serve one function
//! process: it notes when the process first asks for work (the end of its init), hands it one
//! invocation at a time and returns what the function answered.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::BenchResult;

/// What the function did with an invocation.
#[derive(Debug)]
pub enum Outcome {
    /// `POST .../response`: the payload.
    Response(Bytes),
    /// `POST .../error`: the error document.
    Error(Bytes),
}

struct Pending {
    event: Bytes,
    reply: oneshot::Sender<Outcome>,
}

struct State {
    first_poll: watch::Sender<Option<Instant>>,
    queue: tokio::sync::Mutex<mpsc::Receiver<Pending>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
}

/// One stand-in server, for one function process.
pub struct RuntimeApi {
    addr: SocketAddr,
    state: Arc<State>,
    sender: mpsc::Sender<Pending>,
    server: JoinHandle<()>,
}

impl RuntimeApi {
    /// Listens on a free loopback port.
    pub async fn start() -> BenchResult<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (sender, receiver) = mpsc::channel(1);
        let state = Arc::new(State {
            first_poll: watch::channel(None).0,
            queue: tokio::sync::Mutex::new(receiver),
            waiting: Mutex::new(HashMap::new()),
        });
        let serving = state.clone();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = serving.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| route(state.clone(), request));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            addr,
            state,
            sender,
            server,
        })
    }

    /// `host:port`, as `AWS_LAMBDA_RUNTIME_API` wants it.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// The instant the function first asked for an invocation (waits for it, up to `limit`).
    pub async fn first_poll(&self, limit: Duration) -> BenchResult<Instant> {
        let mut seen = self.state.first_poll.subscribe();
        let instant = tokio::time::timeout(limit, seen.wait_for(Option::is_some))
            .await
            .map_err(|_| "the function never asked for an invocation")??;
        instant.ok_or_else(|| "no first poll".into())
    }

    /// Hands `event` to the function and waits for its answer; also returns the time from handing
    /// it over to the answer.
    pub async fn invoke(&self, event: Vec<u8>) -> BenchResult<(Outcome, Duration)> {
        let (reply, answer) = oneshot::channel();
        let started = Instant::now();
        self.sender
            .send(Pending {
                event: Bytes::from(event),
                reply,
            })
            .await
            .map_err(|_| "the stand-in stopped")?;
        let outcome = tokio::time::timeout(Duration::from_secs(60), answer)
            .await
            .map_err(|_| "the function did not answer within 60 s")??;
        Ok((outcome, started.elapsed()))
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn route(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let Some(rest) = path.strip_prefix("/2018-06-01/runtime/") else {
        return Ok(status(StatusCode::NOT_FOUND));
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match (method, parts.as_slice()) {
        (Method::GET, ["invocation", "next"]) => Ok(next(&state).await),
        (Method::POST, ["invocation", id, kind @ ("response" | "error")]) => {
            let body = request
                .into_body()
                .collect()
                .await
                .map(|collected| collected.to_bytes())
                .unwrap_or_default();
            let reply = state.waiting.lock().ok().and_then(|mut w| w.remove(*id));
            if let Some(reply) = reply {
                let outcome = match *kind {
                    "response" => Outcome::Response(body),
                    _ => Outcome::Error(body),
                };
                let _ = reply.send(outcome);
            }
            Ok(status(StatusCode::ACCEPTED))
        }
        (Method::POST, ["init", "error"]) => Ok(status(StatusCode::ACCEPTED)),
        _ => Ok(status(StatusCode::NOT_FOUND)),
    }
}

async fn next(state: &State) -> Response<Full<Bytes>> {
    state.first_poll.send_if_modified(|first| {
        let unset = first.is_none();
        if unset {
            *first = Some(Instant::now());
        }
        unset
    });
    let Some(pending) = state.queue.lock().await.recv().await else {
        return status(StatusCode::GONE);
    };
    let id = uuid::Uuid::new_v4().to_string();
    if let Ok(mut waiting) = state.waiting.lock() {
        waiting.insert(id.clone(), pending.reply);
    }
    let deadline = SystemTime::now()
        .checked_add(Duration::from_secs(60))
        .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |since| since.as_millis());
    Response::builder()
        .header("lambda-runtime-aws-request-id", id)
        .header("lambda-runtime-deadline-ms", deadline.to_string())
        .header(
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:bench",
        )
        .header(
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000",
        )
        .body(Full::new(pending.event))
        .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR))
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = code;
    response
}
