"""An HTTP proxy on 127.0.0.1 in front of the moto server that answers chosen AWS services with a
malformed 200 reply (an HTML page, an empty body, `{}`), as a captive portal, a misconfigured
corporate proxy or a broken gateway would; every other request is passed to moto unchanged.

The service of a request is read from its SigV4 credential scope (`Credential=.../<date>/<region>/
<service>/aws4_request`), so the proxy needs no knowledge of the service endpoints.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

REPLIES: dict[str, tuple[str, bytes]] = {
    "html": ("text/html", b"<html><body>Proxy login required</body></html>"),
    "empty": ("application/octet-stream", b""),
    "emptyjson": ("application/x-amz-json-1.0", b"{}"),
}
"""The malformed replies, by name: (Content-Type, body), each sent with status 200."""

_SCOPE = re.compile(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/")


@contextmanager
def faulty_proxy(upstream: str, faults: dict[str, str | tuple[str, bytes]]) -> Iterator[str]:
    """The endpoint of a proxy to `upstream` (http://host:port) answering each service of
    `faults` (service -> a key of `REPLIES`, or a canned (Content-Type, body)) with that 200
    reply. A key `"<service> <regex>"` faults only the requests of the service in whose
    `"<method> <path> <X-Amz-Target> <body>"` the regex is found: `"s3 GET /[^/]+\\?location"`
    is GetBucketLocation, `"kms TrentService.DescribeKey"` DescribeKey and
    `"ec2 Action=DescribeSnapshotAttribute"` a query-protocol call; the others reach moto."""
    target = urlsplit(upstream)

    def fault_of(service: str, request: str) -> str | tuple[str, bytes] | None:
        for key, fault in faults.items():
            name, _, pattern = key.partition(" ")
            if name == service and (not pattern or re.search(pattern, request)):
                return fault
        return None

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            scope = _SCOPE.search(self.headers.get("Authorization", ""))
            target_header = self.headers.get("X-Amz-Target", "")
            sent = body.decode("utf-8", "replace")
            request = f"{self.command} {self.path} {target_header} {sent}".strip()
            fault = fault_of(scope.group(1), request) if scope else None
            if fault is not None:
                content_type, data = REPLIES[fault] if isinstance(fault, str) else fault
                self.send_response(200)
                self.send_header("Content-Type", content_type)
            else:
                upstream_conn = http.client.HTTPConnection(
                    target.hostname or "127.0.0.1", target.port, timeout=60
                )
                upstream_conn.request(self.command, self.path, body=body, headers=self.headers)
                reply = upstream_conn.getresponse()
                data = reply.read()
                upstream_conn.close()
                self.send_response(reply.status)
                for name, value in reply.getheaders():
                    if name.lower() not in {"content-length", "transfer-encoding", "connection"}:
                        self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = relay

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
