"""After a fuzzing run: did it reach what it claims to test? Reads the counts `fuzz_hooks.py`
wrote (answers per phase, operation and status), prints them, fails the run when the stateful
phase made no sessions or never followed one, or when the hosted page was never shown or posted
to for a real session, and
prints the closing count: `fuzz: N passed, N failed`, requests answered as documented against the
generated cases that failed a check (from schemathesis' NDJSON report; any other failure of
schemathesis, and each goal not reached, counts as one more).

Usage: fuzz_reach.py COUNTS.json SCHEMATHESIS_EXIT_STATUS REPORT_DIR
"""

import glob
import json
import sys


def failed_cases(report_dir):
    failed = {}
    for report in glob.glob(f"{report_dir}/*.ndjson"):
        for line in open(report, encoding="utf-8"):
            scenario = json.loads(line).get("ScenarioFinished")
            if not scenario or scenario.get("status") != "failure":
                continue
            for case_id, checks in scenario["recorder"].get("checks", {}).items():
                names = sorted({c["name"] for c in checks if c["status"] == "failure"})
                if names:
                    failed[case_id] = names
    return failed


def main():
    counts_file, status, report_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    try:
        counts = json.load(open(counts_file, encoding="utf-8"))
    except (OSError, ValueError):
        print("fuzz: no counts were written; the hooks did not run", file=sys.stderr)
        print("fuzz: 0 passed, 1 failed")
        return 1
    total = sum(n for phase in counts.values() for op in phase.values() for n in op.values())
    for phase, operations in sorted(counts.items()):
        for operation, statuses in sorted(operations.items()):
            shown = ", ".join(f"{code}x{n}" for code, n in sorted(statuses.items()))
            print(f"fuzz reach: {phase:9} {operation:45} {shown}", file=sys.stderr)

    def answered(operation, code, phases=None):
        return sum(counts.get(p, {}).get(operation, {}).get(str(code), 0) for p in (phases or counts))

    needs = [
        ("the stateful phase made sessions", answered("POST /v1/checkout/sessions", 201, ["stateful"])),
        # Any phase: the fuzzing phase also draws ids from the sessions the run made.
        ("a session the run made was read back", answered("GET /v1/checkout/sessions/{id}", 200)),
        ("a made session was expired or cancelled",
         answered("POST /v1/checkout/sessions/{id}/expire", 200) + answered("POST /v1/checkout/sessions/{id}/cancel", 200)),
        ("a refund met a real session (409, not 404)", answered("POST /v1/checkout/sessions/{id}/refund", 409)),
        ("the hosted page was shown", answered("GET /pay/{id}", 200)),
        ("a hosted-page form post met a real session (403)",
         answered("POST /pay/{id}", 403) + answered("POST /pay/{id}/cancel", 403)),
    ]
    missing = [what for what, n in needs if n == 0]
    for what in missing:
        print(f"fuzz: the run did not reach its goal: {what}", file=sys.stderr)
    cases = failed_cases(report_dir)
    for case_id, names in sorted(cases.items()):
        print(f"fuzz: case {case_id} failed {', '.join(names)}", file=sys.stderr)
    failed = len(cases) + len(missing) + (1 if status != 0 and not cases else 0)
    print(f"fuzz: {max(total - len(cases), 0)} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
