"""Command line: `provisioner provision|plan|status|teardown|reconcile --stack FILE ...` (click).

Exit codes: 0 done (plan: nothing to change; reconcile: in sync or healed); 1 failure (API error, lock
held, invalid state, wait timed out); 2 bad usage or an invalid stack file (nothing was called);
3 reconcile --check: drift found (promote: 0 done, 1 a batch failed its health check and was rolled back;
rollback: 0 the canary was removed, 1 no rollout is under way); 4 plan: changes are pending;
75 reconcile: skipped, another run holds the lock (EX_TEMPFAIL).
With --json, stdout carries exactly one JSON document; logs go to stderr.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from . import console, engine
from . import reconcile as reconciler
from .errors import (
    CloudError,
    LockHeld,
    NotOwnedError,
    PrecheckError,
    ProvisionerError,
    SpecError,
    StateError,
    TargetError,
)
from .serving.egress import internet_needs
from .spec import load_stack
from .state import lock_advice, os_reason
from .target import resolve

log = logging.getLogger("provisioner.cli")

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_PLAN_PENDING = 0, 1, 2, 4


def common_options(func: Callable[..., None]) -> Callable[..., None]:
    @click.option(
        "--stack",
        "stack_path",
        default="stacks/default.yaml",
        show_default=True,
        type=click.Path(dir_okay=False),
        help="The stack file (YAML).",
    )
    @click.option(
        "--state",
        "state_path",
        default=None,
        type=click.Path(dir_okay=False),
        help="The state file [default: state/<stack name>.json].",
    )
    @click.option(
        "--endpoint",
        default=None,
        metavar="URL",
        help="A running localcloud emulator to use, e.g. http://127.0.0.1:18080.",
    )
    @click.option(
        "--target",
        "target_kind",
        type=click.Choice(["localcloud", "alibaba"]),
        default=None,
        help="Where to provision [default: the stack's target, else localcloud].",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
    @click.option("-v", "--verbose", is_flag=True, help="Debug logging on stderr.")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        return func(*args, **kwargs)

    return wrapper


@click.group(help=__doc__)
@click.version_option(package_name="alicloud-fleet", message="%(version)s")
def cli() -> None:
    pass


@cli.command(help="Create what the stack lacks; an unchanged stack makes no change at all.")
@common_options
def provision(**opts: Any) -> None:
    _run("provision", opts)


@cli.command(help="Show what provision would create, change or delete (exit 4 when changes are pending).")
@common_options
def plan(**opts: Any) -> None:
    _run("plan", opts)


@cli.command(help="Each resource with its id and state, the backends, and the endpoint URL.")
@common_options
def status(**opts: Any) -> None:
    _run("status", opts)


@cli.command(help="Finish a rollout held at its canary (rollout.canary.hold): replace the rest of the fleet.")
@common_options
def promote(**opts: Any) -> None:
    _run("promote", opts)


@cli.command(help="Remove a held canary: its instances leave the SLB and are deleted; the old fleet serves.")
@common_options
def rollback(**opts: Any) -> None:
    _run("rollback", opts)


@cli.command(help="Delete everything tagged for the stack, in dependency order.")
@common_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def teardown(yes: bool, **opts: Any) -> None:
    _run("teardown", opts, yes=yes)


@cli.command(help="Compare the cloud with the stack and heal the drift; never prompts (made for cron).")
@common_options
@click.option("--check", is_flag=True, help="Report the drift, change nothing; exit 3 when there is drift.")
@click.option(
    "--log-json",
    "log_json",
    default=None,
    type=click.Path(dir_okay=False),
    help="Append one JSON line per run (the summary) to this file.",
)
@click.option(
    "--unhealthy-grace",
    "grace",
    default=reconciler.DEFAULT_GRACE,
    show_default=True,
    type=float,
    metavar="SECONDS",
    help="Reboot an instance failing its health check once it has been up this long.",
)
def reconcile(check: bool, log_json: str | None, grace: float, **opts: Any) -> None:
    _reconcile(opts, check, log_json, grace)


def _reconcile(opts: dict[str, Any], check: bool, log_json: str | None, grace: float) -> None:
    """reconcile's own flow: lock held -> skip with 75; every outcome writes one summary (and log line)."""
    as_json = opts["as_json"]
    console.setup(verbose=opts["verbose"])

    def finish(code: int, result: dict[str, Any], message: str | None = None) -> NoReturn:
        if log_json:
            try:
                reconciler.append_log(log_json, {**result, "exit_code": code})
            except OSError as err:
                log.error("cannot append to %s: %s", log_json, os_reason(err))
        if as_json:
            click.echo(json.dumps(result, indent=2, sort_keys=True))
        elif message is None:
            click.echo("\n".join(reconciler.text(result)))
        if message:
            click.echo(f"provisioner reconcile: {message}", err=True)
        sys.exit(code)

    base = {"command": "reconcile", "stack_file": opts["stack_path"], "check": check}
    try:
        spec = load_stack(opts["stack_path"])
    except SpecError as err:
        finish(
            EXIT_USAGE,
            {
                **base,
                "ok": False,
                "outcome": "failed",
                "error": {"type": "SpecError", "field": err.field, "message": str(err)},
            },
            f"invalid stack file {opts['stack_path']}: {err}",
        )
    base["stack"] = spec.name
    try:
        target = resolve(spec.target, opts["target_kind"], opts["endpoint"])
        if target.kind == "localcloud":
            _no_proxy_for_loopback()
        log.info("target: %s", target.describe())
        with engine.open_run(spec, target, opts["state_path"], "reconcile", lock=not check) as ctx:
            result = reconciler.reconcile(ctx, check=check, grace=grace)
    except SpecError as err:  # a change the stack file asks for that cannot be made: before any call
        finish(
            EXIT_USAGE,
            {
                **base,
                "ok": False,
                "outcome": "failed",
                "error": {"type": "SpecError", "field": err.field, "message": str(err)},
            },
            f"stack file {opts['stack_path']}: {err}",
        )
    except LockHeld as err:
        finish(
            reconciler.EXIT_SKIPPED,
            {**base, "ok": True, "outcome": "skipped", "lock_holder": err.holder},
            f"skipped: {err}; {lock_advice(err.holder)}",
        )
    except (StateError, TargetError, CloudError, ProvisionerError) as err:
        finish(EXIT_FAILURE, {**base, "ok": False, "outcome": "failed", "error": _error_doc(err, str(err))}, str(err))
    except KeyboardInterrupt:
        finish(130, {**base, "ok": False, "outcome": "interrupted"}, "interrupted; the next run resumes")
    except OSError as err:
        message = f"{getattr(err, 'filename', None) or 'the system'}: {os_reason(err)}"
        finish(
            EXIT_FAILURE,
            {**base, "ok": False, "outcome": "failed", "error": {"type": type(err).__name__, "message": message}},
            message,
        )
    except Exception as err:  # noqa: BLE001 - cron still gets its log line and one JSON document
        log.debug("unexpected error", exc_info=True)
        message = f"internal error: {type(err).__name__}: {str(err)[:300]} (run with -v for the traceback)"
        finish(
            EXIT_FAILURE,
            {**base, "ok": False, "outcome": "failed", "error": {"type": type(err).__name__, "message": message}},
            message,
        )
    finish(reconciler.exit_code(result), result)


def _run(command: str, opts: dict[str, Any], yes: bool = False) -> None:
    as_json = opts["as_json"]
    console.setup(verbose=opts["verbose"])
    try:
        spec = load_stack(opts["stack_path"])
    except SpecError as err:
        _fail(command, as_json, EXIT_USAGE, err, f"invalid stack file {opts['stack_path']}: {err}")
    if command == "teardown" and not yes:
        if not sys.stdin.isatty():
            _fail(
                command,
                as_json,
                EXIT_USAGE,
                None,
                "teardown deletes every resource of the stack; pass --yes when not on a terminal",
            )
        click.confirm(f"Delete every resource tagged for stack {spec.name!r} in {spec.region}?", abort=True, err=True)
    try:
        target = resolve(spec.target, opts["target_kind"], opts["endpoint"])
        if target.kind == "localcloud":
            _no_proxy_for_loopback()
        log.info("target: %s", target.describe())
        # Real cloud only: the instances reach nothing outside the VPC (localcloud runs workloads locally).
        warnings = internet_needs(spec.serving) if target.kind == "alibaba" and command in ("plan", "provision") else []
        for warning in warnings:
            log.warning("%s", warning)
        with engine.open_run(
            spec, target, opts["state_path"], command, lock=command in ("provision", "teardown", "promote", "rollback")
        ) as ctx:
            result = getattr(engine, command)(ctx)
        if warnings:
            result = {**result, "warnings": warnings}
    except SpecError as err:
        # A change the stack file asks for that cannot be made (provisioner/diff.py): refused before any call.
        _fail(command, as_json, EXIT_USAGE, err, f"stack file {opts['stack_path']}: {err}")
    except LockHeld as err:
        _fail(command, as_json, EXIT_FAILURE, err, f"{err}; {lock_advice(err.holder)}")
    except (StateError, TargetError, CloudError, ProvisionerError) as err:
        _fail(command, as_json, EXIT_FAILURE, err, str(err))
    except KeyboardInterrupt:
        _fail(command, as_json, 130, None, "interrupted; run the command again to resume")
    except OSError as err:
        # An operational failure outside the state module (a log file, a temporary file): one line.
        _fail(
            command, as_json, EXIT_FAILURE, err, f"{getattr(err, 'filename', None) or 'the system'}: {os_reason(err)}"
        )
    except Exception as err:  # noqa: BLE001 - a bug must still leave one JSON document and one line
        log.debug("unexpected error", exc_info=True)
        _fail(
            command,
            as_json,
            EXIT_FAILURE,
            err,
            f"internal error: {type(err).__name__}: {str(err)[:300]}" " (run with -v for the traceback)",
        )
    code = EXIT_PLAN_PENDING if command == "plan" and result.get("pending") else EXIT_OK
    if as_json:
        click.echo(json.dumps(result, indent=2, sort_keys=True))
    else:
        _print_human(command, result)
    sys.exit(code)


def _no_proxy_for_loopback() -> None:
    """The Alibaba SDKs send even loopback traffic through HTTP(S)_PROXY and ignore NO_PROXY; for the
    local emulator this process drops those variables (this entry point only, never a library)."""
    dropped = [k for k in list(os.environ) if k.lower() in ("http_proxy", "https_proxy", "all_proxy")]
    for key in dropped:
        os.environ.pop(key, None)
    if dropped:
        log.info("not using %s for the local emulator", ", ".join(sorted(dropped)))


def _error_doc(err: Exception | None, message: str) -> dict[str, str | None]:
    """The `error` object of the JSON document: type and message, and what the error names."""
    error: dict[str, str | None] = {"type": type(err).__name__ if err else "UsageError", "message": message}
    if isinstance(err, (SpecError, PrecheckError)):
        error["field"] = err.field
    if isinstance(err, CloudError):
        error.update(code=err.code, request_id=err.request_id, step=err.step, resource=err.resource)
    if isinstance(err, NotOwnedError):
        error.update(role=err.role, resource=err.resource)
    return error


def _fail(command: str, as_json: bool, code: int, err: Exception | None, message: str) -> NoReturn:
    if as_json:
        doc = {"command": command, "ok": False, "error": _error_doc(err, message)}
        click.echo(json.dumps(doc, indent=2, sort_keys=True))
    click.echo(f"provisioner {command}: {message}", err=True)
    sys.exit(code)


def _print_human(command: str, result: dict[str, Any]) -> None:
    echo = click.echo
    calls = result.get("api_calls", {})
    if command == "plan":
        if result["pending"]:
            echo(f"Plan for stack {result['stack']}:")
            for line in result["lines"]:
                echo(line)
            s = result["summary"]
            echo(
                f"{s['create']} to create, {s['change']} to change, {s['delete']} to delete"
                + (f", {s['replace']} to replace" if s.get("replace") else "")
                + "."
            )
        else:
            echo(f"No changes: the cloud matches stack {result['stack']}.")
        for note in result.get("notes", []):
            echo(f"note: {note}")
        for warning in result.get("warnings", []):
            echo(f"warning: {warning}")
    elif command == "status":
        if not result["deployed"]:
            echo(f"Stack {result['stack']} is not deployed.")
        for r in result["resources"]:
            extra = ", ".join(
                f"{k} {v}" for k, v in r.items() if k not in ("role", "id", "status") and v not in (None, "")
            )
            echo(f"{r['role']:<15} {r['id']:<32} {r['status']:<10} {extra}")
        for b in result["backends"]:
            port = f", port {b['port']}" if b.get("port") else ""
            echo(f"{'backend':<15} {b['server_id']:<32} {b['health']:<10} weight {b['weight']}{port}")
        inst = result["instances"]
        echo(f"instances: {inst['running']} running of {inst['have']} (the stack asks for {inst['want']})")
        if result.get("endpoint"):
            echo(f"endpoint: {result['endpoint']}")
        if result.get("endpoint_note"):
            echo(f"note:     {result['endpoint_note']}")
        for group in result.get("fleet", []):
            echo(
                f"template {group['template']:<20} {group['role']:<7} {len(group['instances'])} instance(s),"
                f" {group['traffic_percent']}% of the traffic"
            )
    elif command == "rollback":
        echo(f"rollback of stack {result['stack']}: removed {', '.join(result['rolled_back']) or 'nothing'}")
    else:
        summary = ", ".join(f"{n} {action}" for action, n in sorted(result["summary"].items()))
        echo(
            f"{command} of stack {result['stack']} done in {result['duration_s']:.1f}s: {summary or 'nothing to do'}"
            f" ({calls.get('total', 0)} API calls, {calls.get('mutating', 0)} mutating)"
        )
        if result.get("endpoint"):
            echo(f"endpoint: {result['endpoint']}")
        if result.get("endpoint_note"):
            echo(f"note:     {result['endpoint_note']}")
        if result.get("sample_request"):
            echo(f"try it:   {result['sample_request']}")
        roll = result.get("rollout")
        if roll:
            done = (
                f"{len(roll['replaced'])} instance(s) replaced in {roll['batches']} batch(es)"
                if roll["replaced"]
                else "finished what an earlier run had begun (no instance left to replace)"
            )
            echo(
                f"rollout:  {done}"
                + (
                    f"; canary {', '.join(roll['canary'])} holds: run `provisioner promote` or"
                    " `provisioner rollback`"
                    if roll["held"]
                    else ""
                )
            )


def main() -> None:
    cli(prog_name="provisioner")


if __name__ == "__main__":  # pragma: no cover
    main()
