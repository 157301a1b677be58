#!/usr/bin/env bash
# `make mutants`: cargo-mutants over the money and domain-type modules (the fee schedule is in
# money/), judged by shared's unit tests alone, each mutant's test run time-boxed. Prints caught
# and missed counts; the missed ones are listed in .local/mutants.out/missed.txt. Not part of
# `make test` (it rebuilds shared once per mutant: tens of minutes on 2 cores).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
ensure_cargo_mutants
"$LOCAL/cargo/bin/cargo-mutants" mutants --package shared \
  --file 'shared/src/money/*.rs' --file 'shared/src/domain/*.rs' \
  --timeout "${MUTANTS_TIMEOUT:-60}" --output "$LOCAL" --no-shuffle "$@" -- --lib
