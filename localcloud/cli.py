"""Command line: `localcloud serve --port PORT --data-dir DIR [--speed X | --instant] [--no-runtime]`,
`localcloud credentials --data-dir DIR` (the data dir's key pair as `export` lines)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading

from . import credentials

STATE_FILE = "localcloud.json"  # {pid, url, port}: written once the socket listens (readiness)
PID_FILE = "localcloud.pid"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="localcloud", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the ECS, VPC and SLB APIs on 127.0.0.1")
    serve.add_argument("--port", type=int, default=18080, help="TCP port (0 picks a free one); default 18080")
    serve.add_argument("--data-dir", default=".localcloud", help="where the SQLite state lives")
    speed = serve.add_mutually_exclusive_group()
    speed.add_argument(
        "--speed", type=float, default=1.0, help="divide the realistic transition durations by this factor (default 1)"
    )
    speed.add_argument("--instant", action="store_true", help="complete every transition at once")
    serve.add_argument(
        "--no-runtime", action="store_true", help="do not run instances' serving workloads or SLB listeners locally"
    )
    serve.add_argument("--log-level", default="INFO")
    creds = sub.add_parser("credentials", help="print the data dir's key pair as `export ALIBABA_CLOUD_...` lines")
    creds.add_argument("--data-dir", default=".localcloud", help="the emulator's data dir (default .localcloud)")
    args = parser.parse_args(argv)
    if args.command == "credentials":
        sys.exit(print_credentials(args.data_dir))
    if args.speed <= 0:
        parser.error("--speed must be > 0")
    logging.basicConfig(
        level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s localcloud %(levelname)s %(message)s"
    )
    sys.exit(serve_forever(args))


def print_credentials(data_dir: str) -> int:
    try:
        creds = credentials.read(data_dir)
    except credentials.CredentialsError as err:
        print(f"localcloud: {err}", file=sys.stderr)
        return 1
    sys.stdout.write(creds.exports())
    return 0


def serve_forever(args) -> int:
    from .server import Emulator, Server

    os.umask(0o077)  # every file the emulator and its runtime create is its owner's only
    try:
        emulator = Emulator(
            args.data_dir, speed=args.speed, instant=args.instant, runtime=False if args.no_runtime else None
        )
    except (RuntimeError, credentials.CredentialsError) as err:
        print(f"localcloud: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"localcloud: cannot use the data dir {args.data_dir}: {err.strerror or err}", file=sys.stderr)
        return 2
    try:
        server = Server(emulator, port=args.port)
    except OSError as err:
        emulator.close()
        print(f"localcloud: cannot listen on 127.0.0.1:{args.port}: {err.strerror}", file=sys.stderr)
        return 2
    emulator.http_server = server
    _attach_runtime(emulator, server)
    emulator.start()
    info = {
        "pid": os.getpid(),
        "url": server.url,
        "port": server.server_address[1],
        "data_dir": os.path.abspath(args.data_dir),
        "access_key_id": emulator.credentials.access_key_id,
    }
    _write(os.path.join(args.data_dir, PID_FILE), f"{os.getpid()}\n")
    _write(os.path.join(args.data_dir, STATE_FILE), json.dumps(info) + "\n")

    def on_signal(signum, _frame):
        logging.info("signal %s: shutting down", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    logging.info(
        "serving on %s (data dir %s, speed %s%s)",
        server.url,
        args.data_dir,
        args.speed,
        ", instant" if args.instant else "",
    )
    logging.info(
        "keys: `localcloud credentials --data-dir %s` prints them (access key id %s)",
        args.data_dir,
        emulator.credentials.access_key_id,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        emulator.close()
        for name in (STATE_FILE, PID_FILE):
            try:
                os.unlink(os.path.join(args.data_dir, name))
            except FileNotFoundError:
                pass
        logging.info("stopped")
    return 0


def _attach_runtime(emulator, server) -> None:
    try:
        from . import runtime
    except ImportError:
        return
    runtime.attach(emulator, server)


def _write(path: str, text: str) -> None:
    credentials.write_private(path, text)
