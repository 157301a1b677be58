#!/usr/bin/env bash
# `make dev`: the whole stack on this machine, no Docker and no AWS account.
#   DynamoDB Local on 127.0.0.1:8000 (data kept in .local/dynamodb-data), the table from
#   template.yaml, every function under `cargo lambda watch` on http://127.0.0.1:9000, the
#   non-HTTP triggers emulated by invoking the same binaries (webhook dispatcher every 2 s, expiry
#   sweeper every minute), and a demo merchant whose key is printed with a curl to try.
#   Ctrl-C stops everything it started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

DYNAMODB_PORT=8000
API_PORT=9000
DEMO_PAGES_PORT=9001
DATA="$LOCAL/dynamodb-data"
DEMO="$DATA/demo-merchant.json"

export DYNAMODB_ENDPOINT="http://127.0.0.1:$DYNAMODB_PORT"
export TABLE_NAME="checkout-sessions"
export PUBLIC_BASE_URL="http://127.0.0.1:$API_PORT"
# The three signing keys (tokens, cursors, cookies) as a deployment's Secrets Manager secrets
# hold them, made once on this machine (docs/operations.md, "Signing keys").
export SECRETS_FILE="$LOCAL/secrets.json"
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1

if [ ! -s "$SECRETS_FILE" ]; then
  mkdir -p "$LOCAL"
  key() { head -c 48 /dev/urandom | base64 | tr -d '+/=\n'; }
  (
    umask 077
    printf '{"tokens": {"current": "%s"}, "cursors": {"current": "%s"}, "cookies": {"current": "%s"}}\n' \
      "$(key)" "$(key)" "$(key)" >"$SECRETS_FILE"
  )
fi

step "tools: Java, DynamoDB Local, cargo-lambda and zig (installed when missing)"
ensure_java
dynamodb_local_dir >/dev/null
ensure_cargo_lambda
export PATH="$VENV/bin:$PATH"

started=()
stop_all() {
  trap - EXIT INT TERM
  if [ ${#started[@]} -gt 0 ]; then
    log "stopping"
    kill "${started[@]}" 2>/dev/null || true
    wait "${started[@]}" 2>/dev/null || true
  fi
}
trap stop_all EXIT INT TERM

if (exec 3<>"/dev/tcp/127.0.0.1/$DYNAMODB_PORT") 2>/dev/null; then
  log "something already listens on $DYNAMODB_PORT; using it as DynamoDB Local"
else
  step "starting DynamoDB Local on 127.0.0.1:$DYNAMODB_PORT (data in .local/dynamodb-data)"
  start_dynamodb_local "$DYNAMODB_PORT" "$DATA"
  started+=("$DYNAMODB_LOCAL_PID")
  wait_for_port "$DYNAMODB_PORT" "DynamoDB Local"
fi

step "building every function and checkoutctl (the first build takes a few minutes)"
# What make dev runs, and nothing else: the bench, the floors and the test server would add
# their own crates and links to a first start (docs/performance.md).
packages=(--package=checkoutctl)
for dir in functions/*/; do packages+=("--package=$(basename "$dir")"); done
cargo build "${packages[@]}"

checkoutctl() { "${CARGO_TARGET_DIR:-$ROOT/target}/debug/checkoutctl" "$@"; }
step "creating table $TABLE_NAME from template.yaml (if absent)"
checkoutctl table create >/dev/null

if [ ! -s "$DEMO" ]; then
  step "seeding the demo merchant"
  checkoutctl merchant create --name "Demo Shop" \
    --success-url "http://127.0.0.1:$DEMO_PAGES_PORT/demo/success" \
    --cancel-url "http://127.0.0.1:$DEMO_PAGES_PORT/demo/cancel" \
    --webhook-url "http://127.0.0.1:4000/hook" >"$DEMO.tmp"
  mv "$DEMO.tmp" "$DEMO"
fi
API_KEY="$(sed -n 's/.*"apiKey": *"\([^"]*\)".*/\1/p' "$DEMO")"
WEBHOOK_SECRET="$(sed -n 's/.*"webhookSecret": *"\([^"]*\)".*/\1/p' "$DEMO")"

step "serving the functions on http://127.0.0.1:$API_PORT"
# RUST_LOG goes through a file: --env-var splits its value at commas, which filters use.
printf 'RUST_LOG="%s"\n' "${DEV_RUST_LOG:-info}" >"$LOCAL/functions.env"
# shellcheck disable=SC2086 # DEV_WATCH_FLAGS is a list of flags (e.g. --ignore-changes)
# --disable-cors: the router would otherwise answer every Origin with itself and
# Access-Control-Allow-Credentials, letting any local page read the dashboard with its cookie;
# deployed, API Gateway sends no CORS headers either (docs/decisions.md).
cargo lambda watch ${DEV_WATCH_FLAGS:-} --disable-cors --invoke-address 127.0.0.1 --invoke-port "$API_PORT" \
  --concurrency "${DEV_CONCURRENCY:-4}" \
  --env-var "DYNAMODB_ENDPOINT=$DYNAMODB_ENDPOINT,TABLE_NAME=$TABLE_NAME,PUBLIC_BASE_URL=$PUBLIC_BASE_URL,SECRETS_FILE=$SECRETS_FILE,AWS_ACCESS_KEY_ID=local,AWS_SECRET_ACCESS_KEY=local,AWS_REGION=us-east-1,ALLOW_PRIVATE_WEBHOOK_TARGETS=true,LOG_TIMESTAMPS=true" \
  --env-file "$LOCAL/functions.env" &
started+=("$!")
wait_for_port "$API_PORT" "cargo lambda watch"

# The demo merchant's own success and cancel pages: what came back, and the session it names.
python3 scripts/demo_pages.py "$DEMO_PAGES_PORT" "http://127.0.0.1:$API_PORT" "$API_KEY" &
started+=("$!")
# A demo merchant seeded before these pages existed is pointed at them too.
curl -s -o /dev/null -X PATCH "http://127.0.0.1:$API_PORT/v1/account" \
  -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
  -d "{\"successUrl\": \"http://127.0.0.1:$DEMO_PAGES_PORT/demo/success\", \"cancelUrl\": \"http://127.0.0.1:$DEMO_PAGES_PORT/demo/cancel\"}" || true

# The deployed dispatcher also runs on the table's stream; locally its scheduled mode, every two
# seconds, delivers new events as well (it takes every event that is due, new ones included).
invoke() {
  cargo lambda invoke "$1" --invoke-address 127.0.0.1 --invoke-port "$API_PORT" \
    --data-file events/schedule.json >>"$LOCAL/triggers.log" 2>&1 || true
}
(
  tick=0
  while true; do
    invoke webhook-dispatcher
    invoke payment-settler
    if [ $((tick % 30)) -eq 0 ]; then invoke expiry-sweeper; fi
    tick=$((tick + 1))
    sleep 2
  done
) &
started+=("$!")

MERCHANT_ID="$(sed -n 's/.*"merchantId": *"\([^"]*\)".*/\1/p' "$DEMO")"
DASHBOARD_LINK="$(checkoutctl dashboard link "$MERCHANT_ID" --base-url "http://127.0.0.1:$API_PORT" |
  sed -n 's/.*"url": *"\([^"]*\)".*/\1/p')"

# How long each step took: a fresh clone should be here within 3 minutes (docs/performance.md).
steps_summary

cat <<INFO

  Checkout API:     http://127.0.0.1:$API_PORT
  Dashboard:        http://127.0.0.1:$API_PORT/dashboard/   (sign in with the key below)
    one-time link:  $DASHBOARD_LINK
                    (works once, for 15 minutes; another: checkoutctl dashboard link $MERCHANT_ID)
  Demo shop pages:  http://127.0.0.1:$DEMO_PAGES_PORT/demo/success and /demo/cancel (where payers return)
  DynamoDB Local:   $DYNAMODB_ENDPOINT   (table $TABLE_NAME)
  Demo merchant:    $(cat "$DEMO")

  Create a session:

    curl -s http://127.0.0.1:$API_PORT/v1/checkout/sessions \\
      -H 'Authorization: Bearer $API_KEY' \\
      -H 'Content-Type: application/json' \\
      -H 'Idempotency-Key: demo-1' \\
      -d '{"amount": "10.50", "currency": "USD", "orderId": "order_1", "description": "Demo order"}'

  Watch webhooks arrive (signatures checked), in another terminal:

    cargo run -q -p checkoutctl -- webhook listen --port 4000 --secret '$WEBHOOK_SECRET'

  then cancel a session:  curl -s -X POST http://127.0.0.1:$API_PORT/v1/checkout/sessions/cs_…/cancel \
      -H 'Authorization: Bearer $API_KEY'

  Ctrl-C stops everything.

INFO
# Runs until Ctrl-C, or until either service dies (then the trap stops the other).
wait -n "${started[@]}"
