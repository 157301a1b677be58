#!/usr/bin/env bash
# `make test`: the template lint, formatting, clippy, every test of the workspace, then the
# contract fuzzing run (scripts/fuzz.sh) against the local stack. The integration tests start
# their own in-memory DynamoDB Local unless DYNAMODB_ENDPOINT is set.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
trap steps_summary EXIT

step "tools: Java, DynamoDB Local, cfn-lint, Chromium, axe-core (installed when missing)"
ensure_java
dynamodb_local_dir >/dev/null
ensure_cfn_lint
ensure_chromium
AXE_CORE_JS="$(axe_core_js)"
export AXE_CORE_JS

step "cfn-lint template.yaml (every rule, the informational and experimental ones too)"
"$VENV/bin/cfn-lint" --include-checks I --include-experimental -- template.yaml

step "redocly lint openapi.yaml (its recommended rules; a warning fails too)"
redocly="$(redocly_cli)"
summary="$("$redocly" lint --format=summary openapi.yaml 2>&1)" && lint_status=0 || lint_status=$?
if [ "$lint_status" != 0 ] || grep -q '^warning' <<<"$summary"; then
  "$redocly" lint openapi.yaml >&2 || true
  log "openapi.yaml has lint problems (above)"
  exit 1
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

if [ "${1:-}" = "--lint-only" ]; then exit 0; fi

step "cargo test --workspace"
# Doc tests are skipped: no crate has examples in its docs, and they would only print empty runs.
# Eight tests at a time on two cores: the API tests mostly wait on DynamoDB Local (this took the
# API suite from 127 to 84 s here); the browser tests take turns, two browsers at once.
set +e
RUST_TEST_THREADS="${RUST_TEST_THREADS:-8}" cargo test --workspace --tests 2>&1 | tee "$LOCAL/test-output.log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -eq 0 ]; then
  step "a slice of the integration tests again, under the deployment's default settings"
  # Rate limits on, the 5 s auth cache, no private webhook targets (tests/src/lib.rs). Left out:
  # the tests that revoke a key and expect the next request refused, turn limits on themselves or
  # send webhooks to 127.0.0.1; each of those behaviours has its own test.
  set +e
  TEST_DEPLOYED_DEFAULTS=1 RUST_TEST_THREADS="${RUST_TEST_THREADS:-8}" cargo test -p integration-tests --test api -- \
    create:: checkout:: lifecycle:: listing:: validation:: concurrency:: sweeper:: storage:: \
    sample_events:: defects:: processing:: updates:: account:: 2>&1 | tee "$LOCAL/test-deployed-output.log"
  status=${PIPESTATUS[0]}
  set -e
  cat "$LOCAL/test-deployed-output.log" >>"$LOCAL/test-output.log"
fi
read -r cargo_passed cargo_failed < <(awk '/^test result:/ {
       for (i = 2; i <= NF; i++) {
         if ($i == "passed;") passed += $(i - 1)
         if ($i == "failed;") failed += $(i - 1)
       }
     }
     END { printf "%d %d\n", passed, failed }' "$LOCAL/test-output.log")
echo "cargo-test: $cargo_passed passed, $cargo_failed failed"
if [ "$status" -ne 0 ]; then
  echo "make-test: $cargo_passed passed, $((cargo_failed > 0 ? cargo_failed : 1)) failed"
  exit "$status"
fi

step "contract fuzzing (schemathesis against the handlers over HTTP)"
# 100 cases per operation come to about 1,700 requests; `make fuzz` alone runs 150.
set +e
FUZZ_EXAMPLES="${FUZZ_EXAMPLES:-100}" bash scripts/fuzz.sh 2>&1 | tee "$LOCAL/fuzz-output.log"
status=${PIPESTATUS[0]}
set -e
read -r fuzz_passed fuzz_failed < <(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$LOCAL/fuzz-output.log" | tail -n 1)
fuzz_passed=${fuzz_passed:-0}
fuzz_failed=${fuzz_failed:-0}
if [ "$status" -ne 0 ] && [ "$fuzz_failed" -eq 0 ]; then fuzz_failed=1; fi
# One line that counts everything this command ran: the Rust tests and every fuzzed request.
echo "make-test: $((cargo_passed + fuzz_passed)) passed, $fuzz_failed failed"
exit "$status"
