#!/usr/bin/env bash
# `make mutants`: cargo-mutants over the money and domain-type modules (the fee schedule is in
# money/), judged by checkout-domain's unit tests alone, each mutant's test run time-boxed. Prints caught
# and missed counts; the missed ones are listed in .local/mutants.out/missed.txt. Not part of
# `make test` (it rebuilds the domain crate once per mutant: about 10 minutes on 2 cores).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
ensure_cargo_mutants
"$LOCAL/cargo/bin/cargo-mutants" mutants --package checkout-domain \
  --file 'shared/domain/src/money/*.rs' --file 'shared/domain/src/values/*.rs' \
  --timeout "${MUTANTS_TIMEOUT:-60}" --output "$LOCAL" --no-shuffle "$@" -- --lib
