#!/usr/bin/env bash
# `make test`: the template lint, formatting, clippy, and every test of the workspace. The
# integration tests start their own in-memory DynamoDB Local unless DYNAMODB_ENDPOINT is set.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

ensure_java
dynamodb_local_dir >/dev/null
ensure_cfn_lint

log "cfn-lint template.yaml"
"$VENV/bin/cfn-lint" template.yaml

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

if [ "${1:-}" = "--lint-only" ]; then exit 0; fi

log "cargo test --workspace"
cargo test --workspace
