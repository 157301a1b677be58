"""Schemathesis hooks for `make fuzz`.

`cargo lambda watch` answers `500 text/plain` itself, before any function runs, to a request whose
header values hold bytes outside ASCII or whose body is not UTF-8: it cannot put them into the
API Gateway event it builds. Such cases would test the emulator, not us (our handlers answer both
with a 400; tests/tests/api/validation.rs). Before every call, in every phase, non-ASCII
characters are dropped from header values and a body that is not UTF-8 has its bad bytes replaced
(it stays malformed JSON, so the handler still has to refuse it).

Most schema-valid create bodies still break a rule the schema cannot state (an amount under the
currency's minimum, an order id with control characters), so the stateful phase would rarely get
a session to follow its links with. Half of the schema-valid ones, chosen by a hash of the body so
that runs stay deterministic, keep only their valid fields and get a valid amount: the session
they create is then read, expired, cancelled and refunded through openapi.yaml's links (and any
`Idempotency-Key` they carry becomes one derived from the same hash). Bodies generated to break
the schema are never touched. Everything else is sent as generated.
"""

import atexit
import hashlib
import json
import sys

import schemathesis

CREATE = "POST /v1/checkout/sessions"
KEPT_FIELDS = ("orderId", "description", "successUrl", "cancelUrl", "webhookUrl")
CURRENCIES = ("usd", "EUR", "gbp", "AUD", "cad", "JPY")
creates = {"sent": 0, "created": 0}


@schemathesis.hook
def before_call(ctx, case, kwargs):
    for name, value in list((case.headers or {}).items()):
        if isinstance(value, str) and not value.isascii():
            case.headers[name] = value.encode("ascii", "ignore").decode("ascii")
    if isinstance(case.body, (bytes, bytearray)):
        try:
            bytes(case.body).decode("utf-8")
        except UnicodeDecodeError:
            case.body = bytes(case.body).decode("utf-8", "replace").encode("utf-8")
    if case.operation.label == CREATE and body_is_schema_valid(case) and isinstance(case.body, dict):
        digest = hashlib.sha256(json.dumps(case.body, sort_keys=True, default=str).encode()).digest()
        if digest[0] % 2 == 0:
            case.body = valid_create(case.body, digest)
            # Generated keys repeat ("0", "00"...), and a key reused with another body is a 422.
            # A key from the body's hash keeps replays (same body, same key) and nothing else.
            for name in list(case.headers or {}):
                if name.lower() == "idempotency-key":
                    case.headers[name] = "fuzz-" + digest.hex()[:24]


def body_is_schema_valid(case):
    meta = case.meta
    if meta is None:
        return False
    body = meta.components.get("body")
    return (body.mode if body is not None else meta.generation.mode) == "positive"


def valid_create(body, digest):
    kept = {
        field: body[field]
        for field in KEPT_FIELDS
        if isinstance(body.get(field), str) and 1 <= len(body[field]) <= 100 and body[field].isprintable()
    }
    for url in ("successUrl", "cancelUrl", "webhookUrl"):
        if url in kept and not kept[url].startswith(("https://", "http://")):
            del kept[url]
    currency = CURRENCIES[digest[1] % len(CURRENCIES)]
    minor = 100 + digest[2] * 37
    kept["currency"] = currency
    kept["amount"] = str(minor) if currency.upper() == "JPY" else f"{minor // 100}.{minor % 100:02}"
    kept["expiresIn"] = "PT30M"
    return kept


@schemathesis.hook
def after_call(ctx, case, response):
    if case.operation.label == CREATE:
        creates["sent"] += 1
        creates["created"] += response.status_code == 201


@atexit.register
def report_creates():
    if creates["sent"]:
        print(f"fuzz: {creates['created']} of {creates['sent']} creates made a session", file=sys.stderr)
