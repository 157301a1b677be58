//! `make bench` (sweeper part): seeds N due sessions in a fresh table on DynamoDB Local and times
//! one sweep over them. Usage: `cargo run -p integration-tests --example sweep_bench -- [N]`.

use std::time::Instant;

use checkout_api::service::{create_session, sweeper};
use futures::stream::{self, StreamExt};
use integration_tests::TestEnv;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let env = TestEnv::new().await;
    let created = env.merchant().await;
    let merchant = env
        .app
        .store
        .get_merchant_eventually(&created.merchant_id)
        .await
        .ok()
        .flatten()
        .expect("the merchant exists");

    let seeding = Instant::now();
    let app = &env.app;
    let merchant = &merchant;
    let failures = stream::iter(0..count)
        .map(|i| async move {
            let body =
                format!(r#"{{"amount": "10.00", "orderId": "bench-{i}", "expiresIn": "PT1M"}}"#);
            create_session(
                app,
                merchant,
                body.as_bytes(),
                None,
                "http://127.0.0.1:9000",
            )
            .await
        })
        .buffer_unordered(32)
        .filter(|result| std::future::ready(result.is_err()))
        .count()
        .await;
    assert_eq!(failures, 0, "every session was created");
    let seeded_in = seeding.elapsed();

    env.clock.advance(time::Duration::minutes(2));
    let sweeping = Instant::now();
    let report = sweeper::sweep(&env.app, env.app.now(), None)
        .await
        .expect("the sweep ran");
    let swept_in = sweeping.elapsed();
    assert_eq!(report.expired, count);

    let per_second = count as f64 / swept_in.as_secs_f64();
    println!("sweeper benchmark (debug build, DynamoDB Local in-memory, 2 cores)");
    println!(
        "  sessions seeded          {count} in {:.1} s",
        seeded_in.as_secs_f64()
    );
    println!(
        "  one sweep expired        {} in {:.1} s",
        report.expired,
        swept_in.as_secs_f64()
    );
    println!(
        "  throughput               {per_second:.0} sessions/s (GetItem + 3-item transaction each)"
    );
    println!(
        "  per 50 s Lambda run      ~{:.0} sessions; a larger backlog continues on the next minute",
        per_second * 50.0
    );
}
