"""The SLB data plane on loopback: a threaded HTTP reverse proxy and a TCP relay, weighted round robin."""

from __future__ import annotations

import collections
import http.client
import logging
import selectors
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast

log = logging.getLogger(__name__)

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "expect",
}  # 100-continue is answered by the balancer itself (BaseHTTPRequestHandler)
CONNECT_TIMEOUT = 3.0
CHUNK = 64 * 1024


class Picker:
    """Smooth weighted round robin (the `wrr` scheduler): over any window, shares follow the weights."""

    def __init__(self):
        self._lock = threading.Lock()
        self._current: dict[str, int] = {}

    def pick(self, candidates: list[tuple[str, int]], exclude: set | frozenset = frozenset()) -> str | None:
        with self._lock:
            pool = [(sid, w) for sid, w in candidates if w > 0 and sid not in exclude]
            if not pool:
                return None
            total = sum(w for _, w in pool)
            best = pool[0][0]
            for index, (sid, weight) in enumerate(pool):
                self._current[sid] = self._current.get(sid, 0) + weight
                if index == 0 or self._current[sid] > self._current[best]:
                    best = sid
            self._current[best] -= total
            present = {sid for sid, _ in candidates}
            for sid in [s for s in self._current if s not in present]:
                del self._current[sid]
            return best


class Unreachable(Exception):
    """The backend failed at the connection level before answering (nothing sent to the client yet)."""


class BackendTimeout(Exception):
    """The backend accepted the request but did not answer within RequestTimeout (SLB answers 504)."""


class ConnectionPool:
    """Idle keep-alive connections to backends, per (host, port)."""

    def __init__(self, max_idle: int = 32):
        self._lock = threading.Lock()
        self._idle: dict[tuple, collections.deque] = {}
        self.max_idle = max_idle

    def get(self, key: tuple) -> http.client.HTTPConnection | None:
        with self._lock:
            idle = self._idle.get(key)
            return idle.pop() if idle else None

    def put(self, key: tuple, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, collections.deque())
            if len(idle) < self.max_idle:
                idle.append(conn)
                return
        conn.close()

    def drop(self, key: tuple) -> None:
        with self._lock:
            idle = self._idle.pop(key, None) or ()
        for conn in idle:
            conn.close()

    def clear(self) -> None:
        with self._lock:
            conns = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
        for conn in conns:
            conn.close()


def exchange(
    pool: ConnectionPool,
    target: tuple[str, int],
    method: str,
    path: str,
    body: bytes | None,
    headers: list[tuple[str, str]],
    request_timeout: float,
):
    """Send one request to a backend; returns (conn, response) with the response headers read.

    A pooled connection the backend closed meanwhile is retried once on a fresh connection (the
    backend is not at fault). Raises Unreachable or BackendTimeout.
    """
    conn = pool.get(target)
    if conn is not None:
        try:
            return conn, _send(conn, method, path, body, headers)
        except TimeoutError:
            conn.close()
            raise BackendTimeout() from None
        except (OSError, http.client.HTTPException):
            conn.close()
    conn = http.client.HTTPConnection(target[0], target[1], timeout=CONNECT_TIMEOUT)
    try:
        conn.connect()
    except OSError as err:
        conn.close()
        raise Unreachable(f"connect {target[0]}:{target[1]}: {err}") from None
    conn.sock.settimeout(request_timeout)
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        return conn, _send(conn, method, path, body, headers)
    except TimeoutError:
        conn.close()
        raise BackendTimeout() from None
    except (OSError, http.client.HTTPException) as err:
        conn.close()
        raise Unreachable(f"{target[0]}:{target[1]}: {err.__class__.__name__}: {err}") from None


def _send(conn, method, path, body, headers):
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for key, value in headers:
        conn.putheader(key, value)
    if body is not None:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body if body else None)
    return conn.getresponse()


class ProxyHandler(BaseHTTPRequestHandler):
    """One client connection (HTTP/1.1 keep-alive): each request goes to a backend picked per request."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no delayed-ACK stalls

    def setup(self):
        self.timeout = self.server.balancer.idle_timeout  # IdleTimeout: idle keep-alive connections close
        super().setup()

    def log_message(self, fmt, *args):
        log.debug("slb %s: " + fmt, self.server.balancer.listener.key, *args)

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self._proxy
        raise AttributeError(name)

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size_line = self.rfile.readline(1024)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = self.headers.get("Content-Length")
        if length is None:
            return None
        return self.rfile.read(int(length))

    def _proxy(self):
        balancer = self.server.balancer
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._answer(400, "Bad Request")
            return
        connection_tokens = {t.strip().lower() for t in self.headers.get("Connection", "").split(",")}
        headers = [
            (k, v)
            for k, v in self.headers.items()
            if k.lower() not in HOP_BY_HOP and k.lower() not in connection_tokens and k.lower() != "content-length"
        ]
        if self.headers.get("Host") is None:
            headers.append(("Host", f"{self.server.server_address[0]}:{self.server.server_address[1]}"))
        # XForwardedFor is on by default on CLB HTTP listeners: append the client address.
        prior = self.headers.get("X-Forwarded-For")
        client = self.client_address[0]
        headers = [(k, v) for k, v in headers if k.lower() != "x-forwarded-for"]
        headers.append(("X-Forwarded-For", f"{prior}, {client}" if prior else client))
        headers.append(("X-Forwarded-Proto", "http"))
        tried: set[str] = set()
        while True:
            server_id = balancer.pick(tried)
            if server_id is None:
                # No backend in rotation: 503; every tried backend failed to connect: 502.
                self._answer(502 if tried else 503, "Bad Gateway" if tried else "Service Unavailable")
                return
            target = balancer.listener.target(server_id)
            balancer.track(server_id, +1)
            try:
                try:
                    conn, resp = exchange(
                        balancer.pool, target, self.command, self.path, body, headers, balancer.request_timeout
                    )
                except BackendTimeout:
                    self._answer(504, "Gateway Time-out")
                    return
                except Unreachable as err:
                    tried.add(server_id)
                    log.info(
                        "slb %s: backend %s failed (%s)%s",
                        balancer.listener.key,
                        server_id,
                        err,
                        "; retrying on another" if len(tried) < 2 else "",
                    )
                    if len(tried) >= 2:  # one retry only (our choice; CHOICES.md "runtime")
                        self._answer(502, "Bad Gateway")
                        return
                    continue
                balancer.count(server_id)
                self._relay(balancer, target, conn, resp)
                return
            finally:
                balancer.track(server_id, -1)

    def _relay(self, balancer, target, conn, resp) -> None:
        reusable = False
        try:
            self.send_response_only(resp.status, resp.reason)
            for key, value in resp.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            no_body = self.command == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200
            if no_body:
                self._end_headers()
                resp.read()
            elif resp.length is not None and resp.length <= CHUNK:
                self._end_headers(resp.read())  # small body: one write with the headers
            elif resp.length is not None:
                self._end_headers()
                while True:
                    data = resp.read(min(CHUNK, resp.length or 0)) if resp.length else b""
                    if not data:
                        break
                    self.wfile.write(data)
            elif self.request_version == "HTTP/1.1":
                self.send_header("Transfer-Encoding", "chunked")
                self._end_headers()
                while data := resp.read1(CHUNK):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.write(b"0\r\n\r\n")
            else:  # an HTTP/1.0 client and a body of unknown length: close-delimited
                self.close_connection = True
                self._end_headers()
                while data := resp.read1(CHUNK):
                    self.wfile.write(data)
            self.wfile.flush()
            reusable = not resp.will_close and resp.isclosed()
        except (OSError, http.client.HTTPException) as err:
            log.info("slb %s: relay from %s aborted: %s", balancer.listener.key, target, err)
            self.close_connection = True
        finally:
            if reusable:
                balancer.pool.put(target, conn)
            else:
                conn.close()

    def _end_headers(self, body: bytes = b"") -> None:
        if self.close_connection:
            self.send_header("Connection", "close")
        elif self.request_version == "HTTP/1.0":
            self.send_header("Connection", "keep-alive")
        self._headers_buffer.append(b"\r\n" + body)  # BaseHTTPRequestHandler.end_headers, plus the body
        self.flush_headers()

    def _answer(self, status: int, reason: str) -> None:
        body = (
            f"<html><head><title>{status} {reason}</title></head><body><center><h1>{status} {reason}"
            f"</h1></center><hr><center>localcloud SLB</center></body></html>\n"
        ).encode()
        try:
            self.send_response(status, reason)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self._end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True


class RelayHandler(socketserver.BaseRequestHandler):
    """One TCP connection: pick a backend (one retry on a failed connect), then copy bytes both ways."""

    def handle(self):
        balancer = self.server.balancer
        tried: set[str] = set()
        upstream = None
        while upstream is None:
            server_id = balancer.pick(tried)
            if server_id is None or len(tried) >= 2:
                return
            try:
                upstream = socket.create_connection(balancer.listener.target(server_id), timeout=CONNECT_TIMEOUT)
            except OSError:
                tried.add(server_id)
        balancer.count(server_id)
        for sock in (self.request, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        balancer.track(server_id, +1)
        try:
            with upstream:
                self._pipe(self.request, upstream, balancer.idle_timeout)
        finally:
            balancer.track(server_id, -1)

    @staticmethod
    def _pipe(client: socket.socket, upstream: socket.socket, idle: float) -> None:
        client.setblocking(False)
        upstream.setblocking(False)
        peer = {client: upstream, upstream: client}
        open_reads = {client, upstream}
        with selectors.DefaultSelector() as sel:
            for sock in open_reads:
                sel.register(sock, selectors.EVENT_READ)
            while open_reads:
                events = sel.select(timeout=idle)
                if not events:
                    return  # EstablishedTimeout: an idle connection is closed
                for key, _ in events:
                    src = cast(socket.socket, key.fileobj)
                    try:
                        data = src.recv(CHUNK)
                    except BlockingIOError:
                        continue
                    except OSError:
                        return
                    if not data:
                        sel.unregister(src)
                        open_reads.discard(src)
                        try:
                            peer[src].shutdown(socket.SHUT_WR)
                        except OSError:
                            pass
                        continue
                    try:
                        peer[src].setblocking(True)
                        peer[src].sendall(data)
                        peer[src].setblocking(False)
                    except OSError:
                        return


class _Tracking:
    """Remembers open client connections so that stopping the listener also cuts them."""

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 256

    def _track_init(self):
        self._open: set = set()
        self._open_lock = threading.Lock()

    def process_request(self, request, client_address):
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def cut_all(self) -> None:
        with self._open_lock:
            socks = list(self._open)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class HTTPFront(_Tracking, ThreadingHTTPServer):
    def __init__(self, address, balancer):
        self._track_init()
        self.balancer = balancer
        super().__init__(address, ProxyHandler)

    def server_bind(self):
        # HTTPServer.server_bind resolves the address's FQDN (a DNS query); loopback needs none.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class TCPFront(_Tracking, socketserver.ThreadingTCPServer):
    def __init__(self, address, balancer):
        self._track_init()
        self.balancer = balancer
        super().__init__(address, RelayHandler)


class Balancer:
    """One listener's front server on `address`, falling back to a free port when the port is not ours to bind."""

    def __init__(self, listener, address: str, port: int, protocol: str, idle_timeout: float, request_timeout: float):
        self.listener = listener
        self.protocol = protocol
        self.idle_timeout = idle_timeout
        self.request_timeout = request_timeout
        self.picker = Picker()
        self.pool = ConnectionPool()
        self.served: dict[str, int] = {}
        self.in_flight: dict[str, int] = {}
        self._served_lock = threading.Lock()
        self.note: str | None = None
        front = HTTPFront if protocol == "http" else TCPFront
        try:
            self.server = front((address, port), self)
        except OSError as err:
            # Ports below 1024 need root, or the port is taken: same address, a free port (CHOICES.md).
            self.note = f"cannot bind {address}:{port} ({err.strerror}); listening on a free port instead"
            try:
                self.server = front((address, 0), self)
            except OSError as err2:
                self.note = f"cannot bind {address} ({err2.strerror}); listening on 127.0.0.1 instead"
                self.server = front(("127.0.0.1", 0), self)
            log.warning("SLB listener %s: %s", listener.key, self.note)
        self.address, self.port = str(self.server.server_address[0]), self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True, name=f"slb-{listener.key}"
        )
        self._thread.start()

    @property
    def url(self) -> str:
        scheme = "http" if self.protocol == "http" else "tcp"
        return f"{scheme}://{self.address}:{self.port}"

    def pick(self, exclude: set) -> str | None:
        return self.picker.pick(self.listener.candidates(), exclude)

    def count(self, server_id: str) -> None:
        with self._served_lock:
            self.served[server_id] = self.served.get(server_id, 0) + 1

    def track(self, server_id: str, delta: int) -> None:
        """Requests sent to a backend and not yet answered in full (what a drain waits for)."""
        with self._served_lock:
            left = self.in_flight.get(server_id, 0) + delta
            if left > 0:
                self.in_flight[server_id] = left
            else:
                self.in_flight.pop(server_id, None)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.server.cut_all()
        self.pool.clear()
