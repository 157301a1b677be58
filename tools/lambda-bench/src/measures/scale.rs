//! One merchant on a sale day: where its writes land. A key-distribution simulation of 5,000
//! creates a second for 60 simulated seconds, from the store's own account of each create's
//! writes (`Store::create_footprint`), counting write units per partition key value per second
//! in the table and every index, with the merchant's keys sharded as its rate limit sizes them
//! and, for comparison, unsharded; the same for the rate-limit window items. Then what a list
//! page costs when it merges every shard, counted by the proxy.

use std::collections::HashMap;

use checkout_api::App;
use checkout_domain::ids::SessionId;
use checkout_domain::merchant::{key_shards_for, rate_window_shards, shard_of};
use checkout_domain::session::CheckoutSession;
use checkout_domain::values::{IdempotencyKey, OrderId};
use checkout_store::{IdempotencyClaim, ListQuery, Store, StoredResponse};
use serde::Serialize;

use super::Bench;
use crate::BenchResult;
use crate::dynamo_proxy::DynamoProxy;

/// Creates a second in the simulation.
const CREATES_PER_SECOND: u32 = 5_000;
/// Simulated seconds.
const SECONDS: i64 = 60;
/// Half of the 1,000 write units a second DynamoDB allows one partition key value.
const BUDGET: u32 = 500;

#[derive(Serialize)]
pub struct HotKeyRow {
    layout: String,
    target: String,
    keys: usize,
    hottest_key: String,
    max_units_per_second: u32,
    under_budget: bool,
}

#[derive(Serialize)]
pub struct ListCostRow {
    key_shards: u32,
    page: usize,
    queries: usize,
    read_units: f64,
}

#[derive(Serialize)]
pub struct Scale {
    hot_keys: Vec<HotKeyRow>,
    create_units: Vec<(&'static str, u32)>,
    create_units_simulated: u32,
    list_pages: Vec<ListCostRow>,
}

impl Bench {
    pub(super) async fn scale(&self) -> BenchResult<Scale> {
        let template = self.seed_session().await?;
        let limit = CREATES_PER_SECOND;
        let mut hot_keys = Vec::new();
        for (layout, shards) in [
            ("unsharded (one key shard)", 1),
            (
                "sharded as the rate limit sizes them",
                key_shards_for(limit),
            ),
        ] {
            hot_keys.extend(simulate_creates(&self.app, &template, layout, shards)?);
        }
        hot_keys.extend(simulate_windows(
            limit,
            "without leases: one window write per request",
        ));
        print_hot_keys(&hot_keys);
        let create_units = one_create(&self.app, &template)?;
        let create_units_simulated = create_units.iter().map(|(_, units)| units).sum();
        println!("\n## One create (order id and idempotency key) as the simulation counts it\n");
        println!("| table or index | write units |");
        println!("|---|---:|");
        for (target, units) in &create_units {
            println!("| {target} | {units} |");
        }
        println!("| total | {create_units_simulated} |");
        let list_pages = self.list_costs(&template).await?;
        Ok(Scale {
            hot_keys,
            create_units,
            create_units_simulated,
            list_pages,
        })
    }

    /// RCU and queries of one list page of 10 for merchants with 1 and with many key shards.
    async fn list_costs(&self, template: &CheckoutSession) -> BenchResult<Vec<ListCostRow>> {
        let proxy = DynamoProxy::start(&self.settings.endpoint, super::table_shape()?).await?;
        let client = checkout_api::aws_clients::dynamodb_client(Some(&proxy.endpoint()));
        let store = Store::new(client, &self.table, self.app.config.retention);
        let mut rows = Vec::new();
        for shards in [1, key_shards_for(CREATES_PER_SECOND)] {
            let merchant = checkout_domain::ids::MerchantId::generate();
            for _ in 0..30 {
                let mut session = template.clone();
                session.id = SessionId::generate();
                session.merchant_id = merchant.clone();
                session.order_id = None;
                session.key_shard = shard_of(session.id.as_str(), shards);
                self.app
                    .store
                    .create_session(&session, None, self.app.now())
                    .await?;
            }
            proxy.take();
            let page = store
                .list_sessions(&ListQuery::all(merchant, shards, 10, self.app.now()))
                .await?;
            let calls = proxy.take();
            rows.push(ListCostRow {
                key_shards: shards,
                page: page.sessions.len(),
                queries: calls.len(),
                read_units: calls.iter().map(|c| c.read_units).sum(),
            });
        }
        println!("\n## A list page of 10 over a merchant's key shards\n");
        println!("| key shards | sessions on the page | queries | RCU |");
        println!("|---:|---:|---:|---:|");
        for row in &rows {
            println!(
                "| {} | {} | {} | {:.1} |",
                row.key_shards, row.page, row.queries, row.read_units
            );
        }
        Ok(rows)
    }
}

/// The write units of one create like `template` with an idempotency key, by table and index.
fn one_create(app: &App, template: &CheckoutSession) -> BenchResult<Vec<(&'static str, u32)>> {
    let now = app.now();
    let key = IdempotencyKey::parse("bench-one-create").map_err(|e| e.message)?;
    let claim = IdempotencyClaim {
        merchant_id: &template.merchant_id,
        endpoint: checkout_api::service::CREATE_SESSION_ENDPOINT,
        key: &key,
        fingerprint: "one",
        response: StoredResponse {
            status: 201,
            body: serde_json::to_string(&template.resource(now, "https://pay.example"))?,
        },
    };
    let mut units: Vec<(&'static str, u32)> = Vec::new();
    for write in app.store.create_footprint(template, Some(&claim), now)? {
        match units.iter_mut().find(|(target, _)| *target == write.target) {
            Some((_, sum)) => *sum += write.write_units,
            None => units.push((write.target, write.write_units)),
        }
    }
    Ok(units)
}

/// Write units per (target, key) per simulated second of one merchant's creates, each with an
/// order id and an idempotency key of its own, with its keys in `shards` shards.
fn simulate_creates(
    app: &App,
    template: &CheckoutSession,
    layout: &str,
    shards: u32,
) -> BenchResult<Vec<HotKeyRow>> {
    let now = app.now();
    let mut per_second: HashMap<(&'static str, String), u32> = HashMap::new();
    let mut worst: HashMap<&'static str, (String, u32)> = HashMap::new();
    let key = IdempotencyKey::parse("bench-simulated-key").map_err(|e| e.message)?;
    let response = StoredResponse {
        status: 201,
        body: serde_json::to_string(&template.resource(now, "https://pay.example"))?,
    };
    let mut keys_seen: HashMap<&'static str, std::collections::HashSet<String>> = HashMap::new();
    for second in 0..SECONDS {
        per_second.clear();
        for n in 0..CREATES_PER_SECOND {
            let mut session = template.clone();
            session.id = SessionId::generate();
            session.key_shard = shard_of(session.id.as_str(), shards);
            session.order_id =
                Some(OrderId::parse(&format!("sale-{second}-{n}")).map_err(|e| e.message)?);
            let claim = IdempotencyClaim {
                merchant_id: &session.merchant_id,
                endpoint: checkout_api::service::CREATE_SESSION_ENDPOINT,
                key: &key,
                fingerprint: "simulated",
                response: response.clone(),
            };
            for write in app.store.create_footprint(&session, Some(&claim), now)? {
                // Idempotency keys are the merchant's own, one per request: the simulated one
                // stands for all of them, so its key is made unique here.
                let partition = if write.partition.contains("#IDEMPOTENCY#") {
                    format!("{}#{second}-{n}", write.partition)
                } else {
                    write.partition
                };
                keys_seen
                    .entry(write.target)
                    .or_default()
                    .insert(partition.clone());
                *per_second.entry((write.target, partition)).or_default() += write.write_units;
            }
        }
        for ((target, partition), units) in &per_second {
            let entry = worst.entry(target).or_insert((String::new(), 0));
            if *units > entry.1 {
                *entry = (partition.clone(), *units);
            }
        }
    }
    let mut rows: Vec<HotKeyRow> = worst
        .into_iter()
        .map(|(target, (hottest_key, max))| HotKeyRow {
            layout: layout.to_owned(),
            target: target.to_owned(),
            keys: keys_seen.get(target).map_or(0, |keys| keys.len()),
            hottest_key,
            max_units_per_second: max,
            under_budget: max < BUDGET,
        })
        .collect();
    rows.sort_by(|a, b| a.target.cmp(&b.target));
    Ok(rows)
}

/// Writes per rate-limit window item per second when every one of `limit` requests a second is
/// counted on its own (the worst case: leases only make fewer writes), each on a random item.
fn simulate_windows(limit: u32, layout: &str) -> Vec<HotKeyRow> {
    let (shards, _) = rate_window_shards(limit);
    let mut max = 0;
    let mut hottest = 0;
    for _ in 0..SECONDS {
        let mut counts = vec![0u32; shards as usize];
        for _ in 0..limit {
            counts[rand::random_range(0..shards) as usize] += 1;
        }
        for (shard, count) in counts.into_iter().enumerate() {
            if count > max {
                (max, hottest) = (count, shard);
            }
        }
    }
    vec![HotKeyRow {
        layout: layout.to_owned(),
        target: "rate-limit windows".to_owned(),
        keys: shards as usize,
        hottest_key: format!("RATE#<merchant>#<second>#{hottest}"),
        max_units_per_second: max,
        under_budget: max < BUDGET,
    }]
}

fn print_hot_keys(rows: &[HotKeyRow]) {
    println!(
        "\n## One merchant at {CREATES_PER_SECOND} creates/s for {SECONDS} s: write units per key per second (budget {BUDGET})\n"
    );
    println!(
        "| layout | table or index | keys written | hottest key | max WCU/s on one key | under {BUDGET} |"
    );
    println!("|---|---|---:|---|---:|---|");
    for row in rows {
        println!(
            "| {} | {} | {} | `{}` | {} | {} |",
            row.layout,
            row.target,
            row.keys,
            row.hottest_key,
            row.max_units_per_second,
            if row.under_budget { "yes" } else { "**no**" }
        );
    }
}
