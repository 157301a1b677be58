//! Cold starts: init (exec to the first poll of the Runtime API) per function beside the
//! hello-world floor, and the first request (init plus the first invocation, DynamoDB client's
//! first call included) per API function, with and without the warm-up read in init.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::{Bench, FLOOR, FUNCTIONS, SDK_FLOOR, expect_success};
use crate::BenchResult;
use crate::stats::{median, ms, ratio};

/// The functions whose first request is measured, each with a request it answers with success.
const FIRST_REQUEST: [&str; 6] = [
    "create-session",
    "get-session",
    "list-sessions",
    "list-events",
    "issue-token",
    "checkout-page",
];

#[derive(Serialize)]
pub struct InitRow {
    function: String,
    init_ms: f64,
    vs_floor: f64,
    vs_sdk_floor: f64,
    init_with_warm_up_ms: f64,
}

#[derive(Serialize)]
pub struct FirstRequestRow {
    function: String,
    warm_up: bool,
    init_ms: f64,
    first_invocation_ms: f64,
    total_ms: f64,
}

impl Bench {
    pub(super) async fn init(&self) -> BenchResult<Vec<InitRow>> {
        let mut plain: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
        let mut warmed: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
        // Round 0 fills the page cache and is not counted; rounds interleave the functions so
        // that the machine's drift touches all alike.
        for round in 0..=self.settings.init_runs {
            for name in FUNCTIONS.iter().chain([&SDK_FLOOR, &FLOOR]) {
                for (warm_up, samples) in [("off", &mut plain), ("on", &mut warmed)] {
                    let process = self.start(name, None, &[("WARM_UP", warm_up)]).await?;
                    if round > 0 {
                        samples.entry(name).or_default().push(process.init);
                    }
                    process.stop().await;
                }
            }
        }
        let floor = median(&plain[FLOOR]);
        let sdk_floor = median(&plain[SDK_FLOOR]);
        let rows: Vec<InitRow> = FUNCTIONS
            .iter()
            .chain([&SDK_FLOOR, &FLOOR])
            .map(|name| InitRow {
                function: (*name).to_owned(),
                init_ms: ms(median(&plain[name])),
                vs_floor: ratio(median(&plain[name]), floor),
                vs_sdk_floor: ratio(median(&plain[name]), sdk_floor),
                init_with_warm_up_ms: ms(median(&warmed[name])),
            })
            .collect();
        println!(
            "\n## Init: exec to first Runtime API poll (median of {} runs)\n",
            self.settings.init_runs
        );
        println!("| function | init | vs floor | vs SDK floor | init with warm-up read |");
        println!("|---|---:|---:|---:|---:|");
        for row in &rows {
            println!(
                "| {} | {:.2} ms | {:.2}× | {:.2}× | {:.2} ms |",
                row.function, row.init_ms, row.vs_floor, row.vs_sdk_floor, row.init_with_warm_up_ms
            );
        }
        Ok(rows)
    }

    pub(super) async fn first_request(&self) -> BenchResult<Vec<FirstRequestRow>> {
        let mut rows = Vec::new();
        let session = self.seed_session().await?;
        for name in FIRST_REQUEST.iter().chain([&FLOOR]) {
            for warm_up in [false, true] {
                let mut inits = Vec::new();
                let mut firsts = Vec::new();
                let mut totals = Vec::new();
                for _ in 0..self.settings.runs {
                    let flag = if warm_up { "on" } else { "off" };
                    let process = self.start(name, None, &[("WARM_UP", flag)]).await?;
                    let event = self.request_for(name, &session.id)?;
                    let (outcome, first) = process.api.invoke(event.payload()).await?;
                    expect_success(name, &outcome)?;
                    inits.push(process.init);
                    firsts.push(first);
                    totals.push(process.init + first);
                    process.stop().await;
                }
                rows.push(FirstRequestRow {
                    function: (*name).to_owned(),
                    warm_up,
                    init_ms: ms(median(&inits)),
                    first_invocation_ms: ms(median(&firsts)),
                    total_ms: ms(median(&totals)),
                });
            }
        }
        println!(
            "\n## First request: init + first invocation, DynamoDB client's first call included (median of {} runs)\n",
            self.settings.runs
        );
        println!("| function | warm-up read in init | init | first invocation | total |");
        println!("|---|---|---:|---:|---:|");
        for row in &rows {
            println!(
                "| {} | {} | {:.2} ms | {:.2} ms | {:.2} ms |",
                row.function,
                if row.warm_up { "yes" } else { "no" },
                row.init_ms,
                row.first_invocation_ms,
                row.total_ms
            );
        }
        Ok(rows)
    }
}
