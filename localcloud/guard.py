"""HTTP hygiene of the emulator's front: who may talk to it, how long and how much, and an answer in the
API's JSON error format for every malformed request (CHOICES.md "Security (localcloud)")."""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler

from .errors import BadRequest, CloudError, Forbidden, RequestEntityTooLarge

MAX_BODY_BYTES = 1 << 20  # 1 MiB: an RPC call is a few KB (UserData is at most 32 KB base64)
IDLE_TIMEOUT_S = 60.0  # a connection silent this long (between or within requests) is closed
MAX_CONNECTIONS = 512  # open connections (one thread each) beyond which new ones are turned away

# Statuses the HTTP parser (http.server) answers by itself, and the code each carries in our JSON.
_PARSER_CODES = {
    400: (400, "BadRequest"),
    408: (408, "RequestTimeout"),
    413: (413, "RequestEntityTooLarge"),
    414: (414, "RequestURITooLong"),
    431: (431, "RequestHeaderFieldsTooLarge"),
    501: (403, "UnsupportedHTTPMethod"),  # the ECS error table: UnsupportedHTTPMethod is a 403
    505: (505, "HTTPVersionNotSupported"),
}


def loopback_host(value: str) -> bool:
    """Host header names localhost or a loopback address, with any port ("127.0.0.1:18080", "[::1]")."""
    host = value.strip().lower()
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def error_document(code: str, message: str, request_id: str | None = None, host: str = "localcloud") -> dict:
    """The body the real gateway sends with an error (the SDKs read Code and Message from it)."""
    request_id = request_id or str(uuid.uuid4()).upper()
    return {
        "RequestId": request_id,
        "HostId": host,
        "Code": code,
        "Message": message,
        "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&requestId={request_id}",
    }


class ConnectionCap:
    """Server mixin: at most `max_connections` connections at once; one more gets 503 ServiceUnavailable
    in the gateway's format, unread, and is closed, so that a flood cannot take every thread."""

    max_connections = MAX_CONNECTIONS

    def process_request(self, request, client_address):
        if not hasattr(self, "_slots"):
            self._slots = threading.BoundedSemaphore(self.max_connections)
        if not self._slots.acquire(blocking=False):
            doc = error_document("ServiceUnavailable", "Too many open connections; retry later.")
            body = json.dumps(doc).encode()
            head = (
                f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json;charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            try:
                request.settimeout(1.0)
                request.sendall(head + body)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


class GuardedHandler(BaseHTTPRequestHandler):
    """Timeouts, request screening and JSON errors for the parser's own refusals."""

    default_request_version = "HTTP/1.0"  # so that even a refused first line gets a status line

    def setup(self):
        self.timeout = getattr(self.server, "idle_timeout", IDLE_TIMEOUT_S)  # socket read/idle timeout
        super().setup()

    def handle_one_request(self):
        """http.server's loop step, with the timeouts told apart: silence before a request closes the
        connection quietly (nothing was asked); a request that stalls half-way gets 408 RequestTimeout."""
        try:
            if not self.rfile.peek(1):
                self.close_connection = True  # the client closed: nothing to answer
                return
        except (TimeoutError, OSError):
            self.close_connection = True  # idle past the timeout: free the thread
            return
        self.requestline, self.request_version, self.command = "", "HTTP/1.0", ""
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.parse_request():
                return
            method = getattr(self, "do_" + self.command, None)
            if method is None:
                self.send_error(HTTPStatus.NOT_IMPLEMENTED, f"Unsupported method ({self.command[:40]!r})")
                return
            method()
            self.wfile.flush()
        except TimeoutError:
            self.log_error("request timed out")
            try:
                self.send_error(
                    HTTPStatus.REQUEST_TIMEOUT, "The request was not complete within " f"{self.timeout:g} s."
                )
            except OSError:
                pass
            self.close_connection = True

    def parse_request(self):
        words = str(self.raw_requestline, "iso-8859-1").split()
        if len(words) != 3:
            # An empty line, one word, or an HTTP/0.9 "GET /" (whose answer would have no status line).
            self.command, self.close_connection = None, True
            self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
            self.send_error(HTTPStatus.BAD_REQUEST, "The request line must be: METHOD path HTTP/1.x")
            return False
        return super().parse_request()

    def send_error(self, code, message=None, explain=None):
        """The parser's refusals (bad request line, headers too long, unknown method...) as the API's
        JSON error, and the connection closed (what follows in the stream cannot be trusted)."""
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = "HTTP/1.0"  # an answer always has a status line
        status, name = _PARSER_CODES.get(int(code), (int(code), "BadRequest"))
        text = message or HTTPStatus(int(code)).phrase
        self.log_error("code %d, message %s", int(code), text)
        self.send_document(status, error_document(name, text))

    def send_document(self, status: int, doc: dict) -> None:
        """A JSON error answer that closes the connection."""
        self.close_connection = True
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self._linger()

    def _linger(self, limit: int = 4 * MAX_BODY_BYTES, seconds: float = 2.0) -> None:
        """Half-close, then drop what the client still sends for a moment: closing with unread bytes
        would reset the connection and the client could lose the answer (nginx's lingering close)."""
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(seconds)
            drained, deadline = 0, time.monotonic() + seconds
            while drained < limit and time.monotonic() < deadline:
                chunk = self.rfile.read1(65536)
                if not chunk:
                    break
                drained += len(chunk)
        except OSError:
            pass

    def handle_expect_100(self):
        """Screen before inviting the body: a refused request is answered without `100 Continue`."""
        refused = self.screen()
        if refused is not None:
            self.send_document(refused.status, error_document(refused.code, refused.message))
            return False
        return super().handle_expect_100()

    def screen(self) -> CloudError | None:
        """Refuse what no SDK sends: a browser (any Origin header), a Host that is not loopback (DNS
        rebinding), a body we cannot frame or that is too large. None when the request may proceed."""
        if "Origin" in self.headers:
            return Forbidden(reason="Requests from a web page (with an Origin header) are refused.")
        host = self.headers.get("Host")
        if host is not None and not loopback_host(host):
            return Forbidden(reason="The Host header must be localhost or a loopback address.")
        if "Transfer-Encoding" in self.headers:
            return BadRequest(reason="Transfer-Encoding is not supported: send the body with a Content-Length.")
        lengths = self.headers.get_all("Content-Length") or []
        if len(set(v.strip() for v in lengths)) > 1:
            return BadRequest(reason="The request has conflicting Content-Length headers.")
        length = lengths[0].strip() if lengths else "0"
        if not (length.isascii() and length.isdigit()):
            return BadRequest(reason="Content-Length must be a non-negative integer.")
        if int(length) > MAX_BODY_BYTES:
            return RequestEntityTooLarge(limit=MAX_BODY_BYTES)
        self.content_length = int(length)
        return None

    def read_body(self) -> bytes:
        """The body `screen` announced; a body shorter than announced (the client gave up) is refused."""
        length = getattr(self, "content_length", 0)
        body = self.rfile.read(length) if length > 0 else b""
        if len(body) != length:
            self.close_connection = True
            raise BadRequest(reason="The request body is shorter than its Content-Length.")
        return body
