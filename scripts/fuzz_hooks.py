"""Schemathesis hooks for `make fuzz`.

`cargo lambda watch` answers `500 text/plain` itself, before any function runs, to a request whose
header values hold bytes outside ASCII or whose body is not UTF-8: it cannot put them into the
API Gateway event it builds. Such cases would test the emulator, not us (our handlers answer both
with a 400; tests/tests/api/validation.rs). Before every call, in every phase, non-ASCII
characters are dropped from header values and a body that is not UTF-8 has its bad bytes replaced
(it stays malformed JSON, so the handler still has to refuse it). Everything else is sent as
generated.
"""

import schemathesis


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
