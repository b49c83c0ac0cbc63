"""ClientTokens: derived from (stack, role, index, zone, generation), written ahead, reused on every retry."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

from .state import State

log = logging.getLogger(__name__)

MAX_TOKEN_LEN = 64  # ECS/VPC/SLB: "unique, case-sensitive, at most 64 ASCII characters"
# How long a write-ahead create may be replayed. The cloud's token memory is undocumented (ecs-api.md §3);
# past this age the resources are found by tag instead and a new token is used.
REPLAY_WINDOW_S = 6 * 3600


def token_key(role: str, index: int | str = 0, zone: str = "") -> str:
    """The identity of one logical create within a stack, e.g. "instances/0/cn-hangzhou-i"."""
    return f"{role}/{index}/{zone}"


def derive(stack: str, epoch: str, key: str, generation: int) -> str:
    """A deterministic token: readable prefix plus a hash of everything that identifies the create."""
    digest = hashlib.sha256(f"{stack}|{epoch}|{key}|{generation}".encode()).hexdigest()[:32]
    role = key.split("/", 1)[0][:12]
    token = f"fleet-{role}-{digest}"
    return token[:MAX_TOKEN_LEN]


def params_hash(params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


class TokenBook:
    """Hands out the ClientToken for a create and records it in the state before the call is made.

    The same logical create with the same request gets the same token until it succeeds (then the key
    moves to a new generation); a different request for the key (the spec changed since a crash) or a
    definite refusal (no stock: "change the ClientToken before creating again", ecs-api.md §3) gets a new one.
    """

    def __init__(self, state: State, stack: str):
        self.state = state
        self.stack = stack

    def begin(self, key: str, action: str, params: dict[str, Any]) -> str:
        phash = params_hash(params)
        entry = self.state.pending(key)
        if entry and entry.get("params_hash") == phash and time.time() - entry.get("started", 0) < REPLAY_WINDOW_S:
            log.info("%s: replaying the unfinished %s of an earlier run with its ClientToken", key, action)
            replayed: str = entry["token"]
            return replayed
        if entry:
            # An earlier attempt asked for something else (or long ago): its token is not reused.
            self.state.clear_pending(key, spent=True)
        token = derive(self.stack, self.state.epoch, key, self.state.generation(key))
        self.state.set_pending(key, {"token": token, "action": action, "params_hash": phash, "started": time.time()})
        return token

    def done(self, key: str) -> None:
        """The create succeeded: the next create under this key needs a new token."""
        self.state.clear_pending(key, spent=True)

    def refused(self, key: str) -> None:
        """The cloud refused the create for good (no stock, bad parameter): never reuse this token."""
        self.state.clear_pending(key, spent=True)
