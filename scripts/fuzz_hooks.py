"""Schemathesis hooks for `make fuzz` (scripts/fuzz.sh).

Requests go out as generated: any Unicode in bodies, queries, paths and headers (the server passes
every byte to the handlers, as API Gateway does).

Most schema-valid create bodies still break a rule the schema cannot state (an amount under the
currency's minimum, a line total that differs from `amount`), so the stateful phase would rarely
get a session to follow its links with. Half of the schema-valid ones, chosen by a hash of the
body so that runs stay deterministic, are completed into a valid create of every shape the API
takes: an amount or line items (1-5, unit amounts and quantities spread over their ranges), any
currency, a customer, metadata of strings, numbers and booleans, card or crypto with assets,
`expiresIn` or `expiresAt`; the generated order id, description and URLs are kept when valid.
The session they create is then read, shown on its page, expired, cancelled and refunded through
openapi.yaml's links (and any `Idempotency-Key` they carry becomes one derived from the same hash).
Bodies generated to break the schema are never touched.

The `Merchant-Id` header is for platforms' keys; the run's key is a merchant's, for which any other
id is a 404, so generated values are dropped rather than turning every case into that 404 (the
platform tests cover the header).

The hosted page's operations take any session id, and generated ones name no session: half of the
schema-valid cases of `GET /pay/{id}` (by a hash of the case, as above) are pointed at a session
the run created, so the page is shown whatever order the stateful phase happens to take.

Webhook endpoints get the same treatment: half of the schema-valid creates (by a hash of the body)
are completed into a valid one (an https URL, a valid filter), and half of the schema-valid cases of
the routes of one endpoint are pointed at an endpoint the run created, so reading, changing,
rotating, testing and deleting a real endpoint are fuzzed too, not only their 404s.

The run's own API key is never rolled or revoked (it would end the run in 401s): a roll or a
revocation addressed to it goes to a well-formed id no key has, which is a 404 to check as well.

Every answer is counted by phase, operation and status into $FUZZ_COUNTS, which
scripts/fuzz_reach.py reads to check that the run reached what it claims to test.
"""

import atexit
import datetime
import hashlib
import json
import os
from collections import defaultdict

import schemathesis

CREATE = "POST /v1/checkout/sessions"
CURRENCIES = ("usd", "EUR", "gbp", "AUD", "cad", "JPY")
ASSETS = ("ETH", "USDT", "USDC", "BTC")
counts = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))


KEY_ROUTES = ("DELETE /v1/api_keys/{id}", "POST /v1/api_keys/{id}/roll")
CREATE_ENDPOINT = "POST /v1/webhook_endpoints"
ENDPOINT_ROUTES = (
    "GET /v1/webhook_endpoints/{id}",
    "PATCH /v1/webhook_endpoints/{id}",
    "DELETE /v1/webhook_endpoints/{id}",
    "POST /v1/webhook_endpoints/{id}/rotate_secret",
    "POST /v1/webhook_endpoints/{id}/test",
)
EVENT_TYPES = ("checkout.session.completed", "checkout.session.expired", "refund.created")
created_endpoints = []
PAGE = "GET /pay/{id}"
created_sessions = []
UNKNOWN_KEY_ID = "key_" + "0" * 24


@schemathesis.hook
def before_call(ctx, case, kwargs):
    for name in list(case.headers or {}):
        if name.lower() == "merchant-id":
            del case.headers[name]
    if case.operation.label == PAGE and created_sessions and body_is_schema_valid(case):
        digest = hashlib.sha256(repr(sorted((case.path_parameters or {}).items())).encode()).digest()
        if digest[0] % 2 == 0:
            case.path_parameters["id"] = created_sessions[digest[1] % len(created_sessions)]
    if case.operation.label in ENDPOINT_ROUTES and created_endpoints and body_is_schema_valid(case):
        digest = hashlib.sha256(repr(sorted((case.path_parameters or {}).items())).encode()).digest()
        if digest[0] % 2 == 0:
            case.path_parameters["id"] = created_endpoints[digest[1] % len(created_endpoints)]
    if case.operation.label == CREATE_ENDPOINT and body_is_schema_valid(case) and isinstance(case.body, dict):
        digest = hashlib.sha256(json.dumps(case.body, sort_keys=True, default=str).encode()).digest()
        if digest[0] % 2 == 0:
            generated = case.body
            case.body = {
                "url": f"https://hooks.example/fuzz/{digest.hex()[:12]}",
                "enabledEvents": ["*"] if digest[1] % 2 else list(EVENT_TYPES[: 1 + digest[2] % 3]),
            }
            if printable(generated.get("description"), 500):
                case.body["description"] = generated["description"]
    if case.operation.label in KEY_ROUTES and (case.path_parameters or {}).get("id") == os.environ.get("FUZZ_KEY_ID"):
        case.path_parameters["id"] = UNKNOWN_KEY_ID
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


def printable(text, longest):
    return isinstance(text, str) and 1 <= len(text) <= longest and text.isprintable() and text.strip()


def money(minor, currency):
    return str(minor) if currency.upper() == "JPY" else f"{minor // 100}.{minor % 100:02}"


def valid_create(body, digest):
    byte = iter(digest[1:])
    pick = lambda options: options[next(byte) % len(options)]  # noqa: E731
    created = {}
    for field, longest in (("orderId", 100), ("description", 500)):
        if printable(body.get(field), longest):
            created[field] = body[field]
    for url in ("successUrl", "cancelUrl", "webhookUrl"):
        value = body.get(url)
        if printable(value, 2048) and value.startswith(("https://", "http://")):
            created[url] = value
    currency = pick(CURRENCIES)
    created["currency"] = currency
    jpy = currency.upper() == "JPY"
    # Totals from the minimum to near the maximum, spread over orders of magnitude.
    scale = 10 ** (next(byte) % (6 if jpy else 7))
    if next(byte) % 2:
        minor = max(50 if jpy else 50, (100 + next(byte) * 37) * scale // 10)
        created["amount"] = money(min(minor, 99_999_999), currency)
    else:
        items = []
        for n in range(1 + next(byte) % 5):
            quantity = pick((1, 1, 2, 3, 12, 10_000))
            unit = (next(byte) * 997 + 50) * max(1, scale // 1000)
            items.append({"name": f"Item {n} ✓ {pick(('tea', 'Kaffee', 'thé', 'お茶'))}",
                          "unitAmount": money(unit, currency), "quantity": quantity})
            if n % 2:
                items[-1]["description"] = "Blend — 250 g"
                items[-1]["productId"] = f"prod_{n}"
        total = sum(int(i["unitAmount"].replace(".", "")) * i["quantity"] for i in items)
        top = 99_999_999
        if total < 50 or total > top:
            items = [{"name": "Gift card", "unitAmount": money(2_500, currency), "quantity": 1}]
        created["lineItems"] = items
    if next(byte) % 2:
        created["customer"] = {"email": f"buyer+{digest.hex()[:6]}@example.com", "name": "Zoë Müller", "id": "cus_1"}
    if next(byte) % 2:
        created["metadata"] = {"cart": digest.hex()[:8], "items": next(byte), "gift": bool(next(byte) % 2),
                               "ratio": 0.25, "note": "bientôt"}
    if next(byte) % 3 == 0:
        created["paymentMethods"] = ["card", "crypto"]
        created["allowedAssets"] = [pick(ASSETS)]
    if next(byte) % 2:
        at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=10 + next(byte))
        created["expiresAt"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        created["expiresIn"] = pick(("PT30M", "PT2H", "P1D", "P7D"))
    return created


@schemathesis.hook
def after_call(ctx, case, response):
    phase = getattr(getattr(case.meta, "phase", None), "name", None)
    phase = getattr(phase, "value", phase) or "unknown"
    counts[str(phase)][case.operation.label][str(response.status_code)] += 1
    if case.operation.label == CREATE_ENDPOINT and response.status_code == 201:
        try:
            created_endpoints.append(response.json()["id"])
        except (ValueError, KeyError, TypeError):
            pass
    if case.operation.label == CREATE and response.status_code == 201:
        try:
            created_sessions.append(response.json()["id"])
        except (ValueError, KeyError, TypeError):
            pass


@atexit.register
def write_counts():
    target = os.environ.get("FUZZ_COUNTS")
    if target:
        with open(target, "w", encoding="utf-8") as out:
            json.dump(counts, out, indent=1, sort_keys=True)
