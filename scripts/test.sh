#!/usr/bin/env bash
# `make test`: the template lint, formatting, clippy, every test of the workspace, then the
# contract fuzzing run (scripts/fuzz.sh) against the local stack. The integration tests start
# their own in-memory DynamoDB Local unless DYNAMODB_ENDPOINT is set.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

ensure_java
dynamodb_local_dir >/dev/null
ensure_cfn_lint
ensure_chromium

log "cfn-lint template.yaml"
"$VENV/bin/cfn-lint" template.yaml

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

if [ "${1:-}" = "--lint-only" ]; then exit 0; fi

log "cargo test --workspace"
# Doc tests are skipped: no crate has examples in its docs, and they would only print empty runs.
set +e
cargo test --workspace --tests 2>&1 | tee "$LOCAL/test-output.log"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ {
       for (i = 2; i <= NF; i++) {
         if ($i == "passed;") passed += $(i - 1)
         if ($i == "failed;") failed += $(i - 1)
       }
     }
     END { printf "cargo-test: %d passed, %d failed\n", passed, failed }' "$LOCAL/test-output.log"
if [ "$status" -ne 0 ]; then exit "$status"; fi

log "contract fuzzing (schemathesis against the local stack)"
# 100 cases per operation come to about 1,800 requests; `make fuzz` alone runs 150.
FUZZ_EXAMPLES="${FUZZ_EXAMPLES:-100}" bash scripts/fuzz.sh
