#!/usr/bin/env bash
# `make bench`: prints figures. Nothing here asserts on time; tests assert behaviour.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
ensure_java
dynamodb_local_dir >/dev/null
log "sweeper: 10,000 due sessions, one sweep"
RUST_LOG=warn cargo run -q -p integration-tests --example sweep_bench -- "${SWEEP_SESSIONS:-10000}"
