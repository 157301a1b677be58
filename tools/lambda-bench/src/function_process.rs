//! One function binary running as Lambda runs it: a process told where its Runtime API is, whose
//! init, CPU time and peak memory are read from the outside (`/proc`).

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::BenchResult;
use crate::runtime_api::RuntimeApi;

/// A started function and its stand-in Runtime API.
pub struct FunctionProcess {
    child: Child,
    pid: u32,
    /// The stand-in this process polls.
    pub api: RuntimeApi,
    /// Time from exec to the first `GET /runtime/invocation/next`.
    pub init: Duration,
}

impl FunctionProcess {
    /// Starts `binary` with `env` (plus the variables Lambda sets) and waits for its init to end.
    pub async fn start(
        binary: &Path,
        env: &[(String, String)],
        log: &Path,
    ) -> BenchResult<FunctionProcess> {
        let api = RuntimeApi::start().await?;
        let name = binary
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("function")
            .to_owned();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        let mut command = Command::new(binary);
        command
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", &name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        let started = Instant::now();
        let child = command.spawn()?;
        let pid = child.id().ok_or("the function exited at once")?;
        let first_poll = api.first_poll(Duration::from_secs(30)).await?;
        Ok(FunctionProcess {
            child,
            pid,
            api,
            init: first_poll.saturating_duration_since(started),
        })
    }

    /// User plus system CPU time the process has used so far.
    pub fn cpu_time(&self, ticks_per_second: u64) -> BenchResult<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))?;
        // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
        let after_name = stat.rsplit_once(") ").map(|(_, rest)| rest).ok_or("stat")?;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks: u64 = fields
            .get(11..13)
            .ok_or("stat fields")?
            .iter()
            .map(|f| f.parse::<u64>())
            .sum::<Result<u64, _>>()?;
        Ok(Duration::from_secs_f64(
            ticks as f64 / ticks_per_second as f64,
        ))
    }

    /// The process's peak resident memory so far, in KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> BenchResult<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        let line = status
            .lines()
            .find(|line| line.starts_with("VmHWM:"))
            .ok_or("no VmHWM")?;
        Ok(line
            .split_whitespace()
            .nth(1)
            .ok_or("VmHWM value")?
            .parse()?)
    }

    /// Stops the process.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
