//! The measures of `make bench`: the set-up they share, and the size table.

mod cold;
mod round_trips;
mod scale;
mod warm;

use std::path::PathBuf;
use std::sync::Arc;

use crate::billing::Shape;
use checkout_api::App;
use checkout_api::config::Config;
use checkout_api::service::dashboard;
use checkout_domain::clock::SystemClock;
use checkout_domain::ids::SessionId;
use checkout_domain::merchant::Merchant;
use checkout_domain::session::CheckoutSession;
use checkout_store::Store;
use checkoutctl::merchants::{CreatedMerchant, MerchantOptions, create_merchant};
use checkoutctl::table::TableDefinition;
use serde::Serialize;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::events::ApiEvent;
use crate::function_process::FunctionProcess;
use crate::runtime_api::Outcome;
use crate::{BenchResult, Settings};

/// Every function of the template.
pub const FUNCTIONS: [&str; 19] = [
    "create-session",
    "get-session",
    "update-session",
    "list-sessions",
    "expire-session",
    "cancel-session",
    "refund-session",
    "issue-token",
    "list-events",
    "checkout-page",
    "webhook-dispatcher",
    "expiry-sweeper",
    "payment-settler",
    "settle-session",
    "account",
    "api-keys",
    "webhook-endpoints",
    "event-deliveries",
    "dashboard",
];
/// The hello-world `lambda_http` binary every function is compared with.
pub const FLOOR: &str = "hello-floor";
/// The floor plus JSON logging and a DynamoDB client: what no function of ours can start without.
pub const SDK_FLOOR: &str = "hello-sdk-floor";

const TEMPLATE: &str = include_str!("../../../../template.yaml");

/// A table with a merchant, a webhook receiver, and the environment the functions run with.
pub struct Bench {
    /// The run's settings.
    pub settings: Settings,
    app: App,
    merchant: Merchant,
    key: String,
    table: String,
    /// The `Cookie` of a dashboard session of the merchant, signed as the functions sign it.
    dashboard_cookie: String,
    _webhooks: JoinHandle<()>,
}

/// Everything `make bench` measured, as written to `lambda-bench.json`.
#[derive(Serialize)]
pub struct Report {
    sizes: Vec<SizeRow>,
    init: Vec<cold::InitRow>,
    sdk_floor_steps: Vec<cold::FloorStepRow>,
    first_request: Vec<cold::FirstRequestRow>,
    warm: Vec<warm::WarmRow>,
    round_trips: Vec<round_trips::RoundTripRow>,
    scale: Option<scale::Scale>,
}

/// The table's key attributes and indexes, as `template.yaml` defines them.
fn table_shape() -> BenchResult<Arc<Shape>> {
    let definition = TableDefinition::from_template(TEMPLATE)?;
    Ok(Arc::new(Shape {
        keys: definition.key_attributes(),
        indexes: definition.indexes(),
    }))
}

impl Report {
    /// What this run measured of `measure` (`WCU`, `calls`, `CPU µs`) for `step` (a round-trip
    /// row, or for CPU a warm row with rate limits on, as deployed).
    pub fn measured(&self, step: &str, measure: &str) -> Option<f64> {
        match measure {
            "CPU µs" => self
                .warm
                .iter()
                .find(|row| row.operation() == step && row.rate_limits())
                .map(warm::WarmRow::cpu_us),
            "WCU" | "calls" => {
                let row = self.round_trips.iter().find(|row| row.step() == step)?;
                Some(if measure == "WCU" {
                    row.write_units()
                } else {
                    row.calls() as f64
                })
            }
            _ => None,
        }
    }
}

#[derive(Serialize)]
struct SizeRow {
    function: String,
    binary_bytes: u64,
    zip_bytes: u64,
    zip_vs_floor: f64,
}

impl Bench {
    /// A new table on DynamoDB Local, a merchant whose webhooks go to a local receiver that
    /// accepts them all.
    pub async fn prepare(settings: Settings) -> BenchResult<Self> {
        let client = checkout_api::aws_clients::dynamodb_client(Some(&settings.endpoint));
        let table = format!("bench-{}", uuid::Uuid::new_v4().simple());
        TableDefinition::from_template(TEMPLATE)?
            .create(&client, &table)
            .await?;
        let config = Config::local(&table, &settings.endpoint);
        let store = Store::new(client, &table, config.retention);
        let app = App::new(store, config, Arc::new(SystemClock));
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let hook = format!("http://{}/hook", listener.local_addr()?);
        let webhooks = tokio::spawn(checkoutctl::listener::serve(listener, |_| 200));
        let CreatedMerchant {
            merchant_id,
            api_key,
            ..
        } = create_merchant(
            &app.store,
            MerchantOptions {
                name: "Bench Shop".into(),
                success_url: Some("https://shop.example/thanks".into()),
                cancel_url: Some("https://shop.example/cart".into()),
                webhook_url: Some(hook),
                rate_limit: Some(1_000_000),
                // One key shard, as before shards, so that the figures compare with earlier runs;
                // the scale measure shows what many cost.
                key_shards: Some(1),
                ..MerchantOptions::default()
            },
        )
        .await?;
        let merchant = app
            .store
            .get_merchant_eventually(&merchant_id)
            .await?
            .ok_or("the merchant just created is missing")?;
        // Signed with the development keys, which the functions (on the local stack, with no
        // keys named in `env`) use too.
        let cookie = dashboard::sign_in_with_key(&app, &api_key).await?;
        let dashboard_cookie = format!(
            "dashboard_session={}",
            cookie.encode(dashboard::signing_key(&app).await?.signing())
        );
        Ok(Self {
            settings,
            app,
            merchant,
            key: api_key,
            table,
            dashboard_cookie,
            _webhooks: webhooks,
        })
    }

    /// Runs every measure, printing each table as it is done.
    pub async fn run_all(&self) -> BenchResult<Report> {
        // DynamoDB Local is a JVM: its first thousand calls are slower than the rest.
        for _ in 0..300 {
            self.seed_session().await?;
        }
        // `BENCH_MEASURES=scale,round-trips` runs only those (the scale measure needs no release
        // binary: `BENCH_MEASURES=scale cargo run -p lambda-bench` works in a debug build).
        let chosen = std::env::var("BENCH_MEASURES").ok();
        let wants = |measure: &str| {
            chosen
                .as_deref()
                .is_none_or(|list| list.split(',').any(|m| m.trim() == measure))
        };
        let sizes = if wants("size") {
            self.sizes()?
        } else {
            Vec::new()
        };
        let (init, sdk_floor_steps) = if wants("init") {
            self.init().await?
        } else {
            (Vec::new(), Vec::new())
        };
        let first_request = if wants("first-request") {
            self.first_request().await?
        } else {
            Vec::new()
        };
        let warm = if wants("warm") {
            self.warm().await?
        } else {
            Vec::new()
        };
        let round_trips = if wants("round-trips") {
            self.round_trips().await?
        } else {
            Vec::new()
        };
        let scale = if wants("scale") {
            Some(self.scale().await?)
        } else {
            None
        };
        Ok(Report {
            sizes,
            init,
            sdk_floor_steps,
            first_request,
            warm,
            round_trips,
            scale,
        })
    }

    /// An app over the bench's table whose DynamoDB calls go to `endpoint` (the counting proxy).
    fn app_through(&self, endpoint: &str) -> App {
        let client = checkout_api::aws_clients::dynamodb_client(Some(endpoint));
        let store = Store::new(client, &self.table, self.app.config.retention);
        App::new(store, self.app.config.clone(), Arc::new(SystemClock))
    }

    /// The environment every function gets, with `overrides` on top.
    fn env(&self, endpoint: &str, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = [
            ("TABLE_NAME", self.table.as_str()),
            ("DYNAMODB_ENDPOINT", endpoint),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "local"),
            ("AWS_SECRET_ACCESS_KEY", "local"),
            ("PUBLIC_BASE_URL", "https://pay.example"),
            ("ALLOW_PRIVATE_WEBHOOK_TARGETS", "true"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        env.extend(
            overrides
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        env
    }

    /// Starts `name` on DynamoDB Local (or `endpoint`) with `overrides`.
    async fn start(
        &self,
        name: &str,
        endpoint: Option<&str>,
        overrides: &[(&str, &str)],
    ) -> BenchResult<FunctionProcess> {
        let endpoint = endpoint.unwrap_or(&self.settings.endpoint);
        let log = self
            .settings
            .out_dir
            .join("logs")
            .join(format!("{name}.log"));
        FunctionProcess::start(&self.binary(name), &self.env(endpoint, overrides), &log).await
    }

    fn binary(&self, name: &str) -> PathBuf {
        self.settings.bin_dir.join(name)
    }

    /// A pending session with an order id, created as the API creates them.
    async fn seed_session(&self) -> BenchResult<CheckoutSession> {
        let body = create_body();
        let key = uuid::Uuid::new_v4().to_string();
        let created = checkout_api::service::create_session(
            &self.app,
            &self.merchant,
            body.as_bytes(),
            Some(&key),
            "https://pay.example",
        )
        .await?;
        let resource: Value = serde_json::from_str(&created.response.body)?;
        let id = resource["id"].as_str().ok_or("no id")?;
        Ok(self
            .app
            .store
            .get_session(&SessionId::parse(id).map_err(|e| e.message)?)
            .await?
            .ok_or("the seeded session is missing")?)
    }

    /// The request a function is measured with (`session` for those that need one).
    fn request_for(&self, name: &str, session: &str) -> BenchResult<ApiEvent> {
        Ok(match name {
            "create-session" => ApiEvent::sample(name, &self.key, session)?
                .header("idempotency-key", &uuid::Uuid::new_v4().to_string())
                .body(&create_body()),
            "list-sessions" => {
                ApiEvent::sample(name, &self.key, session)?.query(&[("limit", "10")])
            }
            "dashboard" => {
                ApiEvent::sample(name, &self.key, session)?.cookie(&self.dashboard_cookie)
            }
            "get-session" | "issue-token" | "list-events" | "checkout-page" => {
                ApiEvent::sample(name, &self.key, session)?
            }
            _ => ApiEvent::sample("get-session", &self.key, session)?,
        })
    }

    fn sizes(&self) -> BenchResult<Vec<SizeRow>> {
        let size = |path: PathBuf| std::fs::metadata(&path).map(|m| m.len());
        let floor_zip = size(self.settings.zip_dir.join(format!("{FLOOR}.zip")))?;
        let mut rows = Vec::new();
        for name in FUNCTIONS.iter().chain([&SDK_FLOOR, &FLOOR]) {
            let zip_bytes = size(self.settings.zip_dir.join(format!("{name}.zip")))?;
            rows.push(SizeRow {
                function: (*name).to_owned(),
                binary_bytes: size(self.binary(name))?,
                zip_bytes,
                zip_vs_floor: (zip_bytes as f64 / floor_zip as f64 * 100.0).round() / 100.0,
            });
        }
        println!("\n## Size (release, stripped; zip as deployed)\n");
        println!("| function | binary | zip | zip vs floor |");
        println!("|---|---:|---:|---:|");
        for row in &rows {
            println!(
                "| {} | {:.2} MB | {:.2} MB | {:.2}× |",
                row.function,
                row.binary_bytes as f64 / 1e6,
                row.zip_bytes as f64 / 1e6,
                row.zip_vs_floor
            );
        }
        Ok(rows)
    }
}

/// A create body with an order id no other request has.
fn create_body() -> String {
    serde_json::json!({
        "amount": "33.90",
        "currency": "usd",
        "orderId": format!("order-{}", uuid::Uuid::new_v4().simple()),
        "description": "2 × Yirgacheffe 250 g, shipping",
        "customer": { "email": "jane@example.com", "name": "Jane Doe" },
        "lineItems": [
            { "name": "Yirgacheffe 250 g", "unitAmount": "14.50", "quantity": 2 },
            { "name": "Shipping", "unitAmount": "4.90", "quantity": 1 }
        ],
        "metadata": { "cartId": "c_981" },
        "expiresIn": "PT30M"
    })
    .to_string()
}

/// The HTTP status in a `lambda_http` response payload; an error if the function failed.
fn status_of(outcome: &Outcome) -> BenchResult<u16> {
    match outcome {
        Outcome::Response(body) => {
            let response: Value = serde_json::from_slice(body)?;
            Ok(response["statusCode"].as_u64().unwrap_or(0) as u16)
        }
        Outcome::Error(body) => {
            Err(format!("the function failed: {}", String::from_utf8_lossy(body)).into())
        }
    }
}

/// Fails unless `outcome` is a response with a 2xx or 3xx status.
fn expect_success(name: &str, outcome: &Outcome) -> BenchResult<()> {
    let status = status_of(outcome)?;
    if (200..400).contains(&status) {
        Ok(())
    } else {
        let body = match outcome {
            Outcome::Response(body) | Outcome::Error(body) => String::from_utf8_lossy(body),
        };
        Err(format!("{name} answered {status}: {body}").into())
    }
}
