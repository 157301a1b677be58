//! The whole API over real HTTP for the contract fuzzing run (`scripts/fuzz.sh`): a DynamoDB Local
//! of its own (in memory, gone when this process ends), a fresh table from `template.yaml`, the
//! deployment's default settings (rate limits on, the 5 s auth cache, no private webhook targets)
//! and the system clock, and a merchant with a limit fuzzing will not reach. Prints one JSON line,
//! `{"baseUrl": …, "apiKey": …}`, then serves until it is stopped.

use std::collections::HashMap;
use std::sync::Arc;

use checkout_api::App;
use checkout_api::aws_clients::dynamodb_client;
use checkout_api::config::Config;
use checkout_domain::clock::SystemClock;
use checkout_store::Store;
use checkoutctl::merchants::{MerchantOptions, create_merchant};
use checkoutctl::table::{TEMPLATE, TableDefinition};
use integration_tests::{dynamodb_endpoint, local_server};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = dynamodb_endpoint();
    let table = format!("fuzz-{}", uuid::Uuid::new_v4().simple());
    let client = dynamodb_client(Some(endpoint));
    TableDefinition::from_template(TEMPLATE)?
        .create(&client, &table)
        .await?;
    let mut vars = HashMap::from([
        ("TABLE_NAME", table.clone()),
        ("DYNAMODB_ENDPOINT", endpoint.to_owned()),
        ("WARM_UP", "off".to_owned()),
    ]);
    let (listener, base_url) = local_server::listen().await;
    // Checkout URLs in answers name this server, as PUBLIC_BASE_URL does in a deployment.
    vars.insert("PUBLIC_BASE_URL", base_url.clone());
    let config = Config::from_vars(|name| vars.get(name).cloned())?;
    let store = Store::new(client, &table, config.retention);
    let merchant = create_merchant(
        &store,
        MerchantOptions {
            name: "Fuzz Shop".into(),
            success_url: Some("https://fuzz.example/ok?s={CHECKOUT_SESSION_ID}".into()),
            cancel_url: Some("https://fuzz.example/no".into()),
            rate_limit: Some(1_000_000),
            ..MerchantOptions::default()
        },
    )
    .await?;
    local_server::serve_on(listener, App::new(store, config, Arc::new(SystemClock)));
    println!(
        "{}",
        serde_json::json!({ "baseUrl": base_url, "apiKey": merchant.api_key })
    );
    std::future::pending::<()>().await;
    Ok(())
}
