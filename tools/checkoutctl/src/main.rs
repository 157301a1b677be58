//! `checkoutctl`: merchants, API keys and the table, for operators and the local stack. Prints
//! one JSON object per command on stdout.

use std::process::ExitCode;

use checkout_api::aws_clients::dynamodb_client;
use checkout_domain::ids::{EventId, MerchantId};
use checkout_domain::stage::Stage;
use checkout_store::Store;
use checkoutctl::AdminError;
use checkoutctl::merchants::{self, MerchantOptions};
use checkoutctl::table::{TEMPLATE, TableDefinition};
use clap::{Parser, Subcommand};
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "checkoutctl",
    about = "Administer the checkout-sessions table",
    version
)]
struct Cli {
    /// DynamoDB endpoint; empty for AWS's own.
    #[arg(
        long,
        env = "DYNAMODB_ENDPOINT",
        default_value = "http://127.0.0.1:8000",
        global = true
    )]
    endpoint: String,
    /// The table.
    #[arg(long, env = "TABLE_NAME", default_value = checkout_api::config::DEFAULT_TABLE_NAME, global = true)]
    table: String,
    /// The deployment's stage (`test` or `live`): the keys made are `sk_test_…` or `sk_live_…`.
    #[arg(long, env = "STAGE", default_value = "test", value_parser = parse_stage, global = true)]
    stage: Stage,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The table.
    Table {
        #[command(subcommand)]
        command: TableCommand,
    },
    /// Merchant accounts.
    Merchant {
        #[command(subcommand)]
        command: MerchantCommand,
    },
    /// Platforms, whose keys act for the merchants under them.
    Platform {
        #[command(subcommand)]
        command: PlatformCommand,
    },
    /// API keys.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Webhook events.
    Event {
        #[command(subcommand)]
        command: EventCommand,
    },
    /// The merchant dashboard.
    Dashboard {
        #[command(subcommand)]
        command: DashboardCommand,
    },
    /// Receiving webhooks, for demos.
    Webhook {
        #[command(subcommand)]
        command: WebhookCommand,
    },
}

/// A merchant id as the API issues them; anything else names no merchant.
fn parse_merchant_id(text: &str) -> Result<MerchantId, AdminError> {
    MerchantId::parse(text)
        .map_err(|invalid| AdminError::InvalidArgument(format!("{text:?} {}", invalid.message)))
}

/// An event id as the API issues them.
fn parse_event_id(text: &str) -> Result<EventId, AdminError> {
    EventId::parse(text)
        .map_err(|invalid| AdminError::InvalidArgument(format!("{text:?} {}", invalid.message)))
}

#[derive(Subcommand)]
enum EventCommand {
    /// Sends an event again (a fresh set of attempts, starting now).
    Redeliver { event_id: String },
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// Listens on 127.0.0.1:PORT and prints every webhook received, checking its signature.
    Listen {
        #[arg(long, default_value_t = 4000)]
        port: u16,
        /// The merchant's `whsec_…` secret; without it signatures are not checked.
        #[arg(long, env = "WEBHOOK_SECRET")]
        secret: Option<String>,
    },
}

#[derive(Subcommand)]
enum DashboardCommand {
    /// Prints a one-time link that signs in to a merchant's dashboard (once, within 15 minutes).
    Link {
        merchant_id: String,
        /// Where the API is served.
        #[arg(long, env = "PUBLIC_BASE_URL", default_value = checkout_api::config::DEFAULT_PUBLIC_BASE_URL)]
        base_url: String,
    },
    /// Signs out every dashboard session of a merchant, wherever it is (a lost laptop, a
    /// suspected theft); each must sign in again.
    EndSessions { merchant_id: String },
}

#[derive(Subcommand)]
enum TableCommand {
    /// Creates the table from template.yaml unless it exists.
    Create,
    /// Puts sessions stored before the dashboard's search into its indexes (once; again is a
    /// no-op).
    BackfillSearch,
}

#[derive(Subcommand)]
enum MerchantCommand {
    /// Creates a merchant and its first API key.
    Create(Box<MerchantOptions>),
    /// Stops a merchant's keys from authenticating.
    Deactivate { merchant_id: String },
    /// Lets a deactivated merchant authenticate again.
    Activate { merchant_id: String },
}

#[derive(Subcommand)]
enum PlatformCommand {
    /// Creates a platform and its API key.
    Create {
        /// Its name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Issues another API key for a merchant.
    Create { merchant_id: String },
    /// Revokes an API key (given in full).
    Revoke { api_key: String },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("checkoutctl: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<serde_json::Value, AdminError> {
    if let Command::Webhook {
        command: WebhookCommand::Listen { port, secret },
    } = cli.command
    {
        return listen(port, secret).await;
    }
    let client = match Some(cli.endpoint.as_str()).filter(|e| !e.is_empty()) {
        Some(endpoint) => dynamodb_client(Some(endpoint)),
        // An operator's machine: the whole chain (profiles, SSO, assumed roles), unlike a function.
        None => aws_sdk_dynamodb::Client::new(
            &aws_config::defaults(aws_config::BehaviorVersion::latest())
                .load()
                .await,
        ),
    };
    let retention = checkout_api::config::Config::retention_from_env();
    let store = Store::new(client.clone(), &cli.table, retention);
    Ok(match cli.command {
        Command::Table {
            command: TableCommand::Create,
        } => {
            let created = TableDefinition::from_template(TEMPLATE)?
                .create(&client, &cli.table)
                .await?;
            json!({ "table": cli.table, "created": created })
        }
        Command::Table {
            command: TableCommand::BackfillSearch,
        } => json!({ "table": cli.table, "sessionsIndexed": store.backfill_search_keys().await? }),
        Command::Platform {
            command: PlatformCommand::Create { name },
        } => serde_json::to_value(merchants::create_platform(&store, &name, cli.stage).await?)
            .map_err(|e| AdminError::Storage(e.to_string()))?,
        Command::Merchant { command } => merchant(&store, command, cli.stage).await?,
        Command::Key { command } => key(&store, command, cli.stage).await?,
        Command::Event {
            command: EventCommand::Redeliver { event_id },
        } => {
            merchants::redeliver_event(&store, &parse_event_id(&event_id)?).await?;
            json!({ "eventId": event_id, "deliveryStatus": "pending" })
        }
        Command::Dashboard {
            command:
                DashboardCommand::Link {
                    merchant_id,
                    base_url,
                },
        } => {
            let url = merchants::dashboard_link(
                &store,
                &parse_merchant_id(&merchant_id)?,
                &base_url,
                checkout_domain::timestamp::Timestamp::now(),
            )
            .await?;
            json!({ "merchantId": merchant_id, "url": url, "expiresInSeconds": 900 })
        }
        Command::Dashboard {
            command: DashboardCommand::EndSessions { merchant_id },
        } => {
            merchants::end_dashboard_sessions(&store, &parse_merchant_id(&merchant_id)?).await?;
            json!({ "merchantId": merchant_id, "dashboardSessions": "ended" })
        }
        Command::Webhook { .. } => json!({}),
    })
}

/// `checkoutctl merchant …`.
async fn merchant(
    store: &Store,
    command: MerchantCommand,
    stage: Stage,
) -> Result<serde_json::Value, AdminError> {
    Ok(match command {
        MerchantCommand::Create(options) => serde_json::to_value(
            merchants::create_merchant(store, MerchantOptions { stage, ..*options }).await?,
        )
        .map_err(|e| AdminError::Storage(e.to_string()))?,
        MerchantCommand::Deactivate { merchant_id } => {
            merchants::set_active(store, &parse_merchant_id(&merchant_id)?, false).await?;
            json!({ "merchantId": merchant_id, "active": false })
        }
        MerchantCommand::Activate { merchant_id } => {
            merchants::set_active(store, &parse_merchant_id(&merchant_id)?, true).await?;
            json!({ "merchantId": merchant_id, "active": true })
        }
    })
}

/// `checkoutctl key …`.
async fn key(
    store: &Store,
    command: KeyCommand,
    stage: Stage,
) -> Result<serde_json::Value, AdminError> {
    Ok(match command {
        KeyCommand::Create { merchant_id } => {
            json!({ "apiKey": merchants::create_key(store, &parse_merchant_id(&merchant_id)?, stage).await? })
        }
        KeyCommand::Revoke { api_key } => {
            merchants::revoke_key(store, &api_key).await?;
            json!({ "revoked": true })
        }
    })
}

/// Prints each webhook as one JSON line; answers 200, or 400 when a secret is given and the
/// signature does not match it.
async fn listen(port: u16, secret: Option<String>) -> Result<serde_json::Value, AdminError> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| AdminError::InvalidArgument(format!("cannot listen on {port}: {e}")))?;
    eprintln!("checkoutctl: listening for webhooks on http://127.0.0.1:{port}/ (Ctrl-C stops)");
    checkoutctl::listener::serve(listener, move |delivery| {
        let header = |name: &str| {
            delivery
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let body = String::from_utf8_lossy(&delivery.body).into_owned();
        let (id, timestamp) = (header("webhook-id"), header("webhook-timestamp"));
        let verified = secret.as_deref().map(|secret| {
            let timestamp = timestamp.parse().unwrap_or_default();
            checkout_api::webhook::verify(
                secret,
                &id,
                timestamp,
                &body,
                &header("webhook-signature"),
            )
            .is_ok()
        });
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap_or(json!(body));
        println!(
            "{}",
            json!({
                "webhookId": id,
                "webhookTimestamp": timestamp,
                "verified": verified,
                "type": parsed["type"],
                "sessionId": parsed["data"]["object"]["id"],
                "status": parsed["data"]["object"]["status"],
            })
        );
        if verified == Some(false) { 400 } else { 200 }
    })
    .await;
    Ok(json!({}))
}

fn parse_stage(text: &str) -> Result<Stage, String> {
    Stage::parse(text).map_err(|invalid| invalid.message)
}
