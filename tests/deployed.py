"""The application as deployed: gunicorn behind a loopback reverse proxy that terminates TLS.

* :func:`self_signed_certificate` makes a certificate for 127.0.0.1 / localhost with the
  ``cryptography`` package.
* :class:`TlsProxy` accepts HTTPS on 127.0.0.1, one request per connection, and forwards
  it to gunicorn over HTTP with ``X-Forwarded-For`` and ``X-Forwarded-Proto: https`` (any
  such headers from the client are dropped first), as the README asks of the real proxy.
* :class:`Gunicorn` runs ``gunicorn app:app`` with a given environment on a free port.
* ``python -m tests.deployed seed`` (run with the same environment as gunicorn) creates the
  tables and an open campaign with issued codes and an organiser, and prints JSON.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"te", b"upgrade",
              b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host"}
MAX_HEAD = 64 * 1024


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A fresh key and certificate for 127.0.0.1 and localhost; returns their paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class TlsProxy:
    """HTTPS on 127.0.0.1:<free port> → HTTP to ``upstream_port``, one request per
    connection (``Connection: close`` both ways keeps the relay a plain byte copy)."""

    def __init__(self, upstream_port: int, cert: Path, key: Path):
        self.upstream_port = upstream_port
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.forwarded: list[bytes] = []  # request heads as sent upstream (for checks)
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)

    def __enter__(self) -> TlsProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        # Wakes the thread blocked in accept(), which a close alone does not.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(timeout=5)
        assert not self.thread.is_alive(), "the proxy's accept loop did not stop"

    def _accept_loop(self) -> None:
        while True:
            try:
                connection, address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection, address[0]),
                             daemon=True).start()

    def _serve(self, connection: socket.socket, client: str) -> None:
        connection.settimeout(30)
        try:
            with self.context.wrap_socket(connection, server_side=True) as tls:
                request = self._read_request(tls, client)
                if request is None:
                    return
                with socket.create_connection(("127.0.0.1", self.upstream_port),
                                              timeout=60) as upstream:
                    upstream.sendall(request)
                    while chunk := upstream.recv(65536):
                        tls.sendall(chunk)
        except (OSError, ssl.SSLError):
            return  # the browser gave up on a speculative connection, or similar

    def _read_request(self, tls: ssl.SSLSocket, client: str) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = tls.recv(65536)
            if not chunk or len(data) > MAX_HEAD:
                return None
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        request_line, *lines = head.split(b"\r\n")
        headers = [line for line in lines
                   if line.split(b":", 1)[0].strip().lower() not in HOP_BY_HOP]
        length = next((int(line.split(b":", 1)[1]) for line in headers
                       if line.split(b":", 1)[0].strip().lower() == b"content-length"), 0)
        while len(body) < length:
            chunk = tls.recv(65536)
            if not chunk:
                return None
            body += chunk
        headers += [b"X-Forwarded-For: " + client.encode(), b"X-Forwarded-Proto: https",
                    b"Connection: close"]
        forwarded = b"\r\n".join([request_line, *headers]) + b"\r\n\r\n"
        self.forwarded.append(forwarded)
        return forwarded + body


class Gunicorn:
    """``gunicorn -w 3 -k gthread --threads 2 app:app`` (the README's production settings)
    on 127.0.0.1 with ``env``; waits until /healthz answers. Stopping it gives its workers a
    second to finish before they are killed."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 3):
        self.env, self.log_path, self.workers = env, log, workers
        self.process: subprocess.Popen | None = None
        self.port = 0

    def __enter__(self) -> Gunicorn:
        self.log = self.log_path.open("w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(self.workers), "-k", "gthread",
             "--threads", "2", "-b", "127.0.0.1:0", "--graceful-timeout", "1",
             *_without_control_socket(), "app:app"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not self.port:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start:\n" + self.log_path.read_text())
            match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)",
                              self.log_path.read_text())
            self.port = int(match.group(1)) if match else 0
            time.sleep(0.1)
        self._wait_healthy(deadline)
        return self

    def _wait_healthy(self, deadline: float) -> None:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz",
                                            timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn never became healthy:\n"
                                       + self.log_path.read_text()) from None
                time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)  # quick shutdown (TERM waits for idle threads)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _without_control_socket() -> list[str]:
    """Gunicorn 24+ opens a control socket at one path per user (``~/.gunicorn``), which
    two test servers at once would share, and waits for its thread when stopping."""
    from gunicorn.config import KNOWN_SETTINGS

    known = any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS)
    return ["--no-control-socket"] if known else []


def seed() -> dict:
    """Tables, an open campaign with issued codes and an organiser (run as a subprocess
    with the deployment's environment, so secrets and keys match the server's)."""
    import io

    from awards import create_app
    from awards.accounts.services import create_user
    from awards.campaigns.config_file import parse_config
    from awards.campaigns.services import load_campaign_config
    from awards.extensions import db
    from awards.phases import move_phase, open_voting
    from awards.voting.codes import format_code
    from awards.voting.households import draw_campaign_sample, import_frame, issue_codes

    from .conftest import MINIMAL_CONFIG, PASSWORD
    from .voting.conftest import SEED, frame_csv

    app = create_app()
    with app.app_context():
        db.create_all()
        config = MINIMAL_CONFIG.replace("finalists = 3", "finalists = 3\nentries_required = false")
        campaign, _created, _notes = load_campaign_config(parse_config(config))
        import_frame(campaign, io.BytesIO(frame_csv()))
        for state in ("entries_open", "entries_closed", "adjudication"):
            move_phase(campaign, state)
        draw_campaign_sample(campaign, 90, SEED)
        letters: list = []
        issue_codes(campaign, letters.extend)
        open_voting(campaign)
        create_user("organiser", "olivia", PASSWORD)
        return {"slug": campaign.slug, "codes": [format_code(l.code) for l in letters[:5]],
                "username": "olivia", "password": PASSWORD}


if __name__ == "__main__":
    if sys.argv[1:] == ["seed"]:
        print(json.dumps(seed()))
    else:
        sys.exit("usage: python -m tests.deployed seed")
