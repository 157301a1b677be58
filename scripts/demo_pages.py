"""The demo merchant's own success and cancel pages for `make dev` (scripts/dev.sh).

The hosted checkout sends the payer back to the merchant's `successUrl` or `cancelUrl` with
`sessionId` and `status` added. A real shop would look the session up with its key; this one does
the same and shows what came back and the session as the API returns it, so that a newcomer's first
payment ends on a page that explains itself rather than on a 404.

Usage: python3 scripts/demo_pages.py PORT API_BASE_URL API_KEY
"""

import html
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Demo Shop</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1a1a1a; }}
main {{ max-width: 46rem; margin: 0 auto; padding: 1.25rem; }}
section {{ background: #fff; border-radius: .75rem; box-shadow: 0 1px 3px rgba(0,0,0,.12); padding: 1.25rem; margin-bottom: 1rem; }}
dl {{ display: grid; grid-template-columns: max-content 1fr; gap: .3rem .8rem; }}
dt {{ font-weight: 600; }} dd {{ margin: 0; overflow-wrap: anywhere; }}
pre {{ background: #f0f1f4; padding: .8rem; border-radius: .5rem; overflow-x: auto; font-size: .85rem; }}
a {{ color: #123a7a; }}
</style></head>
<body><main>
<section><h1>{title}</h1><p>{text}</p>
<dl><dt>sessionId</dt><dd><code>{session_id}</code></dd><dt>status</dt><dd><code>{status}</code></dd></dl>
<p><a href="/demo/session?id={session_id_q}">The session as JSON</a> · <a href="{api}/pay/{session_id_q}">Its checkout page</a></p></section>
<section><h2>GET /v1/checkout/sessions/{session_id}</h2><pre>{session}</pre>
<p>The shop reads it with its key:</p>
<pre>curl -s {api}/v1/checkout/sessions/{session_id} -H 'Authorization: Bearer sk_test_…'</pre></section>
</main></body></html>
"""


def main():
    port, api, key = int(sys.argv[1]), sys.argv[2].rstrip("/"), sys.argv[3]

    def session_json(session_id):
        if not session_id.startswith("cs_") or not session_id[3:].isalnum():
            return None
        request = urllib.request.Request(
            f"{api}/v1/checkout/sessions/{session_id}",
            headers={"Authorization": f"Bearer {key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json.load(answer)
        except (urllib.error.URLError, ValueError) as error:
            return {"error": str(error)}

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            session_id = query.get("sessionId") or query.get("session") or query.get("id") or ""
            session = session_json(session_id)
            if url.path == "/demo/session" and session is not None:
                return self.answer(200, "application/json", json.dumps(session, indent=2))
            titles = {
                "/demo/success": ("Thank you for your order", "The checkout sent you back to the shop."),
                "/demo/cancel": ("Your order was not paid", "You left the checkout; nothing was charged."),
            }
            if url.path not in titles:
                return self.answer(404, "text/plain; charset=utf-8", "Not found\n")
            title, text = titles[url.path]
            body = PAGE.format(
                title=html.escape(title),
                text=html.escape(text),
                session_id=html.escape(session_id or "(none)"),
                session_id_q=urllib.parse.quote(session_id),
                status=html.escape(query.get("status", "(none)")),
                session=html.escape(json.dumps(session, indent=2) if session else "no session id came back"),
                api=html.escape(api),
            )
            self.answer(200, "text/html; charset=utf-8", body)

        def answer(self, status, content_type, body):
            data = body.encode()
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Pages).serve_forever()


if __name__ == "__main__":
    main()
