//! Test harness: a DynamoDB Local per test process (unless `DYNAMODB_ENDPOINT` points at one), a
//! fresh table per test built from `template.yaml`, and the real function handlers driven by the
//! sample events in `events/`.

pub mod dashboard_client;
pub mod local_server;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use checkout_api::App;
use checkout_api::aws_clients::dynamodb_client;
use checkout_api::config::Config;
use checkout_api::metrics::{KeptLines, Metrics};
use checkout_api::payments::TestModeProcessor;
use checkout_api::webhook::WebhookSender;
use checkout_domain::clock::ManualClock;
use checkout_domain::timestamp::Timestamp;
use checkout_store::Store;
use checkoutctl::merchants::{CreatedMerchant, MerchantOptions, create_merchant};
use checkoutctl::table::{TEMPLATE, TableDefinition};
use lambda_http::http::{HeaderMap, HeaderValue};
use lambda_http::lambda_runtime::{Context, LambdaEvent};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::Value;

struct LocalDynamo {
    endpoint: String,
    // Its stdin pipe stays open for the life of the test process: the wrapper shell kills
    // DynamoDB Local when it reads end-of-file there, i.e. when this process exits however it exits.
    _wrapper: Option<Child>,
}

static DYNAMO: OnceLock<LocalDynamo> = OnceLock::new();

/// The checkout's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The endpoint of the DynamoDB Local the tests use, started on first use.
pub fn dynamodb_endpoint() -> &'static str {
    &DYNAMO
        .get_or_init(|| match std::env::var("DYNAMODB_ENDPOINT") {
            Ok(endpoint) if !endpoint.is_empty() => LocalDynamo {
                endpoint,
                _wrapper: None,
            },
            _ => start_dynamodb_local(),
        })
        .endpoint
}

/// The folder holding DynamoDBLocal.jar; scripts/tools.sh installs it (and Java) when missing.
fn dynamodb_local_dir() -> String {
    let output = Command::new("bash")
        .arg("-c")
        .arg("source scripts/tools.sh && ensure_java && dynamodb_local_dir")
        .current_dir(workspace_root())
        .stderr(Stdio::inherit())
        .output()
        .expect("bash runs scripts/tools.sh");
    assert!(output.status.success(), "could not install DynamoDB Local");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "DynamoDB Local did not open port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A DynamoDB Local of one test that keeps its data in a folder, so it can be stopped and started
/// again (an outage) without losing what it acknowledged.
pub struct PersistentDynamo {
    port: u16,
    folder: PathBuf,
    process: Option<Child>,
}

impl PersistentDynamo {
    /// Starts one on a free port with a fresh data folder.
    pub fn start() -> Self {
        let folder =
            std::env::temp_dir().join(format!("dynamodb-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&folder).expect("a data folder");
        let mut dynamo = Self {
            port: free_port(),
            folder,
            process: None,
        };
        dynamo.resume();
        dynamo
    }

    /// Its endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops the emulator (SIGTERM, so it shuts down as a restarted service would), as an outage.
    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = Command::new("kill").arg(process.id().to_string()).status();
            let _ = process.wait();
        }
    }

    /// Freezes the emulator (SIGSTOP): connections are taken and nothing answers, as a DynamoDB
    /// slower than any deadline.
    pub fn freeze(&self) {
        if let Some(process) = &self.process {
            let _ = Command::new("kill")
                .args(["-STOP", &process.id().to_string()])
                .status();
        }
    }

    /// Lets a frozen emulator run again (SIGCONT).
    pub fn thaw(&self) {
        if let Some(process) = &self.process {
            let _ = Command::new("kill")
                .args(["-CONT", &process.id().to_string()])
                .status();
        }
    }

    /// Starts it again on the same port and data.
    pub fn resume(&mut self) {
        let dir = dynamodb_local_dir();
        let process = Command::new("java")
            .arg(format!("-Djava.library.path={dir}/DynamoDBLocal_lib"))
            .args(["-jar", &format!("{dir}/DynamoDBLocal.jar")])
            .args(["-port", &self.port.to_string(), "-sharedDb", "-dbPath"])
            .arg(&self.folder)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("java starts DynamoDB Local");
        self.process = Some(process);
        wait_for_port(self.port);
    }
}

impl Drop for PersistentDynamo {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

fn start_dynamodb_local() -> LocalDynamo {
    let dir = dynamodb_local_dir();
    let port = free_port();
    let script = format!(
        "java -Djava.library.path='{dir}/DynamoDBLocal_lib' -jar '{dir}/DynamoDBLocal.jar' \
         -port {port} -inMemory -sharedDb >/dev/null 2>&1 & child=$!; \
         echo started; read _; kill $child"
    );
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh starts DynamoDB Local");
    if let Some(stdout) = child.stdout.take() {
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the wrapper reports the start");
    }
    wait_for_port(port);
    LocalDynamo {
        endpoint: format!("http://127.0.0.1:{port}"),
        _wrapper: Some(child),
    }
}

static LOGS: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

/// A log writer that keeps every line for [`captured_logs`] and hands it to libtest's capture
/// (shown only for a failing test).
struct CapturedLogs;

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        LOGS.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_str(&text);
        print!("{text}");
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything the functions have logged in this test process so far.
pub fn captured_logs() -> String {
    LOGS.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Whether this run uses the deployment's default settings (`TEST_DEPLOYED_DEFAULTS=1`: rate
/// limits on, the 5 s auth cache, no private webhook targets, the warm-up) instead of the local
/// ones; `make test` runs a slice of the suite so.
pub fn deployed_defaults() -> bool {
    std::env::var("TEST_DEPLOYED_DEFAULTS").is_ok_and(|v| v == "1")
}

/// One test's world: its own table, an app over it with a clock the test moves, and helpers
/// that call the real handlers.
pub struct TestEnv {
    /// The app the handlers get.
    pub app: App,
    /// The app's clock.
    pub clock: Arc<ManualClock>,
    /// A raw client for checks behind the API's back.
    pub client: Client,
    /// The test's table.
    pub table: String,
    /// The EMF lines the app's functions wrote.
    pub metric_lines: KeptLines,
}

/// A response, with its JSON body parsed.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Parsed body (`Null` when empty).
    pub body: Value,
}

impl ApiResponse {
    /// Reads a handler's response.
    pub fn from_response(response: Response<Body>) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes: &[u8] = response.body().as_ref();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(bytes).expect("responses are JSON")
        };
        Self {
            status,
            headers,
            body,
        }
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `field`s of a validation problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The sample event `events/<name>.json` as a request.
pub fn sample_event(name: &str) -> Request {
    let path = workspace_root().join("events").join(format!("{name}.json"));
    let json = std::fs::read_to_string(&path).expect("the sample event exists");
    lambda_http::request::from_str(&json).expect("a valid API Gateway v2 event")
}

/// The sample event `events/<name>.json` as JSON.
pub fn sample_json(name: &str) -> Value {
    let path = workspace_root().join("events").join(format!("{name}.json"));
    let json = std::fs::read_to_string(&path).expect("the sample event exists");
    serde_json::from_str(&json).expect("valid JSON")
}

/// Builds a request from a sample event with another key, body and path parameter.
#[derive(Debug)]
pub struct Call {
    request: Request,
}

impl Call {
    /// Starts from `events/<event>.json`.
    pub fn event(event: &str) -> Self {
        Self {
            request: sample_event(event),
        }
    }

    /// Sets `Authorization: Bearer <key>`, or removes it with `None`.
    pub fn key(mut self, key: Option<&str>) -> Self {
        let headers = self.request.headers_mut();
        headers.remove("authorization");
        if let Some(key) = key {
            headers.insert(
                "authorization",
                HeaderValue::from_str(&format!("Bearer {key}")).expect("a header value"),
            );
        }
        self
    }

    /// Sets a header, or removes it with `None`.
    pub fn header(mut self, name: &'static str, value: Option<&str>) -> Self {
        let headers = self.request.headers_mut();
        headers.remove(name);
        if let Some(value) = value {
            headers.insert(name, HeaderValue::from_str(value).expect("a header value"));
        }
        self
    }

    /// Adds another value of a header, keeping those it has.
    pub fn also_header(mut self, name: &'static str, value: &str) -> Self {
        let value = HeaderValue::from_str(value).expect("a header value");
        self.request.headers_mut().append(name, value);
        self
    }

    /// Sets a header to raw bytes (which need not be ASCII).
    pub fn binary_header(mut self, name: &'static str, value: &[u8]) -> Self {
        let value = HeaderValue::from_bytes(value).expect("a header value");
        self.request.headers_mut().insert(name, value);
        self
    }

    /// Replaces the body with raw bytes.
    pub fn raw_body(mut self, body: Vec<u8>) -> Self {
        *self.request.body_mut() = Body::Binary(body);
        self
    }

    /// Replaces the body with JSON.
    pub fn json(self, body: &Value) -> Self {
        self.raw_body(serde_json::to_vec(body).expect("serializable"))
    }

    /// Sets path parameter `id`.
    pub fn id(self, id: &str) -> Self {
        Self {
            request: self
                .request
                .with_path_parameters(HashMap::from([("id".to_owned(), id.to_owned())])),
        }
    }

    /// Replaces the query parameters.
    pub fn query(self, params: &[(&str, &str)]) -> Self {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in params {
            map.entry((*name).to_owned())
                .or_default()
                .push((*value).to_owned());
        }
        Self {
            request: self.request.with_query_string_parameters(map),
        }
    }

    /// Runs in an invocation whose Lambda deadline is `left` from now.
    pub fn deadline_in(self, left: Duration) -> Self {
        Self {
            request: self.request.with_lambda_context(context_ending_in(left)),
        }
    }

    /// The request.
    pub fn into_request(self) -> Request {
        self.request
    }
}

impl TestEnv {
    /// A new table on the shared DynamoDB Local, and an app over it whose clock starts now.
    pub async fn new() -> Self {
        Self::on(dynamodb_endpoint()).await
    }

    /// A new table on the DynamoDB Local at `endpoint`.
    pub async fn on(endpoint: &str) -> Self {
        // Logs go through libtest's capture, so they show only for a failing test.
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(|| CapturedLogs)
            .try_init();
        let table = format!("test-{}", uuid::Uuid::new_v4().simple());
        let client = dynamodb_client(Some(endpoint));
        TableDefinition::from_template(TEMPLATE)
            .expect("template.yaml defines the table")
            .create(&client, &table)
            .await
            .expect("the table is created");
        let config = if deployed_defaults() {
            let vars = HashMap::from([
                ("TABLE_NAME", table.clone()),
                ("DYNAMODB_ENDPOINT", endpoint.to_owned()),
            ]);
            Config::from_vars(|name| vars.get(name).cloned()).expect("a local configuration")
        } else {
            Config::local(&table, endpoint)
        };
        let clock = Arc::new(ManualClock::new(Timestamp::now()));
        let store = Store::new(client.clone(), &table, config.retention);
        let mut app = App::new(store, config, clock.clone());
        let (metrics, metric_lines) = Metrics::kept(app.config.stage.as_str());
        app.metrics = metrics;
        Self {
            app,
            clock,
            client,
            table,
            metric_lines,
        }
    }

    /// The test-mode processor, as the page and the settler of this environment use it.
    pub fn processor(&self) -> TestModeProcessor {
        TestModeProcessor::new(self.app.config.settlement_delay)
    }

    /// A merchant with default URLs and its first key.
    pub async fn merchant(&self) -> CreatedMerchant {
        self.merchant_with(MerchantOptions {
            name: "Acme Test Shop".into(),
            success_url: Some("https://shop.example/thanks?session={CHECKOUT_SESSION_ID}".into()),
            cancel_url: Some("https://shop.example/cart".into()),
            ..MerchantOptions::default()
        })
        .await
    }

    /// A merchant created with `options`. Under the deployment's defaults, a merchant without a
    /// limit of its own gets 10,000 requests/s: the tests' clock stands still, so every request of
    /// a test falls in one second (the limit is still taken, counted and reported each time).
    pub async fn merchant_with(&self, mut options: MerchantOptions) -> CreatedMerchant {
        if deployed_defaults() && options.rate_limit.is_none() {
            options.rate_limit = Some(10_000);
        }
        options.stage = self.app.config.stage;
        create_merchant(&self.app.store, options)
            .await
            .expect("the merchant is created")
    }

    /// Sends `call` to the create-session handler.
    pub async fn create_call(&self, call: Call) -> ApiResponse {
        ApiResponse::from_response(create_session::handle(&self.app, call.into_request()).await)
    }

    /// Creates a session from `body` with `key` and no idempotency key.
    pub async fn create(&self, key: &str, body: &Value) -> ApiResponse {
        self.create_call(
            Call::event("create-session")
                .key(Some(key))
                .header("idempotency-key", None)
                .json(body),
        )
        .await
    }

    /// Reads session `id`.
    pub async fn get(&self, key: &str, id: &str) -> ApiResponse {
        let request = Call::event("get-session")
            .key(Some(key))
            .id(id)
            .into_request();
        ApiResponse::from_response(get_session::handle(&self.app, request).await)
    }

    /// Lists sessions with query `params`.
    pub async fn list(&self, key: &str, params: &[(&str, &str)]) -> ApiResponse {
        let request = Call::event("list-sessions")
            .key(Some(key))
            .query(params)
            .into_request();
        ApiResponse::from_response(list_sessions::handle(&self.app, request).await)
    }

    /// Sends `PATCH …/{id}` with `body` as a merge patch.
    pub async fn update(&self, key: &str, id: &str, body: &Value) -> ApiResponse {
        let request = Call::event("update-session")
            .key(Some(key))
            .id(id)
            .json(body)
            .into_request();
        ApiResponse::from_response(update_session::handle(&self.app, request).await)
    }

    /// Sends the sample event `event` with `key`, the path parameter `id` if given and the JSON
    /// `body` if given, to the function that serves it.
    pub async fn call(
        &self,
        event: &str,
        key: &str,
        id: Option<&str>,
        body: Option<&Value>,
    ) -> ApiResponse {
        let mut call = Call::event(event).key(Some(key));
        if let Some(id) = id {
            call = call.id(id);
        }
        if let Some(body) = body {
            call = call.json(body);
        }
        self.call_with(event, call).await
    }

    /// Sends `call`, made from the sample event `event`, to the function that serves it.
    pub async fn call_with(&self, event: &str, call: Call) -> ApiResponse {
        let request = call.into_request();
        let response = match event {
            "get-account" | "update-account" | "rotate-account-webhook-secret" => {
                account::handle(&self.app, request).await
            }
            "list-api-keys" | "create-api-key" | "roll-api-key" | "revoke-api-key" => {
                api_keys::handle(&self.app, request).await
            }
            "list-webhook-endpoints"
            | "create-webhook-endpoint"
            | "get-webhook-endpoint"
            | "update-webhook-endpoint"
            | "delete-webhook-endpoint"
            | "rotate-webhook-secret"
            | "test-webhook-endpoint" => webhook_endpoints::handle(&self.app, request).await,
            "get-event" | "redeliver-event" => event_deliveries::handle(&self.app, request).await,
            other => panic!("no handler for the sample event {other}"),
        };
        ApiResponse::from_response(response)
    }

    /// Expires session `id`.
    pub async fn expire(&self, key: &str, id: &str) -> ApiResponse {
        let request = Call::event("expire-session")
            .key(Some(key))
            .id(id)
            .into_request();
        ApiResponse::from_response(expire_session::handle(&self.app, request).await)
    }

    /// Cancels session `id`.
    pub async fn cancel(&self, key: &str, id: &str) -> ApiResponse {
        let request = Call::event("cancel-session")
            .key(Some(key))
            .id(id)
            .into_request();
        ApiResponse::from_response(cancel_session::handle(&self.app, request).await)
    }

    /// Sends a request to the checkout page: `GET` without a form, `POST` with one.
    pub async fn page(&self, path: &str, form: Option<&[(&str, &str)]>) -> PageResponse {
        let response =
            checkout_page::handle(&self.app, &self.processor(), page_request(path, form)).await;
        let answer = PageResponse {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: String::from_utf8_lossy(response.body().as_ref()).into_owned(),
        };
        // A form the page refused redirects back to the page with what it has to say in a
        // cookie; a browser follows, and so does this.
        let flash = answer
            .header("set-cookie")
            .and_then(|cookie| cookie.split(';').next())
            .filter(|pair| {
                pair.starts_with("checkout_flash=") && pair.len() > "checkout_flash=".len()
            })
            .map(str::to_owned);
        match flash {
            Some(cookie) if answer.status == 303 => {
                let page = path
                    .trim_end_matches('/')
                    .trim_end_matches("/cancel")
                    .to_owned();
                let mut request = page_request(&page, None);
                if let Ok(value) = lambda_http::http::HeaderValue::from_str(&cookie) {
                    request.headers_mut().insert("cookie", value);
                }
                let shown = checkout_page::handle(&self.app, &self.processor(), request).await;
                PageResponse {
                    status: shown.status().as_u16(),
                    headers: shown.headers().clone(),
                    body: String::from_utf8_lossy(shown.body().as_ref()).into_owned(),
                }
            }
            _ => answer,
        }
    }

    /// `GET` of the page at `path` from a browser whose languages are `accept_language`.
    pub async fn page_in(&self, path: &str, accept_language: &str) -> PageResponse {
        let mut request = page_request(path, None);
        if let Ok(value) = lambda_http::http::HeaderValue::from_str(accept_language) {
            request.headers_mut().insert("accept-language", value);
        }
        let response = checkout_page::handle(&self.app, &self.processor(), request).await;
        PageResponse {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: String::from_utf8_lossy(response.body().as_ref()).into_owned(),
        }
    }

    /// Opens session `id`'s page and pays there with card `number` (valid expiry, CVC and name),
    /// as a payer would; the page's answer.
    pub async fn pay_card(&self, id: &str, number: &str) -> PageResponse {
        let path = format!("/pay/{id}");
        let page = self.page(&path, None).await;
        let (token, version) = (page.token(), page.version());
        let form = [
            ("method", "card"),
            ("token", token.as_str()),
            ("version", version.as_str()),
            ("cardNumber", number),
            ("cardExpiry", "12/34"),
            ("cardCvc", "123"),
            ("cardName", "Jane Payer"),
        ];
        self.page(&path, Some(&form)).await
    }

    /// Pays session `id` with crypto `asset` from its page (test mode: it goes `processing`).
    pub async fn pay_crypto(&self, id: &str, asset: &str) -> PageResponse {
        let path = format!("/pay/{id}");
        let page = self.page(&path, None).await;
        let (token, version) = (page.token(), page.version());
        let form = [
            ("method", "crypto"),
            ("token", token.as_str()),
            ("version", version.as_str()),
            ("asset", asset),
        ];
        self.page(&path, Some(&form)).await
    }

    /// Creates a session from `body` with `key`, expecting a 201; its id.
    pub async fn created_id(&self, key: &str, body: &Value) -> String {
        let response = self.create(key, body).await;
        assert_eq!(response.status, 201, "{body} → {:?}", response.body);
        response.body["id"].as_str().expect("an id").to_owned()
    }

    /// Sends `POST …/{id}/refunds` with `body`, and an idempotency key if given.
    pub async fn create_refund(
        &self,
        key: &str,
        id: &str,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> ApiResponse {
        let request = Call::event("create-refund")
            .key(Some(key))
            .header("idempotency-key", idempotency_key)
            .id(id)
            .json(body)
            .into_request();
        ApiResponse::from_response(refund_session::handle(&self.app, request).await)
    }

    /// Lists session `id`'s refunds with `params`.
    pub async fn refunds(&self, key: &str, id: &str, params: &[(&str, &str)]) -> ApiResponse {
        let request = Call::event("list-refunds")
            .key(Some(key))
            .id(id)
            .query(params)
            .into_request();
        ApiResponse::from_response(refund_session::handle(&self.app, request).await)
    }

    /// Refunds session `id` through the stage-one route (all that is left).
    pub async fn refund(&self, key: &str, id: &str, idempotency_key: Option<&str>) -> ApiResponse {
        let request = Call::event("refund-session")
            .key(Some(key))
            .header("idempotency-key", idempotency_key)
            .id(id)
            .into_request();
        ApiResponse::from_response(refund_session::handle(&self.app, request).await)
    }

    /// Exchanges `key` for an access token.
    pub async fn token(&self, key: &str) -> ApiResponse {
        let request = Call::event("issue-token").key(Some(key)).into_request();
        ApiResponse::from_response(issue_token::handle(&self.app, request).await)
    }

    /// Lists events with query `params`.
    pub async fn events(&self, key: &str, params: &[(&str, &str)]) -> ApiResponse {
        let request = Call::event("list-events")
            .key(Some(key))
            .query(params)
            .into_request();
        ApiResponse::from_response(list_events::handle(&self.app, request).await)
    }

    /// Runs the webhook dispatcher on `trigger` (a stream batch or a scheduled event).
    pub async fn dispatch(&self, trigger: Value) -> Value {
        self.dispatch_in(trigger, Context::default()).await
    }

    /// Runs the webhook dispatcher on `trigger` in the invocation `context` (its deadline).
    pub async fn dispatch_in(&self, trigger: Value, context: Context) -> Value {
        self.dispatch_by(&self.app, trigger, context).await
    }

    /// Runs the webhook dispatcher of `app` (a container of this environment) on `trigger`.
    pub async fn dispatch_by(&self, app: &App, trigger: Value, context: Context) -> Value {
        let sender =
            WebhookSender::new(app.config.allow_private_webhook_targets).expect("an HTTP client");
        let event = LambdaEvent::new(trigger, context);
        webhook_dispatcher::handle(app, &sender, event)
            .await
            .expect("the dispatcher ran")
    }

    /// The trigger the table's stream sends the dispatcher when event `event_id` is inserted.
    pub fn stream_trigger(event_id: &str) -> Value {
        let text = serde_json::to_string(&sample_json("dynamodb-stream"))
            .expect("serializable")
            .replace("evt_REPLACE_WITH_AN_EVENT_ID", event_id);
        serde_json::from_str(&text).expect("JSON")
    }

    /// Runs the dispatcher as its schedule does.
    pub async fn dispatch_scheduled(&self) -> Value {
        self.dispatch(sample_json("schedule")).await
    }

    /// Runs the dispatcher as the table's stream does when event `event_id` is inserted.
    pub async fn dispatch_stream(&self, event_id: &str) -> Value {
        self.dispatch(Self::stream_trigger(event_id)).await
    }

    /// Runs the payment settler as its schedule does.
    pub async fn settle_due(&self) -> Value {
        let event = LambdaEvent::new(sample_json("schedule"), Context::default());
        payment_settler::handle(&self.app, &self.processor(), event)
            .await
            .expect("the settler ran")
    }

    /// Settles session `id` through the test helper with `body`.
    pub async fn settle(&self, key: &str, id: &str, body: &Value) -> ApiResponse {
        let request = Call::event("settle-session")
            .key(Some(key))
            .id(id)
            .json(body)
            .into_request();
        ApiResponse::from_response(settle_session::handle(&self.app, request).await)
    }

    /// Runs the expiry sweeper as its schedule does.
    pub async fn sweep(&self) -> Value {
        self.sweep_in(Context::default()).await
    }

    /// Runs the expiry sweeper as its schedule does, in the invocation `context` (its deadline).
    pub async fn sweep_in(&self, context: Context) -> Value {
        let event = LambdaEvent::new(sample_json("schedule"), context);
        expiry_sweeper::handle(&self.app, event)
            .await
            .expect("the sweeper ran")
    }

    /// Another app over the same table whose clock stands `offset` from this one's.
    pub fn app_at(&self, offset: time::Duration) -> App {
        let clock = Arc::new(ManualClock::new(self.app.now().plus(offset)));
        let mut app = App::new(self.app.store.clone(), self.app.config.clone(), clock);
        app.metrics = self.app.metrics.clone();
        app
    }

    /// Another Lambda container of the same deployment: caches of its own, and the deployment's
    /// 5 s authentication cache, so a merchant it has seen stays remembered as it was.
    pub fn container(&self) -> App {
        let mut config = self.app.config.clone();
        config.auth_cache = time::Duration::seconds(5);
        let mut app = App::new(self.app.store.clone(), config, self.clock.clone());
        app.metrics = self.app.metrics.clone();
        app
    }

    /// Another container of the same deployment whose DynamoDB calls are written to the log
    /// it comes with, one line per call: the operation, then the body sent.
    pub fn counted_container(&self) -> (App, CallLog) {
        let log = CallLog::default();
        let config = self
            .client
            .config()
            .to_builder()
            .interceptor(log.clone())
            .build();
        let store = Store::new(
            Client::from_conf(config),
            &self.table,
            self.app.config.retention,
        );
        let mut app = App::new(store, self.app.config.clone(), self.clock.clone());
        app.metrics = self.app.metrics.clone();
        (app, log)
    }

    /// Every item in the table, as DynamoDB holds it.
    pub async fn items(&self) -> Vec<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            items.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return items;
            }
        }
    }

    /// Every item the table holds but the bookkeeping of who called (the rate-limit windows, where
    /// every authenticated request counts itself, and a key's `lastUsedAt`, written at most once a
    /// minute however the request ends), in key order: what a "nothing written" check compares.
    pub async fn data_items(
        &self,
    ) -> Vec<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        let key = |item: &HashMap<String, aws_sdk_dynamodb::types::AttributeValue>| {
            item.get("pk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        let mut items: Vec<_> = self
            .items()
            .await
            .into_iter()
            .filter(|item| !key(item).starts_with("RATE#"))
            .map(|mut item| {
                if key(&item).starts_with("APIKEY#") {
                    item.remove("lastUsedAt");
                }
                item
            })
            .collect();
        items.sort_by_key(|item| key(item));
        items
    }

    /// How many items the table holds, leaving out the rate-limit windows.
    pub async fn item_count(&self) -> usize {
        self.data_items().await.len()
    }
}

/// A checkout-page response.
#[derive(Debug, Clone)]
pub struct PageResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// The HTML.
    pub body: String,
}

impl PageResponse {
    /// Whether the page sent the payer on to the shop (`303` to the merchant's own URL), as a
    /// payment or a cancellation does; every other form is answered with `303` back to the page.
    pub fn left_for_the_shop(&self) -> bool {
        self.status == 303
            && self
                .header("location")
                .is_some_and(|l| l.starts_with("http"))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The anti-forgery token in the page's forms.
    pub fn token(&self) -> String {
        self.hidden("token")
    }

    /// The session version the page's forms were rendered for (their hidden `version` field).
    pub fn version(&self) -> String {
        self.hidden("version")
    }

    /// The value of the first hidden field `name` of the page.
    fn hidden(&self, name: &str) -> String {
        let marker = format!(r#"name="{name}" value=""#);
        self.body
            .split(marker.as_str())
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned()
    }
}

/// A request for the checkout page at `path` (`/pay/{id}` or `/pay/{id}/cancel`), as API
/// Gateway would pass it: method, path parameter, and a form body when `form` is given.
pub fn page_request(path: &str, form: Option<&[(&str, &str)]>) -> Request {
    let id = path
        .trim_start_matches("/pay/")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let builder = lambda_http::http::Request::builder().uri(path);
    let request = match form {
        Some(fields) => {
            let body = url_encode(fields);
            builder
                .method("POST")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::Text(body))
        }
        None => builder.method("GET").body(Body::Empty),
    }
    .expect("a valid request");
    request.with_path_parameters(HashMap::from([("id".to_owned(), id)]))
}

fn url_encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// An invocation context whose Lambda deadline is `left` from now.
pub fn context_ending_in(left: Duration) -> Context {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut context = Context::default();
    context.deadline = u64::try_from(now_ms + left.as_millis()).unwrap_or(u64::MAX);
    context
}

/// What a race of many tasks gave: each task's answer, in task order, and how many of them were
/// in flight at once at the peak (more than one shows that they did overlap).
#[derive(Debug)]
pub struct Race<T> {
    /// The answers.
    pub answers: Vec<T>,
    /// Most tasks inside their call at the same moment.
    pub peak_in_flight: usize,
}

/// Runs `call(i)` for `i` in `0..tasks` on tasks of their own, all released together by a
/// barrier, and records how many were inside their call at once.
pub async fn race<T, F, Fut>(tasks: usize, call: F) -> Race<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    use std::sync::atomic::{AtomicUsize, Ordering};
    let barrier = Arc::new(tokio::sync::Barrier::new(tasks));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..tasks)
        .map(|i| {
            let future = call(i);
            let (barrier, in_flight, peak) = (
                Arc::clone(&barrier),
                Arc::clone(&in_flight),
                Arc::clone(&peak),
            );
            tokio::spawn(async move {
                barrier.wait().await;
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                let answer = future.await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                answer
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks);
    for handle in handles {
        answers.push(handle.await.expect("the task finished"));
    }
    Race {
        answers,
        peak_in_flight: peak.load(Ordering::SeqCst),
    }
}

/// A minimal valid create body.
pub fn valid_body() -> Value {
    serde_json::json!({ "amount": "10.50", "currency": "USD" })
}

/// The DynamoDB calls a client made, as `<Operation> <body>` lines.
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<std::sync::Mutex<Vec<String>>>);

impl CallLog {
    /// The calls so far.
    pub fn calls(&self) -> Vec<String> {
        self.0.lock().map(|calls| calls.clone()).unwrap_or_default()
    }
}

impl aws_sdk_dynamodb::config::Intercept for CallLog {
    fn name(&self) -> &'static str {
        "CallLog"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_dynamodb::config::RuntimeComponents,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let request = context.request();
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|target| target.split('.').next_back())
            .unwrap_or("?");
        let body = String::from_utf8_lossy(request.body().bytes().unwrap_or_default());
        if let Ok(mut calls) = self.0.lock() {
            calls.push(format!("{operation} {body}"));
        }
        Ok(())
    }
}
