#!/usr/bin/env bash
# `make fuzz` (and the last step of `make test`): schemathesis against every operation of
# openapi.yaml, the hosted page's included, checking every answer against it. The API is served
# by `local-api` (tests/src/bin/local-api.rs): the functions' own handlers over real HTTP, in one
# process, with a DynamoDB Local and a table of their own and the deployment's default settings.
# Not `make dev`'s emulator: its router rewrites what it cannot put in an event and was seen
# losing answers, and a fuzzing run must forgive nothing (docs/decisions.md). It never reuses a
# server that happens to be running: it starts its own, on a free port.
#
# Fails on any 5xx, any answer outside the documented statuses, headers, content types and
# schemas, schema-breaking data accepted, auth ignored, a crash — and when the run did not reach
# what it claims to test (no key, no sessions made and followed, no page shown).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

EXAMPLES="${FUZZ_EXAMPLES:-150}"
WORKERS="${FUZZ_WORKERS:-1}"
ensure_java
dynamodb_local_dir >/dev/null
ensure_schemathesis

log "building local-api (the handlers over HTTP) for the fuzzing run"
cargo build --quiet -p integration-tests --bin local-api
server_out="$LOCAL/fuzz-server.json"
rm -f "$server_out"
"${CARGO_TARGET_DIR:-$ROOT/target}/debug/local-api" >"$server_out" 2>"$LOCAL/fuzz-server.log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  [ -s "$server_out" ] && break
  kill -0 "$server" 2>/dev/null || { tail -20 "$LOCAL/fuzz-server.log"; exit 1; }
  sleep 0.2
done
read -r base key < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["baseUrl"], d["apiKey"])' "$server_out")
case "$key" in
  sk_test_?*) ;;
  *) log "local-api gave no API key (got '$key'): a fuzzing run without one tests only the 401"; exit 1 ;;
esac
status="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$base/v1/checkout/sessions")"
if [ "$status" != 200 ]; then
  log "the fuzzing key is refused ($status): the run would test only the 401"
  exit 1
fi

log "schemathesis against $base: up to $EXAMPLES cases per operation"
# Run from .local so that schemathesis keeps its cache there, out of the watched tree.
cd "$LOCAL"
export PYTHONPATH="$ROOT/scripts" SCHEMATHESIS_HOOKS=fuzz_hooks FUZZ_COUNTS="$LOCAL/fuzz-counts.json"
# The run's own key must outlive it: the hooks send its rolls and revocations to an unknown id.
FUZZ_KEY_ID="key_$(printf '%s' "$key" | sha256sum | cut -c1-24)"
export FUZZ_KEY_ID
rm -rf "$LOCAL/fuzz-report" "$FUZZ_COUNTS"
status=0
"$LOCAL/venv-fuzz/bin/schemathesis" --config-file "$ROOT/scripts/schemathesis.toml" run "$ROOT/openapi.yaml" --url "$base" \
  --header "Authorization: Bearer $key" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,negative_data_rejection,ignored_auth,use_after_free \
  --max-examples "$EXAMPLES" --workers "$WORKERS" \
  --generation-deterministic \
  --report ndjson --report-dir "$LOCAL/fuzz-report" \
  --request-timeout 30 || status=$?
# What the run reached, and the closing count `make test` adds up.
python3 "$ROOT/scripts/fuzz_reach.py" "$FUZZ_COUNTS" "$status" "$LOCAL/fuzz-report"
