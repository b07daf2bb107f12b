"""A real HTTP server around the test app, and a small cookie-keeping HTTP client."""

from __future__ import annotations

import contextlib
import http.cookiejar
import re
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message

from werkzeug.serving import ThreadedWSGIServer

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class _Server(ThreadedWSGIServer):
    """Werkzeug's threaded server, keeping each open connection and the thread serving it,
    so that stopping the server can end them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections: dict[threading.Thread, socket.socket] = {}

    def process_request(self, request, client_address) -> None:
        thread = threading.Thread(target=self._serve, args=(request, client_address),
                                  daemon=True)
        self.connections[thread] = request
        thread.start()

    def _serve(self, request, client_address) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            self.connections.pop(threading.current_thread(), None)

    def end_connections(self, timeout: float) -> list[threading.Thread]:
        """Close every open connection (a kept-alive one would otherwise be served on) and
        wait for their threads; returns those still running."""
        held = list(self.connections.items())
        for _thread, connection in held:
            with contextlib.suppress(OSError):  # the client has closed it already
                connection.shutdown(socket.SHUT_RDWR)
        for thread, _connection in held:
            thread.join(timeout=timeout)
        return [thread for thread, _connection in held if thread.is_alive()]


class LiveServer:
    """Serves ``app`` on 127.0.0.1 with one thread per connection until stopped. Stopping
    ends every connection and waits for its thread: tests share their app, so nothing of
    one test's server may go on serving into the next test."""

    def __init__(self, app):
        self.server = _Server("127.0.0.1", 0, app)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        # On SQLite every transaction holds the write lock; the test thread must not keep
        # one open while the server's threads work (read what you need before, or end the
        # read with db.session.rollback()).
        from awards.extensions import db

        db.session.rollback()
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        running = self.server.end_connections(timeout=30)
        self.server.server_close()
        if exc[0] is None:  # a failing test's own error comes first
            assert not running, f"{len(running)} request(s) still running after the server stopped"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Reply:
    status: int
    body: str
    location: str | None
    headers: Message | None = None  # .get(name), .get_all("Set-Cookie")


class HttpSession:
    """One browser: keeps cookies and the CSRF token, does not follow redirects."""

    def __init__(self, base: str, context: ssl.SSLContext | None = None):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect(),
            urllib.request.HTTPSHandler(context=context))
        self.token = ""

    def request(self, path: str, data: dict | list | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        body = None
        if data is not None:
            pairs = list(data.items()) if isinstance(data, dict) else list(data)
            pairs.append(("csrf_token", self.token))
            body = urllib.parse.urlencode(pairs, doseq=True).encode()
        try:
            response = self.opener.open(
                urllib.request.Request(self.base + path, data=body, headers=headers or {}),
                timeout=60)
            status, text, location = response.status, response.read().decode(), None
            received = response.headers
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()
            location, received = exc.headers.get("Location"), exc.headers
        match = TOKEN.search(text)
        if match:
            self.token = match.group(1)
        return Reply(status, text, location, received)
