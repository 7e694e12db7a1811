"""A fake GOV.UK Notify on 127.0.0.1 that speaks the API the official client uses.

``POST /v2/notifications/sms|email`` (201 with an id), ``GET /v2/notifications?reference=R``,
``GET /v2/notifications/<id>``; every request must carry a Bearer JWT (checked for shape, not
signature). ``script`` queues answers for the next POSTs: an int status (400, 403, 429, 500),
``"hang"`` (no answer until the client gives up) or ``("slow", seconds)`` (record, then answer
late). Every notification it *created* is kept, so a test can count per reference.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

#: A well-formed key: "<name>-<service id>-<secret>", as Notify issues them.
API_KEY = f"test_key-{uuid.UUID(int=1)}-{uuid.UUID(int=2)}"


@dataclass
class FakeNotify:
    created: list[dict[str, Any]] = field(default_factory=list)
    posts: int = 0
    script: list[Any] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)
    retry_after: str | None = None
    #: Seconds before every answer (to widen the window a kill can land in).
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""
    unauthorised: int = 0
    #: Numbers Notify refuses (400), whatever the script says.
    refuse: set[str] = field(default_factory=set)

    def by_reference(self) -> Counter[str]:
        with self.lock:
            return Counter(n["reference"] for n in self.created)


def _handler(fake: FakeNotify) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

        def log_message(self, *_args: Any) -> None:
            return

        def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth.count(".") != 2:
                with fake.lock:
                    fake.unauthorised += 1
                self._answer(403, {"status_code": 403, "errors": [{"error": "AuthError", "message": "Invalid token"}]})
                return False
            return True

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if not self._authorised():
                return
            with fake.lock:
                fake.posts += 1
                step = fake.script.pop(0) if fake.script else None
                if body.get("phone_number") in fake.refuse:
                    step = 400
            if step == "hang":
                time.sleep(30)
                return
            if isinstance(step, int):
                errors = {400: "BadRequestError", 403: "AuthError", 429: "RateLimitError", 500: "Exception"}
                headers = {"Retry-After": fake.retry_after} if step == 429 and fake.retry_after else None
                self._answer(step, {"status_code": step, "errors": [
                    {"error": errors.get(step, "Error"), "message": f"fake answer {step}"}]}, headers)
                return
            kind = "sms" if self.path.endswith("/sms") else "email"
            notification = {"id": str(uuid.uuid4()), "reference": body.get("reference"), "type": kind,
                            "template": {"id": body.get("template_id")}, "status": "created",
                            "phone_number": body.get("phone_number"), "email_address": body.get("email_address"),
                            "personalisation": body.get("personalisation") or {}}
            with fake.lock:
                fake.created.append(notification)
            if isinstance(step, tuple) and step[0] == "slow":
                time.sleep(step[1])
            if fake.delay:
                time.sleep(fake.delay)
            self._answer(201, {"id": notification["id"], "reference": notification["reference"],
                               "content": {}, "uri": f"{fake.base_url}/v2/notifications/{notification['id']}",
                               "template": {"id": body.get("template_id"), "version": 1, "uri": ""}})

        def do_GET(self) -> None:  # noqa: N802
            if not self._authorised():
                return
            url = urlparse(self.path)
            if url.path == "/v2/notifications":
                ref = (parse_qs(url.query).get("reference") or [None])[0]
                with fake.lock:
                    found = [n for n in fake.created if ref is None or n["reference"] == ref]
                self._answer(200, {"notifications": [{**n, "status": fake.statuses.get(n["id"], n["status"])}
                                                     for n in found], "links": {}})
                return
            if url.path.startswith("/v2/notifications/"):
                nid = url.path.rsplit("/", 1)[-1]
                with fake.lock:
                    found = [n for n in fake.created if n["id"] == nid]
                if not found:
                    self._answer(404, {"status_code": 404, "errors": [{"error": "NoResultFound", "message": "none"}]})
                    return
                self._answer(200, {**found[0], "status": fake.statuses.get(nid, "sending")})
                return
            self._answer(404, {"status_code": 404, "errors": []})

    return Handler


@contextmanager
def fake_notify() -> Iterator[FakeNotify]:
    fake = FakeNotify()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    server.handle_error = lambda *_a: None  # type: ignore[method-assign]  # a client that gave up (timeout)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
