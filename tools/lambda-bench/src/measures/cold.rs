//! Cold starts: init (exec to the first poll of the Runtime API) per function beside the
//! hello-world floor and the SDK floor, the SDK floor's own steps one by one, and the first
//! request (init plus the first invocation, DynamoDB client's first call included) per API
//! function, with and without the warm-up read in init.

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
    init_with_warm_up_ms: Option<f64>,
}

#[derive(Serialize)]
pub struct FloorStepRow {
    steps: String,
    init_ms: f64,
    vs_floor: f64,
}

/// The SDK floor's steps (`FLOOR_STEPS`), one at a time: what each adds to the bare floor's init.
const FLOOR_STEPS: [(&str, &str); 4] = [
    ("none", "SDK and the API crate linked, nothing run"),
    ("logging", "+ JSON logging"),
    ("client", "+ DynamoDB client (no logging)"),
    ("logging,client", "+ logging and client (the SDK floor)"),
];

#[derive(Serialize)]
pub struct FirstRequestRow {
    function: String,
    warm_up: bool,
    init_ms: f64,
    first_invocation_ms: f64,
    total_ms: f64,
}

/// One way of starting a binary whose init is measured.
struct InitSubject {
    binary: &'static str,
    env: Vec<(&'static str, &'static str)>,
}

/// The binaries whose init is measured: each function with and without its warm-up read, the
/// two floors, and the SDK floor at each of its steps.
fn init_subjects() -> Vec<InitSubject> {
    let mut subjects: Vec<InitSubject> = Vec::new();
    for name in FUNCTIONS {
        for warm_up in ["off", "on"] {
            subjects.push(InitSubject {
                binary: name,
                env: vec![("WARM_UP", warm_up)],
            });
        }
    }
    for name in [SDK_FLOOR, FLOOR] {
        subjects.push(InitSubject {
            binary: name,
            env: Vec::new(),
        });
    }
    for (steps, _) in FLOOR_STEPS {
        subjects.push(InitSubject {
            binary: SDK_FLOOR,
            env: vec![("FLOOR_STEPS", steps)],
        });
    }
    subjects
}

impl Bench {
    pub(super) async fn init(&self) -> BenchResult<(Vec<InitRow>, Vec<FloorStepRow>)> {
        let subjects = init_subjects();
        let samples = self.init_samples(&subjects).await?;
        let median_of = |binary: &str, env: &[(&str, &str)]| {
            subjects
                .iter()
                .zip(&samples)
                .find(|(s, _)| s.binary == binary && s.env == env)
                .map(|(_, samples)| median(samples))
                .unwrap_or_default()
        };
        let floor = median_of(FLOOR, &[]);
        let sdk_floor = median_of(SDK_FLOOR, &[]);
        let mut rows: Vec<InitRow> = Vec::new();
        for name in FUNCTIONS {
            let plain = median_of(name, &[("WARM_UP", "off")]);
            rows.push(InitRow {
                function: name.to_owned(),
                init_ms: ms(plain),
                vs_floor: ratio(plain, floor),
                vs_sdk_floor: ratio(plain, sdk_floor),
                init_with_warm_up_ms: Some(ms(median_of(name, &[("WARM_UP", "on")]))),
            });
        }
        for name in [SDK_FLOOR, FLOOR] {
            let plain = median_of(name, &[]);
            rows.push(InitRow {
                function: name.to_owned(),
                init_ms: ms(plain),
                vs_floor: ratio(plain, floor),
                vs_sdk_floor: ratio(plain, sdk_floor),
                init_with_warm_up_ms: None,
            });
        }
        let steps: Vec<FloorStepRow> = FLOOR_STEPS
            .iter()
            .map(|(steps, label)| {
                let init = median_of(SDK_FLOOR, &[("FLOOR_STEPS", steps)]);
                FloorStepRow {
                    steps: (*label).to_owned(),
                    init_ms: ms(init),
                    vs_floor: ratio(init, floor),
                }
            })
            .collect();
        self.print_init(&rows, &steps, floor);
        Ok((rows, steps))
    }

    /// Each subject's init times, one per counted round.
    async fn init_samples(&self, subjects: &[InitSubject]) -> BenchResult<Vec<Vec<Duration>>> {
        let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); subjects.len()];
        // A warm-up read leaves DynamoDB Local (a JVM on the same cores) busy with the closed
        // connection for a while, which slowed whatever started next: the starts that read run
        // after the others in each round. Those others run in a new order each round, so that no
        // start always follows the same one. Round 0 fills the page cache and is not counted.
        let (reading, mut quiet): (Vec<usize>, Vec<usize>) =
            (0..subjects.len()).partition(|&i| subjects[i].env.contains(&("WARM_UP", "on")));
        let mut order = Shuffle::new(self.settings.init_runs as u64);
        for round in 0..=self.settings.init_runs {
            order.shuffle(&mut quiet);
            for &i in quiet.iter().chain(&reading) {
                let subject = &subjects[i];
                let process = self.start(subject.binary, None, &subject.env).await?;
                if round > 0 {
                    samples[i].push(process.init);
                }
                process.stop().await;
            }
        }
        Ok(samples)
    }

    fn print_init(&self, rows: &[InitRow], steps: &[FloorStepRow], floor: Duration) {
        println!(
            "\n## Init: exec to first Runtime API poll (median of {} runs)\n",
            self.settings.init_runs
        );
        println!("| function | init | vs floor | vs SDK floor | init with warm-up read |");
        println!("|---|---:|---:|---:|---:|");
        for row in rows {
            let warmed = row
                .init_with_warm_up_ms
                .map_or_else(|| "–".to_owned(), |ms| format!("{ms:.2} ms"));
            println!(
                "| {} | {:.2} ms | {:.2}× | {:.2}× | {warmed} |",
                row.function, row.init_ms, row.vs_floor, row.vs_sdk_floor
            );
        }
        println!(
            "\n## The SDK floor step by step: what each of its steps adds to the hello-world floor (same rounds)\n"
        );
        println!("| hello-world floor | init | vs floor |");
        println!("|---|---:|---:|");
        println!("| as is | {:.2} ms | 1.00× |", ms(floor));
        for row in steps {
            println!(
                "| {} | {:.2} ms | {:.2}× |",
                row.steps, row.init_ms, row.vs_floor
            );
        }
    }

    pub(super) async fn first_request(&self) -> BenchResult<Vec<FirstRequestRow>> {
        let session = self.seed_session().await?;
        let subjects: Vec<(&str, bool)> = FIRST_REQUEST
            .iter()
            .chain([&FLOOR])
            .flat_map(|name| [(*name, false), (*name, true)])
            .collect();
        // (init, first invocation) per subject; rounds interleave the subjects, in a new order
        // each round, as for init.
        let mut samples: Vec<Vec<(Duration, Duration)>> = vec![Vec::new(); subjects.len()];
        let mut order: Vec<usize> = (0..subjects.len()).collect();
        let mut shuffle = Shuffle::new(self.settings.runs as u64);
        for _ in 0..self.settings.runs {
            shuffle.shuffle(&mut order);
            for &i in &order {
                let (name, warm_up) = subjects[i];
                let flag = if warm_up { "on" } else { "off" };
                let process = self.start(name, None, &[("WARM_UP", flag)]).await?;
                let event = self.request_for(name, session.id.as_str())?;
                let (outcome, first) = process.api.invoke(event.payload()).await?;
                expect_success(name, &outcome)?;
                samples[i].push((process.init, first));
                process.stop().await;
            }
        }
        let rows: Vec<FirstRequestRow> = subjects
            .iter()
            .zip(&samples)
            .map(|(&(name, warm_up), samples)| {
                let inits: Vec<Duration> = samples.iter().map(|s| s.0).collect();
                let firsts: Vec<Duration> = samples.iter().map(|s| s.1).collect();
                let totals: Vec<Duration> = samples.iter().map(|s| s.0 + s.1).collect();
                FirstRequestRow {
                    function: name.to_owned(),
                    warm_up,
                    init_ms: ms(median(&inits)),
                    first_invocation_ms: ms(median(&firsts)),
                    total_ms: ms(median(&totals)),
                }
            })
            .collect();
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

/// Fisher-Yates over xorshift64: a different order each round, the same orders in every run.
struct Shuffle(u64);

impl Shuffle {
    fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}
