"""Real remote hubs for the sync tests, on 127.0.0.1: WebDAV, S3, and a proxy that injects faults.

- `WebdavServer`: wsgidav served by cheroot in a thread, one share (`/dav/`) over a folder,
  basic auth with one user.
- `S3Server`: moto's standalone server (werkzeug) in a thread, one bucket created with boto3.
- `FaultProxy`: a threaded HTTP/1.1 proxy in front of either. It forwards every request as it
  came (Host header included, so S3 signatures and WebDAV Destination headers stay valid) until a
  rule says otherwise: `cut_uploads` closes both sockets after half of a request body has reached
  the server; `fail` answers a status (500, 503...) without asking the server; `stall` never
  answers (until `clear()`), for the client's timeouts. Its `counts` say what it did.

Each starts on a free port chosen by the kernel and stops (joining its threads) in `stop()`; all
are context managers.
"""

from __future__ import annotations

import http.client
import logging
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

HOST = "127.0.0.1"
DEFAULT_TIMEOUT = 10.0  # seconds a proxied request may wait on the server: no test hangs forever


class _Served:
    """A server running in a thread of this process, stopped by `stop()` or leaving `with`."""

    def stop(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class WebdavServer(_Served):
    """wsgidav over `root`, at `url` (ends in `/dav/`), for `user`/`password` (basic auth)."""

    share = "/dav"

    def __init__(self, root: Path, user: str = "gloss", password: str = "s3cret pass") -> None:
        from cheroot import wsgi
        from wsgidav.wsgidav_app import WsgiDAVApp

        self.root, self.user, self.password = root, user, password
        config = {
            "host": HOST,
            "port": 0,
            "provider_mapping": {self.share: str(root)},
            "simple_dc": {"user_mapping": {"*": {user: {"password": password}}}},
            "http_authenticator": {
                "domain_controller": None,  # None is wsgidav's SimpleDomainController
                "accept_basic": True,
                "accept_digest": False,
                "default_to_digest": False,
            },
            "dir_browser": {"enable": False},
            "verbose": 0,
            "logging": {"enable": False},
        }
        self._server = wsgi.Server((HOST, 0), WsgiDAVApp(config), numthreads=8)
        self._server.prepare()  # binds: the port is known from here on
        self.port: int = self._server.bind_addr[1]
        self.url = f"http://{HOST}:{self.port}{self.share}/"
        self._thread = threading.Thread(target=self._server.serve, name="webdav", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.stop()
        self._thread.join(timeout=DEFAULT_TIMEOUT)


class S3Server(_Served):
    """moto's S3 at `endpoint`, with `bucket` created, for `key`/`secret` only.

    With `auth` (the default) moto checks every request's signature against an IAM user made
    here, as S3 would: a wrong key or secret is refused (403). moto keeps all its state in this
    process's memory, shared by every server in it: run one at a time; `stop()` forgets it all.
    """

    def __init__(self, bucket: str = "gloss-hub", region: str = "us-east-1", auth: bool = True):
        from moto.server import ThreadedMotoServer

        self.bucket, self.region = bucket, region
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self._server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
        self._server.start()
        self.port: int = self._server.get_host_and_port()[1]
        self.endpoint = f"http://{HOST}:{self.port}"
        self.key, self.secret = "gloss-test-key", "gloss-test-secret"  # moto takes any, unchecked
        if auth:
            self.key, self.secret = self._iam_user()
        self.client().create_bucket(Bucket=bucket)
        if auth:
            self._moto_api("reset-auth", b"0")  # from the next request on, signatures count

    def _iam_user(self) -> tuple[str, str]:
        import boto3

        iam = boto3.client(
            "iam",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.key,
            aws_secret_access_key=self.secret,
            region_name=self.region,
        )
        iam.create_user(UserName="gloss")
        policy = '{"Version": "2012-10-17", "Statement": '
        policy += '[{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'
        iam.put_user_policy(UserName="gloss", PolicyName="hub", PolicyDocument=policy)
        made = iam.create_access_key(UserName="gloss")["AccessKey"]
        return made["AccessKeyId"], made["SecretAccessKey"]

    def client(self, endpoint: str | None = None):
        """A boto3 S3 client for this server (or for a proxy in front of it)."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=endpoint or self.endpoint,
            aws_access_key_id=self.key,
            aws_secret_access_key=self.secret,
            region_name=self.region,
        )

    def _moto_api(self, name: str, body: bytes = b"") -> None:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=DEFAULT_TIMEOUT)
        try:
            conn.request("POST", f"/moto-api/{name}", body=body)
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200, (name, resp.status)
        finally:
            conn.close()

    def stop(self) -> None:
        try:  # forget the buckets, users and the auth switch, for the next server in this process
            self._moto_api("reset-auth", b"inf")
            self._moto_api("reset")
        finally:
            self._server.stop()


def wait_for(predicate: Callable[[], object], what: str, timeout: float = DEFAULT_TIMEOUT):
    """Poll `predicate` until it returns something true (returned), or fail saying `what`."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"still not {what} after {timeout} s (last: {result!r})")
        time.sleep(0.01)  # a poll interval, not a wait for an outcome


# Hop-by-hop headers (RFC 9110 7.6.1) are the proxy's own business; the body is re-framed.
_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
}
UPLOADS = ("PUT", "POST")


@dataclass
class _Rule:
    kind: str  # "cut", "fail" or "stall"
    times: int
    methods: tuple[str, ...] | None  # None: any method
    status: int = 503
    fraction: float = 0.5  # of the body forwarded before a cut

    def matches(self, method: str, body: bytes) -> bool:
        if self.times <= 0 or (self.methods is not None and method not in self.methods):
            return False
        return self.kind != "cut" or len(body) > 1  # a cut needs a body to cut in the middle of


@dataclass
class ProxyCounts:
    """What the proxy did so far: requests seen by method, and faults injected."""

    requests: Counter[str] = field(default_factory=Counter)
    passed: int = 0
    cut: int = 0
    failed: int = 0
    stalled: int = 0
    cut_bytes: list[tuple[int, int]] = field(default_factory=list)  # (forwarded, of total)
    failed_statuses: list[int] = field(default_factory=list)


class FaultProxy(_Served):
    """An HTTP proxy in front of `upstream` (a server's URL), faults on demand; `url` is the
    upstream's URL with the proxy's port (`http://127.0.0.1:PROXY/dav/` for a WebDAV share)."""

    def __init__(self, upstream: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        parts = urlsplit(upstream)
        assert parts.scheme == "http" and parts.hostname, upstream
        self.upstream = (parts.hostname, parts.port or 80)
        self.timeout = timeout
        self.counts = ProxyCounts()
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._released = threading.Event()  # set: stalled requests end
        self._server = ThreadingHTTPServer((HOST, 0), _handler_for(self))
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.url = f"http://{HOST}:{self.port}{parts.path}"  # the upstream's URL, through here
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fault-proxy", daemon=True
        )
        self._thread.start()

    def cut_uploads(
        self, times: int = 1, methods: tuple[str, ...] = UPLOADS, fraction: float = 0.5
    ) -> None:
        """The next `times` requests with a body and one of `methods`: forward `fraction` of the
        body to the server, then close both connections (the client gets no answer)."""
        with self._lock:
            self._rules.append(_Rule("cut", times, methods, fraction=fraction))

    def fail(
        self, status: int = 503, times: int = 1, methods: tuple[str, ...] | None = None
    ) -> None:
        """Answer `status` to the next `times` requests (of `methods`, or any), without
        forwarding them; the body is read first, so the client sees a clean answer."""
        with self._lock:
            self._rules.append(_Rule("fail", times, methods, status=status))

    def stall(self, times: int = 1, methods: tuple[str, ...] | None = None) -> None:
        """Read the next `times` requests (of `methods`, or any) and never answer them, until
        `clear()` or `stop()` (then the connection closes): for the client's read timeout."""
        with self._lock:
            self._rules.append(_Rule("stall", times, methods))

    def clear(self) -> None:
        """Drop the rules not used up yet and let stalled requests go (their connections close
        unanswered): everything passes through from now on."""
        with self._lock:
            self._rules.clear()
            self._released.set()
            self._released = threading.Event()

    def _take(self, method: str, body: bytes) -> _Rule | None:
        """Count the request and consume the first rule it matches (under the lock: the
        proxy's threads may see requests concurrently)."""
        with self._lock:
            self.counts.requests[method] += 1
            for rule in self._rules:
                if rule.matches(method, body):
                    rule.times -= 1
                    if rule.kind == "cut":
                        self.counts.cut += 1
                        self.counts.cut_bytes.append((int(len(body) * rule.fraction), len(body)))
                    elif rule.kind == "stall":
                        self.counts.stalled += 1
                    else:
                        self.counts.failed += 1
                        self.counts.failed_statuses.append(rule.status)
                    return rule
            self.counts.passed += 1
            return None

    def stop(self) -> None:
        self.clear()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=DEFAULT_TIMEOUT)


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(_ProxyHandler):
        pass

    Handler.proxy = proxy
    return Handler


class _ProxyHandler(BaseHTTPRequestHandler):
    """One client connection: each request is read whole, then faulted or forwarded."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the real servers do
    proxy: FaultProxy

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: pytest shows the counts when an assertion fails

    def __getattr__(self, name: str):
        # Every method (GET, PUT, PROPFIND, MOVE, ...) is proxied the same way.
        if name.startswith("do_"):
            return self._proxy
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _proxy(self) -> None:
        body = self._read_body()
        released = self.proxy._released
        rule = self.proxy._take(self.command, body)
        if rule is not None and rule.kind == "fail":
            self._answer_error(rule.status)
        elif rule is not None and rule.kind == "stall":
            released.wait(timeout=self.proxy.timeout * 6)  # bounded: a stuck test still ends
            self.close_connection = True
        elif rule is not None:
            self._cut(body, int(len(body) * rule.fraction))
        else:
            self._forward(body)

    def _upstream(self) -> http.client.HTTPConnection:
        host, port = self.proxy.upstream
        return http.client.HTTPConnection(host, port, timeout=self.proxy.timeout)

    def _send_head(self, conn: http.client.HTTPConnection, length: int) -> None:
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            if name.lower() not in _HOP:
                conn.putheader(name, value)
        if length or self.command in UPLOADS:
            conn.putheader("Content-Length", str(length))
        conn.endheaders()

    def _forward(self, body: bytes) -> None:
        conn = self._upstream()
        try:
            self._send_head(conn, len(body))
            if body:
                conn.send(body)
            resp = conn.getresponse()
            data = resp.read()  # http.client knows HEAD and 204/304 have no body
            self.send_response_only(resp.status, resp.reason)
            for name, value in resp.getheaders():
                if name.lower() not in _HOP:
                    self.send_header(name, value)
            if self.command == "HEAD" or resp.status in (204, 304) or resp.status < 200:
                if resp.getheader("Content-Length") is not None:
                    self.send_header("Content-Length", resp.getheader("Content-Length"))
                data = b""
            else:
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            conn.close()

    def _cut(self, body: bytes, forwarded: int) -> None:
        """The server gets the headers (with the full Content-Length) and part of the body, then
        its connection closes; the client's closes with no answer."""
        conn = self._upstream()
        try:
            self._send_head(conn, len(body))
            conn.send(body[:forwarded])
        finally:
            conn.close()
        self.close_connection = True
        # RST rather than FIN, as a dropped network would look to the client.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def _answer_error(self, status: int) -> None:
        text = f"injected {status}\n".encode()
        self.send_response_only(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(text)
