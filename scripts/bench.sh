#!/usr/bin/env bash
# `make bench`: release builds of every function and of a hello-world floor, run as Lambda runs
# them against DynamoDB Local; prints the tables and writes target/bench/lambda-bench.json. Then
# the sweeper over 10,000 due sessions. Nothing here asserts on time; tests assert behaviour.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
ensure_java
dynamodb_local_dir >/dev/null

log "cargo build --release (every function, the floor and the bench; over 30 min from nothing on 2 cores: each binary has its own LTO link)"
packages=(hello-floor hello-sdk-floor lambda-bench)
for dir in functions/*/; do packages+=("$(basename "$dir")"); done
cargo build --release "${packages[@]/#/--package=}"

log "zipping each binary as the deployed artifact (bootstrap in a zip)"
mkdir -p target/bench/zip
python3 - <<'PY'
import pathlib, zipfile
root = pathlib.Path("target")
names = [p.name for p in pathlib.Path("functions").iterdir() if p.is_dir()] + ["hello-floor", "hello-sdk-floor"]
for name in names:
    with zipfile.ZipFile(root / "bench" / "zip" / f"{name}.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, (root / "release" / name).read_bytes())
PY

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
log "DynamoDB Local (in memory) on 127.0.0.1:$port"
start_dynamodb_local "$port" inMemory
trap 'kill "$DYNAMODB_LOCAL_PID" 2>/dev/null || true' EXIT
wait_for_port "$port" "DynamoDB Local"

DYNAMODB_ENDPOINT="http://127.0.0.1:$port" CLK_TCK="$(getconf CLK_TCK)" \
  target/release/lambda-bench | tee target/bench/lambda-bench.md

if [ "${BENCH_SWEEP:-1}" != 0 ]; then
  log "sweeper: ${SWEEP_SESSIONS:-10000} due sessions, one sweep"
  RUST_LOG=warn cargo run -q -p integration-tests --example sweep_bench -- "${SWEEP_SESSIONS:-10000}"
fi
