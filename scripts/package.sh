#!/usr/bin/env bash
# `make package`: `sam validate --lint`, then `sam build` (BuildMethod rust-cargolambda: cargo-lambda
# cross-compiles each function for arm64 with zig; no Docker), then each artifact and its size.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
ensure_cargo_lambda
ensure_sam
# cargo-lambda and zig come from the tools venv; SAM sends no telemetry from here.
export PATH="$VENV/bin:$PATH" SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
sam="$LOCAL/venv-sam/bin/sam"

log "sam validate --lint"
"$sam" validate --lint --template template.yaml

log "sam build (release, arm64; the first build takes a while)"
"$sam" build --template template.yaml --build-dir .aws-sam/build

log "artifacts"
python3 - <<'PY'
import io, pathlib, zipfile
rows = []
for bootstrap in sorted(pathlib.Path(".aws-sam/build").glob("*/bootstrap")):
    data = bootstrap.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("bootstrap", data)
    rows.append((bootstrap.parent.name, len(data), len(buffer.getvalue())))
print(f"{'function':<28} {'bootstrap':>12} {'zipped':>12}")
for name, size, zipped in rows:
    print(f"{name:<28} {size / 1e6:>9.2f} MB {zipped / 1e6:>9.2f} MB")
if not rows:
    raise SystemExit("no artifacts were built")
PY
