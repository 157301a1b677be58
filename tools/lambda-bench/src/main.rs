//! `make bench`: every release function run as Lambda runs it (a process polling a stand-in
//! Runtime API) against DynamoDB Local, beside the floors: a hello-world `lambda_http` binary for
//! init and size, and the bare DynamoDB call of each operation for latency. Prints one table per
//! measure and writes them all to `target/bench/lambda-bench.json`. Figures, never assertions.

mod billing;
mod budgets;
mod dynamo_proxy;
mod events;
mod function_process;
mod measures;
mod runtime_api;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

pub use measures::Bench;

/// Errors end the run with their message; there is nobody to recover for.
pub type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// What the run is told by its environment (`scripts/bench.sh` sets these).
pub struct Settings {
    /// Where the release binaries are.
    pub bin_dir: PathBuf,
    /// Where the zipped artifacts are (`<name>.zip`).
    pub zip_dir: PathBuf,
    /// Where the report and function logs go.
    pub out_dir: PathBuf,
    /// DynamoDB Local.
    pub endpoint: String,
    /// Warm requests per operation.
    pub requests: usize,
    /// Runs per first-request measure (the median is reported).
    pub runs: usize,
    /// Runs per init measure: process starts are cheap, and their spread on a busy machine wide.
    pub init_runs: usize,
    /// `CLK_TCK`, for reading CPU time.
    pub ticks_per_second: u64,
}

impl Settings {
    fn from_env() -> BenchResult<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let number =
            |name: &str, default: usize| var(name).and_then(|v| v.parse().ok()).unwrap_or(default);
        Ok(Self {
            bin_dir: var("BENCH_BIN_DIR")
                .unwrap_or_else(|| "target/release".into())
                .into(),
            zip_dir: var("BENCH_ZIP_DIR")
                .unwrap_or_else(|| "target/bench/zip".into())
                .into(),
            out_dir: var("BENCH_OUT_DIR")
                .unwrap_or_else(|| "target/bench".into())
                .into(),
            endpoint: var("DYNAMODB_ENDPOINT").ok_or("DYNAMODB_ENDPOINT is not set")?,
            requests: number("BENCH_REQUESTS", 1000),
            runs: number("BENCH_RUNS", 11),
            init_runs: number("BENCH_INIT_RUNS", 61),
            ticks_per_second: number("CLK_TCK", 100) as u64,
        })
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("lambda-bench: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> BenchResult<()> {
    let settings = Settings::from_env()?;
    std::fs::create_dir_all(settings.out_dir.join("logs"))?;
    let bench = Bench::prepare(settings).await?;
    let report = bench.run_all().await?;
    budgets::print(&budgets::read()?, |step, measure| {
        report.measured(step, measure)
    });
    let path = bench.settings.out_dir.join("lambda-bench.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&report)?)?;
    eprintln!("written: {}", path.display());
    Ok(())
}
