# The two commands a newcomer needs; each installs what it is missing (see scripts/tools.sh).
.PHONY: dev test lint bench fuzz checks package mutants

## make dev: DynamoDB Local + every function under `cargo lambda watch` on http://127.0.0.1:9000
dev:
	@bash scripts/dev.sh

## make test: cfn-lint, rustfmt, clippy and every test (DynamoDB Local started by the tests)
test:
	@bash scripts/test.sh

## make lint: the static checks of make test alone
lint:
	@bash scripts/test.sh --lint-only

## make bench: release functions against the floors; figures, never assertions on time
bench:
	@bash scripts/bench.sh

## make fuzz: schemathesis against the handlers over HTTP (make test runs it too)
fuzz:
	@bash scripts/fuzz.sh

## make checks: checkov and the guard rules on the template as SAM makes it, for each stage
checks:
	@bash scripts/checks.sh

## make package: make checks, sam validate --lint and sam build (arm64 artifacts, no Docker)
package:
	@bash scripts/checks.sh
	@bash scripts/package.sh

## make mutants: cargo-mutants over the money and domain modules with the domain crate's unit tests
mutants:
	@bash scripts/mutants.sh
