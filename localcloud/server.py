"""HTTP front: parses RPC requests, verifies signatures, routes to products, renders bodies and errors."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import socket
import threading
import time
import uuid
from http.server import ThreadingHTTPServer
from typing import IO
from urllib.parse import parse_qsl, urlsplit

from . import control, core, credentials, encoding
from .auth import Verifier
from .errors import (
    BadRequest,
    CloudError,
    InternalError,
    InvalidActionNotFound,
    InvalidVersion,
    MissingParameter,
    ServiceUnavailable,
    Throttling,
)
from .faults import Faults
from .guard import IDLE_TIMEOUT_S, ConnectionCap, GuardedHandler, error_document
from .profile import Clock
from .store import Store

log = logging.getLogger(__name__)


def load_products() -> None:
    """Import the product packages so that their actions register themselves."""
    from . import ecs, slb, vpc  # noqa: F401


class Stats:
    """Calls per action and errors per code since start or the last reset (GET /_localcloud/stats)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.actions: dict[str, dict] = {}
            self.total = 0
            self.mutating = 0
            self.since = time.time()

    def record(self, product: str, action: str, mutating: bool, code: str | None) -> None:
        with self._lock:
            self.total += 1
            if mutating:
                self.mutating += 1
            entry = self.actions.setdefault(f"{product}:{action}", {"calls": 0, "errors": {}, "mutating": mutating})
            entry["calls"] += 1
            if code:
                entry["errors"][code] = entry["errors"].get(code, 0) + 1

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "total": self.total,
                "mutating": self.mutating,
                "since": self.since,
                "actions": json.loads(json.dumps(self.actions)),
            }


class Emulator:
    """One emulator: the cloud model, the verifier, faults, stats and the background ticker."""

    def __init__(
        self,
        data_dir: str | None,
        speed: float = 1.0,
        instant: bool = False,
        runtime: bool | None = None,
        keys: dict[str, str] | None = None,
    ):
        load_products()
        self.data_dir = data_dir
        self._lockfile: IO[str] | None = None
        self.http_server: Server | None = None  # set by the CLI; the control API reads its address
        if data_dir:
            credentials.private_dir(data_dir)  # 0700: only its owner may read the keys, store and workloads
            self._take_lock(data_dir)
        # No well-known keys: the data dir's own random pair and control token (localcloud/credentials.py).
        self.credentials = credentials.load_or_create(data_dir)
        self.store = Store(os.path.join(data_dir, "localcloud.sqlite3") if data_dir else None)
        self.clock = Clock(speed=speed, instant=instant)
        saved_offset = self.store.meta("clock_offset")
        if saved_offset:
            self.clock.offset = float(saved_offset)
        self.cloud = core.Cloud(self.store, self.clock)
        try:  # a config stored by an older, unchecked version must not break every call
            control.checked_config(self.cloud.config.to_dict())
        except ValueError as err:
            log.warning("stored config refused (%s): defaults restored", err)
            self.cloud.config = core.Config()
        if runtime is not None:
            self.cloud.config.runtime = runtime
        self.cloud.runtime = None  # the local runtime attaches itself (localcloud.runtime.attach)
        self.verifier = Verifier(
            keys if keys is not None else {self.credentials.access_key_id: self.credentials.access_key_secret}
        )
        self.faults = Faults()
        # Models read model-level knobs from it: the read lag (a new listener not yet visible) and the lost
        # instances of RunInstances, drawn from the same seeded RNG.
        self.cloud.faults = self.faults
        self.stats = Stats()
        self.extensions: list = []
        self._kill: dict | None = None
        self._kill_lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick_loop, name="localcloud-ticker", daemon=True)

    def kill_after(self, pid: int, mutating_calls: int) -> None:
        """Crash-test hook: SIGKILL `pid` right after the k-th mutating call from now took effect.

        Only a live process of the emulator's own user, never pid 1 nor the emulator itself
        (a negative pid or 0 would signal a whole process group; ValueError names the reason)."""
        if mutating_calls > 0:
            control.check_killable(pid)
        with self._kill_lock:
            self._kill = {"pid": int(pid), "remaining": int(mutating_calls)} if mutating_calls > 0 else None

    def after_mutation(self) -> None:
        with self._kill_lock:
            if not self._kill:
                return
            self._kill["remaining"] -= 1
            if self._kill["remaining"] > 0:
                return
            pid, self._kill = self._kill["pid"], None
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _take_lock(self, data_dir: str) -> None:
        path = os.path.join(data_dir, "localcloud.lock")
        handle = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600), "a+")
        os.fchmod(handle.fileno(), 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise RuntimeError(f"data dir {data_dir} is in use by localcloud ({holder})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self._lockfile = handle

    def start(self) -> None:
        self._ticker.start()

    def _tick_loop(self) -> None:
        while not self._stop.wait(0.1):
            try:
                self.cloud.tick()
                for ext in self.extensions:
                    ext.tick()
            except Exception:
                log.exception("ticker failed")

    def reset(self) -> None:
        with self.cloud.lock:
            self.store.clear()
            self.clock.offset = 0.0
            self.cloud.config = core.Config(runtime=self.cloud.config.runtime)
        for ext in self.extensions:  # after the clear: an extension in step with the store restarts nothing
            ext.reset()
        self.faults.configure({})
        self.stats.reset()
        self.kill_after(0, 0)

    def advance(self, seconds: float) -> None:
        with self.cloud.lock:
            self.clock.advance(seconds)
            self.store.set_meta("clock_offset", self.clock.offset)
            self.store.commit()
        self.cloud.tick()

    def close(self) -> None:
        self._stop.set()
        if self._ticker.is_alive():
            self._ticker.join(timeout=2)
        for ext in self.extensions:
            ext.close()
        with self.cloud.lock:
            self.store.close()
        if self._lockfile:
            self._lockfile.close()


class Handler(GuardedHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one JSON body per answer: do not let Nagle hold its tail
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms delayed-ACK stalls
    server_version = "localcloud"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet: the stats endpoint is the record
        log.debug("%s " + fmt, self.address_string(), *args)

    @property
    def emu(self) -> Emulator:
        return self.server.emulator  # type: ignore[attr-defined]

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    # plumbing --------------------------------------------------------------------------------
    def send_json(self, status: int, body: dict, extra_headers: dict | None = None) -> None:
        data = encoding.encode(body)  # = json.dumps(body, ensure_ascii=False), cached resources spliced in
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (extra_headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def drop(self) -> None:
        """Close the connection without an answer, as a network failure would."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _handle(self) -> None:
        try:
            refused = self.screen()  # Origin, Host, framing and size (localcloud/guard.py)
            if refused is not None:
                self.close_connection = True
                raise refused
            body = self.read_body()
            try:
                split = urlsplit(self.path)
            except ValueError:
                raise BadRequest(reason="The request target is not a valid URL path.") from None
        except CloudError as err:
            self.send_document(err.status, error_document(err.code, err.message))  # and close
            return
        if split.path.startswith("/_localcloud"):
            control.handle(self, split, body)
            return
        self._handle_api(split, body)

    def _handle_api(self, split, body: bytes) -> None:
        request_id = str(uuid.uuid4()).upper()
        headers = {k.lower(): v for k, v in self.headers.items()}
        query_pairs = parse_qsl(split.query, keep_blank_values=True)
        form_pairs: list[tuple[str, str]] = []
        ctype = headers.get("content-type", "")
        if body and ctype.startswith("application/x-www-form-urlencoded"):
            try:
                form_pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                self.send_json(400, error_document("BadRequest", "The request body is not valid UTF-8."))
                return
        params = dict(query_pairs)
        params.update(form_pairs)
        action = headers.get("x-acs-action") or params.get("Action", "")
        version = headers.get("x-acs-version") or params.get("Version", "")
        product = core.VERSIONS.get(version, "")
        host = core.HOSTS.get(product, "localcloud")
        spec = core.ACTIONS.get((product, action))
        code = None
        try:
            if not action:
                raise MissingParameter(name="Action")
            if not version:
                raise MissingParameter(name="Version")
            if not product:
                raise InvalidVersion(version=version)
            if spec is None:
                raise InvalidActionNotFound(action=action)
            self.emu.verifier.verify(self.command, split.path or "/", split.query, headers, body, form_pairs)
            decision = self.emu.faults.decide(product, action)
            if decision.latency_s:
                time.sleep(decision.latency_s)
            if decision.before == "drop":
                self.emu.stats.record(product, action, spec.mutating, "(dropped)")
                self.drop()
                return
            if decision.before == "throttle":
                raise Throttling()
            if decision.before == "error":
                raise ServiceUnavailable() if self.emu.faults.coin() < 0.5 else InternalError()
            if decision.before == "refuse" and decision.answer is not None:
                code, status, message = decision.answer
                raise CloudError(code, message, status)
            result = self.emu.cloud.call(product, action, params)
            if spec.mutating:
                self.emu.after_mutation()
            if decision.commit_drop:
                self.emu.stats.record(product, action, spec.mutating, "(commit-dropped)")
                self.drop()
                return
            out = {"RequestId": request_id}
            out.update(result)
            self.emu.stats.record(product, action, spec.mutating, None)
            self.send_json(200, out)
            return
        except CloudError as err:
            code, status, message = err.code, err.status, err.message
        except Exception:  # a bug of ours: answer as the real gateway does, and keep the trace in the log
            log.exception("internal error in %s:%s", product, action)
            failure = InternalError()
            code, status, message = failure.code, failure.status, failure.message
        self.emu.stats.record(product or "?", action or "?", bool(spec and spec.mutating), code)
        self.send_json(
            status,
            {
                "RequestId": request_id,
                "HostId": host,
                "Code": code,
                "Message": message,
                "Recommend": (
                    f"https://api.aliyun.com/troubleshoot?q={code}"
                    f"&product={core.PRODUCT_NAMES.get(product, '')}&requestId={request_id}"
                ),
            },
        )


class Server(ConnectionCap, ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0, idle_timeout: float = IDLE_TIMEOUT_S
    ):
        self.emulator = emulator
        self.idle_timeout = idle_timeout  # read and idle timeout of every connection (guard.py)
        super().__init__((host, port), Handler)

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), self.server_address[1]
        return f"http://{host}:{port}"


def serve_in_thread(data_dir: str | None = None, port: int = 0, **kwargs) -> tuple[Server, threading.Thread]:
    """Start an emulator on 127.0.0.1 in this process (tests, benchmarks). Stop with `stop(server)`."""
    emulator = Emulator(data_dir, **kwargs)
    server = Server(emulator, port=port)
    if emulator.cloud.config.runtime:  # runtime=False (the test fixtures' default) keeps it off
        from . import runtime

        runtime.attach(emulator, server)
    emulator.start()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    return server, thread


def stop(server: Server) -> None:
    server.shutdown()
    server.server_close()
    server.emulator.close()
